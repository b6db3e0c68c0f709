"""The gradebook of `batch`: its CSV rows, feedback folder and class report; merging shards.

A gradebook is a CSV file, one row per submission (`student`, `score`,
`max_score`, the points of each graded part, `status`, `notes`), a feedback
folder beside it named after it (`grades.csv` -> `grades-feedback/`, with
`<student>.txt` and `<student>.json` for each), and the class report made
from those results (`grades-report.md`, `grades-mistakes.png`). Every file is
written atomically. `merge` joins the gradebooks of shards graded apart (e.g.
the tasks of a job array) into one, as if graded at once.
"""

import csv
import io
import json
from pathlib import Path

from autograder.formats.files import write_file

GRADED = "graded"
ERROR = "error"


def columns(part_ids):
    """The CSV columns of a gradebook of the parts `part_ids`."""
    return ["student", "score", "max_score", *part_ids, "status", "notes"]


def feedback_folder(gradebook):
    """The default feedback folder of the CSV file `gradebook`: beside it, named after it."""
    gradebook = Path(gradebook)
    return gradebook.with_name(f"{gradebook.stem}-feedback")


def report_files(gradebook):
    """The class report's Markdown file and figure, beside `gradebook`, named after it."""
    gradebook = Path(gradebook)
    return gradebook.with_name(f"{gradebook.stem}-report.md"), \
        gradebook.with_name(f"{gradebook.stem}-mistakes.png")


def write_rows(gradebook, fieldnames, rows):
    """Writes `rows` (dicts) sorted by student as the CSV file `gradebook`, atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames)
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda row: row["student"]))
    write_file(gradebook, text.getvalue().encode())


def read_rows(gradebook):
    """`(fieldnames, rows)` of the CSV file `gradebook`."""
    with open(gradebook, newline="") as file:
        reader = csv.DictReader(file)
        return reader.fieldnames, list(reader)


def write_class_report(gradebook, feedback, rows):
    """Writes the class report of `rows` from their results in `feedback`.

    Returns:
        The `class_report.ClassReport`, and the paths of its Markdown file and figure.
    """
    from autograder.class_report import class_report, markdown, plot

    results = {row["student"]: json.loads((Path(feedback) / f"{row['student']}.json").read_text())
               for row in rows if row["status"] == GRADED}
    report = class_report(results, errors=sum(row["status"] == ERROR for row in rows))
    text, figure = report_files(gradebook)
    write_file(figure, plot(report))
    write_file(text, markdown(report, Path(gradebook).name, figure.name).encode())
    return report, text, figure


def merge(gradebooks, gradebook, feedback):
    """Joins the gradebooks `gradebooks` (CSV paths) into `gradebook`, and their feedback.

    The feedback folder of each is the default one (`feedback_folder`); `feedback` receives it all.

    Returns:
        The merged rows.

    Raises:
        ValueError: when the gradebooks have different columns (other parts
            graded) or share a student.
    """
    fieldnames, merged, seen = None, [], {}
    for shard in gradebooks:
        names, rows = read_rows(shard)
        if fieldnames is not None and names != fieldnames:
            raise ValueError(f"{shard} has the columns {', '.join(names)}, not "
                             f"{', '.join(fieldnames)}: grade every shard with the same parts.")
        fieldnames = names
        for row in rows:
            if row["student"] in seen:
                raise ValueError(f"{row['student']} is in both {seen[row['student']]} and {shard}.")
            seen[row["student"]] = shard
        merged += rows
    for shard in gradebooks:
        for path in sorted(feedback_folder(shard).glob("*")):
            write_file(Path(feedback) / path.name, path.read_bytes())
    write_rows(gradebook, fieldnames, merged)
    return merged
