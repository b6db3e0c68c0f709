"""The subcommands of ``python -m autograder``, one module each.

A command module has a one-line docstring (its ``--help`` summary) and exposes
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status). Modules
are imported to build the parser for every command, so they import TensorFlow,
Keras and student code only inside ``run``. Register a new module in
``autograder.cli.COMMANDS``.
"""
