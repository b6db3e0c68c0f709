"""`python -m assignment.figures`: draws every lecture figure (see `cli.py`)."""

import sys

from assignment.figures.cli import main
from assignment.quiet import quiet_tensorflow

quiet_tensorflow()
sys.exit(main())
