"""What checks may use in the trusted grading process besides the probe results."""

import functools
import zlib

import numpy as np


class GradingContext:
    """Seeded randomness and reference data for the checks of one grading run.

    Args:
        seed: base seed; the same seed gives the same probes and the same scores.
    """

    def __init__(self, seed=0):
        self.seed = seed

    def rng(self, key):
        """A NumPy generator seeded from the base seed and `key` (e.g. a check id)."""
        return np.random.default_rng([self.seed, zlib.crc32(key.encode())])

    @functools.cached_property
    def test_data(self):
        """The embedded sample's test split `(images, labels)`, float32 in [0, 1]."""
        from assignment.datasets import load_dataset

        return load_dataset("fashion_mnist", "test", sample=True)

    @functools.cached_property
    def train_data(self):
        """The embedded sample's training split `(images, labels)`."""
        from assignment.datasets import load_dataset

        return load_dataset("fashion_mnist", "train", sample=True)
