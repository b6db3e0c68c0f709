"""Grading cost: wall time and peak memory of `autograder grade` on the solution, per part.

Runs `python -m autograder grade assignment/solution --all --verbose` (every
check, as on Gradescope) as a child process and, every 20 ms, reads the
resident memory of every process of its tree from `/proc`: the grading
process and the part workers it starts. It prints the grader's table, then:

- per part: its wall time (from the grader's table) and the peak resident
  memory (`VmHWM`) of its worker(s);
- the grading process's own peak, the peak of the whole tree (the sum over
  its live processes at the worst moment), and the total wall time;
- a SUMMARY line against SPEC §8: wall time <= 120 s (goal 60 s), peak of any
  grading process <= 1.5 GB (goal 768 MB, Gradescope's default).

Linux only (it reads `/proc`).

Usage (from the repository root):

    python -m bench.grading
    python -m bench.grading -q vae   # one part
"""

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from assignment.implementation import REPO_ROOT
from autograder.sandbox.processes import process_table

POLL_SECONDS = 0.02
WALL_BAR, WALL_GOAL = 120.0, 60.0
MEMORY_BAR_MB, MEMORY_GOAL_MB = 1536.0, 768.0
PART_LINE = re.compile(r"^(?P<title>.+) \(-q (?P<id>\w+)\): .* in (?P<seconds>[\d.]+) s$")
USAGE_LINE = re.compile(r"^  \((?P<probes>\d+) probe\(s\) in (?P<workers>\d+) worker\(s\)")


def memory_mb(pid):
    """`(VmRSS, VmHWM)` of a process in MB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if "VmHWM" not in fields:  # a zombie: no memory left
        return None
    return tuple(int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))


def descendants(root, parents):
    """`root` and every process below it, from a map pid -> parent pid."""
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


class TreeMonitor:
    """Polls a process tree: the peak of each process and of the tree's total resident memory.

    Attributes:
        peaks: pid -> peak resident memory in MB (`VmHWM`), in order of first sight.
        tree_peak_mb: the largest sum of `VmRSS` over the live processes at one poll.
    """

    def __init__(self, root):
        self.root = root
        self.peaks = {}
        self.tree_peak_mb = 0.0

    def poll(self):
        total = 0.0
        parents = {pid: info[1] for pid, info in process_table().items()}
        for pid in descendants(self.root, parents):
            memory = memory_mb(pid)
            if memory is not None:
                rss, hwm = memory
                total += rss
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), hwm)
        self.tree_peak_mb = max(self.tree_peak_mb, total)

    @property
    def workers(self):
        """Peak memory of each worker, in the order they started."""
        return [peak for pid, peak in self.peaks.items() if pid != self.root]


def run_grader(directory, parts):
    """Grades `directory`; returns `(output, seconds, monitor)`."""
    command = [sys.executable, "-m", "autograder", "grade", str(directory), "--all", "--verbose"]
    for part in parts or ():
        command += ["-q", part]
    print("$ " + " ".join(command[1:]).replace(sys.executable, "python"), flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
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


def part_breakdown(output, worker_peaks):
    """Rows `(part id, title, seconds, workers, peak MB)` from the grader's table.

    The grader lists its parts in the order it ran them, each followed (with
    `--verbose`) by its number of workers; the workers started in that order.
    """
    rows, peaks = [], list(worker_peaks)
    current = None
    for line in output.splitlines():
        if match := PART_LINE.match(line):
            current = [match["id"], match["title"], float(match["seconds"]), 0, 0.0]
            rows.append(current)
        elif (match := USAGE_LINE.match(line)) and current is not None:
            workers = int(match["workers"])
            mine, peaks = peaks[:workers], peaks[workers:]
            current[3], current[4] = workers, max(mine, default=0.0)
    return [tuple(row) for row in rows]


def verdict(value, bar, goal):
    return "goal met" if value <= goal else "bar met, goal not" if value <= bar else "NOT met"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.grading",
        description="Wall time and peak memory of grading the reference solution.")
    parser.add_argument("directory", nargs="?", default="assignment/solution",
                        help="what to grade (default: assignment/solution)")
    parser.add_argument("-q", "--part", dest="parts", action="append", metavar="PART",
                        help="grade only this part (repeatable)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    output, seconds, monitor = run_grader(args.directory, args.parts)
    print(output)
    rows = part_breakdown(output, monitor.workers)
    print(f"{'part':<16} {'wall s':>7} {'workers':>8} {'peak MB':>8}")
    for part_id, _, part_seconds, workers, peak in rows:
        print(f"{part_id:<16} {part_seconds:>7.1f} {workers:>8} {peak:>8.0f}")
    grader_peak = monitor.peaks.get(monitor.root, 0.0)
    any_peak = max(monitor.peaks.values(), default=0.0)
    print(f"{'grading process':<16} {'':>7} {'':>8} {grader_peak:>8.0f}")
    print(f"Whole tree: {seconds:.1f} s wall, peak {monitor.tree_peak_mb:.0f} MB resident "
          f"(sum over its processes at one moment); largest single process {any_peak:.0f} MB.")
    print(f"SUMMARY grading: {seconds:.1f} s wall ({verdict(seconds, WALL_BAR, WALL_GOAL)}: "
          f"bar {WALL_BAR:.0f} s, goal {WALL_GOAL:.0f} s); peak process {any_peak:.0f} MB "
          f"({verdict(any_peak, MEMORY_BAR_MB, MEMORY_GOAL_MB)}: bar {MEMORY_BAR_MB:.0f} MB, "
          f"goal {MEMORY_GOAL_MB:.0f} MB); tree {monitor.tree_peak_mb:.0f} MB")


if __name__ == "__main__":
    from assignment.quiet import quiet_tensorflow

    quiet_tensorflow()
    main()
