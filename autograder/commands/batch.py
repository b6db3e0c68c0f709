"""Grade a folder of submissions in parallel into a CSV gradebook and one feedback file each.

Each entry of SUBMISSIONS is one student's submission, named after it: a
folder (as exported from Gradescope, or any folder holding the student's
files, nested or not) or a `.zip` file. The module files are found in it as on
Gradescope (`autograder.gradescope.submission`) and graded, with every check
unless `--visible-only`, by a `python -m autograder grade` process of its own,
`--jobs` at a time.

Outputs:

- the CSV gradebook, one row per submission, sorted by student: `student`,
  `score` (bonus included, as on Gradescope), `max_score` (without the
  bonus), the points of each graded part, `status` (`graded`, or `error` when
  the submission could not be read or the grader failed) and `notes` (files
  missing or left out, the error);
- in the feedback folder, for each student, `<student>.txt` (the notes and
  the terminal table with the whole feedback, as `grade --verbose` prints it)
  and `<student>.json` (Gradescope's results.json).

A submission that cannot be graded still gets its row, with status `error`.
"""

import concurrent.futures
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.rubric import RUBRIC, parts as rubric_parts

GRADED = "graded"
ERROR = "error"
# The width of the feedback tables (the grade processes write to pipes, not terminals).
TABLE_COLUMNS = "120"


def add_arguments(parser):
    """Declare the options of ``batch``."""
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="folder with one folder or .zip per submission")
    parser.add_argument("--csv", type=Path, default=Path("grades.csv"),
                        help="the gradebook to write (default: grades.csv)")
    parser.add_argument("--feedback", type=Path, metavar="DIR",
                        help="folder of the feedback files (default: beside the CSV, "
                             "named after it: grades-feedback/)")
    parser.add_argument("-j", "--jobs", type=int, default=1,
                        help="submissions graded at once (default 1; each needs a CPU core "
                             "and the memory of one grading run)")
    parser.add_argument("-q", "--part", dest="parts", action="extend", nargs="+", metavar="PART",
                        help=f"grade only these parts: {', '.join(part.id for part in RUBRIC)}")
    parser.add_argument("--visible-only", action="store_true",
                        help="grade only the checks shown before the due date")
    parser.add_argument("--seed", type=int, default=0, help="base seed of every check (default 0)")


def find_submissions(folder):
    """`{student: path}` of the folders and `.zip` files of `folder` (hidden entries skipped).

    Raises:
        ValueError: when two entries name the same student (`alice/` and `alice.zip`).
    """
    found = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix.lower() == ".zip"):
            continue
        student = path.name if path.is_dir() else path.stem
        if student in found:
            raise ValueError(f"{found[student].name} and {path.name} both name student {student}.")
        found[student] = path
    return found


def columns(parts):
    return ["student", "score", "max_score", *(part.id for part in parts), "status", "notes"]


def scores_of(results, parts):
    """The gradebook fields of a results.json: score, max_score and each part's points."""
    bonus = {part.id for part in parts if part.bonus}
    points = {part.id: 0.0 for part in parts}
    maximum = 0.0
    for test in results["tests"]:
        part = test["number"].split(".")[0]
        points[part] += test["score"]
        maximum += test["max_score"] if part not in bonus else 0.0
    return {"score": results["score"], "max_score": maximum,
            **{part: round(value, 4) for part, value in points.items()}}


def grade_submission(student, path, feedback, options, parts):
    """Grades one submission; writes its feedback files; returns its gradebook row (a dict).

    Args:
        student: the student's name, used for the feedback files.
        path: the submission, a folder or a zip.
        feedback: the feedback folder.
        options: the `grade` options shared by every submission.
        parts: the graded `rubric.Part`s.
    """
    from assignment.implementation import MODULE_NAMES, REPO_ROOT
    from autograder.gradescope.submission import SubmissionError, collect

    row = {"student": student, "status": ERROR}
    modules = [name for name in MODULE_NAMES if any(name in part.modules for part in parts)]
    results_path = feedback / f"{student}.json"
    results_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="batch-") as temporary:
        files = Path(temporary) / student
        files.mkdir()
        try:
            notes = list(collect(path, files, modules).notes)
        except (OSError, SubmissionError) as error:
            (feedback / f"{student}.txt").write_text(f"{student}: {error}\n")
            return {**row, "notes": str(error)}
        environment = {**os.environ, "COLUMNS": TABLE_COLUMNS,
                       "PYTHONPATH": os.pathsep.join(
                           [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        graded = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", student, "--verbose", "--results",
             str(results_path.absolute()), *options],
            cwd=temporary, env=environment, capture_output=True, text=True)
    text = "\n".join([f"Submission {path.name}", *notes, "", graded.stdout.rstrip()])
    if graded.returncode != 0:
        text += "\n" + graded.stderr
        last = graded.stderr.strip().splitlines() or [f"exit status {graded.returncode}"]
        notes.append(f"grader failed: {last[-1]}")
    (feedback / f"{student}.txt").write_text(text.rstrip() + "\n")
    if graded.returncode == 0:
        row.update(scores_of(json.loads(results_path.read_text()), parts), status=GRADED)
    return {**row, "notes": " ".join(notes)}


def run(args):
    """Grade every submission and write the gradebook; return 0 once it is written."""

    if not args.submissions.is_dir():
        print(f"batch: {args.submissions} is not a folder.", file=sys.stderr)
        return 2
    try:
        parts = rubric_parts(args.parts)
        submissions = find_submissions(args.submissions)
    except ValueError as error:
        print(f"batch: {error}", file=sys.stderr)
        return 2
    if not submissions:
        print(f"batch: {args.submissions} holds no folder and no .zip file.", file=sys.stderr)
        return 2
    feedback = args.feedback or args.csv.with_name(f"{args.csv.stem}-feedback")
    feedback.mkdir(parents=True, exist_ok=True)
    options = ["--seed", str(args.seed), *([] if args.visible_only else ["--all"]),
               *(["-q", *args.parts] if args.parts else [])]
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(grade_submission, student, path, feedback, options, parts): student
                   for student, path in submissions.items()}
        for future in concurrent.futures.as_completed(futures):
            student = futures[future]
            try:
                row = future.result()
            except Exception as error:  # noqa: BLE001  (the gradebook still gets the row)
                row = {"student": student, "status": ERROR,
                       "notes": f"batch failed: {type(error).__name__}: {error}"}
            rows.append(row)
            score = (f"{row['score']:g} / {row['max_score']:g}" if row["status"] == GRADED
                     else row["notes"])
            print(f"[{len(rows)}/{len(futures)}] {student}: {row['status']}, {score}", flush=True)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with open(args.csv, "w", newline="") as file:
        writer = csv.DictWriter(file, columns(parts))
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda row: row["student"]))
    errors = sum(row["status"] == ERROR for row in rows)
    print(f"Wrote {args.csv} ({len(rows)} submissions, {errors} with errors) and the feedback "
          f"in {feedback}/.")
    return 0
