"""What a grading run shows: a terminal table, and Gradescope's `results.json`.

`format_table` renders a `runner.GradeReport` for people; `results_json` turns
it into Gradescope's schema (score, `execution_time` as a number, one test per
check with `status` always set, the leaderboard) and `write_results` writes
that atomically. `error_results` is what gets written when the grader itself
fails, so that Gradescope always finds valid JSON with a visible
"Autograder error" test.

A check's `Outcome.leaderboard` maps a metric's name to its value, where
higher is better, or to a pair `(value, "asc")` for a metric where lower is
better (e.g. a Fréchet distance); metrics that are not finite are left out.
"""

import json
import math
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

from autograder.runner import ERROR, PASSED

NAME_WIDTH = 44


def _short(text, width):
    """The first line of `text`, cut to `width` characters."""
    line = " ".join(text.strip().split("\n", 1)[0].split()) if text else ""
    return line if len(line) <= width else line[: max(width - 3, 0)] + "..."


def _points(value):
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _totals(report):
    """The total lines: score, bonus, what was left out, time (`format_table` adds the notes)."""
    lines = [f"Total: {_points(report.score)} / {_points(report.max_score)} points"]
    if report.max_bonus:
        lines[0] += f" + bonus {_points(report.bonus)} / {_points(report.max_bonus)}"
    if not report.include_hidden:
        lines.append("Only the checks shown before the due date were graded "
                     "(--all grades the others too).")
    lines.append(f"Graded {report.directory} in {report.seconds:.1f} s (seed {report.seed}).")
    return lines


def format_table(report, verbose=False, width=None):
    """The terminal table: per part, each check's points, time, status and feedback; the totals.

    Args:
        report: a `runner.GradeReport`.
        verbose: add, under each check that did not pass, its whole feedback,
            what was expected and got, the traceback of an autograder error;
            and per part the workers' resources and output.
        width: line width (default: the terminal's).

    Returns:
        The text, lines joined by newlines.
    """
    width = width or shutil.get_terminal_size((120, 24)).columns
    name_width = min(NAME_WIDTH, max([5, *(len(item.check.name) for item in report.checks)]))
    status_width = max([6, *(len(item.status) for item in report.checks)])
    header = f"  {'Check':<{name_width}}  {'Points':>7}  {'Time':>6}  {'Status':<{status_width}}  "
    feedback_width = max(24, width - len(header))
    lines = [header + "Feedback"]
    for part in report.parts:
        items = [item for item in report.checks if item.part is part.part]
        if not items:
            continue
        earned = sum(item.points for item in items)
        available = sum(item.max_points for item in items)
        bonus = "bonus " if part.part.bonus else ""
        lines.append(f"{part.part.title} (-q {part.part.id}): {_points(earned)} / "
                     f"{_points(available)} {bonus}points in {part.seconds:.1f} s")
        for item in items:
            points = f"{_points(item.points)}/{_points(item.max_points)}"
            lines.append(f"  {_short(item.check.name, name_width):<{name_width}}  {points:>7}  "
                         f"{item.seconds:>5.1f}s  {item.status:<{status_width}}  "
                         f"{_short(item.feedback, feedback_width)}")
            if verbose and item.status != PASSED:
                lines += _details(item, width, feedback_width)
        if verbose:
            lines += _part_usage(part)
    notes = [f"Note: {note}" for note in report.notes]
    return "\n".join(lines + [""] + _totals(report) + notes)


def _details(item, width, feedback_width):
    """The indented expected, got, traceback, and whole feedback when the row cut it."""
    wrapper = textwrap.TextWrapper(width=width, initial_indent="    ", subsequent_indent="      ")
    lines = []
    feedback = item.feedback if _short(item.feedback, feedback_width) != item.feedback else ""
    for label, text in (("", feedback), ("Expected: ", item.expected), ("Got: ", item.got)):
        if text:
            lines += wrapper.wrap(label + text)
    lines += ["    " + line for line in item.details.rstrip().splitlines()]
    return lines


def _part_usage(part):
    """A part's resources, and what its workers printed (head and tail)."""
    lines = [f"  ({part.probes} probe(s) in {part.workers} worker(s), "
             f"peak memory {part.peak_memory_mb:.0f} MB)"]
    if part.output.strip():
        lines += ["  | " + line for line in part.output.rstrip().splitlines()]
    return lines


def _test_output(item):
    """The text Gradescope shows under one test."""
    lines = [item.feedback] if item.feedback else []
    lines += [f"{label}: {text}" for label, text in (("Expected", item.expected), ("Got", item.got))
              if text]
    return "\n".join(lines)


def _leaderboard(report):
    """Gradescope's leaderboard entries from the checks' metrics (finite values only)."""
    entries = {}
    for item in report.checks:
        for name, (value, order) in item.leaderboard.items():
            if math.isfinite(value):
                entries[name] = {"name": name, "value": value, "order": order}
    return list(entries.values())


def results_json(report):
    """A `runner.GradeReport` in Gradescope's `results.json` schema (a dict)."""
    tests = [{
        "name": f"{item.check.id}: {item.check.name}",
        "number": item.check.id,
        "score": round(item.points, 4),
        "max_score": item.max_points,
        "status": "passed" if item.status == PASSED else "failed",
        "output": _test_output(item),
        "output_format": "text",
        "tags": list(item.check.todos),
        "visibility": "visible" if item.status == ERROR else item.check.visibility,
    } for item in report.checks]
    return {
        "score": round(report.score + report.bonus, 4),
        "execution_time": round(report.seconds, 2),
        "output": "\n".join(_totals(report)),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "leaderboard": _leaderboard(report),
    }


def error_results(details, seconds=0.0):
    """`results.json` for a run in which the grader itself failed, with `details` shown."""
    return {
        "score": 0.0,
        "execution_time": round(float(seconds), 2),
        "output": "The autograder failed; this is not your fault. Please tell the course staff.",
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": [{
            "name": "Autograder error",
            "number": "0",
            "score": 0.0,
            "max_score": 0.0,
            "status": "failed",
            "output": details,
            "output_format": "text",
            "visibility": "visible",
        }],
    }


def write_results(path, results):
    """Writes `results` as strict JSON to `path` atomically (temporary file, then rename).

    Raises:
        ValueError: if `results` holds NaN or infinity (not valid JSON); the
            file is then left as it was.
    """
    text = json.dumps(results, indent=2, allow_nan=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text + "\n")
            file.flush()
            os.fsync(file.fileno())
            os.fchmod(file.fileno(), 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
