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
