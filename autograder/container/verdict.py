"""What a grading run in the emulated container shows: score, figures per part, a verdict.

A run fits the container when it ends before the timeout, writes a valid
`results.json` without an autograder error, and no process of it was killed
for memory; a run of the solution must also get every point (bonus included).
Margins are what is left of the timeout and of the memory limit. The memory
margin is the limit less the anonymous peak: the group's peak counts the page
cache too (the libraries and files read), which the kernel reclaims when the
group reaches its limit, so a peak at the limit with no OOM kill is normal;
anonymous memory has no swap to go to and is what an OOM kill is about.

Sizes are printed in MB of 2**20 bytes (as Docker's `--memory 768m`).
"""

import dataclasses
import json
import re

from autograder.formats.terminal import wrapped

# A part's line in the grader's table, e.g. "Part 3: variational autoencoder (-q vae): 45 / 45
# points in 31.4 s".
PART_LINE = re.compile(r"^(?P<title>.+) \(-q (?P<id>\w+)\): .* in (?P<seconds>[\d.]+) s$")
AUTOGRADER_ERROR = "Autograder error"


@dataclasses.dataclass(frozen=True)
class Limits:
    """The container's limits: memory in bytes, CPUs, timeout in seconds."""

    memory: int
    cpus: float
    timeout: float


@dataclasses.dataclass(frozen=True)
class PartFigures:
    """One part of a graded run.

    Attributes:
        id: the part's id (the prefix of its checks' ids).
        title: its title in the grader's table (the id when the table lacks it).
        points, max_points: from results.json.
        checks, passed: how many checks it has in results.json, and passed.
        seconds: its wall time from the grader's table (None when not found).
    """

    id: str
    title: str
    points: float
    max_points: float
    checks: int
    passed: int
    seconds: float | None


