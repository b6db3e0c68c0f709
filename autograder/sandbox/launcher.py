"""Starts workers: forks of one zygote per grading process that has imported TensorFlow once.

The zygote (`autograder.worker.zygote`) is started on first use and serves
every worker of this process after it, whatever the part or the submission:
it never runs student code, only forks processes that will. A worker it forks
is re-parented to this process, which is therefore made a child subreaper
before the zygote starts, and which then treats the worker as its own child.

Measured on one busy core of the 2-core machine: the zygote was ready after
9.5 s; each worker forked from it had loaded the solution's `autoencoder` and
`vae` and reported READY 0.10-0.11 s after it was asked for (five in a row;
`Sandbox.used` after `Sandbox._start`), where a fresh interpreter spends 3.4 s
on `import tensorflow, keras` alone on 2 idle cores.
"""

import atexit
import json
import os
import select
import socket
import subprocess
import tempfile
import threading
import time

from assignment.implementation import REPO_ROOT
from autograder.sandbox.processes import make_subreaper, never_adopt

# Seconds the zygote may take to import TensorFlow, Keras and the probes.
START_TIMEOUT = 300
MAX_MESSAGE = 1 << 20


class LaunchError(RuntimeError):
    """Raised when no worker could be started (the autograder's fault, not the student's)."""


class Launcher:
    """A zygote process and the requests to fork workers from it.

    Args:
        python: the interpreter that runs the zygote.
        env: the environment every worker starts from (each request adds its own).
    """

    def __init__(self, python, env):
        self.python = python
        self.env = dict(env)
        self._process = None
        self._socket = None
        self._ready = False
        # Parts graded side by side use it from threads of their own: one exchange at a time.
        self._lock = threading.RLock()

    def start(self):
        """Starts the zygote, without waiting for it to be ready."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()

    def _start(self):
        self.close()
        make_subreaper()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                [self.python, "-m", "autograder.worker.zygote", str(theirs.fileno())],
                cwd=REPO_ROOT, env={**self.env, "PYTHONPATH": str(REPO_ROOT)},
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()
        never_adopt(self._process.pid)
        self._socket = ours
        self._ready = False

    def wait_ready(self):
        """Blocks until the zygote has imported everything; starts it first when needed.

        Raises:
            LaunchError: if the zygote ends or does not get ready in `START_TIMEOUT` s.
        """
        with self._lock:
            self.start()
            if self._ready:
                return
            deadline = time.monotonic() + START_TIMEOUT
            while not select.select([self._socket], [], [],
                                    max(0.0, deadline - time.monotonic()))[0]:
                if time.monotonic() >= deadline:
                    self.close()
                    raise LaunchError(f"the worker zygote was not ready after {START_TIMEOUT} s")
            if self._receive().get("ready") is not True:
                raise LaunchError(f"the worker zygote did not start: {self._log_tail()}")
            self._ready = True

    def spawn(self, request, fds):
        """Forks a worker for `request` (see `autograder.worker.zygote`); returns its pid.

        Restarts the zygote once if it is gone (a worker that could see it may
        have killed it).

        Raises:
            LaunchError: when the zygote cannot start the worker.
        """
        with self._lock:
            for attempt in range(2):
                self.wait_ready()
                try:
                    socket.send_fds(self._socket, [json.dumps(request).encode()], list(fds))
                    reply = self._receive()
                except (OSError, LaunchError):
                    if attempt:
                        raise
                    self.close()
                    continue
                if "pid" not in reply:
                    raise LaunchError(f"the worker could not be started: {reply.get('error')}")
                return int(reply["pid"])

    @property
    def pid(self):
        """The zygote's pid (None before it starts)."""
        return self._process.pid if self._process is not None else None

    def _receive(self):
        try:
            message = self._socket.recv(MAX_MESSAGE)
        except OSError as error:
            raise LaunchError(f"the worker zygote stopped answering ({error})") from None
        if not message:
            raise LaunchError(f"the worker zygote ended: {self._log_tail()}")
        return json.loads(message)

    def _log_tail(self):
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:].strip() or "(no output)"

    def close(self):
        """Ends the zygote (workers it forked are not its children and live on)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
            self._log.close()
        self._ready = False


_LAUNCHERS = {}
_LAUNCHERS_LOCK = threading.Lock()


def shared_launcher(python, env):
    """The launcher of this process for `python` and `env`, created and started on first use."""
    key = (python, tuple(sorted(env.items())))
    with _LAUNCHERS_LOCK:
        if key not in _LAUNCHERS:
            _LAUNCHERS[key] = Launcher(python, env)
        launcher = _LAUNCHERS[key]
    launcher.start()
    return launcher


@atexit.register
def _close_all():
    for launcher in _LAUNCHERS.values():
        launcher.close()
