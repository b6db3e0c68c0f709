"""Autolab's autoresult (autolab/docs, docs/lab.md and docs/features.md; autolab/Tango).

Autolab runs `make` and keeps what it printed, standard output and error
together, as the feedback students read. The last line must be the
autoresult, `{"scores": {"<problem>": points, ...}, "scoreboard": [...]}`,
with one problem per graded part, named after the part's id; the line before
it is the semantic presentation, `{"_presentation": "semantic", "stages":
[...], ...}`, one stage per part with each check's `passed` and `hint`.
Before both comes the table of `python -m autograder grade`.

Tango keeps 1000 KiB of the output (it cuts out the middle beyond that), so
the writer keeps all of it under `SIZE_LIMIT`, leaving room for what `make`
and Tango's driver print: the feedback texts are shortened, all to one common
length, until it fits. Autolab parses the last line after quoting every
`word:`, so the autoresult holds no text, only part ids and numbers.

Students read the feedback at once, so the checks that the rubric shows after
the due date are left out.
"""

import dataclasses
import json

from autograder.formats import files, visibility
from autograder.formats.terminal import format_table
from autograder.formats.text import fit

NAME = "autolab"
HIDES_CHECKS = False
DESTINATION = "-"
# Tango's MAX_OUTPUT_FILE_SIZE is 1000 KiB; this leaves 24 KiB to make's and Tango's lines.
SIZE_LIMIT = 1000 * 1024 - 24 * 1024
TABLE_WIDTH = 100
FAILED = "The autograder failed; this is not your fault. Please tell the course staff."


def resolve_destination(results):
    """Where the autoresult goes: `results`, else standard output (`-`)."""
    return str(results or DESTINATION)


def _part_points(report):
    points = {part.part.id: 0.0 for part in report.parts}
    for item in report.checks:
        points[item.part.id] += item.points
    return {part: round(value, 2) for part, value in points.items()}


def autoresult(scores):
    """The autoresult line (no newline) for `scores`, part id -> points."""
    return json.dumps({"scores": scores, "scoreboard": [round(sum(scores.values()), 2)]},
                      allow_nan=False)


def _presentation(report):
    stages = [part.part.title for part in report.parts]
    presentation = {"_presentation": "semantic", "stages": stages,
                    "_scores_order": [part.part.id for part in report.parts]}
    for part in report.parts:
        presentation[part.part.title] = {
            item.check.name: {"passed": item.points == item.max_points, "hint": item.feedback}
            for item in report.checks if item.part is part.part}
    return json.dumps(presentation, allow_nan=False)


def results(report, upload=None):
    """The output (bytes): the table, the presentation line, the autoresult line."""
    report = visibility.shown_checks(report, HIDES_CHECKS)
    fields = ("feedback", "expected", "got")
    texts = [getattr(item, field) for item in report.checks for field in fields]
    scores = _part_points(report)

    def build(shortened):
        values = iter(shortened)
        checks = tuple(dataclasses.replace(item, **{field: next(values) for field in fields})
                       for item in report.checks)
        shown = dataclasses.replace(report, checks=checks)
        text = "\n".join([format_table(shown, width=TABLE_WIDTH, upload=upload), "",
                          _presentation(shown), autoresult(scores)])
        return (text + "\n").encode()

    return fit(build, texts, SIZE_LIMIT)


def error(details, seconds, parts):
    """The output for a failed grader: the message, `details`, and zero for each part."""
    scores = {part.id: 0.0 for part in parts}
    return fit(lambda texts: f"{FAILED}\n{texts[0]}\n{autoresult(scores)}\n".encode(),
               [details], SIZE_LIMIT)


def write(data, destination):
    """Prints the output last on standard output (`-`), or writes it to the file `destination`."""
    files.write(destination, data)
