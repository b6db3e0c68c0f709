"""Entry point of the sandboxed worker: ``python -m autograder.worker CONFIG``."""

import sys

from assignment.quiet import quiet_tensorflow
from autograder.worker.runtime import main

# Before any probe module imports TensorFlow: its start-up chatter stays out of the output the
# grader captures, real warnings and errors stay in.
quiet_tensorflow()
raise SystemExit(main(sys.argv[1:]))
