"""GitHub Classroom's runner result (classroom-resources/autograding-grading-reporter).

A grading step of the student repository's workflow sets its output `result`
to the base64 of `{"version": 1, "status", "max_score", "tests": [...]}`,
each test with `name`, `status` (`pass`, `fail` or `error`), `score`,
`message`, `test_code`, `filename`, `line_no` and `duration` (ms), as the
classroom's own graders do. The reporter step reads it from the environment
variable `<STEP ID>_RESULTS`, adds up the tests' scores and posts "Points
X/Y" (Y: `max_score`) as a notice, which the classroom records. The writer
appends `result=...` to the step's output file, `$GITHUB_OUTPUT`.

Linux limits one environment variable to 128 KiB, so the encoded result is
kept under `SIZE_LIMIT`: the tests' messages are shortened, all to one common
length, until it fits. The student repository holds only the checks shown at
once (`release` strips the others), and a result never names another one.
"""

import base64
import json
import os

from autograder.formats import files, visibility
from autograder.formats.text import check_output, fit
from autograder.runner import ERROR, PASSED
from autograder.rubric import VISIBLE

NAME = "github-classroom"
HIDES_CHECKS = False
DESTINATION = "$GITHUB_OUTPUT"
OUTPUT_NAME = "result"
# Bytes of the `result=...` line: its base64 becomes one environment variable of the reporter.
SIZE_LIMIT = 120 * 1024
STATUS = {PASSED: "pass", ERROR: "error"}


def resolve_destination(results):
    """The output file of the step: `results`, else `$GITHUB_OUTPUT`.

    Raises:
        ValueError: when neither is given (not inside a GitHub Actions step).
    """
    destination = results or os.environ.get("GITHUB_OUTPUT")
    if not destination:
        raise ValueError("GITHUB_OUTPUT is not set (this is not a GitHub Actions step): "
                         "give --results PATH.")
    return str(destination)


def max_score(report):
    """The points the result is out of: the maximum without bonus (the bonus's if only it)."""
    return report.max_score or report.max_bonus


def _line(result):
    encoded = base64.b64encode(json.dumps(result, allow_nan=False).encode())
    return f"{OUTPUT_NAME}=".encode() + encoded + b"\n"


def results(report, upload=None):
    """The `result=...` line (bytes) for `report`."""
    report = visibility.shown_checks(report, HIDES_CHECKS)
    items = report.checks
    statuses = [STATUS.get(item.status, "fail") for item in items]
    overall = ("error" if "error" in statuses else
               "pass" if all(status == "pass" for status in statuses) else "fail")

    def build(messages):
        return _line({
            "version": 1,
            "status": overall,
            "max_score": max_score(report),
            "tests": [{"name": f"{item.check.id}: {item.check.name}",
                       "status": status,
                       "score": round(item.points, 2),
                       "message": message,
                       "test_code": f"python -m autograder grade {report.directory} "
                                    f"-q {item.part.id}",
                       "filename": f"{item.part.modules[-1]}.py",
                       "line_no": 0,
                       "duration": round(item.seconds * 1000)}
                      for item, status, message in zip(items, statuses, messages)],
        })

    return fit(build, [check_output(item) for item in items], SIZE_LIMIT)


def error(details, seconds, parts):
    """An `error` result, out of the graded parts' points, for a failed grader."""
    maximum = sum(check.points for part in parts if not part.bonus for check in part.checks
                  if check.visibility == VISIBLE)
    return fit(lambda texts: _line({
        "version": 1,
        "status": "error",
        "max_score": maximum,
        "tests": [{"name": "Autograder error", "status": "error", "score": 0,
                   "message": texts[0], "test_code": "", "filename": "", "line_no": 0,
                   "duration": round(seconds * 1000)}],
    }), [f"The autograder failed; this is not your fault. Please tell the course staff.\n"
         f"{details}"], SIZE_LIMIT)


def write(data, destination):
    """Appends the `result=...` line to the step output file `destination`."""
    files.append_line(destination, data)
