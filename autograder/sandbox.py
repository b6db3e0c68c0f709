"""Runs probes against student code in a separate, watched worker process.

A `Sandbox` serves one part of the rubric: it starts
`python -m autograder.worker` (see `autograder.worker.runtime` for the
protocol) on a private copy of the student's files, sends it one probe at a
time and waits for the result while watching

- time: each probe has its own limit, and all the probes of a part share the
  part's budget (worker start-up included);
- memory: the resident memory of the worker's whole process tree, read from
  `/proc` every `poll_interval` seconds, must stay under the part's limit.
  (An address-space limit, `RLIMIT_AS`, cannot be used: TensorFlow maps far
  more virtual memory than it ever touches.)
- the worker's output, read from a pipe of which only the first and last few
  kilobytes are kept, so a flood of prints costs neither memory nor disk.

A probe that hangs, crashes, exits or exceeds the memory limit gets a one-line
error, the worker and everything it started are killed, and the next probe
gets a fresh worker. The worker runs in a session and process group of its own;
killing it kills the group, the session, every descendant the watcher has seen
and every orphan that was re-parented to the grading process (which makes
itself a "child subreaper" so that orphans cannot slip away to `init`).

When the grader runs as root (as on Gradescope) workers run as an unprivileged
user (`nobody` unless `$AUTOGRADER_WORKER_USER` names another), with no
supplementary groups, no way to regain privileges (`PR_SET_NO_NEW_PRIVS`),
in a working directory that user owns; `protect` makes the grader's secrets
unreadable for that user. When the grader does not run as root no user change
is possible: student code then runs as the grader's own user and can read and
write what that user can (it still cannot change a score, which the grader
computes and writes last). Gradescope runs the grader as root. When root
cannot switch users (e.g. Python lies in root's home directory, which
`nobody` cannot enter), `Isolation.note` says so in every terminal report.
"""

import dataclasses
import json
import os
import pwd
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from autograder.checks.registry import ProbeResult
from autograder.worker import plain

REPO_ROOT = Path(__file__).resolve().parents[1]
USER_VARIABLE = "AUTOGRADER_WORKER_USER"
DEFAULT_USER = "nobody"
# Environment variables a worker inherits; everything else is dropped.
PASSED_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "ASSIGNMENT_DATA_DIR",
                    "KERAS_BACKEND")
PASSED_PREFIXES = ("LC_", "TF_", "OMP_", "MKL_", "CUDA_", "XLA_")
# Processes and threads the workers' user may have (TensorFlow starts a few per core).
MAX_PROCESSES = 4096
# A full scan of /proc for new processes every SCAN_EVERY memory readings.
SCAN_EVERY = 10
MAX_EVENT_BYTES = 1 << 20
# Longest error message taken from a worker.
MAX_ERROR_LENGTH = 1000
# Rounds of kill-and-rescan (10 ms apart) before giving up on an unkillable process.
KILL_ATTEMPTS = 500
_PR_SET_CHILD_SUBREAPER = 36
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_LIVE_WORKERS = set()


class SandboxError(RuntimeError):
    """Raised when workers cannot be isolated as requested."""


@dataclasses.dataclass(frozen=True)
class Isolation:
    """Who the workers run as, and with which Python.

    Attributes:
        python: the interpreter that runs workers.
        uid, gid, user: the unprivileged user workers switch to, or None when
            they keep the grader's user.
        note: why workers keep the grader's user (empty when they switch).
    """

    python: str = sys.executable
    uid: int | None = None
    gid: int | None = None
    user: str | None = None
    note: str = ""

    @property
    def drops_privileges(self):
        return self.uid is not None


def _allowed(info, uid, gids, want):
    """Whether the permission bits of `info` give `uid`/`gids` the access `want` (an `rwx` mask)."""
    if info.st_uid == uid:
        bits = info.st_mode >> 6
    elif info.st_gid in gids:
        bits = info.st_mode >> 3
    else:
        bits = info.st_mode
    return bits & want == want


def can_read(path, uid, gids):
    """Whether user `uid` with groups `gids` can reach and read `path`, from its mode bits.

    Every directory on the way needs search (x) permission; the target needs
    read permission, and search permission too when it is a directory.
    """
    path = Path(os.path.realpath(path))
    for ancestor in reversed(path.parents):
        if not _allowed(os.stat(ancestor), uid, gids, 0o1):
            return False
    info = os.stat(path)
    return _allowed(info, uid, gids, 0o5 if stat.S_ISDIR(info.st_mode) else 0o4)


