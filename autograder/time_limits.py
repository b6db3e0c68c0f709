"""Time limits that are fair on any machine: the rubric's, scaled by this machine's speed.

A part's `time_limit` in the rubric holds on the reference machine, on which
`REFERENCE_BENCHMARK_SECONDS` was measured: 2 cores, where the solution
takes at most a third of each limit (`python -m bench.grading` prints the
ratios). The same benchmark (`autograder.worker.probes.speed`) runs in a worker on
the grading machine, once per machine (a grading service's fresh container:
at the start of each grading); every limit, the parts' and the probes', is multiplied by how much
slower that machine is (never by less than 1), so that a correct
implementation up to about three times slower than the solution on the
grading machine, whatever it is, still passes. Where parts are graded side
by side (`lanes` of them, see `machine.part_lanes`), each has a lane's share
of the CPUs, so its limits are multiplied by the number of lanes too. The
longest a grading may take, every part using its whole limit in the lanes'
order, stays within `SERVICE_BUDGET_SECONDS` (a grading service's default
10 minutes, less a margin for start-up and results): on a machine too slow
for that, the limits are cut to fit and the staff note says so.
"""

import dataclasses
import functools
import json
import os
import tempfile
from pathlib import Path

from autograder.protocol import Probe
from autograder.rubric import lane_order
from autograder.sandbox import machine

# The benchmark on the reference machine, 2 cores, nothing else running: two sets of 5 runs gave
# medians of 1.01 s (0.85-1.25) and 1.11 s (1.03-1.32); `python -m bench.grading` prints it.
REFERENCE_BENCHMARK_SECONDS = 1.0
SERVICE_BUDGET_SECONDS = 540.0
BENCHMARK_TIME_LIMIT = 120.0
# Where a machine's benchmark time is kept for the gradings after the first (one per user).
CACHE_FILE = Path(tempfile.gettempdir()) / f"autograder-speed-{os.geteuid()}.json"


@dataclasses.dataclass(frozen=True)
class TimeScale:
    """How this machine's limits relate to the rubric's.

    Attributes:
        factor: every limit is multiplied by it.
        benchmark_seconds: the benchmark's time here (None when not measured).
        note: for the course staff, when the benchmark failed or the limits had to
            be cut to fit the budget.
        lanes: how many parts are graded side by side.
    """

    factor: float = 1.0
    benchmark_seconds: float | None = None
    note: str = ""
    lanes: int = 1

    def part_limit(self, part):
        return part.time_limit * self.factor

    def describe(self):
        shared = (f"{self.lanes} parts at a time, each on a share of the CPUs"
                  if self.lanes > 1 else "")
        if self.benchmark_seconds is not None:
            why = (f" (this machine ran the speed benchmark in {self.benchmark_seconds:.2f} s, "
                   f"the reference machine in {REFERENCE_BENCHMARK_SECONDS:.2f} s"
                   f"{'; ' + shared if shared else ''})")
        else:
            why = f" ({shared})" if shared else ""
        scale = f" x {self.factor:.2f}" if self.factor != 1.0 or why else ""
        return f"Time limits: the rubric's{scale}{why}.{' ' + self.note if self.note else ''}"


def measure(parts, isolation, sandbox_class, lanes=1):
    """The `TimeScale` of this machine for grading `parts`, `lanes` at a time.

    The benchmark runs once a process (and is recorded, see `_benchmark`).
    """
    seconds, error = _benchmark(isolation, sandbox_class)
    if seconds is None:
        scale = scale_for(parts, REFERENCE_BENCHMARK_SECONDS, lanes)
        failed = (f"The speed benchmark failed ({error}), so this machine is taken to be as "
                  "fast as the reference.")
        return dataclasses.replace(scale, benchmark_seconds=None,
                                   note=" ".join(filter(None, (failed, scale.note))))
    return scale_for(parts, seconds, lanes)


def _machine():
    """What identifies this machine as it is now: its boot and the CPUs this process may use."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return {"boot": boot, "cpus": machine.cpu_quota()}


def _cached_seconds():
    """The benchmark's time recorded by this user on this machine since its boot, or None."""
    try:
        fd = os.open(CACHE_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd) as file:
        info = os.fstat(file.fileno())
        if info.st_uid != os.geteuid() or info.st_mode & 0o077:
            return None
        try:
            record = json.loads(file.read())
        except ValueError:
            return None
    if not isinstance(record, dict) or record.get("machine") != _machine():
        return None
    seconds = record.get("seconds")
    return float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None


def _record_seconds(seconds):
    partial = CACHE_FILE.with_name(f"{CACHE_FILE.name}.{os.getpid()}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(json.dumps({"machine": _machine(), "seconds": seconds}))
        os.replace(partial, CACHE_FILE)
    except OSError:
        partial.unlink(missing_ok=True)


@functools.cache
def _benchmark(isolation, sandbox_class):
    """`(seconds, None)` of the benchmark on this machine, or `(None, error)`.

    Measured once per machine and user since the machine booted (with the
    same CPU quota), and recorded in `CACHE_FILE`, readable by that user only.
    """
    cached = _cached_seconds()
    if cached is not None:
        return cached, None
    with tempfile.TemporaryDirectory(prefix="speed-") as empty, sandbox_class(
            empty, (), "autograder.worker.probes.speed", time_limit=BENCHMARK_TIME_LIMIT,
            memory_limit_mb=1024, isolation=isolation) as box:
        result = box.run(Probe("speed.benchmark", {}, BENCHMARK_TIME_LIMIT))
    if result.error or not result.value:
        return None, result.error
    seconds = float(result.value["seconds"])
    _record_seconds(seconds)
    return seconds, None


def longest_grading(limits, lanes):
    """The longest `limits` can take in `lanes` lanes: each next one in the first free lane."""
    ends = [0.0] * lanes
    for limit in limits:
        ends[ends.index(min(ends))] += limit
    return max(ends)


def scale_for(parts, benchmark_seconds, lanes=1):
    """The `TimeScale` for grading `parts` `lanes` at a time where the benchmark took this long."""
    slower = max(1.0, benchmark_seconds / REFERENCE_BENCHMARK_SECONDS)
    factor = slower * lanes
    rubric_longest = longest_grading([part.time_limit for part in lane_order(parts)], lanes)
    note = ""
    if rubric_longest * factor > SERVICE_BUDGET_SECONDS:
        cut = SERVICE_BUDGET_SECONDS / rubric_longest
        note = (f"This machine is {slower:.1f} times slower than the reference: its fair limits "
                f"({rubric_longest * factor:.0f} s in all) would pass the "
                f"{SERVICE_BUDGET_SECONDS:.0f} s budget, so they were cut to x {cut:.2f}; give "
                "the grader more CPU.")
        factor = cut
    return TimeScale(factor, benchmark_seconds, note, lanes)
