"""The life cycle of a worker: start it, send it one probe at a time, watch it, end it.

A `Sandbox` serves one part of the rubric: it starts
a worker (`autograder.worker`, see `autograder.protocol`) forked from the
zygote (`launcher`) on a private copy of the student's files (`workspace`),
sends it one probe at a time and waits for the result while watching

- time: each probe has its own limit, and all the probes of a part share the
  part's budget (worker start-up included);
- memory: the memory the worker's whole process tree adds to the zygote's
  (`processes.ProcessTree`), read from `/proc` every `poll_interval` seconds,
  must stay under the part's limit, and under what the container's own limit
  leaves when the worker starts (`machine.memory_headroom_mb`). (An
  address-space limit, `RLIMIT_AS`, cannot be used: TensorFlow maps far more virtual memory than it ever
  touches.)
- the worker's output, read from a pipe of which only the first and last few
  kilobytes are kept (`output.BoundedOutput`).

A probe that hangs, crashes, exits or exceeds the memory limit gets a one-line
error, the worker and everything it started are killed, and the next probe
gets a fresh worker; so does the next probe after one that left the worker
holding more than `RESTART_ABOVE_MB`. Who the worker runs as is decided by `isolation`.
"""

import os
import re
import select
import signal
import time
from pathlib import Path

from assignment.implementation import REPO_ROOT
from autograder import plain, protocol
from autograder.protocol import ProbeResult
from autograder.sandbox import machine
from autograder.sandbox.isolation import choose_isolation
from autograder.sandbox.launcher import LaunchError, shared_launcher
from autograder.sandbox.output import BoundedOutput
from autograder.sandbox.processes import STARTING_WORKER, ProcessTree, anonymous_kb, never_adopt
from autograder.sandbox.workspace import Workspace
from autograder.worker import zygote

# Environment variables a worker inherits; everything else is dropped.
PASSED_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "ASSIGNMENT_DATA_DIR",
                    "KERAS_BACKEND")
PASSED_PREFIXES = ("LC_", "TF_", "OMP_", "MKL_", "CUDA_", "XLA_", "MALLOC_")
# Processes and threads the workers' user may have (TensorFlow starts a few per core).
MAX_PROCESSES = 4096
# A full scan of /proc for new processes every SCAN_EVERY memory readings.
SCAN_EVERY = 10
MAX_EVENT_BYTES = 1 << 20
# A worker that still holds more than this after a probe is ended, and the next probe gets a
# fresh one: TensorFlow keeps much of what a training run allocated, and a fork from the zygote
# costs well under a second.
RESTART_ABOVE_MB = 100
# Longest error message taken from a worker.
MAX_ERROR_LENGTH = 1000


def worker_environment():
    """What every worker's environment starts from: none of the grader's secrets.

    Only `PASSED_VARIABLES` and `PASSED_PREFIXES` are kept; each worker then
    gets its own home and temporary folder (`Sandbox._environment`).
    """
    env = {key: value for key, value in os.environ.items()
           if key in PASSED_VARIABLES or key.startswith(PASSED_PREFIXES)}
    env.setdefault("PATH", os.defpath)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # NumPy's BLAS threads fight TensorFlow's for the few cores a grader has:
    # measured on 2 busy cores, a 400x784 SVD took 0.14 s with one thread and
    # up to 31 s with two. One thread also keeps the zygote free of threads.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # glibc gives each thread that allocates an arena of its own; TensorFlow's pools then keep
    # many mostly empty arenas resident. Two arenas are enough for a worker's threads.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    env.update(PYTHONPATH=str(REPO_ROOT), PYTHONHASHSEED="0", PYTHONUNBUFFERED="1",
               MPLBACKEND="Agg")
    return env


class _Failure(Exception):
    """Why waiting for the worker ended without the awaited event."""


