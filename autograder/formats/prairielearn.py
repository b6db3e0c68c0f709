"""PrairieLearn's external-grading `results.json` (PrairieLearn docs/externalGrading.md).

The grading container must write `/grade/results/results.json` (the folder is
not there: the writer creates it) and exit with status 0. The file holds
`gradable`, `score` (a number in [0, 1]), a `message` and an `output` for the
whole submission, and `tests`, each with `name`, `description`, `points`,
`max_points`, `message` and `output` (PrairieLearn shows per-test points only
when every test has both). It must stay under 1 MiB: the messages and outputs
of the checks are shortened, all to one common length, until it fits.

PrairieLearn shows students every test at once, so the checks that the rubric
shows after the due date are left out; the score is the points earned on the
checks shown at once over their maximum, bonus points making up for lost
points up to a score of 1. An upload in which no module file was found is not
gradable (PrairieLearn then counts no attempt), nor is a run in which the
grader itself failed.
"""

import json

from autograder.formats import files, visibility
from autograder.formats.text import check_details, fit, total

NAME = "prairielearn"
HIDES_CHECKS = False
DESTINATION = "/grade/results/results.json"
# PrairieLearn's grader host refuses results larger than this (bytes).
SIZE_LIMIT = 1024 * 1024
FAILED = "The autograder failed; this is not your fault. Please tell the course staff."


def resolve_destination(results):
    """The results path: `results`, else where PrairieLearn reads it."""
    return str(results or DESTINATION)


def score(report):
    """The score in [0, 1]: points (bonus included) over the maximum without bonus."""
    maximum = report.max_score or report.max_bonus
    return min(1.0, (report.score + report.bonus) / maximum) if maximum else 0.0


def _description(item):
    todos = f"; TODO {', '.join(item.check.todos)}" if item.check.todos else ""
    return f"{item.part.title} (-q {item.part.id}){todos}; {item.status}"


def _encode(results):
    return json.dumps(results, indent=1, allow_nan=False).encode()


def results(report, upload=None):
    """The bytes of PrairieLearn's `results.json` for `report`, at most 1 MiB."""
    report = visibility.shown_checks(report, HIDES_CHECKS)
    notes = list(upload.notes) if upload is not None else []
    if upload is not None and not upload.modules:
        return _encode({"gradable": False, "format_errors": notes,
                        "message": "No module file of the assignment was found in the upload."})
    items = report.checks
    texts = [item.feedback for item in items]
    texts += ["\n".join(f"{label}: {text}" for label, text in check_details(item))
              for item in items]

    graded = f"Graded in {report.seconds:.1f} s (seed {report.seed})."

    def build(shortened):
        messages, outputs = shortened[:len(items)], shortened[len(items):]
        return _encode({
            "gradable": True,
            "score": round(score(report), 6),
            "message": total(report),
            "output": "\n".join(notes + [graded]),
            "tests": [{"name": f"{item.check.id}: {item.check.name}",
                       "description": _description(item),
                       "points": round(item.points, 4),
                       "max_points": item.max_points,
                       "message": message,
                       "output": output}
                      for item, message, output in zip(items, messages, outputs)],
        })

    return fit(build, texts, SIZE_LIMIT)


def error(details, seconds, parts):
    """Not gradable, with `details` as the output (shortened to fit), for a failed grader."""
    return fit(lambda texts: _encode({"gradable": False, "message": FAILED, "output": texts[0]}),
               [details], SIZE_LIMIT)


def write(data, destination):
    """Writes `results.json` to the path `destination` (atomically, creating its folder), or `-`."""
    files.write(destination, data)
