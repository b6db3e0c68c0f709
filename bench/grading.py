"""Grading cost: wall time and peak memory of `autograder grade` on the solution, per part.

Runs `python -m autograder grade assignment/solution --all --verbose` (every
check, as on Gradescope) as a child process and, every `POLL_SECONDS`, reads
the proportional set size (PSS: each shared page divided among the processes
that map it) of every process of its tree from `/proc`: the grading process,
the zygote and the workers forked from it. It prints the grader's table, then:

- per part: its wall time (from the grader's table), its time limit in this
  grading (the rubric's, times the factor the grader's note states: more than
  1 where parts are graded side by side, or on a machine slower than the
  reference), their ratio, which must be at least 3 (`LIMIT_RATIO_BAR`) for
  the limits to be fair, and how many workers it used;
- the grading process's own peak, the peak of the whole tree (the sum over
  its live processes at the worst moment) and of its anonymous memory alone
  (what a container cannot reclaim: the rest are pages of the libraries,
  which the kernel drops and reads back from disk when the container is
  short of memory), the speed benchmark's time, and the total wall time; the
  grader runs with a temporary folder of its own (`TMPDIR`), so that, as in a
  grading service's fresh container, it measures the speed benchmark again
  (`autograder.time_limits.CACHE_FILE`): its time is this run's, and the wall
  time includes it;
- a SUMMARY line: wall time <= 35 s on 2 cores (`WALL_BAR`), the tree's
  anonymous peak <= 768 MB (Gradescope's default container) for each lane of
  parts graded side by side (the grader grades two parts at a time only where
  the machine has `autograder.sandbox.machine.LANE_MEMORY_MB` to spare for
  each: one lane, 768 MB; two, 1536 MB), every limit ratio >= 3.

The speed benchmark's time printed here, measured on the reference machine,
is `autograder.time_limits.REFERENCE_BENCHMARK_SECONDS`.

Linux only (it reads `/proc`).

Usage (from the repository root):

    python -m bench.grading
    python -m bench.grading -q vae   # one part
    python -m bench.grading --lanes 1   # the parts one after the other
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from assignment.implementation import REPO_ROOT
from assignment.train import positive_int
from autograder.sandbox.machine import LANE_MEMORY_MB
from autograder.sandbox.processes import process_table

# Reading a TensorFlow process's PSS (`smaps_rollup`) walks its page tables: 10 ms of kernel time
# each, against 0.02 ms for its `status`, measured on 2 cores. Polling five such processes every
# 0.1 s (50 ms a poll) would take a third of a core from the grading it times; every second, 1/20.
POLL_SECONDS = 1.0
WALL_BAR = 35.0
LIMIT_RATIO_BAR = 3.0
SPEED_LINE = re.compile(r"ran the speed benchmark in (?P<seconds>[\d.]+) s")
FACTOR_LINE = re.compile(r"Time limits: the rubric's x (?P<factor>[\d.]+)")
LANES_LINE = re.compile(r"(?P<lanes>\d+) parts at a time")
PART_LINE = re.compile(r"^(?P<title>.+) \(-q (?P<id>\w+)\): .* in (?P<seconds>[\d.]+) s$")
USAGE_LINE = re.compile(r"^  \((?P<probes>\d+) probe\(s\) in (?P<workers>\d+) worker\(s\)")


def memory_mb(pid):
    """`(PSS, anonymous PSS)` of a process in MB, or None once it is gone."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                name, _, value = line.partition(":")
                if name in ("Pss", "Pss_Anon"):
                    fields[name] = int(value.split()[0]) / 1024
    except OSError:
        return None
    return (fields["Pss"], fields.get("Pss_Anon", fields["Pss"])) if "Pss" in fields else None


def descendants(root, parents):
    """`root` and every process below it, from a map pid -> parent pid."""
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


class TreeMonitor:
    """Polls a process tree: the peak PSS of each process and of the tree's sum.

    Attributes:
        peaks: pid -> peak PSS in MB, in order of first sight.
        tree_peak_mb: the largest sum of PSS over the live processes at one poll.
        tree_anonymous_peak_mb: the same for their anonymous memory alone: what
            a container cannot reclaim (the rest is the libraries' pages, which
            it reads back from disk when short of memory).
    """

    def __init__(self, root):
        self.root = root
        self.peaks = {}
        self.tree_peak_mb = 0.0
        self.tree_anonymous_peak_mb = 0.0

    def poll(self):
        total = anonymous = 0.0
        parents = {pid: info[1] for pid, info in process_table().items()}
        for pid in descendants(self.root, parents):
            memory = memory_mb(pid)
            if memory is not None:
                total += memory[0]
                anonymous += memory[1]
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), memory[0])
        self.tree_peak_mb = max(self.tree_peak_mb, total)
        self.tree_anonymous_peak_mb = max(self.tree_anonymous_peak_mb, anonymous)


