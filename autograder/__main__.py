"""Entry point of ``python -m autograder``."""

from assignment.quiet import quiet_tensorflow
from autograder.cli import main

quiet_tensorflow()
raise SystemExit(main())
