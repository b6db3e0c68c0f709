"""Control groups that limit the memory and CPU of a process tree, and what they record.

A `ControlGroup` is a fresh cgroup with a memory limit (swap not allowed) and a
CPU quota, made in whichever cgroup version offers both the `memory` and the
`cpu` controllers here:

- cgroup v2: one group, below the nearest ancestor of this process's cgroup
  that already hands both controllers to its children (so that its limits
  still hold), else below the root of the v2 mount, enabling them there. Limits `memory.max`,
  `memory.swap.max`, `cpu.max`; records `memory.peak` (Linux >= 5.19),
  `memory.events` (`oom_kill`), `memory.stat` (`anon`).
- cgroup v1: one group per controller hierarchy, each below this process's own
  cgroup of that hierarchy, so that limits already set on this process still
  hold. Limits `memory.limit_in_bytes`, `memory.memsw.limit_in_bytes`,
  `cpu.cfs_quota_us`; records `memory.max_usage_in_bytes`,
  `memory.oom_control` (`oom_kill`, Linux >= 4.13), `memory.stat` (`rss`).

v2 is used when it has both controllers, else v1. A command joins the group
before it starts (`ControlGroup.command`), so nothing it runs escapes the
limits. `ControlGroup.close` kills whatever is left in the group and removes it.

The memory a group is charged includes the page cache its processes fill
(files they read for the first time); the kernel reclaims that cache before it
kills a process for memory. Anonymous memory (`anonymous_memory`) cannot be
reclaimed without swap.

Making a cgroup needs root (or a delegated subtree) and a writable cgroup file
system: `find_hierarchy` and `ControlGroup.create` raise `CgroupError` saying
which is missing.
"""

import dataclasses
import errno
import itertools
import os
import re
import signal
import time
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")
MEMBERSHIP = Path("/proc/self/cgroup")
CONTROLLERS = ("memory", "cpu")
CPU_PERIOD_US = 100_000
# The smallest CPU quota the kernel accepts, in microseconds per period.
MIN_CPU_QUOTA_US = 1000
# Rounds of kill-and-look (10 ms apart) before giving up on emptying a group.
KILL_ATTEMPTS = 500
NAME_PREFIX = "autograder-container"
# Joins the cgroups whose `cgroup.procs` files come before `--`, then runs the rest.
_JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)
_UNIT_SHIFTS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
_serial = itertools.count()


class CgroupError(RuntimeError):
    """Raised when no control group with memory and CPU limits can be made here."""


def parse_size(text):
    """The bytes in a size such as `768M`, `1.5G`, `600MB` or `65536`.

    Units are binary, as in Docker's `--memory`: `K` = 2**10, `M` = 2**20, ...

    Raises:
        ValueError: if `text` is not a size.
    """
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a size (e.g. 768M, 1.5G)")
    return int(float(match[1]) * 2 ** _UNIT_SHIFTS[match[2].upper()])


@dataclasses.dataclass(frozen=True)
class Hierarchy:
    """Where new control groups are made.

    Attributes:
        version: 1 or 2.
        memory_parent: the directory new groups are made in for the memory controller.
        cpu_parent: the same for the cpu controller (`memory_parent` for v2, and
            for v1 when both controllers share one hierarchy).
    """

    version: int
    memory_parent: Path
    cpu_parent: Path

    def describe(self):
        """One line for people: the version and the parent directories."""
        if self.memory_parent == self.cpu_parent:
            return f"cgroup v{self.version} in {self.memory_parent}"
        return (f"cgroup v{self.version} in {self.memory_parent} (memory) and "
                f"{self.cpu_parent} (cpu)")


@dataclasses.dataclass(frozen=True)
class _Mount:
    root: str
    point: Path
    fstype: str
    options: frozenset


def _unescape(field):
    """A path of `/proc/self/mountinfo`, where spaces and the like are written `\\040`."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match[1], 8)), field)


def _mounts(mountinfo):
    mounts = []
    for line in Path(mountinfo).read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        mounts.append(_Mount(_unescape(fields[3]), Path(_unescape(fields[4])),
                             fields[separator + 1], frozenset(fields[separator + 3].split(","))))
    return mounts


def _memberships(membership):
    """Controllers (a frozenset; empty for v2) -> this process's cgroup path in that hierarchy."""
    groups = {}
    for line in Path(membership).read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        groups[frozenset(filter(None, controllers.split(",")))] = path
    return groups


