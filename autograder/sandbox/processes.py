"""The process tree of a worker, read from `/proc`: who belongs to it, its memory, its end.

A worker runs in a session and process group of its own. Its tree is that
session and group, every descendant seen so far, and every orphan that was
re-parented to the grading process (which makes itself a "child subreaper" so
that orphans cannot slip away to `init`). Memory is what the tree added: the
root's anonymous resident memory less what it shared with the zygote it was
forked from when it started (`baseline_kb`), not TensorFlow's libraries and
modules (some 600 MB), which every worker shares; and the private memory of
each process the worker started (which maps the worker's pages too).
(`/proc/PID/smaps_rollup` would tell private pages exactly, but reading it
costs about 3 ms for a TensorFlow process, where `statm` costs 14 us: read
every 0.1 s, it made the grading process use 30 s of CPU in a grading at half
a CPU.) Killing the tree kills the group, the
session and every member.
"""

import os
import signal
import sys
import threading
import time

# Rounds of kill-and-rescan (10 ms apart) before giving up on an unkillable process.
KILL_ATTEMPTS = 500
_PR_SET_CHILD_SUBREAPER = 36
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Workers alive in this process, so that one worker's tree never adopts another's orphans,
# and the grader's own helper processes (the zygote), which no tree adopts.
_LIVE_WORKERS = set()
# Held from a worker's fork until it is in `_LIVE_WORKERS` (`never_adopt`), and by a tree that has
# found orphans while it checks them: where parts are graded side by side, no tree takes another
# lane's new worker for an orphan of its own (and kills it with its own).
STARTING_WORKER = threading.Lock()
# Processes a worker started whose private memory is read; beyond, their anonymous memory.
MAX_PRIVATE_READINGS = 32


def process_table():
    """pid -> `(state, ppid, pgrp, session, start ticks, resident pages)` for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (info := process_info(int(name))):
            table[int(name)] = info
    return table


def process_info(pid):
    """`(state, ppid, pgrp, session, start ticks, resident pages)` of `pid`, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return (fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[3]),
            int(fields[19]), int(fields[21]))


def process_uid(pid):
    """The owner of `pid`, or None if it is gone."""
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def anonymous_kb(pid):
    """The anonymous resident memory of `pid` (its heap, not its mapped files), in kB; 0 if gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as file:
            fields = file.read().split()
    except OSError:
        return 0
    return (int(fields[1]) - int(fields[2])) * _PAGE_SIZE // 1024


def private_kb(pid):
    """The memory `pid` holds alone (private pages, `smaps_rollup`; about 3 ms), in kB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as file:
            return sum(int(line.split()[1]) for line in file
                       if line.startswith((b"Private_Clean:", b"Private_Dirty:")))
    except (OSError, ValueError, IndexError):
        return anonymous_kb(pid)


def never_adopt(pid):
    """Keeps every `ProcessTree` from adopting `pid` as an orphan: a worker, or a helper.

    A worker belongs to its own tree as its root; the grader's helpers (the
    zygote) belong to none.
    """
    _LIVE_WORKERS.add(pid)


def make_subreaper():
    """Makes orphaned descendants of this process its children rather than init's (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


class ProcessTree:
    """The processes of one worker, found by scanning the process table.

    Args:
        root: the worker's pid, also its session's and group's id.
        uid: the user the worker runs as (orphans of another user are not adopted).
        baseline_kb: anonymous memory the root shares with its zygote from the start.

    Attributes:
        peak_memory_mb: the largest memory reading so far.
    """

    def __init__(self, root, uid, baseline_kb=0):
        self.root = root
        self.uid = uid
        self.baseline_kb = baseline_kb
        info = process_info(root)
        self.start_ticks = info[4] if info else 0
        self.seen = {root: self.start_ticks}
        self.peak_memory_mb = 0.0
        _LIVE_WORKERS.add(root)

    def members(self, table):
        """The tree's processes in `table`: its session and group, descendants, orphans."""
        members = {pid for pid, info in table.items()
                   if self.root in (pid, info[2], info[3]) or self.seen.get(pid) == info[4]}
        children = {}
        for pid, info in table.items():
            children.setdefault(info[1], []).append(pid)
        orphans = [pid for pid in children.get(os.getpid(), ())
                   if (pid not in _LIVE_WORKERS and table[pid][4] >= self.start_ticks
                       and process_uid(pid) == self.uid)]
        if orphans:
            # One may be a worker another lane is starting: wait until it is known as one.
            with STARTING_WORKER:
                members.update(pid for pid in orphans if pid not in _LIVE_WORKERS)
        stack = list(members)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in members:
                    members.add(child)
                    stack.append(child)
        self.seen.update((pid, table[pid][4]) for pid in members)
        return {pid: table[pid] for pid in members}

    def memory_mb(self, full_scan):
        """Memory the tree added, in MB (see the module); looks for new processes if `full_scan`."""
        if full_scan:
            table = process_table()
        else:
            table = {pid: info for pid, start in self.seen.items()
                     if (info := process_info(pid)) and info[4] == start}
        others = [pid for pid, info in self.members(table).items()
                  if info[0] != "Z" and pid != self.root]
        # A process forked by the worker maps the worker's pages too: count only its own,
        # unless there are so many that reading them would cost the grader more than they are
        # worth (a fork flood is then charged in full, and soon ends as a memory hog).
        own = private_kb if len(others) <= MAX_PRIVATE_READINGS else anonymous_kb
        added = (max(0, anonymous_kb(self.root) - self.baseline_kb)
                 + sum(own(pid) for pid in others))
        memory = added / 1024
        self.peak_memory_mb = max(self.peak_memory_mb, memory)
        return memory

    def kill(self):
        """SIGKILLs the group, the session, the descendants and adopted orphans.

        The root itself stays a zombie until its `Popen` reaps it, so that its
        pid, which is also the group's and the session's id, cannot be reused.
        """
        for _ in range(KILL_ATTEMPTS):
            try:
                os.killpg(self.root, signal.SIGKILL)
            except ProcessLookupError:
                pass
            alive = [pid for pid, info in self.members(process_table()).items()
                     if info[0] != "Z" and pid != self.root]
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in self.seen:
                if pid != self.root:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass
            if not alive:
                return
            time.sleep(0.01)

    def reaped(self):
        """Forgets the tree once its root has been reaped."""
        _LIVE_WORKERS.discard(self.root)
