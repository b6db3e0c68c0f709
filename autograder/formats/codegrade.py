"""CodeGrade AutoTest v2's structured output (CodeGrade's Custom Test block, cg-pytest-reporter).

A Custom Test reports through the structured output channel, file descriptor
3: one compact JSON message per line. Each check is a `unit-test` message,
`{"tag": "unit-test", "results": [{"id", "name", "testCases": [{"name",
"status", "description", "weight", "reason"}]}]}` (one suite per part,
status `success`, `failure`, or `skipped` for a check not graded because one
it needs failed); the last message gives the points, `{"tag": "points",
"points": "X/Y"}`, the fraction of the block's weight earned (whole numbers,
bonus points making up for lost points up to 1). One message must stay under
`MESSAGE_LIMIT` bytes: a reason is shortened until its message fits.

CodeGrade shows students what the tests report at once, so the checks that
the rubric shows after the due date are left out.
"""

import json
import math
import os

from autograder.formats import files, visibility
from autograder.formats.text import check_output, fit
from autograder.runner import NOT_GRADED, PASSED

NAME = "codegrade"
HIDES_CHECKS = False
CHANNEL = 3
DESTINATION = f"/dev/fd/{CHANNEL}"
# CodeGrade drops a structured output message larger than this (bytes).
MESSAGE_LIMIT = 250_000
STATUS = {PASSED: "success", NOT_GRADED: "skipped"}
FAILED = "The autograder failed; this is not your fault. Please tell the course staff."


def resolve_destination(results):
    """Where the messages go: `results`, else the structured output channel.

    Raises:
        ValueError: when the channel is not open (not inside a CodeGrade test).
    """
    if results:
        return str(results)
    try:
        os.fstat(CHANNEL)
    except OSError:
        raise ValueError(f"file descriptor {CHANNEL}, CodeGrade's structured output, is not "
                         "open (this is not a CodeGrade test): give --results PATH.") from None
    return DESTINATION


def _message(content):
    return (json.dumps(content, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
            + "\n").encode()


def points(earned, maximum):
    """`"X/Y"`: the fraction `earned / maximum`, capped at 1, in whole numbers (hundredths)."""
    if not maximum:
        return "0/1"
    numerator, denominator = round(min(earned, maximum) * 100), round(maximum * 100)
    divisor = math.gcd(numerator, denominator)
    return f"{numerator // divisor}/{denominator // divisor}"


def _unit_test(item, reason):
    return _message({"tag": "unit-test", "results": [{
        "id": item.part.id,
        "name": item.part.title,
        "testCases": [{"name": item.check.name,
                       "status": STATUS.get(item.status, "failure"),
                       "description": f"{item.check.id}: {item.points:.4g} / "
                                      f"{item.max_points:g} points",
                       "weight": item.max_points,
                       "reason": reason}],
    }]})


def results(report, upload=None):
    """The messages (bytes): one `unit-test` per check, then the points."""
    report = visibility.shown_checks(report, HIDES_CHECKS)
    messages = [fit(lambda texts, item=item: _unit_test(item, texts[0]), [check_output(item)],
                    MESSAGE_LIMIT) for item in report.checks]
    maximum = report.max_score or report.max_bonus
    messages.append(_message({"tag": "points",
                              "points": points(report.score + report.bonus, maximum)}))
    return b"".join(messages)


def error(details, seconds, parts):
    """A failed `Autograder error` test and no points, for a failed grader."""
    failure = fit(lambda texts: _message({"tag": "unit-test", "results": [{
        "id": "autograder", "name": "Autograder",
        "testCases": [{"name": "Autograder error", "status": "failure",
                       "reason": f"{FAILED}\n{texts[0]}"}]}]}), [details], MESSAGE_LIMIT)
    return failure + _message({"tag": "points", "points": "0/1"})


def write(data, destination):
    """Writes the messages in one go to the channel (`/dev/fd/3`), or to the file `destination`."""
    files.write(destination, data)