def needed_paths(python):
    """What a worker must be able to read: the interpreter, its libraries, the worker code."""
    paths = [Path(os.path.realpath(python)), REPO_ROOT / "autograder" / "worker",
             REPO_ROOT / "assignment"]
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        paths += [Path(sysconfig.get_paths()[name]) for name in ("stdlib", "purelib", "platlib")]
    return [path for path in paths if path.exists()]


def choose_isolation(user=None, python=None):
    """Decides who the workers run as.

    Not root: workers keep the grader's user (nothing else is possible), so
    student code can read whatever the grader's user can read.
    Root: workers run as `user`, else `$AUTOGRADER_WORKER_USER`, else
    `nobody`. When the default user cannot read the interpreter or the worker
    code (e.g. Python installed in root's home directory), workers keep root and the note
    says why; a user named explicitly must work.

    Raises:
        SandboxError: if an explicitly named user does not exist, is root, or
            cannot read what a worker needs.
    """
    python = python or sys.executable
    if os.geteuid() != 0:
        return Isolation(python)
    explicit = user or os.environ.get(USER_VARIABLE)
    name = explicit or DEFAULT_USER
    try:
        entry = pwd.getpwnam(name)
        if entry.pw_uid == 0:
            raise SandboxError(f"the worker user {name} is root")
        blocked = [path for path in needed_paths(python)
                   if not can_read(path, entry.pw_uid, {entry.pw_gid})]
        if blocked:
            raise SandboxError(f"user {name} cannot read {blocked[0]}")
    except (KeyError, SandboxError) as error:
        reason = f"no user {name}" if isinstance(error, KeyError) else str(error)
        if explicit:
            raise SandboxError(f"Cannot run workers as {name}: {reason}.") from None
        return Isolation(python, note=(
            f"Student code runs as root: {reason}. Install Python where every user can read it, "
            f"or name a user in ${USER_VARIABLE}."))
    return Isolation(python, entry.pw_uid, entry.pw_gid, name)


def protect(paths, isolation, needed=()):
    """Makes `paths` unreadable for the workers' user; never undone.

    Each existing path loses its group and other permissions (a directory
    then cannot be entered at all) and, if that user owned it, goes to the
    grader's user. A path is left alone when a worker needs something inside
    it (`needed`, and `needed_paths`) or when it is a shared sticky directory
    such as `/tmp`. Does nothing when workers keep the grader's user.

    Returns:
        The paths that were protected.
    """
    if not isolation.drops_privileges:
        return []
    needed = [Path(os.path.realpath(path)) for path in
              (*needed, *needed_paths(isolation.python), tempfile.gettempdir())]
    protected = []
    for path in paths:
        path = Path(os.path.realpath(path))
        if not path.exists() or any(path == item or path in item.parents for item in needed):
            continue
        info = os.stat(path)
        if info.st_mode & stat.S_ISVTX:
            continue
        if info.st_uid == isolation.uid:
            os.chown(path, os.geteuid(), -1)
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
        protected.append(path)
    return protected


@dataclasses.dataclass(frozen=True)
class ProbeRun:
    """A probe's result, and whether its failure is the autograder's fault."""

    result: ProbeResult
    internal: bool = False


def process_table():
    """pid -> `(state, ppid, pgrp, session, start ticks, resident pages)` for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (info := _process_info(int(name))):
            table[int(name)] = info
    return table


def _process_info(pid):
    """`(state, ppid, pgrp, session, start ticks, resident pages)` of `pid`, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return (fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[3]),
            int(fields[19]), int(fields[21]))


