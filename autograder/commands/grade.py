"""Grade a directory of student files: a table of checks, points and feedback (and results.json)."""

import sys
import time
import traceback
from pathlib import Path

from autograder.rubric import RUBRIC, parts


def add_arguments(parser):
    """Declare the options of ``grade``."""
    parser.add_argument("directory", type=Path,
                        help="folder of the student's files, e.g. stencil")
    parser.add_argument("--all", dest="include_hidden", action="store_true",
                        help="also grade the checks shown after the due date")
    parser.add_argument("-q", "--part", dest="parts", action="extend", nargs="+", metavar="PART",
                        help=f"grade only these parts: {', '.join(part.id for part in RUBRIC)}")
    parser.add_argument("--results", type=Path, metavar="PATH",
                        help="write Gradescope's results.json to PATH")
    parser.add_argument("--seed", type=int, default=0, help="base seed of every check (default 0)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="full feedback, tracebacks of autograder errors, workers' output")


def _refuse(args, message, started):
    """Reports a bad argument on one line (and in results.json when asked); returns 2."""
    from autograder.report import error_results, write_results

    print(f"grade: {message}", file=sys.stderr)
    if args.results:
        write_results(args.results, error_results(message, time.monotonic() - started))
    return 2


def run(args):
    """Grade, print the table, write the results; return 0 when grading ran (any score)."""
    from autograder.report import error_results, format_table, results_json, write_results
    from autograder.runner import SECRETS, grade

    started = time.monotonic()
    if not args.directory.is_dir():
        return _refuse(args, f"{args.directory} is not a directory.", started)
    try:
        parts(args.parts)
    except ValueError as error:
        return _refuse(args, str(error), started)
    secrets = SECRETS + ((args.results.absolute().parent,) if args.results else ())
    try:
        report = grade(args.directory, args.parts, args.include_hidden, args.seed, secrets=secrets)
        print(format_table(report, verbose=args.verbose))
        if args.results:
            write_results(args.results, results_json(report))
    except Exception:  # noqa: BLE001  (the grader's own failure still yields valid results)
        details = traceback.format_exc()
        print(details, file=sys.stderr)
        if args.results:
            write_results(args.results, error_results(details, time.monotonic() - started))
        return 1
    return 0
