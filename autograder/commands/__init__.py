"""The subcommands of ``python -m autograder``, one module each.

A command module has a one-line docstring (its ``--help`` summary) and exposes
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status). Modules
are imported to build the parser for every command, so they import TensorFlow,
Keras and student code only inside ``run``. Register a new module in
``autograder.cli.COMMANDS``.
"""

import sys


def outside_course_repository(command):
    """Whether `command` runs outside the course repository (no solution); says so on stderr.

    The staff commands grade, package or release the reference solution, which
    only the course repository has (a student bundle or a package does not).
    """
    from assignment.implementation import SOLUTION_DIR

    if SOLUTION_DIR.is_dir():
        return False
    print(f"{command}: run it in the course repository (assignment/solution/ is missing).",
          file=sys.stderr)
    return True


def add_course_argument(parser):
    """Declare `--course FILE` (see `autograder.course`)."""
    from pathlib import Path

    parser.add_argument("--course", type=Path, metavar="FILE",
                        help="the course file: which parts are assigned, their points, which "
                             "are bonus (default: $AUTOGRADER_COURSE, else course.toml)")


def add_lanes_argument(parser):
    """Declare `--lanes N`: how many parts are graded side by side."""
    from assignment.train import positive_int

    parser.add_argument("--lanes", type=positive_int, metavar="N",
                        help="grade N parts side by side, each on a share of the CPUs (default: "
                             "one per CPU, as the memory allows; 1: one after the other)")


def course_of(args, command):
    """The `Course` of `args.course`, or None after saying on stderr why it cannot be read."""
    from autograder.course import CourseError, load_course

    try:
        return load_course(args.course)
    except CourseError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return None
