"""Command line of the autograder: ``python -m autograder COMMAND [options]``.

Each command is a module of :mod:`autograder.commands` registered in
``COMMANDS`` (see that package for what a command module provides).
"""

import argparse
import importlib
import sys

COMMANDS = (
    ("build-stencil", "autograder.commands.build_stencil"),
    ("grade", "autograder.commands.grade"),
    ("rubric", "autograder.commands.rubric"),
    ("selftest", "autograder.commands.selftest"),
    ("package", "autograder.commands.package"),
    ("release", "autograder.commands.release"),
    ("batch", "autograder.commands.batch"),
    ("container", "autograder.commands.container"),
)


def build_parser():
    """The argument parser, with one subparser per registered command."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grade, check and package the autoencoder assignment.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS:
        module = importlib.import_module(module_name)
        # argparse formats help texts with %: a literal percent sign must be doubled.
        summary = (module.__doc__ or "").strip().split("\n")[0].replace("%", "%%") or None
        command = subparsers.add_parser(name, help=summary, description=summary)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command, return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    return args.run(args)
