"""Validate the autograder: the solution gets every point, the stencil none, twice identically.

`selftest` grades, with every check (`--all`) of the course's rubric
(`--course FILE`, see `autograder.course`), the reference solution and the
course's stencil generated from it, each twice with the same seed, and fails
when

- a check of the solution does not pass fully (bonus included);
- the stencil earns a point: the rubric declares no free points, so every
  check must fail on the stencil (with its TODO, or not graded);
- a check ends in an autograder error, on either;
- the second run of either differs from the first in any status, points,
  expected value, value got, feedback, diagnosis or leaderboard metric;
- `stencil/` is not what `build-stencil` generates from the solution for
  the repository's course file (`course.toml`, or `$AUTOGRADER_COURSE`).

It prints one line per run and, on failure, one line per difference.
"""

import sys
import tempfile
import time
from pathlib import Path

from autograder.commands import add_course_argument, course_of, outside_course_repository
from autograder.rubric import RUBRIC, parts

RUNS = 2


def add_arguments(parser):
    """Declare the options of ``selftest``."""
    parser.add_argument("-q", "--part", "--parts", dest="parts", action="extend", nargs="+",
                        metavar="PART",
                        help=f"test only these parts: {', '.join(part.id for part in RUBRIC)}")
    parser.add_argument("--seed", type=int, default=0, help="base seed of every check (default 0)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print the table of every run")
    add_course_argument(parser)


def fingerprint(report):
    """What must be identical between two runs: check id -> its outcome, without timings."""
    return {item.check.id: {"status": item.status, "points": item.points,
                            "expected": item.expected, "got": item.got,
                            "feedback": item.feedback, "diagnosis": item.diagnosis,
                            "leaderboard": item.leaderboard}
            for item in report.checks}


def differences(name, first, second):
    """One line per field that differs between two fingerprints of the run of `name`."""
    lines = []
    for check_id in sorted(set(first) | set(second)):
        one, two = first.get(check_id, {}), second.get(check_id, {})
        for field in sorted(set(one) | set(two)):
            if one.get(field) != two.get(field):
                lines.append(f"{name}: {check_id} {field} differs between runs: "
                             f"{one.get(field)!r} then {two.get(field)!r}")
    return lines


def wrong_scores(name, report, full_marks):
    """One line per check of `report` that does not score as it must.

    Args:
        name: what was graded, for the messages.
        report: a `runner.GradeReport`.
        full_marks: True when every check must pass fully (the solution),
            False when every check must earn nothing (the stencil).
    """
    from autograder.runner import ERROR, PASSED

    lines = []
    for item in report.checks:
        right = item.status == PASSED if full_marks else item.points == 0
        if item.status == ERROR or not right:
            line = (f"{name}: {item.check.id} {item.status}, {item.points:.4g} / "
                    f"{item.max_points:g}: {item.feedback}")
            details = "; ".join(f"{label} {text}" for label, text in
                                (("expected", item.expected), ("got", item.got)) if text)
            lines.append(f"{line} ({details})" if details else line)
    return lines


def summary(name, run, report):
    """One line: the run's score, bonus and time, and its workers' peak memory."""
    peak = max((part.peak_memory_mb for part in report.parts), default=0.0)
    bonus = f" + bonus {report.bonus:.4g} / {report.max_bonus:g}" if report.max_bonus else ""
    return (f"  {name:<8} run {run}: {report.score:.4g} / {report.max_score:g}{bonus} "
            f"in {report.seconds:.1f} s (workers' peak memory {peak:.0f} MB)")


def run(args):
    """Grade the solution and the stencil twice; return 0 when everything is as it must be."""
    from assignment.implementation import SOLUTION_DIR, STENCIL_DIR
    from autograder.course import load_course
    from autograder.formats.terminal import format_table
    from autograder.runner import grade
    from autograder.stencil import build_stencil
    from autograder.worker.signatures import STENCIL_API

    course = course_of(args, "selftest")
    if course is None:
        return 2
    try:
        parts(args.parts, course.rubric)
    except ValueError as error:
        print(f"selftest: {error}", file=sys.stderr)
        return 2
    if outside_course_repository("selftest"):
        return 1
    started = time.monotonic()
    repository = load_course()  # stencil/ is the stencil of the repository's course file
    problems = [f"stencil/{name} is not what build-stencil generates from the solution for "
                f"{repository.path}" for name in build_stencil(
                    SOLUTION_DIR, STENCIL_DIR, check=True, api_path=STENCIL_API,
                    course=repository)]
    print(f"selftest: solution and generated stencil, every check of {course.path}, "
          f"seed {args.seed}, {RUNS} runs each")
    notes = set()
    with tempfile.TemporaryDirectory(prefix="selftest-") as temporary:
        stencil = Path(temporary) / "stencil"
        build_stencil(SOLUTION_DIR, stencil, course=course)
        for name, directory, full_marks in (("solution", SOLUTION_DIR, True),
                                            ("stencil", stencil, False)):
            prints = []
            for number in range(1, RUNS + 1):
                report = grade(directory, args.parts, include_hidden=True, seed=args.seed,
                               rubric=course.rubric, dataset=course.dataset)
                print(summary(name, number, report), flush=True)
                if args.verbose:
                    print(format_table(report, verbose=True))
                notes.update(report.notes)
                prints.append(fingerprint(report))
                if number == 1:
                    problems += wrong_scores(name, report, full_marks)
            for later in prints[1:]:
                problems += differences(name, prints[0], later)
    for note in sorted(notes):
        print(f"Note: {note}")
    elapsed = time.monotonic() - started
    if problems:
        print(f"selftest FAILED in {elapsed:.0f} s:", *problems, sep="\n  ")
        return 1
    print(f"selftest passed in {elapsed:.0f} s: the solution gets every point, the stencil none, "
          "and every run gave the same results.")
    return 0