def _own_directory(mount, path):
    """The directory of cgroup `path` under `mount` (its top when `path` lies outside it)."""
    relative = os.path.relpath(path, mount.root)
    return mount.point if relative.startswith("..") else mount.point / relative


def _listed(path):
    """The words of a file such as `cgroup.controllers` (empty when it cannot be read)."""
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _v2_parent(mount, memberships):
    """`(parent directory, "")` for v2 groups, or `(None, why not)`."""
    available = _listed(mount.point / "cgroup.controllers")
    if not set(CONTROLLERS) <= available:
        return None, (f"cgroup v2 ({mount.point}) has the controllers "
                      f"{' '.join(sorted(available)) or 'none'}")
    own = _own_directory(mount, memberships.get(frozenset(), "/"))
    for directory in (own, *own.parents):
        if set(CONTROLLERS) <= _listed(directory / "cgroup.subtree_control"):
            return directory, ""
        if directory == mount.point:
            break
    return mount.point, ""


def _v1_parent(mounts, memberships, controller):
    """`(this process's cgroup directory for v1 `controller`, "")`, or `(None, why not)`."""
    mount = next((mount for mount in mounts
                  if mount.fstype == "cgroup" and controller in mount.options), None)
    if mount is None:
        return None, f"cgroup v1 has no {controller} controller mounted"
    path = next((path for controllers, path in memberships.items() if controller in controllers),
                "/")
    directory = _own_directory(mount, path)
    if not directory.is_dir():
        return None, f"cgroup v1: {directory} does not exist"
    return directory, ""


def find_hierarchy(mountinfo=MOUNTINFO, membership=MEMBERSHIP):
    """Where to make groups that limit both memory and CPU: v2 when it can, else v1.

    Args:
        mountinfo: the mount table (`/proc/self/mountinfo` format).
        membership: this process's cgroups (`/proc/self/cgroup` format).

    Returns:
        A `Hierarchy`.

    Raises:
        CgroupError: if no mounted cgroup version offers both controllers.
    """
    mounts, memberships = _mounts(mountinfo), _memberships(membership)
    reasons = []
    v2 = next((mount for mount in mounts if mount.fstype == "cgroup2"), None)
    if v2 is None:
        reasons.append("no cgroup v2 is mounted")
    else:
        parent, reason = _v2_parent(v2, memberships)
        if parent is not None:
            return Hierarchy(2, parent, parent)
        reasons.append(reason)
    memory, memory_reason = _v1_parent(mounts, memberships, "memory")
    cpu, cpu_reason = _v1_parent(mounts, memberships, "cpu")
    if memory is not None and cpu is not None:
        return Hierarchy(1, memory, cpu)
    reasons += [reason for reason in (memory_reason, cpu_reason) if reason]
    raise CgroupError("No cgroup here offers both the memory and the cpu controller: "
                      + "; ".join(reasons) + ".")


def _why(error):
    """What an `OSError` from the cgroup file system means, for people."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (making control groups needs root)"
    if error.errno == errno.EROFS:
        return "the cgroup file system is mounted read-only"
    if error.errno == errno.EBUSY:
        return "the parent group holds processes (cgroup v2 then refuses to hand controllers down)"
    return error.strerror or str(error)


def _write(path, value):
    with open(path, "w") as file:
        file.write(f"{value}\n")


def _fields(path):
    """`key value` lines of a file such as `memory.stat` as a dict of ints (empty if absent)."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return {}
    return {key: int(value) for key, value in (line.split() for line in lines)}


