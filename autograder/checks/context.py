"""What checks may use in the trusted grading process besides the probe results."""

import functools
import importlib.util
import zlib

import numpy as np


# The data set on which every check's pass lines are calibrated.
FALLBACK_DATASET = "fashion_mnist"


def pass_lines(check):
    """The pass lines of `check`: attribute name -> its `*_LINES` dict data set -> lines."""
    return {name: getattr(check, name) for name in dir(check) if name.endswith("_LINES")}


class GradingContext:
    """Seeded randomness, reference data and expected values for the checks of one grading run.

    Expected values come from `autograder.reference`, computed live by each
    check's `expect`, where the reference is installed (the course repository,
    the graders' packages); elsewhere (the student bundle) from the values
    recorded when it was built (`autograder.checks.expectations`).

    Args:
        seed: base seed; the same seed gives the same probes and the same scores.
        recorded: an `expectations.Recorded`, or None to choose as above.
        dataset: the data set whose embedded sample the checks show the
            student's models and train them on (`assignment.datasets`), the
            course file's `dataset`.
    """

    def __init__(self, seed=0, recorded=None, dataset="fashion_mnist"):
        self.seed = seed
        self.dataset = dataset
        if recorded is None and importlib.util.find_spec("autograder.reference") is None:
            from autograder.checks.expectations import Recorded

            recorded = Recorded(seed)
        self.recorded = recorded

    def for_check(self, check):
        """The context `check` is graded in: this one, or one on the Fashion-MNIST sample.

        A check's pass lines are its `*_LINES` attributes, each a dict data set
        -> lines, calibrated on the data sets it names (see
        `tests.fixtures.calibrate`). A check graded on a data set that one of
        them does not name is graded on `FALLBACK_DATASET` instead, on which
        every pass line is calibrated.
        """
        if all(self.dataset in lines for lines in pass_lines(check).values()):
            return self
        return self._on_fallback

    @functools.cached_property
    def _on_fallback(self):
        """This context on `FALLBACK_DATASET` (one for all checks: its data is loaded once)."""
        return GradingContext(self.seed, self.recorded, FALLBACK_DATASET)

    def rng(self, key):
        """A NumPy generator seeded from the base seed and `key` (e.g. a check id)."""
        return np.random.default_rng([self.seed, zlib.crc32(key.encode())])

    def probes_of(self, check):
        """The probes of `check`: its own, or, with recorded expectations, the recorded ones."""
        if self.recorded is not None and hasattr(check, "expect"):
            return self.recorded.probes(check)
        return check.probes(self)

    def expected(self, check, results):
        """`check.expect` of the inputs of `results` (a dict name -> `ProbeResult`)."""
        if self.recorded is not None:
            return self.recorded.expected(check)
        return check.expect({name: result.inputs for name, result in results.items()})

    @functools.cached_property
    def test_data(self):
        """The embedded sample's test split `(images, labels)`, float32 in [0, 1]."""
        from assignment.datasets import load_dataset

        return load_dataset(self.dataset, "test", sample=True)

    @functools.cached_property
    def train_data(self):
        """The embedded sample's training split `(images, labels)`."""
        from assignment.datasets import load_dataset

        return load_dataset(self.dataset, "train", sample=True)
