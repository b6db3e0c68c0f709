"""The worker process: loads a student's modules and runs probes against them.

Started by `autograder.sandbox.Sandbox` as
`python -m autograder.worker REQUESTS/worker.json`, possibly as an
unprivileged user. It never imports `autograder.checks`: what a correct answer
is stays in the grading process. The protocol:

1. `worker.json` names the worker's own directory WORKDIR, the student
   modules to load (from the copy of the submission in WORKDIR), the module
   that registers the probe functions, and the numbers of two pipes: the status
   pipe (worker -> grader) and the command pipe (grader -> worker). The
   grader's files (`worker.json`, the requests) lie in REQUESTS, which the
   worker can read but not write.
2. The worker restricts itself (`harden`), imports the probe module, loads
   the student's modules and sends `{"event": "ready"}` on the status pipe,
   or `{"event": "load_failed", "error": ..., "todo": ..., "internal": ...}`.
3. For each line `{"run": i}` read on the command pipe it runs the probe
   described in `REQUESTS/request-i.json` (+ `.npz`), writes its result to
   `WORKDIR/result-i.json` (+ `.npz`) atomically, and sends
   `{"event": "done", "index": i}`.

A result is `{"value": dict | None, "error": str | None, "todo": str | None,
"internal": bool}`; `internal` marks a fault of the autograder (an unknown
probe, a probe that did not return a dict) rather than of the student.
"""

import faulthandler
import importlib
import json
import os
import re
import resource
import sys
import traceback
from pathlib import Path

from autograder.worker import plain