class ControlGroup:
    """A fresh cgroup that limits memory (swap not allowed) and CPU; see the module docstring.

    Make one with `ControlGroup.create`; close it (or use it as a context manager).

    Attributes:
        hierarchy: its `Hierarchy`.
        directories: its directories: one for v2 or for v1 with both controllers
            in one hierarchy, else the memory one then the cpu one.
        memory_limit: bytes.
        cpus: the CPU quota, in CPUs (0.5: half of one CPU's time).
    """

    def __init__(self, hierarchy, name, memory_limit, cpus):
        self.hierarchy = hierarchy
        self.memory_limit = memory_limit
        self.cpus = cpus
        self._memory = hierarchy.memory_parent / name
        self._cpu = hierarchy.cpu_parent / name
        self.directories = tuple(dict.fromkeys((self._memory, self._cpu)))

    @classmethod
    def create(cls, memory_limit, cpus, hierarchy=None):
        """Makes a group with these limits.

        Args:
            memory_limit: bytes of memory, page cache included, swap not allowed.
            cpus: CPU time per second of wall time (e.g. 0.5).
            hierarchy: where to make it (default: `find_hierarchy()`).

        Raises:
            CgroupError: if it cannot be made or limited; nothing is left behind.
        """
        hierarchy = hierarchy or find_hierarchy()
        group = cls(hierarchy, f"{NAME_PREFIX}-{os.getpid()}-{next(_serial)}", memory_limit, cpus)
        made = []
        try:
            if hierarchy.version == 2:
                group._hand_down_controllers()
            for directory in group.directories:
                directory.mkdir()
                made.append(directory)
            group._set_limits()
        except OSError as error:
            for directory in reversed(made):
                directory.rmdir()
            where = made[-1] if made else hierarchy.memory_parent
            raise CgroupError(f"Cannot make a control group in {where}: {_why(error)}.") from None
        return group

    def _hand_down_controllers(self):
        """cgroup v2: enables the memory and cpu controllers for the parent's children."""
        control = self._memory.parent / "cgroup.subtree_control"
        missing = [name for name in CONTROLLERS if name not in _listed(control)]
        if missing:
            _write(control, " ".join(f"+{name}" for name in missing))

    def _set_limits(self):
        if self.hierarchy.version == 2:
            _write(self._memory / "memory.max", self.memory_limit)
            if (self._memory / "memory.swap.max").exists():
                _write(self._memory / "memory.swap.max", 0)
            quota = max(MIN_CPU_QUOTA_US, round(self.cpus * CPU_PERIOD_US))
            _write(self._cpu / "cpu.max", f"{quota} {CPU_PERIOD_US}")
            return
        _write(self._memory / "memory.limit_in_bytes", self.memory_limit)
        if (self._memory / "memory.memsw.limit_in_bytes").exists():
            _write(self._memory / "memory.memsw.limit_in_bytes", self.memory_limit)
        period = int((self._cpu / "cpu.cfs_period_us").read_text())
        _write(self._cpu / "cpu.cfs_quota_us", max(MIN_CPU_QUOTA_US, round(self.cpus * period)))

    def command(self, argv):
        """`argv` wrapped so that it joins this group before it starts (exit 125 if it cannot)."""
        procs = [str(directory / "cgroup.procs") for directory in self.directories]
        return ["/bin/sh", "-c", _JOIN_SCRIPT, "sh", *procs, "--", *argv]

    def processes(self):
        """The ids of the processes in the group."""
        return {int(pid) for directory in self.directories
                for pid in (directory / "cgroup.procs").read_text().split()}

    def memory_peak(self):
        """The most memory ever charged to the group, in bytes (page cache included).

        None when the kernel does not record it (cgroup v2 before Linux 5.19).
        """
        name = "memory.peak" if self.hierarchy.version == 2 else "memory.max_usage_in_bytes"
        path = self._memory / name
        return int(path.read_text()) if path.exists() else None

    def memory_current(self):
        """The memory charged to the group now, in bytes (page cache included)."""
        name = "memory.current" if self.hierarchy.version == 2 else "memory.usage_in_bytes"
        return int((self._memory / name).read_text())

    def anonymous_memory(self):
        """The group's anonymous memory now, in bytes: what reclaiming cache cannot free."""
        key = "anon" if self.hierarchy.version == 2 else "rss"
        return _fields(self._memory / "memory.stat").get(key, 0)

    def oom_kills(self):
        """Processes of the group killed for its memory limit so far (None: not recorded)."""
        name = "memory.events" if self.hierarchy.version == 2 else "memory.oom_control"
        return _fields(self._memory / name).get("oom_kill")

    def kill(self):
        """SIGKILLs every process in the group until none is left.

        Raises:
            CgroupError: if processes are still there after `KILL_ATTEMPTS` rounds.
        """
        for _ in range(KILL_ATTEMPTS):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        raise CgroupError(f"Processes {sorted(self.processes())} of {self._memory} "
                          "survive SIGKILL.")

    def close(self):
        """Kills what is left in the group and removes its directories."""
        present = [directory for directory in self.directories if directory.exists()]
        if not present:
            return
        self.kill()
        for directory in present:
            for _ in range(KILL_ATTEMPTS):
                try:
                    directory.rmdir()
                    break
                except OSError as error:  # EBUSY while the last exits are accounted
                    if error.errno != errno.EBUSY:
                        raise
                    time.sleep(0.01)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