def run_grader(directory, parts, lanes=None):
    """Grades `directory` (`lanes` parts side by side); returns `(output, seconds, monitor)`."""
    command = [sys.executable, "-m", "autograder", "grade", str(directory), "--all", "--verbose"]
    for part in parts or ():
        command += ["-q", part]
    if lanes:
        command += ["--lanes", str(lanes)]
    print("$ " + " ".join(command[1:]).replace(sys.executable, "python"), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as folder:
        os.chmod(folder, 0o1777)  # like /tmp: the workers' user makes its folders there too
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "TMPDIR": folder})
        monitor = TreeMonitor(process.pid)
        output = []
        reader = _start_reader(process, output)
        while process.poll() is None:
            monitor.poll()
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        reader.join()
    if process.returncode != 0:
        raise SystemExit(f"The grader exited with status {process.returncode}:\n{''.join(output)}")
    return "".join(output), seconds, monitor


def _start_reader(process, output):
    """Reads the grader's output in a thread, so that a full pipe never blocks it."""
    thread = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    thread.start()
    return thread


def part_breakdown(output):
    """Rows `(part id, title, seconds, workers)` from the grader's table."""
    rows, current = [], None
    for line in output.splitlines():
        if match := PART_LINE.match(line):
            current = [match["id"], match["title"], float(match["seconds"]), 0]
            rows.append(current)
        elif (match := USAGE_LINE.match(line)) and current is not None:
            current[3] = int(match["workers"])
    return [tuple(row) for row in rows]


def lanes_of(unwrapped):
    """How many parts the grader graded side by side, from its time limits' note.

    Args:
        unwrapped: the grader's output, its wrapped lines joined again.
    """
    match = LANES_LINE.search(unwrapped)
    return int(match["lanes"]) if match else 1


def verdict(ok):
    return "met" if ok else "NOT met"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.grading",
        description="Wall time and peak memory of grading the reference solution.")
    parser.add_argument("directory", nargs="?", default="assignment/solution",
                        help="what to grade (default: assignment/solution)")
    parser.add_argument("-q", "--part", dest="parts", action="append", metavar="PART",
                        help="grade only this part (repeatable)")
    parser.add_argument("--lanes", type=positive_int, metavar="N",
                        help="grade N parts side by side (default: the grader's choice)")
    return parser.parse_args(argv)


def main(argv=None):
    from autograder.rubric import RUBRIC

    args = parse_args(argv)
    output, seconds, monitor = run_grader(args.directory, args.parts, args.lanes)
    print(output)
    unwrapped = output.replace("\n  ", " ")
    factor = FACTOR_LINE.search(unwrapped)
    limits = {part.id: part.time_limit * (float(factor["factor"]) if factor else 1.0)
              for part in RUBRIC}
    rows = part_breakdown(output)
    print(f"{'part':<16} {'wall s':>7} {'limit s':>8} {'ratio':>6} {'workers':>8}")
    ratios = []
    for part_id, _, part_seconds, workers in rows:
        ratio = limits[part_id] / max(part_seconds, 0.01)
        ratios.append(ratio)
        print(f"{part_id:<16} {part_seconds:>7.1f} {limits[part_id]:>8.0f} {ratio:>6.1f} "
              f"{workers:>8}")
    grader_peak = monitor.peaks.get(monitor.root, 0.0)
    lanes = lanes_of(unwrapped)
    memory_bar = lanes * LANE_MEMORY_MB
    speed = SPEED_LINE.search(unwrapped)
    anonymous = monitor.tree_anonymous_peak_mb
    print(f"Grading process peak {grader_peak:.0f} MB PSS; whole tree peak "
          f"{monitor.tree_peak_mb:.0f} MB PSS (sum over its processes at one moment), "
          f"{anonymous:.0f} MB of it anonymous; speed benchmark "
          f"{speed['seconds'] + ' s' if speed else 'not reported'}.")
    print(f"SUMMARY grading: {seconds:.1f} s wall ({verdict(seconds <= WALL_BAR)}: bar "
          f"{WALL_BAR:.0f} s); tree's anonymous peak {anonymous:.0f} MB "
          f"({verdict(anonymous <= memory_bar)}: bar {memory_bar} MB, "
          f"{LANE_MEMORY_MB} MB for each of {lanes} lane(s)); "
          f"smallest limit ratio {min(ratios, default=0):.1f} "
          f"({verdict(min(ratios, default=0) >= LIMIT_RATIO_BAR)}: bar {LIMIT_RATIO_BAR:.0f})")


if __name__ == "__main__":
    from assignment.quiet import quiet_tensorflow

    quiet_tensorflow()
    main()