def _process_uid(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _make_subreaper():
    """Makes orphaned descendants of this process its children rather than init's (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _copy_regular_files(source, target, max_bytes):
    """Copies the regular files of `source` into `target`: no links, no folders, no devices."""
    total = 0
    for name in sorted(os.listdir(source)):
        try:
            fd = os.open(os.path.join(source, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or total + info.st_size > max_bytes:
            os.close(fd)
            continue
        total += info.st_size
        with os.fdopen(fd, "rb") as file:
            (target / name).write_bytes(file.read())


class _Output:
    """The first and the last `keep` bytes of a stream, in bounded memory."""

    def __init__(self, keep):
        self.keep = keep
        self.head = b""
        self.tail = b""
        self.dropped = 0

    def add(self, data):
        room = self.keep - len(self.head)
        self.head, self.tail = self.head + data[:room], self.tail + data[room:]
        if len(self.tail) > self.keep:
            self.dropped += len(self.tail) - self.keep
            self.tail = self.tail[-self.keep:]

    def text(self):
        gap = f"\n[... {self.dropped} bytes not shown ...]\n" if self.dropped else ""
        return self.head.decode(errors="replace") + gap + self.tail.decode(errors="replace")


class _Failure(Exception):
    """Why waiting for the worker ended without the awaited event."""


class Sandbox:
    """Runs probes for one part in worker processes, one probe at a time.

    Args:
        submission: directory of the student's files (copied, never modified).
        modules: student modules the worker loads, in dependency order.
        probe_module: module the worker imports to register its probe functions.
        time_limit: seconds the workers of this part may run in total.
        memory_limit_mb: resident memory the worker's process tree may use.
        isolation: an `Isolation` (default: `choose_isolation()`).
        poll_interval: seconds between two memory readings.
        file_size_limit_mb: largest file a worker may write.
        max_submission_mb: total size of the submission files copied for the worker.

    Attributes:
        used: seconds the workers have run so far (start-ups included).
        starts: how many workers were started.
        peak_memory_mb: the largest memory reading of the worker trees.
        output: what the workers printed (head and tail; `output.text()`).
    """

    def __init__(self, submission, modules, probe_module, *, time_limit, memory_limit_mb,
                 isolation=None, poll_interval=0.05, file_size_limit_mb=256,
                 max_submission_mb=64):
        self.submission = Path(submission)
        self.modules = tuple(modules)
        self.probe_module = probe_module
        self.time_limit = float(time_limit)
        self.memory_limit_mb = memory_limit_mb
        self.isolation = isolation or choose_isolation()
        self.poll_interval = poll_interval
        self.file_size_limit = file_size_limit_mb << 20
        self.max_submission = max_submission_mb << 20
        self.used = 0.0
        self.starts = 0
        self.peak_memory_mb = 0.0
        self.output = _Output(8192)
        self._fatal = None
        self._process = None

    def run(self, function, kwargs, time_limit, seed=0):
        """Runs probe function `function(impl, **kwargs)` in a worker.

        Starts a worker first when none is running. Once the student's modules
        failed to load, every probe gets that error without a new attempt.

        Args:
            function: name of a registered probe function.
            kwargs: plain keyword arguments.
            time_limit: seconds this probe may take.
            seed: the worker seeds Python, NumPy and Keras with it before the call.

        Returns:
            A `ProbeRun`. Never raises for anything student code does.
        """
        if self._process is None and self._fatal is None and self.used < self.time_limit:
            self._start()
        if self._fatal is not None:
            return self._fatal
        if self.used >= self.time_limit:
            return ProbeRun(ProbeResult(error=(
                f"Not run: this part used up its time limit of {self.time_limit:g} s.")))
        index = self._requests
        self._requests += 1
        try:
            self._write_plain(f"request-{index}",
                              {"function": function, "kwargs": kwargs, "seed": seed})
        except plain.PlainDataError as error:
            return ProbeRun(ProbeResult(error=f"cannot send the probe's arguments: {error}"),
                            internal=True)
        started = time.monotonic()
        limit = min(time_limit, self.time_limit - self.used)
        try:
            self._send({"run": index})
            self._wait(lambda event: event.get("event") == "done" and event.get("index") == index,
                       started, limit, budget_bound=limit < time_limit)
        except _Failure as failure:
            self._stop()
            run = ProbeRun(ProbeResult(error=str(failure)))
        else:
            run = self._read_result(index)
        self.used += time.monotonic() - started
        return run

    def close(self):
        """Kills the worker and everything it started, and removes its files."""
        self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- worker life ----------------------------------------------------------

    def _start(self):
        """Starts a worker and waits until it has loaded the student's modules."""
        started = time.monotonic()
        self._base = Path(tempfile.mkdtemp(prefix="autograder-"))
        try:
            pipes = self._prepare()
            if self._fatal is None:
                self._spawn(*pipes)
        except BaseException:
            shutil.rmtree(self._base, ignore_errors=True)
            raise
        if self._fatal is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            return
        try:
            event = self._wait(lambda event: event.get("event") in ("ready", "load_failed"),
                               started, self.time_limit - self.used, budget_bound=True)
        except _Failure as failure:
            event = {"error": f"While importing your modules: {failure}"}
        self.used += time.monotonic() - started
        if event.get("event") != "ready":
            todo = event.get("todo")
            self._fatal = ProbeRun(
                ProbeResult(error=_clip(event.get("error")),
                            todo=todo if isinstance(todo, str) else None),
                internal=event.get("internal") is True)
            self._stop()

    def _prepare(self):
        """Fills the worker's directories; returns the pipes (read end, write end).

        The base directory holds `requests/`, which only the grader writes
        (so that a worker running as another user cannot plant links where
        the grader writes), and `work/`, the worker's own directory, where it
        writes its results and which the grader reads without following links.
        """
        self._requests_dir = self._base / "requests"
        self._requests_dir.mkdir(mode=0o755)
        self._workdir = self._base / "work"
        copy = self._workdir / "submission"
        copy.mkdir(parents=True)
        (self._workdir / "tmp").mkdir()
        _copy_regular_files(self.submission, copy, self.max_submission)
        missing = [f"{name}.py" for name in self.modules if not (copy / f"{name}.py").is_file()]
        if missing:
            self._fatal = ProbeRun(ProbeResult(error=(
                f"Your submission lacks {', '.join(missing)} (only regular files, "
                f"{self.max_submission >> 20} MB in all, are graded).")))
            return ()
        status_read, status_write = os.pipe()
        command_read, command_write = os.pipe()
        log_read, log_write = os.pipe()
        config = {
            "workdir": str(self._workdir), "submission": str(copy), "modules": list(self.modules),
            "probe_module": self.probe_module, "status_fd": status_write,
            "command_fd": command_read, "file_size_limit": self.file_size_limit,
            "max_processes": MAX_PROCESSES if self.isolation.drops_privileges else None,
        }
        (self._requests_dir / "worker.json").write_text(json.dumps(config))
        for path in (self._requests_dir, self._requests_dir / "worker.json"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(self._base, 0o711)
        if self.isolation.drops_privileges:
            for root, folders, files in os.walk(self._workdir):
                for path in (root, *(os.path.join(root, name) for name in folders + files)):
                    os.chown(path, self.isolation.uid, self.isolation.gid)
        return (status_read, status_write), (command_read, command_write), (log_read, log_write)

    def _spawn(self, status, command, log):
        """Starts the worker process with the worker's ends of the pipes."""
        self._workdir_fd = os.open(self._workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        credentials = {}
        if self.isolation.drops_privileges:
            credentials = {"user": self.isolation.uid, "group": self.isolation.gid,
                           "extra_groups": []}
        _make_subreaper()
        try:
            self._process = subprocess.Popen(
                [self.isolation.python, "-m", "autograder.worker",
                 str(self._requests_dir / "worker.json")],
                cwd=self._workdir, env=self._environment(), stdin=subprocess.DEVNULL,
                stdout=log[1], stderr=log[1], pass_fds=(status[1], command[0]),
                start_new_session=True, **credentials)
        except BaseException:
            for fd in (status[0], command[1], log[0], self._workdir_fd):
                os.close(fd)
            raise
        finally:
            for fd in (status[1], command[0], log[1]):
                os.close(fd)
        _LIVE_WORKERS.add(self._process.pid)
        self.starts += 1
        self._status, self._command, self._log = status[0], command[1], log[0]
        for fd in (self._status, self._command, self._log):
            os.set_blocking(fd, False)
        self._poller = select.poll()
        for fd in (self._status, self._log):
            self._poller.register(fd, select.POLLIN)
        self._pending = b""
        self._requests = 0
        info = _process_info(self._process.pid)
        self._start_ticks = info[4] if info else 0
        self._seen = {self._process.pid: self._start_ticks}

    def _environment(self):
        """A minimal environment: none of the grader's secrets, a private home and temp dir."""
        env = {key: value for key, value in os.environ.items()
               if key in PASSED_VARIABLES or key.startswith(PASSED_PREFIXES)}
        env.setdefault("PATH", os.defpath)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # NumPy's BLAS threads fight TensorFlow's for the few cores a grader has:
        # measured on 2 busy cores, a 400x784 SVD took 0.14 s with one thread and
        # up to 31 s with two.
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        env.update(HOME=str(self._workdir), TMPDIR=str(self._workdir / "tmp"),
                   PYTHONPATH=str(REPO_ROOT), PYTHONHASHSEED="0", PYTHONUNBUFFERED="1",
                   MPLBACKEND="Agg")
        if self.isolation.drops_privileges:
            env.update(USER=self.isolation.user, LOGNAME=self.isolation.user)
        return env

    def _stop(self):
        """Kills the worker's process tree, reaps it, closes the pipes, removes the files."""
        if self._process is None:
            return
        self._kill_tree()
        self._process.wait()
        _LIVE_WORKERS.discard(self._process.pid)
        self._drain_output()
        for fd in (self._status, self._command, self._log, self._workdir_fd):
            os.close(fd)
        shutil.rmtree(self._base, ignore_errors=True)
        self._process = None

    def _kill_tree(self):
        """SIGKILLs the worker's group, its session, its descendants and adopted orphans.

        The worker itself stays a zombie until `_stop` reaps it, so that its
        pid, which is also the group's and the session's id, cannot be reused.
        """
        root = self._process.pid
        for _ in range(KILL_ATTEMPTS):
            try:
                os.killpg(root, signal.SIGKILL)
            except ProcessLookupError:
                pass
            alive = [pid for pid, info in self._members(process_table()).items()
                     if info[0] != "Z" and pid != root]
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in self._seen:
                if pid != root:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass
            if not alive:
                return
            time.sleep(0.01)

    # -- watching -------------------------------------------------------------

    def _members(self, table):
        """The worker's processes in `table`: its session and group, descendants, orphans."""
        root = self._process.pid
        members = {pid for pid, info in table.items()
                   if root in (pid, info[2], info[3]) or self._seen.get(pid) == info[4]}
        children = {}
        for pid, info in table.items():
            children.setdefault(info[1], []).append(pid)
        uid = self.isolation.uid if self.isolation.drops_privileges else os.geteuid()
        for pid in children.get(os.getpid(), ()):
            if (pid not in _LIVE_WORKERS and table[pid][4] >= self._start_ticks
                    and _process_uid(pid) == uid):
                members.add(pid)
        stack = list(members)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in members:
                    members.add(child)
                    stack.append(child)
        self._seen.update((pid, table[pid][4]) for pid in members)
        return {pid: table[pid] for pid in members}

    def _memory_mb(self, full_scan):
        """Resident memory of the worker's tree in MB; looks for new processes when `full_scan`."""
        if full_scan:
            table = process_table()
        else:
            table = {pid: info for pid, start in self._seen.items()
                     if (info := _process_info(pid)) and info[4] == start}
        pages = sum(info[5] for info in self._members(table).values())
        memory = pages * _PAGE_SIZE / 2**20
        self.peak_memory_mb = max(self.peak_memory_mb, memory)
        return memory

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
                memory = self._memory_mb(full_scan=now >= next_scan)
                if now >= next_scan:
                    next_scan = now + SCAN_EVERY * self.poll_interval
                next_poll = now + self.poll_interval
                if memory > self.memory_limit_mb:
                    raise _Failure(f"Memory limit exceeded: your code used {memory:.0f} MB, "
                                   f"more than the {self.memory_limit_mb} MB allowed.")
            self._poller.poll(max(0.0, min(deadline, next_poll) - time.monotonic()) * 1000)
            self._drain_output()

    def _exited(self):
        """Whether the worker has ended; leaves it unreaped."""
        return os.waitid(os.P_PID, self._process.pid,
                         os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def _exit_message(self):
        """Why the worker ended, for a student."""
        result = os.waitid(os.P_PID, self._process.pid, os.WEXITED | os.WNOWAIT)
        self._drain_output()
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
        prefix = re.escape(str(self._workdir / "submission") + os.sep)
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
        events = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
        return events

    def _drain_output(self):
        """Reads what the worker printed, keeping only its head and tail."""
        try:
            while data := os.read(self._log, 65536):
                self.output.add(data)
        except BlockingIOError:
            pass

    # -- messages in files ----------------------------------------------------

    def _send(self, command):
        try:
            os.write(self._command, json.dumps(command).encode() + b"\n")
        except (BlockingIOError, BrokenPipeError):
            if not self._exited():
                raise _Failure("The process running your code stopped reading its instructions.")

    def _write_plain(self, name, value):
        """Writes plain data into the requests directory, readable by the worker."""
        plain.save(self._requests_dir / name, value)
        for suffix in (".json", ".npz"):
            path = self._requests_dir / f"{name}{suffix}"
            if path.exists():
                os.chmod(path, 0o644)

    def _read_result(self, index):
        """The `ProbeRun` of probe `index`, from the files the worker wrote (untrusted)."""
        try:
            data = plain.load(f"result-{index}", dir_fd=self._workdir_fd,
                              max_bytes=self.file_size_limit)
            value, error, todo = data["value"], data["error"], data["todo"]
            if not (isinstance(value, dict) and error is None and todo is None
                    or value is None and isinstance(error, str)
                    and (todo is None or isinstance(todo, str))):
                raise plain.PlainDataError("unexpected fields")
        except (plain.PlainDataError, KeyError, TypeError) as failure:
            return ProbeRun(ProbeResult(
                error=f"The values to grade could not be read ({failure})."))
        return ProbeRun(ProbeResult(value=value, error=None if error is None else _clip(error),
                                    todo=todo), internal=data.get("internal") is True)


def _clip(text):
    """`text` (from a worker, so untrusted) as a string of at most `MAX_ERROR_LENGTH`."""
    text = str(text)
    return text if len(text) <= MAX_ERROR_LENGTH else text[:MAX_ERROR_LENGTH - 3] + "..."


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
