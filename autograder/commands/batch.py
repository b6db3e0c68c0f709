"""Grade a folder of submissions in parallel: a CSV gradebook, feedback files, a class report.

Each entry of SUBMISSIONS is one student's submission, named after it: a
folder (as exported from Gradescope, or any folder holding the student's
files, nested or not) or a `.zip` file. The module files are found in it as on
the grading services (`autograder.services.submission`) and graded, with
every check unless `--visible-only`, by a `python -m autograder grade`
process of its own, `--jobs` at a time (then each grades its parts one after the
other, `grade --lanes 1`).

Outputs (`autograder.gradebook`):

- the CSV gradebook, one row per submission, sorted by student: `student`,
  `score` (bonus included, as on Gradescope), `max_score` (without the
  bonus), the points of each graded part, `status` (`graded`, or `error` when
  the submission could not be read or the grader failed) and `notes` (files
  missing or left out, the error);
- in the feedback folder, for each student, `<student>.txt` (the notes and
  the terminal table with the whole feedback, as `grade --verbose` prints it)
  and `<student>.json` (Gradescope's results.json);
- the class report beside the gradebook: `<gradebook>-report.md` and
  `<gradebook>-mistakes.png`, how many students lost points on each check and
  how often each classic mistake was made.

A submission that cannot be graded still gets its row, with status `error`.

Many machines: `--shard I/N` grades the I-th of N slices of the submissions
(sorted by student), e.g. one per task of a job array, each into a gradebook
of its own; `batch merge SHARD.csv ... --csv grades.csv` then joins them (their
rows, their feedback folders) and writes the class report of the whole.
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.commands import add_course_argument, course_of
from autograder.gradebook import ERROR, GRADED
from autograder.rubric import RUBRIC, parts as rubric_parts

MERGE = "merge"
# The width of the feedback tables (the grade processes write to pipes, not terminals).
TABLE_COLUMNS = "120"


def add_arguments(parser):
    """Declare the options of ``batch``."""
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSIONS",
                        help="folder with one folder or .zip per submission; or `merge` and the "
                             "shards' CSV gradebooks to join")
    parser.add_argument("--csv", type=Path, default=Path("grades.csv"),
                        help="the gradebook to write (default: grades.csv)")
    parser.add_argument("--feedback", type=Path, metavar="DIR",
                        help="folder of the feedback files (default: beside the CSV, "
                             "named after it: grades-feedback/)")
    parser.add_argument("-j", "--jobs", type=int, default=1,
                        help="submissions graded at once (default 1; each needs a CPU core "
                             "and the memory of one grading run)")
    parser.add_argument("--shard", metavar="I/N",
                        help="grade only the I-th of N equal slices of the submissions, "
                             "sorted by student (I from 1 to N)")
    parser.add_argument("-q", "--part", dest="parts", action="extend", nargs="+", metavar="PART",
                        help=f"grade only these parts: {', '.join(part.id for part in RUBRIC)}")
    parser.add_argument("--visible-only", action="store_true",
                        help="grade only the checks shown before the due date")
    parser.add_argument("--seed", type=int, default=0, help="base seed of every check (default 0)")
    add_course_argument(parser)


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


def shard(submissions, spec):
    """The `I/N` slice `spec` of `submissions` (student -> path), in the order of the students.

    Raises:
        ValueError: for a `spec` that is not `I/N` with 1 <= I <= N.
    """
    match = re.fullmatch(r"(\d+)/(\d+)", spec or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard {spec} is not I/N with 1 <= I <= N (e.g. 3/8).")
    index, count = int(match[1]) - 1, int(match[2])
    students = sorted(submissions)
    chosen = students[index * len(students) // count:(index + 1) * len(students) // count]
    return {student: submissions[student] for student in chosen}


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
    from assignment.implementation import REPO_ROOT
    from autograder.course import student_modules
    from autograder.services.submission import SubmissionError, collect

    row = {"student": student, "status": ERROR}
    modules = [name for name in student_modules() if any(name in part.modules for part in parts)]
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
    if results_path.is_file():  # also when the grading process died: what it graded before
        row.update(scores_of(json.loads(results_path.read_text()), parts),
                   status=GRADED if graded.returncode == 0 else ERROR)
    return {**row, "notes": " ".join(notes)}


def _finish(args, feedback, rows):
    """Writes the class report of `rows`; prints where everything is and the staff notes."""
    from autograder.gradebook import write_class_report

    report, text, figure = write_class_report(args.csv, feedback, rows)
    print(f"Wrote {args.csv} ({len(rows)} submissions, {report.errors} with errors), the "
          f"feedback in {feedback}/ and the class report {text} ({figure.name}).")
    for note in report.notes:
        print(f"Note: {note}")


def merge(args, gradebooks):
    """`batch merge`: joins the shards' gradebooks into `--csv`; returns the exit status."""
    from autograder.gradebook import feedback_folder, merge as merge_gradebooks

    missing = [str(path) for path in gradebooks if not path.is_file()]
    if missing:
        print(f"batch merge: no gradebook {', '.join(missing)}.", file=sys.stderr)
        return 2
    feedback = args.feedback or feedback_folder(args.csv)
    try:
        rows = merge_gradebooks(gradebooks, args.csv, feedback)
    except ValueError as error:
        print(f"batch merge: {error}", file=sys.stderr)
        return 2
    _finish(args, feedback, rows)
    return 0


def run(args):
    """Grade every submission (or merge gradebooks); return 0 once the gradebook is written."""
    from autograder.gradebook import columns, feedback_folder, write_rows

    if args.submissions[0] == MERGE and len(args.submissions) > 1:
        return merge(args, [Path(name) for name in args.submissions[1:]])
    if len(args.submissions) != 1:
        print("batch: give one SUBMISSIONS folder, or merge and the shards' gradebooks.",
              file=sys.stderr)
        return 2
    folder = Path(args.submissions[0])
    if not folder.is_dir():
        print(f"batch: {folder} is not a folder.", file=sys.stderr)
        return 2
    course = course_of(args, "batch")
    if course is None:
        return 2
    try:
        parts = rubric_parts(args.parts, course.rubric)
        submissions = find_submissions(folder)
        if args.shard:
            submissions = shard(submissions, args.shard)
    except ValueError as error:
        print(f"batch: {error}", file=sys.stderr)
        return 2
    if not submissions and not args.shard:
        print(f"batch: {folder} holds no folder and no .zip file.", file=sys.stderr)
        return 2
    feedback = args.feedback or feedback_folder(args.csv)
    feedback.mkdir(parents=True, exist_ok=True)
    # Several submissions at once share the CPUs already: each grades its parts one at a time.
    options = ["--seed", str(args.seed), "--course", str(course.path.absolute()),
               *([] if args.visible_only else ["--all"]),
               *(["-q", *args.parts] if args.parts else []),
               *(["--lanes", "1"] if args.jobs > 1 else [])]
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
    write_rows(args.csv, columns([part.id for part in parts]), rows)
    _finish(args, feedback, rows)
    return 0
