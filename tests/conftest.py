"""Shared fixtures: the reference implementation and the embedded sample data.

TensorFlow is imported lazily, inside the fixtures, so that the tests that do
not need it (data loader, stencil generator) start fast.
"""

import pytest

import assignment  # noqa: F401  (quiets TensorFlow's start-up logs; import it first)
from assignment.datasets import load_dataset
from assignment.implementation import SOLUTION_DIR, load_implementation

SEED = 0


@pytest.fixture(scope="session")
def solution():
    """The reference implementation: `solution.vae.VAE`, `solution.autoencoder.pca`, ..."""
    return load_implementation(SOLUTION_DIR)


@pytest.fixture
def seeded():
    """Seeds Python, NumPy and TensorFlow so that a test draws the same numbers every run."""
    import keras

    keras.utils.set_random_seed(SEED)


@pytest.fixture(scope="session")
def sample_data():
    """The embedded training sample: 6,000 images `(N, 28, 28, 1)` and their labels."""
    return load_dataset(sample=True)


@pytest.fixture(scope="session")
def small_data(sample_data):
    """The first 512 images of the sample (every class appears about 50 times)."""
    x, y = sample_data
    return x[:512], y[:512]


@pytest.fixture(autouse=True)
def graded_in_this_process(tmp_path, monkeypatch):
    """`grade --results` run in the test's process grades there, as the supervisor's child does.

    Tests that start `python -m autograder grade` as a process of its own
    drop the variable from that process's environment to have it supervised.
    """
    from autograder.supervisor import PROGRESS_VARIABLE

    monkeypatch.setenv(PROGRESS_VARIABLE, str(tmp_path / ".progress.json"))
