"""The worker process: loads a student's modules and runs probes against them.

Started by `autograder.sandbox.Sandbox` as
`python -m autograder.worker REQUESTS/worker.json`, possibly as an
unprivileged user. It never imports `autograder.checks`: what a correct answer
is stays in the grading process. It speaks `autograder.protocol`:

1. `worker.json` names the worker's own directory WORKDIR, the student
   modules to load (from the copy of the submission in WORKDIR), the module
   that registers the probe functions, and the numbers of two pipes: the status
   pipe (worker -> grader) and the command pipe (grader -> worker). The
   grader's files (`worker.json`, the requests) lie in REQUESTS, which the
   worker can read but not write.
2. The worker restricts itself (`harden`), imports the probe module, loads
   the student's modules and reports `READY`, or `LOAD_FAILED` with a
   `ProbeResult` that says why.
3. For each run command read on the command pipe it runs the probe of that
   request, writes its `ProbeResult` to WORKDIR atomically, and reports `DONE`.
"""

import contextlib
import faulthandler
import importlib
import json
import os
import resource
import sys
from pathlib import Path

from assignment.student_errors import describe_exception, exception_text
from autograder import protocol
from autograder.protocol import ProbeResult
from autograder.worker import signatures

try:
    from autograder.worker.stand_ins import standing_in
except ImportError:  # the student bundle has no stand-ins: their formulas are answers
    @contextlib.contextmanager
    def standing_in(impl, todo_ids, student_dir):
        yield {}

_PR_SET_NO_NEW_PRIVS = 38


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


def release_memory():
    """Gives back what the last probe left: its models, graphs and freed heap.

    A part's probes run one after another in one worker; without this, each
    kept its Keras models alive in reference cycles until the garbage
    collector happened to run, and glibc kept freed memory mapped.
    """
    import gc

    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)


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

    def send(self, name, **fields):
        """Writes one status event on the status pipe."""
        self.status.write(protocol.event_line(name, **fields))

    def load(self):
        """Imports the probe module and the student's modules; returns whether it worked."""
        module = self.config["probe_module"]
        try:
            importlib.import_module(module)
            from autograder.worker.probes import PROBES

            self.probes = PROBES
        except BaseException as error:  # noqa: BLE001  (reported, never raised)
            message = exception_text(error)
            self.send(protocol.LOAD_FAILED, **ProbeResult(
                error=f"cannot import the probe module {module}: {message}",
                internal=True).to_plain())
            return False
        try:
            from assignment.implementation import load_implementation

            self.impl = load_implementation(self.submission, modules=tuple(self.config["modules"]))
        except BaseException as error:  # noqa: BLE001
            message, todo = describe_exception(error, self.submission)
            self.send(protocol.LOAD_FAILED, **ProbeResult(error=message, todo=todo).to_plain())
            return False
        self.send(protocol.READY, drift=signatures.drift(self.impl))
        return True

    def run_probe(self, index):
        """Runs probe `index` and writes its result; returns nothing (errors are results)."""
        request = protocol.load_request(self.requests, index)
        function = self.probes.get(request["function"])
        if function is None:
            result = ProbeResult(error=f"unknown probe function {request['function']!r}",
                                 internal=True)
        else:
            result = self.call(function, request)
        protocol.save_result(self.workdir, index, result)
        release_memory()
        self.send(protocol.DONE, index=index)

    def call(self, function, request):
        """The `ProbeResult` of `function(impl, **kwargs)`, seeded, with its stand-ins in place.

        The stand-ins are tested before the seed is set, so that testing them
        draws nothing from the generators the probe uses.
        """
        stand_ins = {}
        try:
            with standing_in(self.impl, request.get("stand_ins", ()), self.submission) as used:
                stand_ins = used
                seed_everything(request["seed"])
                value = function(self.impl, **request["kwargs"])
        except BaseException as error:  # noqa: BLE001
            message, todo = describe_exception(error, self.submission)
            return ProbeResult(error=message, todo=todo, stand_ins=stand_ins)
        if not isinstance(value, dict):
            return ProbeResult(internal=True, error=(
                f"probe {request['function']!r} returned a {type(value).__name__}, not a dict"))
        return ProbeResult(value=value, stand_ins=stand_ins)

    def serve(self):
        """Runs the probes the command pipe asks for, until it closes."""
        with os.fdopen(self.config["command_fd"], "r") as commands:
            for line in commands:
                self.run_probe(protocol.parse_command(line))


def main(argv):
    """Entry point: `python -m autograder.worker CONFIG`; returns the exit status."""
    worker = Worker(argv[0])
    harden(worker.config["file_size_limit"], worker.config.get("max_processes"))
    if not worker.load():
        return 1
    worker.serve()
    return 0
