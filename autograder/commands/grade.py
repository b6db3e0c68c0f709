"""Grade a directory of student files: a table of checks, points, feedback; a service's results.

The table goes to standard output: every check's points and status, and the
whole feedback of each check that did not pass. With `--format` (or
`--results`, Gradescope's by default) the results are also written in the
format a grading service reads (`autograder.formats`), where it reads them:
once, whole, valid even when the grader fails itself. When they go to
standard output (Autolab's autoresult, or `--results -`), nothing else does.
Into a file they are written by a supervisor (`autograder.supervisor`) that
grades in a child process: if that process dies, the results still come out,
with what was graded before.

`--collect` grades an upload as a student made it (a folder or a `.zip`,
flat or nested): the module files found in it, and notes on what was found.
The notes for the course staff (e.g. that student code could not be run as
another user) are shown with `--staff` or `--all`.
"""

import dataclasses
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from autograder.commands import add_course_argument, add_lanes_argument
from autograder.course import CourseError, load_course
from autograder.formats import SERVICES
from autograder.rubric import RUBRIC, parts
from autograder.supervisor import PROGRESS_VARIABLE

# Destinations that are streams, not files whose folder must be kept from student code.
STREAMS = ("-", "/dev/fd/")


def add_arguments(parser):
    """Declare the options of ``grade``."""
    parser.add_argument("directory", type=Path,
                        help="folder of the student's files, e.g. stencil (with --collect: "
                             "an upload, a folder or a .zip)")
    parser.add_argument("--all", dest="include_hidden", action="store_true",
                        help="also grade the checks shown after the due date")
    parser.add_argument("-q", "--part", dest="parts", action="extend", nargs="+", metavar="PART",
                        help=f"grade only these parts: {', '.join(part.id for part in RUBRIC)}")
    parser.add_argument("--format", choices=SERVICES,
                        help="also write the results for this grading service "
                             "(default with --results: gradescope)")
    parser.add_argument("--results", metavar="PATH",
                        help="where to write the results (default: where the service reads "
                             "them; - for standard output)")
    parser.add_argument("--collect", action="store_true",
                        help="grade the module files found in the upload DIRECTORY "
                             "(nested folders or a .zip), as the grading services do")
    parser.add_argument("--staff", action="store_true",
                        help="show the notes for the course staff (--all shows them too)")
    parser.add_argument("--seed", type=int,
                        help="base seed of every check (default: 0, or the course's secret in "
                             "a grading service's package)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="add what the code printed, each part's memory use and the "
                             "tracebacks of autograder errors")
    add_lanes_argument(parser)
    add_course_argument(parser)


def _is_stream(destination):
    return destination == STREAMS[0] or destination.startswith(STREAMS[1])


def _grade(args, course, selected, secrets):
    """The `GradeReport`, and the `Collected` of the upload (None without `--collect`)."""
    from autograder.course import student_modules
    from autograder.runner import grade
    from autograder.services.submission import Collected, SubmissionError, collect
    from autograder.supervisor import save_progress

    if not args.collect:
        return grade(args.directory, args.parts, args.include_hidden, args.seed,
                     rubric=course.rubric, secrets=secrets, on_part=save_progress,
                     dataset=course.dataset, lanes=args.lanes), None
    modules = tuple(name for name in student_modules()
                    if any(name in part.modules for part in selected))
    with tempfile.TemporaryDirectory(prefix="upload-") as temporary:
        files = Path(temporary)
        try:
            upload = collect(args.directory, files, modules)
        except SubmissionError as error:
            missing = ", ".join(f"{name}.py" for name in modules)
            upload = Collected({}, (str(error), f"Missing: {missing}."), modules)
        report = grade(files, args.parts, args.include_hidden, args.seed, rubric=course.rubric,
                       secrets=secrets, on_part=save_progress, dataset=course.dataset,
                       lanes=args.lanes)
    return dataclasses.replace(report, directory=str(args.directory)), upload


def _supervise(args, writer, destination, selected, started):
    """Grades in a child process and writes valid results even if that process dies."""
    from autograder.supervisor import report_after_failure, supervise

    def write_report(status, progress):
        report = report_after_failure(args.directory, selected, args.include_hidden, progress,
                                      status, time.monotonic() - started)
        print(f"grade: {report.notes[-1]} The results hold what was graded before that.",
              file=sys.stderr)
        writer.write(writer.results(report), destination)

    return supervise(args.argv, destination, write_report)


def run(args):
    """Grade, print the table, write the results; return 0 when grading ran (any score)."""
    from autograder.checks.expectations import ExpectationsMissing
    from autograder.formats import files, service
    from autograder.formats.terminal import format_table
    from autograder.runner import SECRETS

    started = time.monotonic()
    writer = destination = None
    if args.format or args.results:
        writer = service(args.format or "gradescope")
        try:
            destination = writer.resolve_destination(args.results)
        except ValueError as error:
            print(f"grade: {error}", file=sys.stderr)
            return 2
        files.keep_streams_private()

    def fail(message, status, selected=RUBRIC):
        print(message, file=sys.stderr)
        if writer:
            writer.write(writer.error(message, time.monotonic() - started, selected), destination)
        return status

    if args.collect and not args.directory.exists():
        return fail(f"grade: there is no upload {args.directory}.", 2)
    if not args.collect and not args.directory.is_dir():
        return fail(f"grade: {args.directory} is not a directory.", 2)
    try:
        course = load_course(args.course)
    except CourseError as error:
        return fail(f"grade: {error}", 2)
    try:
        selected = parts(args.parts, course.rubric)
    except ValueError as error:
        return fail(f"grade: {error}", 2, course.rubric)
    secrets = SECRETS
    if writer and not _is_stream(destination):
        folder = Path(destination).absolute().parent
        folder.mkdir(parents=True, exist_ok=True)
        secrets += (folder,)
        if getattr(args, "argv", None) and PROGRESS_VARIABLE not in os.environ:
            return _supervise(args, writer, destination, selected, started)
    try:
        report, upload = _grade(args, course, selected, secrets)
        table = format_table(report, verbose=args.verbose, notes=args.staff or args.include_hidden,
                             upload=upload, command_hints=True)
        data = writer.results(report, upload) if writer else None
    except ExpectationsMissing as error:
        return fail(f"grade: {error}", 2, selected)
    except Exception:  # noqa: BLE001  (the grader's own failure still yields valid results)
        return fail(traceback.format_exc(), 1, selected)
    if destination != STREAMS[0]:
        print(table, flush=True)
    if writer:
        writer.write(data, destination)
    return 0
