"""`python -m assignment.figures`: draws every lecture figure (see `cli.py`)."""

import sys

from assignment.figures.cli import main

sys.exit(main())
