"""Gradescope's `results.json` (gradescope/autograder_samples, docs/specs.md).

`run_autograder` must leave `/autograder/results/results.json`: the total
`score` (bonus included), `execution_time` in seconds, an `output` for the
whole submission, one test per check (`name`, `number`, `score`,
`max_score`, `status` always set, `output`, `tags`, and `visibility`, which
Gradescope enforces itself: a check shown after the due date keeps that
visibility, so every check is sent), and the `leaderboard`. A check that
names a classic mistake keeps its id in the test's `extra_data`, and the
staff notes go in the top-level `extra_data`; students see neither.

A check's `Outcome.leaderboard` maps a metric's name to `(value, order)`,
order "desc" when higher is better, "asc" when lower is (e.g. a Fréchet
distance); metrics that are not finite are left out.
"""

import json
import math

from autograder.formats import files
from autograder.formats.text import check_output, total
from autograder.runner import ERROR, PASSED

NAME = "gradescope"
HIDES_CHECKS = True
DESTINATION = "/autograder/results/results.json"


def resolve_destination(results):
    """The results path: `results`, else where Gradescope reads it."""
    return str(results or DESTINATION)


def _leaderboard(report):
    entries = {}
    for item in report.checks:
        for name, (value, order) in item.leaderboard.items():
            if math.isfinite(value):
                entries[name] = {"name": name, "value": value, "order": order}
    return list(entries.values())


def _test(item):
    test = {
        "name": f"{item.check.id}: {item.check.name}",
        "number": item.check.id,
        "score": round(item.points, 4),
        "max_score": item.max_points,
        "status": "passed" if item.status == PASSED else "failed",
        "output": check_output(item),
        "output_format": "text",
        "tags": list(item.check.todos),
        "visibility": "visible" if item.status == ERROR else item.check.visibility,
    }
    if item.diagnosis:
        test["extra_data"] = {"diagnosis": item.diagnosis}
    return test


def results_json(report, upload=None):
    """A `runner.GradeReport` in Gradescope's `results.json` schema (a dict).

    Args:
        report: the `runner.GradeReport`.
        upload: the `services.submission.Collected` of the upload, whose
            notes open the output; None when a folder was graded as it is.
    """
    output = list(upload.notes) if upload is not None else []
    output.append(total(report))
    if not report.include_hidden:
        output.append("Only the checks shown before the due date were graded.")
    results = {
        "score": round(report.score + report.bonus, 4),
        "execution_time": round(report.seconds, 2),
        "output": "\n".join(output),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": [_test(item) for item in report.checks],
        "leaderboard": _leaderboard(report),
    }
    if report.notes:
        results["extra_data"] = {"notes": list(report.notes)}
    return results


def error_json(details, seconds=0.0):
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


def _encode(results):
    return (json.dumps(results, indent=2, allow_nan=False) + "\n").encode()


def results(report, upload=None):
    """The bytes of `results.json` for `report`."""
    return _encode(results_json(report, upload))


def error(details, seconds, parts):
    """The bytes of `results.json` for a failed grader (`parts`, the graded ones, unused)."""
    return _encode(error_json(details, seconds))


def write(data, destination):
    """Writes `results.json` to the path `destination` (atomically), or `-`."""
    files.write(destination, data)
