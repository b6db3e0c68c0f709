"""What the grading machine grants this process: CPUs and memory, read from its control group.

A grading service's container shows all of the host's cores and memory to
`os.cpu_count()` and `/proc/meminfo`; what it may really use is the CPU quota
and the memory limit of its control group (cgroup v2 or v1). These readings
decide how many parts are graded side by side (`part_lanes`), size the
workers' thread pools and keep a worker's memory below the container's limit,
so that a memory-hungry submission fails its part with a clear message instead
of having the kernel kill whatever it picks.
"""

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
MEMBERSHIP = Path("/proc/self/cgroup")
# Memory kept free below the container's limit for the kernel and the page cache that
# TensorFlow's libraries need to stay resident.
MEMORY_RESERVE_MB = 64
# Memory headroom each lane of parts graded side by side needs: a whole grading of the solution,
# every check, one part at a time, peaked at 523-540 MB of anonymous memory in a container of
# 768 MB, half a CPU (`python -m autograder container`, see README.md; the kernel's peak, page
# cache included, 557-768 MB), so one lane per 768 MB the container has left.
LANE_MEMORY_MB = 768
_UNLIMITED = 1 << 60


def _groups(membership=MEMBERSHIP):
    """controller -> this process's cgroup path, `""` for the cgroup v2 hierarchy."""
    groups = {}
    try:
        lines = membership.read_text().splitlines()
    except OSError:
        return groups
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


def _read_number(path):
    try:
        text = path.read_text().split()
    except OSError:
        return None
    if not text or text[0] == "max":
        return None
    try:
        return int(text[0]) if len(text) == 1 else (int(text[0]), int(text[1]))
    except ValueError:
        return None


def _ancestry(base, path):
    """The folders of a cgroup and of its ancestors, innermost first."""
    folder = base / path.lstrip("/")
    while True:
        yield folder
        if folder == base:
            return
        folder = folder.parent


def cpu_quota():
    """The CPUs this process may use: its cgroup's quota, else its CPU affinity, as a float."""
    limits = [len(os.sched_getaffinity(0))]
    groups = _groups()
    if "" in groups:
        for folder in _ancestry(CGROUP_ROOT, groups[""]):
            value = _read_number(folder / "cpu.max")
            if isinstance(value, tuple):
                limits.append(value[0] / value[1])
    if "cpu" in groups:
        for base in (CGROUP_ROOT / "cpu", CGROUP_ROOT / "cpu,cpuacct"):
            for folder in _ancestry(base, groups["cpu"]):
                quota = _read_number(folder / "cpu.cfs_quota_us")
                period = _read_number(folder / "cpu.cfs_period_us")
                if isinstance(quota, int) and quota > 0 and period:
                    limits.append(quota / period)
    return min(limits)


def part_lanes(parts):
    """How many of `parts` parts to grade side by side: one lane per CPU, as memory allows.

    Each lane needs a whole CPU of the quota and `LANE_MEMORY_MB` of the
    container's memory headroom (no limit: no bound); there is always one.
    """
    lanes = min(parts, math.floor(cpu_quota()))
    headroom = memory_headroom_mb()
    if headroom is not None:
        lanes = min(lanes, math.floor(headroom / LANE_MEMORY_MB))
    return max(1, lanes)


def cpu_threads():
    """Threads for each of TensorFlow's pools: the CPU quota, rounded up.

    The whole quota even where parts are graded side by side: a worker then
    uses every CPU once the other lanes are done. Measured on 2 cores, two
    lanes (`python -m autograder grade assignment/solution --all`, a fresh
    `TMPDIR` each time, twice each, alternating): 26.0 and 26.5 s with 2
    threads per pool against 26.5 and 28.2 s with 1.
    """
    return max(1, math.ceil(cpu_quota()))


def _memory_files():
    """`(limit, usage, statistics)` files of this process's cgroup and its ancestors."""
    groups = _groups()
    if "memory" in groups:
        for folder in _ancestry(CGROUP_ROOT / "memory", groups["memory"]):
            yield (folder / "memory.limit_in_bytes", folder / "memory.usage_in_bytes",
                   folder / "memory.stat", "total_inactive_file")
    if "" in groups:
        for folder in _ancestry(CGROUP_ROOT, groups[""]):
            yield folder / "memory.max", folder / "memory.current", folder / "memory.stat", \
                "inactive_file"


def _statistic(path, name):
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def memory_headroom_mb():
    """MB this process's container can still give before its limit, less `MEMORY_RESERVE_MB`.

    None when no memory limit applies. Usage is the container's charge less
    the page cache the kernel would drop first (inactive file pages), as
    container runtimes count a working set.
    """
    headroom = None
    for limit_file, usage_file, statistics, inactive in _memory_files():
        limit, usage = _read_number(limit_file), _read_number(usage_file)
        if isinstance(limit, int) and isinstance(usage, int) and limit < _UNLIMITED:
            working_set = usage - _statistic(statistics, inactive)
            room = (limit - working_set) / 2**20 - MEMORY_RESERVE_MB
            headroom = room if headroom is None else min(headroom, room)
    return headroom