MAX_MESSAGE_LENGTH = 300
_TODO = re.compile(r"TODO (\d+(?:\.\d+)*):?\s*(.*)", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_BOLD = re.compile(r"\x1b\[1m(.*?)\x1b\[0m", re.DOTALL)
_PR_SET_NO_NEW_PRIVS = 38


def _first_line(text):
    """The first non-blank line of `text`, shortened to `MAX_MESSAGE_LENGTH`."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            if len(line) > MAX_MESSAGE_LENGTH:
                line = line[: MAX_MESSAGE_LENGTH - 3] + "..."
            return line
    return ""


def _message(error):
    """The message of `error`, without the wrapping Keras adds around layer calls.

    Keras re-raises an exception from `Layer.call` as "Exception encountered
    when calling X.call(). <the original message in bold> Arguments received
    by ..."; the bold part is the message that matters.
    """
    try:
        text = str(error)
    except Exception:  # noqa: BLE001  (an exception class of the student's with a broken __str__)
        return "(the message could not be printed)"
    if text.startswith("Exception encountered when calling"):
        bold = _KERAS_BOLD.search(text)
        if bold:
            text = bold.group(1)
        else:
            text = text.split("\n\n")[1] if "\n\n" in text else text
    return _ANSI.sub("", text)


def _student_location(error, student_dir):
    """`"file.py, line N, in function"` of the deepest frame of student code, or None."""
    prefix = os.path.join(str(student_dir), "")
    if isinstance(error, SyntaxError) and str(error.filename or "").startswith(prefix):
        return f"{error.filename[len(prefix):]}, line {error.lineno}"
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith(prefix):
            return f"{frame.filename[len(prefix):]}, line {frame.lineno}, in {frame.name}"
    return None


def describe_exception(error, student_dir):
    """A one-line description of an exception raised by or through student code.

    Args:
        error: the exception (any `BaseException`, `SystemExit` included).
        student_dir: directory of the student's modules; the description names
            the deepest line of a file in it.

    Returns:
        `(message, todo)`: e.g. `("ZeroDivisionError: division by zero (vae.py,
        line 12, in kl_divergence)", None)`, or for `NotImplementedError("TODO
        3.3: ...")` `("TODO 3.3 is not done yet: ...", "3.3")`.
    """
    message = _message(error)
    if isinstance(error, NotImplementedError):
        todo = _TODO.match(message.strip())
        if todo:
            todo_id, task = todo.groups()
            return f"TODO {todo_id} is not done yet: {_first_line(task)}", todo_id
    if isinstance(error, SystemExit):
        message = f"your code called sys.exit({error.code!r})"
    elif isinstance(error, SyntaxError):
        message = error.msg
    text = type(error).__name__
    if _first_line(message):
        text = f"{text}: {_first_line(message)}"
    where = _student_location(error, student_dir)
    return (f"{text} ({where})" if where else text), None


def harden(file_size_limit, max_processes=None):
    """Restricts this process before any student code runs.

    No core dumps, no file larger than `file_size_limit` bytes (writing one
    ends the worker with SIGXFSZ), private new files,
    no privilege gain through set-user-ID programs, and, when `max_processes`
    is given, at most that many processes and threads for the worker's user.
    Hard limits are lowered too, so student code cannot raise them again.
    """
    limits = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, file_size_limit)]
    if max_processes:
        limits.append((resource.RLIMIT_NPROC, max_processes))
    for kind, value in limits:
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))
    os.umask(0o077)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    faulthandler.enable()


def seed_everything(seed):
    """Seeds Python's and NumPy's global generators, and Keras's when it is loaded."""
    import random

    random.seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    elif "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)


class Worker:
    """A worker's state: its directory, the loaded implementation and the probes.

    Args:
        config: path of `worker.json`, in the directory of the requests.
    """

    def __init__(self, config):
        self.requests = Path(config).parent
        self.config = json.loads(Path(config).read_text())
        self.workdir = Path(self.config["workdir"])
        self.submission = Path(self.config["submission"])
        self.status = os.fdopen(self.config["status_fd"], "w", buffering=1)
        self.probes = None
        self.impl = None

    def send(self, **event):
        """Writes one event line on the status pipe."""
        self.status.write(json.dumps(event) + "\n")

    def load(self):
        """Imports the probe module and the student's modules; returns whether it worked."""
        module = self.config["probe_module"]
        try:
            importlib.import_module(module)
            from autograder.worker.probes import PROBES

            self.probes = PROBES
        except BaseException as error:  # noqa: BLE001  (reported, never raised)
            message = _first_line(f"{type(error).__name__}: {_message(error)}")
            self.send(event="load_failed", internal=True, todo=None,
                      error=f"cannot import the probe module {module}: {message}")
            return False
        try:
            from assignment.implementation import load_implementation

            self.impl = load_implementation(self.submission, modules=tuple(self.config["modules"]))
        except BaseException as error:  # noqa: BLE001
            message, todo = describe_exception(error, self.submission)
            self.send(event="load_failed", internal=False, error=message, todo=todo)
            return False
        self.send(event="ready")
        return True

    def run_probe(self, index):
        """Runs probe `index` and writes its result; returns nothing (errors are results)."""
        request = plain.load(self.requests / f"request-{index}")
        function = self.probes.get(request["function"])
        result = {"value": None, "error": None, "todo": None, "internal": False}
        if function is None:
            result.update(error=f"unknown probe function {request['function']!r}", internal=True)
        else:
            seed_everything(request["seed"])
            try:
                value = function(self.impl, **request["kwargs"])
            except BaseException as error:  # noqa: BLE001
                result["error"], result["todo"] = describe_exception(error, self.submission)
            else:
                if isinstance(value, dict):
                    result["value"] = value
                else:
                    result.update(internal=True, error=(f"probe {request['function']!r} returned "
                                                        f"a {type(value).__name__}, not a dict"))
        stem = self.workdir / f"result-{index}"
        try:
            plain.save(stem, result)
        except plain.PlainDataError as error:
            plain.save(stem, {"value": None, "todo": None, "internal": False,
                              "error": f"your code returned what the grader cannot read: {error}"})
        self.send(event="done", index=index)

    def serve(self):
        """Runs the probes the command pipe asks for, until it closes."""
        with os.fdopen(self.config["command_fd"], "r") as commands:
            for line in commands:
                self.run_probe(int(json.loads(line)["run"]))


def main(argv):
    """Entry point: `python -m autograder.worker CONFIG`; returns the exit status."""
    worker = Worker(argv[0])
    harden(worker.config["file_size_limit"], worker.config.get("max_processes"))
    if not worker.load():
        return 1
    worker.serve()
    return 0
