"""Entry point of the sandboxed worker: ``python -m autograder.worker CONFIG``."""

import sys

from autograder.worker.runtime import main

raise SystemExit(main(sys.argv[1:]))