def read_results(path):
    """`(results, "")` if `path` holds a results.json Gradescope accepts, else `(None, why not)`."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None, "no results.json was written"

    def reject_constant(name):
        raise ValueError(f"{name} is not valid JSON")

    try:
        results = json.loads(text, parse_constant=reject_constant)
    except ValueError as error:
        return None, f"results.json is not valid JSON ({error})"
    if not (isinstance(results, dict) and isinstance(results.get("tests"), list)
            and isinstance(results.get("score"), (int, float))):
        return None, "results.json has no score or no tests"
    return results, ""


def part_figures(results, grader_output):
    """The `PartFigures` of each part in `results`, in their order; titles and times from the table.

    Args:
        results: a results.json dict; a check's test is numbered `<part>.<check>`
            (other tests, such as the grader's own error, belong to no part).
        grader_output: what the grader printed (its table).
    """
    table = {match["id"]: (match["title"], float(match["seconds"]))
             for match in map(PART_LINE.match, grader_output.splitlines()) if match}
    parts = {}
    for test in results["tests"]:
        part_id, dot, _ = str(test.get("number", "")).partition(".")
        if dot:
            parts.setdefault(part_id, []).append(test)
    return [PartFigures(id=part_id, title=table.get(part_id, (part_id, None))[0],
                        points=sum(test.get("score", 0) for test in tests),
                        max_points=sum(test.get("max_score", 0) for test in tests),
                        checks=len(tests),
                        passed=sum(test.get("status") == "passed" for test in tests),
                        seconds=table.get(part_id, (None, None))[1])
            for part_id, tests in parts.items()]


def grader_notes(results):
    """The grader's notes for the staff (e.g. who student code runs as), from results.json."""
    notes = (results or {}).get("extra_data", {}).get("notes", [])
    return [str(note) for note in notes] if isinstance(notes, list) else []


def _megabytes(size):
    return size / 2**20


def _points(value):
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


@dataclasses.dataclass(frozen=True)
class GradedRun:
    """One submission graded in the emulated container.

    Attributes:
        label: what was graded, for people (e.g. "solution").
        measurement: a `measure.Measurement`.
        results: the results.json dict, or None when unusable.
        problem: why `results` is None ("" otherwise).
        grader_output: what `run_autograder` printed.
        expect_full_marks: whether every point is expected (the solution).
    """

    label: str
    measurement: object
    results: dict | None
    problem: str
    grader_output: str
    expect_full_marks: bool = False

    @property
    def max_score(self):
        return sum(test.get("max_score", 0) for test in self.results["tests"])

    @property
    def autograder_errors(self):
        """The tests of results.json that report the grader's own failure."""
        if self.results is None:
            return []
        return [test for test in self.results["tests"]
                if str(test.get("name", "")).startswith(AUTOGRADER_ERROR)
                or str(test.get("output", "")).startswith(AUTOGRADER_ERROR)]

    def misfits(self, limits):
        """What does not fit the container, one phrase each (empty when it fits)."""
        measurement = self.measurement
        found = []
        if measurement.timed_out:
            found.append(f"still running at the {limits.timeout:g} s timeout "
                         "(the service then gives 0 points and no results)")
        elif self.results is None:
            found.append(f"{self.problem} (the service then reports that the autograder "
                         "failed to execute)")
        if measurement.oom_kills:
            found.append(f"{measurement.oom_kills} process(es) killed for memory (OOM) at "
                         f"{_megabytes(limits.memory):.0f} MB")
        if self.autograder_errors:
            found.append(f"{len(self.autograder_errors)} autograder error(s)")
        if (self.expect_full_marks and self.results is not None
                and self.results["score"] < self.max_score):
            lost = [str(test.get("number")) for test in self.results["tests"]
                    if test.get("score", 0) < test.get("max_score", 0)]
            found.append(f"the solution scored {_points(self.results['score'])} of "
                         f"{_points(self.max_score)} (lost points in {', '.join(lost)})")
        return found

    def verdict(self, limits):
        """The verdict line: FITS or DOES NOT FIT, with the margins left."""
        measurement = self.measurement
        peak, limit = _megabytes(measurement.peak_memory), _megabytes(limits.memory)
        anonymous = _megabytes(measurement.peak_anonymous)
        margins = (f"{measurement.wall_seconds:.0f} s of the {limits.timeout:g} s timeout "
                   f"({limits.timeout - measurement.wall_seconds:.0f} s to spare), anonymous "
                   f"memory {anonymous:.0f} of {limit:.0f} MB ({limit - anonymous:.0f} MB to "
                   f"spare; peak {peak:.0f} MB with the page cache)")
        misfits = self.misfits(limits)
        if misfits:
            return (f"verdict: DOES NOT FIT: {'; '.join(misfits)}. "
                    f"{margins[0].upper()}{margins[1:]}.")
        return f"verdict: FITS: {margins}, no OOM kill."


def format_run(run, limits, width=None):
    """The lines printed for one `GradedRun`, wrapped to `width` (default: the terminal's)."""
    measurement = run.measurement
    lines = [f"{run.label}:"]
    if run.results is not None:
        execution_time = run.results.get("execution_time")
        timing = (f", grader's execution_time {execution_time:.1f} s"
                  if isinstance(execution_time, (int, float)) else "")
        lines.append(f"  score        {_points(run.results['score'])} / {_points(run.max_score)} "
                     f"(results.json: {len(run.results['tests'])} tests{timing})")
    else:
        lines.append(f"  score        none: {run.problem}")
    status = ("killed at the timeout" if measurement.timed_out
              else f"exit status {measurement.exit_status}")
    lines.append(f"  wall time    {measurement.wall_seconds:.1f} s ({status})")
    average = measurement.cpu_seconds / measurement.wall_seconds if measurement.wall_seconds else 0
    lines.append(f"  CPU time     {measurement.cpu_seconds:.1f} s ({average:.2f} CPU on average, "
                 f"limit {limits.cpus:g})")
    source = "recorded by the kernel" if measurement.peak_recorded else "sampled"
    lines.append(f"  memory peak  {_megabytes(measurement.peak_memory):.0f} MB of "
                 f"{_megabytes(limits.memory):.0f} MB ({source}, page cache included); "
                 f"anonymous {_megabytes(measurement.peak_anonymous):.0f} MB (sampled)")
    oom = "not counted by this kernel" if measurement.oom_kills is None else measurement.oom_kills
    lines.append(f"  OOM kills    {oom}")
    if run.results is not None:
        lines.append(f"  {'part':<40} {'points':>11} {'checks passed':>14} {'time':>8}")
        for part in part_figures(run.results, run.grader_output):
            seconds = "?" if part.seconds is None else f"{part.seconds:.1f} s"
            points = f"{_points(part.points)} / {_points(part.max_points)}"
            lines.append(f"  {part.title:<40} {points:>11} "
                         f"{f'{part.passed} / {part.checks}':>14} {seconds:>8}")
    for test in run.autograder_errors:
        last_line = (str(test.get("output", "")).strip().splitlines() or [""])[-1]
        lines.append(f"  autograder error in {test.get('name')}: {last_line}")
    lines += [f"  note: {note}" for note in grader_notes(run.results)]
    lines.append("  " + run.verdict(limits))
    return "\n".join(wrapped(line, width) for line in lines)
