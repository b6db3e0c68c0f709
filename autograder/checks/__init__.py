"""The checks of the rubric, one module per part; importing this package registers them all."""

from autograder.checks import registry  # noqa: F401  (the registry comes first)
