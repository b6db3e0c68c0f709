"""Regenerate stencil/ from the markers in assignment/solution/ (--check: fail if it is stale).

The stencil holds the modules of the course's parts (`--course FILE`, see
`autograder.course`), with the TODO ids in the course's numbering.
"""

import sys
from pathlib import Path

from assignment.implementation import SOLUTION_DIR, STENCIL_DIR
from autograder.commands import add_course_argument, course_of
from autograder.course import CourseError
from autograder.stencil import MarkerError, build_stencil
from autograder.worker.signatures import STENCIL_API

FIX = "run python -m autograder build-stencil"


def add_arguments(parser):
    """Declare the options of ``build-stencil``."""
    parser.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 if the stencil differs from what would be generated",
    )
    parser.add_argument(
        "--solution", type=Path, default=SOLUTION_DIR,
        help="directory of solution modules with markers (default: assignment/solution)",
    )
    parser.add_argument(
        "--stencil", type=Path, default=STENCIL_DIR,
        help="directory of generated student files (default: stencil)",
    )
    add_course_argument(parser)


def _shown(path):
    """``path`` relative to the working directory when it lies below it."""
    path = Path(path).absolute()
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _is_course_solution(args):
    """Whether `--solution` is the course's solution, whose signatures the grader keeps."""
    return Path(args.solution).resolve() == SOLUTION_DIR.resolve()


def _problem(name, args):
    """Why the stencil file ``name`` differs from the generated one."""
    if name == STENCIL_API.name:
        return "is out of date"
    if not (args.solution / name).is_file():
        return "has no solution counterpart"
    if not (args.stencil / name).is_file():
        return "is missing"
    return "is out of date"


def run(args):
    """Build (or with ``--check`` verify) the stencil; return the exit status."""
    course = course_of(args, "build-stencil")
    if course is None:
        return 2
    try:
        changed = build_stencil(args.solution, args.stencil, check=args.check,
                                api_path=STENCIL_API if _is_course_solution(args) else None,
                                course=course)
    except (CourseError, MarkerError, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    if not changed:
        print(f"{_shown(args.stencil)}/ is up to date")
        return 0
    for name in changed:
        target = _shown(STENCIL_API if name == STENCIL_API.name else args.stencil / name)
        if args.check:
            print(f"{target} {_problem(name, args)}: {FIX}", file=sys.stderr)
        elif (args.solution / name).is_file() or name == STENCIL_API.name:
            print(f"wrote {target}")
        else:
            print(f"removed {target} (no solution counterpart)")
    return 1 if args.check else 0
