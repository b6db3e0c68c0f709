"""Results that outlive the grader: a small parent process that owns the results file.

`python -m autograder grade ... --results FILE` runs as this supervisor: it
starts the same command again as the grading process, in a session of its
own, and waits for it. The grading process writes what it has graded after
each part to a progress file beside FILE (`save_progress`), and FILE itself at
the end. Whatever ends the grading process before that (a signal from student
code where the kernel gave workers no namespaces of their own, the kernel's
OOM killer, a bug), the supervisor then writes a valid FILE: the parts graded
so far with their scores, and every other selected check as an "Autograder
error" that says how the grading process ended. The supervisor runs no student
code, imports no TensorFlow and holds no state a worker could reach.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path


# Set in the grading process's environment: the path of its progress file.
PROGRESS_VARIABLE = "AUTOGRADER_PROGRESS_FILE"


def progress_path(destination):
    """Where the grading process for results `destination` writes its progress."""
    destination = Path(destination)
    return destination.with_name(f".{destination.name}.progress.json")


def save_progress(report):
    """Writes `report` (a `runner.GradeReport` so far) where the supervisor reads it, if any."""
    path = os.environ.get(PROGRESS_VARIABLE)
    if not path:
        return
    data = {"seed": report.seed, "include_hidden": report.include_hidden,
            "checks": [_check_plain(check) for check in report.checks],
            "parts": [_part_plain(part) for part in report.parts],
            "notes": list(report.notes)}
    partial = Path(f"{path}.writing")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def _fields(report, *references):
    """A report's fields as plain data, the rubric objects in `references` by their id."""
    data = {field.name: getattr(report, field.name) for field in dataclasses.fields(report)
            if field.name not in references}
    return {"id": getattr(report, references[-1]).id, **data}


def _check_plain(report):
    return _fields(report, "part", "check")


def _part_plain(report):
    return _fields(report, "part")


def _load_progress(path, parts):
    """The `GradeReport` fields saved in `path`, rebuilt on the rubric `parts`; {} if none."""
    from autograder.runner import CheckReport, PartReport

    try:
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict):
            return {}
    except (OSError, ValueError):
        return {}
    part_of = {part.id: part for part in parts}
    item_of = {item.id: (part, item) for part in parts for item in part.checks}
    checks = []
    for entry in data.get("checks", []):
        if entry.get("id") in item_of:
            fields = {key: value for key, value in entry.items() if key != "id"}
            fields["leaderboard"] = {name: tuple(value)
                                     for name, value in fields["leaderboard"].items()}
            checks.append(CheckReport(*item_of[entry["id"]], **fields))
    reports = [PartReport(part_of[entry["id"]],
                          **{key: value for key, value in entry.items() if key != "id"})
               for entry in data.get("parts", []) if entry.get("id") in part_of]
    return {"seed": data.get("seed", 0), "include_hidden": data.get("include_hidden", False),
            "checks": checks, "parts": reports, "notes": data.get("notes", [])}


def _how_it_ended(status):
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"the grading process was killed ({name})"
    return f"the grading process exited with status {status} without writing its results"


def report_after_failure(directory, parts, include_hidden, progress, status, seconds):
    """The `GradeReport` to write when the grading process ended with `status` before its results.

    The checks graded before it ended keep their results; every other check
    of `parts` that this run grades is an `ERROR` saying how it ended.
    """
    from autograder.rubric import VISIBLE
    from autograder.runner import ERROR, CheckReport, GradeReport

    saved = _load_progress(progress, parts)
    graded = {report.check.id: report for report in saved.get("checks", [])}
    reason = _how_it_ended(status)
    checks = []
    for part in parts:
        for item in part.checks:
            if not (include_hidden or item.visibility == VISIBLE):
                continue
            checks.append(graded.get(item.id) or CheckReport(
                part, item, ERROR, feedback=(
                    f"Autograder error: {reason} before grading this check; the checks "
                    "graded before that keep their results. Ask the course staff to "
                    "grade it again.")))
    notes = (*saved.get("notes", ()), f"The grading was cut short: {reason}.")
    return GradeReport(str(directory), saved.get("seed", 0), include_hidden, tuple(checks),
                       tuple(saved.get("parts", ())), seconds, notes)


def supervise(argv, destination, write_report):
    """Runs `python -m autograder ARGV` as the grading process; covers for it if it dies.

    Args:
        argv: the command's arguments (`grade ... --results destination`).
        destination: the results file the grading process writes at its end.
        write_report: called with `(status, progress file)` when the grading
            process ended without writing `destination`; writes the results.

    Returns:
        The grading process's exit status (1 when it was killed).
    """
    destination = Path(destination)
    progress = progress_path(destination)
    for path in (destination, progress):
        path.unlink(missing_ok=True)
    env = {**os.environ, PROGRESS_VARIABLE: str(progress)}
    child = subprocess.Popen([sys.executable, "-m", "autograder", *argv], env=env,
                             start_new_session=True)
    while True:
        try:
            status = child.wait()
            break
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
    try:
        if not destination.is_file():
            write_report(status, progress)
            return status if status > 0 else 1
        return status
    finally:
        progress.unlink(missing_ok=True)
        Path(f"{progress}.writing").unlink(missing_ok=True)