class Sandbox:
    """Runs probes for one part in worker processes, one probe at a time.

    Args:
        submission: directory of the student's files (copied, never modified).
        modules: student modules the worker loads, in dependency order.
        probe_module: module the worker imports to register its probe functions.
        time_limit: seconds the workers of this part may run in total.
        memory_limit_mb: memory the worker's process tree may add to what it shares
            with the zygote (`processes.ProcessTree`); less
            when the container's memory limit leaves less (`machine`).
        isolation: an `Isolation` (default: `choose_isolation()`).
        poll_interval: seconds between two memory readings.
        file_size_limit_mb: largest file a worker may write.
        max_submission_mb: total size of the submission files copied for the worker.
        probe_time_scale: each probe's own time limit is multiplied by it (see
            `autograder.time_limits`).

    Attributes:
        used: seconds the workers have run so far (start-ups included).
        starts: how many workers were started.
        peak_memory_mb: the largest memory reading of the worker trees.
        output: what the workers printed (head and tail; `output.text()`).
        drift: the student's signatures that differ from the stencil's, as the
            worker reported them: name -> (stencil's, student's parameters).
    """

    def __init__(self, submission, modules, probe_module, *, time_limit, memory_limit_mb,
                 isolation=None, poll_interval=0.1, file_size_limit_mb=256,
                 max_submission_mb=64, probe_time_scale=1.0):
        self.submission = Path(submission)
        self.modules = tuple(modules)
        self.probe_module = probe_module
        self.time_limit = float(time_limit)
        self.memory_limit_mb = memory_limit_mb
        self.isolation = isolation or choose_isolation()
        self.poll_interval = poll_interval
        self.file_size_limit = file_size_limit_mb << 20
        self.max_submission = max_submission_mb << 20
        self.probe_time_scale = probe_time_scale
        self.used = 0.0
        self.starts = 0
        self.peak_memory_mb = 0.0
        self.output = BoundedOutput(8192)
        self.drift = {}
        self._fatal = None
        self._pid = None
        self._launcher = shared_launcher(self.isolation.python, worker_environment())

    def run(self, probe, seed=0):
        """Runs `probe` (a `protocol.Probe`) in a worker.

        Starts a worker first when none is running. Once the student's modules
        failed to load, every probe gets that error without a new attempt.

        Args:
            probe: the function to call, its plain arguments and its time limit.
            seed: the worker seeds Python, NumPy and Keras with it before the call.

        Returns:
            A `ProbeResult`. Never raises for anything student code does.
        """
        if self._pid is None and self._fatal is None and self.used < self.time_limit:
            self._start()
        if self._fatal is not None:
            return self._fatal
        if self.used >= self.time_limit:
            return ProbeResult(error=(
                f"Not run: this part used up its time limit of {self.time_limit:g} s."))
        index = self._requests
        self._requests += 1
        try:
            self._workspace.write_request(index, probe, seed)
        except plain.PlainDataError as error:
            return ProbeResult(error=f"cannot send the probe's arguments: {error}", internal=True)
        started = time.monotonic()
        probe_limit = probe.time_limit * self.probe_time_scale
        limit = min(probe_limit, self.time_limit - self.used)
        try:
            self._send(index)
            self._wait(lambda event: event.get("event") == protocol.DONE
                       and event.get("index") == index,
                       started, limit, budget_bound=limit < probe_limit)
        except _Failure as failure:
            self._stop()
            result = ProbeResult(error=str(failure))
        else:
            result = self._read_result(index)
            if self._tree.memory_mb(full_scan=True) > RESTART_ABOVE_MB:
                self._stop()  # the next probe starts from the zygote's state again
        self.used += time.monotonic() - started
        return result

    def close(self):
        """Kills the worker and everything it started, and removes its files."""
        self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- start and stop ---------------------------------------------------------

    def _start(self):
        """Starts a worker and waits until it has loaded the student's modules.

        The time the zygote takes to import TensorFlow, once per grading
        process, is not charged to the part.
        """
        try:
            self._launcher.wait_ready()
        except LaunchError as error:
            self._fatal = ProbeResult(error=f"cannot start a worker: {error}", internal=True)
            return
        headroom = machine.memory_headroom_mb()
        self._memory_limit = self.memory_limit_mb
        if headroom is not None and headroom < self.memory_limit_mb:
            self._memory_limit = max(0, int(headroom))
        started = time.monotonic()
        self._workspace = Workspace(self.submission, self.max_submission)
        try:
            missing = self._workspace.missing(self.modules)
            if missing:
                self._fatal = ProbeResult(error=(
                    f"Your submission lacks {', '.join(missing)} (only regular files, "
                    f"{self.max_submission >> 20} MB in all, are graded)."))
                self._workspace.remove()
                return
            self._spawn()
        except LaunchError as error:
            self._workspace.remove()
            self._fatal = ProbeResult(error=f"cannot start a worker: {error}", internal=True)
            return
        except BaseException:
            self._workspace.remove()
            raise
        try:
            event = self._wait(lambda event: event.get("event") in (protocol.READY,
                                                                    protocol.LOAD_FAILED),
                               started, self.time_limit - self.used, budget_bound=True)
        except _Failure as failure:
            event = {"error": f"While importing your modules: {failure}"}
        self.used += time.monotonic() - started
        if event.get("event") == protocol.READY:
            try:
                self.drift = protocol.drift_of(event)
            except protocol.ProtocolError:
                self.drift = {}
        else:
            try:
                self._fatal = ProbeResult.from_plain({**event, "value": None}, MAX_ERROR_LENGTH)
            except protocol.ProtocolError:
                self._fatal = ProbeResult(error="The process running your code sent a malformed "
                                                "message while importing your modules.")
            self._stop()

    def _spawn(self):
        """Starts the worker process with its ends of the status, command and output pipes."""
        workspace = self._workspace
        status_read, status_write = os.pipe()
        command_read, command_write = os.pipe()
        log_read, log_write = os.pipe()
        isolation = self.isolation
        config = workspace.write_config({
            "workdir": str(workspace.workdir), "submission": str(workspace.submission),
            "modules": list(self.modules), "probe_module": self.probe_module,
            "status_fd": zygote.STATUS_FD, "command_fd": zygote.COMMAND_FD,
            "file_size_limit": self.file_size_limit,
            "max_processes": MAX_PROCESSES if isolation.drops_privileges else None,
        })
        if isolation.drops_privileges:
            workspace.give_to(isolation.uid, isolation.gid)
        request = {
            "config": str(config), "probe_module": self.probe_module,
            "cwd": str(workspace.workdir), "env": self._environment(),
            "user": [isolation.uid, isolation.gid] if isolation.drops_privileges else None,
            "namespaces": isolation.namespaces, "reveal": [list(item) for item in isolation.reveal],
            "stage": str(workspace.stage), "threads": machine.cpu_threads(),
        }
        self._workdir_fd = os.open(workspace.workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            with STARTING_WORKER:
                self._pid = self._launcher.spawn(request, (status_write, command_read, log_write))
                never_adopt(self._pid)
        except BaseException:
            for fd in (status_read, command_write, log_read, self._workdir_fd):
                os.close(fd)
            raise
        finally:
            for fd in (status_write, command_read, log_write):
                os.close(fd)
        uid = isolation.uid if isolation.drops_privileges else os.geteuid()
        self._tree = ProcessTree(self._pid, uid, anonymous_kb(self._launcher.pid))
        self.starts += 1
        self._status, self._command, self._log = status_read, command_write, log_read
        for fd in (self._status, self._command, self._log):
            os.set_blocking(fd, False)
        self._poller = select.poll()
        for fd in (self._status, self._log):
            self._poller.register(fd, select.POLLIN)
        self._pending = b""
        self._requests = 0

    def _environment(self):
        """The worker's own environment: the launcher's, a private home and temp dir."""
        workdir = self._workspace.workdir
        env = {**self._launcher.env, "HOME": str(workdir), "TMPDIR": str(workdir / "tmp")}
        if self.isolation.drops_privileges:
            env.update(USER=self.isolation.user, LOGNAME=self.isolation.user)
        return env

    def _stop(self):
        """Kills the worker's process tree, reaps it, closes the pipes, removes the files."""
        if self._pid is None:
            return
        self._tree.kill()
        os.waitpid(self._pid, 0)
        self._tree.reaped()
        self._drain_output()
        for fd in (self._status, self._command, self._log, self._workdir_fd):
            os.close(fd)
        self._workspace.remove()
        self._pid = None

    # -- watching -------------------------------------------------------------

    def _wait(self, awaited, started, limit, budget_bound):
        """Returns the first status event for which `awaited(event)` holds.

        Raises:
            _Failure: when the time limit passes, memory runs over, or the
                worker ends first.
        """
        deadline = started + limit
        next_poll = time.monotonic() + self.poll_interval
        next_scan = next_poll + SCAN_EVERY * self.poll_interval
        while True:
            exited = self._exited()
            for event in self._events():
                if awaited(event):
                    # One reading at every awaited event, so that even a probe shorter than
                    # `poll_interval` has its memory measured.
                    self.peak_memory_mb = max(self.peak_memory_mb,
                                              self._tree.memory_mb(full_scan=False))
                    return event
            if exited:
                raise _Failure(self._exit_message())
            now = time.monotonic()
            if now >= deadline:
                if budget_bound:
                    raise _Failure(f"Time limit exceeded: this part may run for "
                                   f"{self.time_limit:g} s in all, and that time is used up.")
                raise _Failure(f"Time limit exceeded: this check may run for {limit:g} s "
                               "(an infinite loop?).")
            if now >= next_poll:
                memory = self._tree.memory_mb(full_scan=now >= next_scan)
                self.peak_memory_mb = max(self.peak_memory_mb, memory)
                if now >= next_scan:
                    next_scan = now + SCAN_EVERY * self.poll_interval
                next_poll = now + self.poll_interval
                if memory > self._memory_limit:
                    raise _Failure(f"Memory limit exceeded: your code used {memory:.0f} MB, "
                                   f"more than the {self._memory_limit} MB "
                                   + ("allowed." if self._memory_limit == self.memory_limit_mb
                                      else "this grading machine has left for it."))
            self._poller.poll(max(0.0, min(deadline, next_poll) - time.monotonic()) * 1000)
            self._drain_output()

    def _exited(self):
        """Whether the worker has ended; leaves it unreaped."""
        return os.waitid(os.P_PID, self._pid,
                         os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def _exit_message(self):
        """Why the worker ended, for a student."""
        result = os.waitid(os.P_PID, self._pid, os.WEXITED | os.WNOWAIT)
        self._drain_output()
        if result.si_code == os.CLD_EXITED and result.si_status == zygote.CONFINEMENT_FAILED:
            return ("Autograder error: the process for your code could not be confined "
                    f"(exit status {result.si_status}); tell the course staff.")
        if result.si_code == os.CLD_EXITED:
            return (f"The process running your code exited with status {result.si_status} "
                    "(do not call os._exit or sys.exit).")
        if result.si_status == signal.SIGKILL:
            return "The process running your code was killed (SIGKILL), probably out of memory."
        if result.si_status == signal.SIGXFSZ:
            return (f"The process running your code wrote a file larger than "
                    f"{self.file_size_limit >> 20} MB.")
        where = self._crash_location()
        return (f"The process running your code crashed with {_signal_name(result.si_status)}"
                + (f" ({where})." if where else "."))

    def _crash_location(self):
        """`"file.py, line N, in function"` of student code in the worker's last crash dump.

        The worker's `faulthandler` prints, most recent call first, the stack
        of a fatal signal after "Fatal Python error".
        """
        dump = self.output.text().rpartition("Fatal Python error")[2]
        prefix = re.escape(str(self._workspace.submission) + os.sep)
        frame = re.search(rf'File "{prefix}([^"]+)", line (\d+) in (\S+)', dump)
        return frame and f"{frame[1]}, line {frame[2]}, in {frame[3]}"

    def _events(self):
        """The complete event lines on the status pipe, parsed; junk lines are skipped."""
        try:
            while data := os.read(self._status, 65536):
                self._pending = (self._pending + data)[-MAX_EVENT_BYTES:]
        except BlockingIOError:
            pass
        *lines, self._pending = self._pending.split(b"\n")
        return [event for line in lines if (event := protocol.parse_event(line)) is not None]

    def _drain_output(self):
        """Reads what the worker printed, keeping only its head and tail."""
        try:
            while data := os.read(self._log, 65536):
                self.output.add(data)
        except BlockingIOError:
            pass

    # -- requests and results -------------------------------------------------

    def _send(self, index):
        try:
            os.write(self._command, protocol.command_line(index))
        except (BlockingIOError, BrokenPipeError):
            if not self._exited():
                raise _Failure("The process running your code stopped reading its instructions.")

    def _read_result(self, index):
        """The `ProbeResult` of probe `index`, from the files the worker wrote (untrusted)."""
        try:
            return protocol.load_result(index, self._workdir_fd, self.file_size_limit,
                                        MAX_ERROR_LENGTH)
        except protocol.ProtocolError as failure:
            return ProbeResult(error=f"The values to grade could not be read ({failure}).")


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
