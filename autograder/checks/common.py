"""Helpers shared by the checks: partial credit, feedback text, seeded inputs."""

import numpy as np

from autograder import diagnosis
from autograder.checks.registry import Outcome

IMAGE_SHAPE = (28, 28, 1)
# The upstream TODOs that may stand in (`autograder.worker.stand_ins`) when a check trains the
# student's VAE or conditional VAE and they raise: Sampling, the two losses, add_kl_loss, call
# and draw_prior.
VAE_TRAINING_STAND_INS = ("3.2", "3.3", "3.4", "3.7", "3.8", "3.10")
# Two outputs of a deterministic model count as the same below this largest difference.
SAME = 1e-6


def mistake_feedback(mistake_id, detail=""):
    """Feedback naming a classic mistake: its name, `detail`, then how to fix it."""
    entry = diagnosis.MISTAKES[mistake_id]
    return " ".join(part for part in (f"Looks like: {entry.name}.", detail, entry.explanation)
                    if part)


def combine(parts):
    """An `Outcome` from sub-results `(weight, passed, expected, got, feedback, diagnosis)`.

    The fraction is the weighted share of the sub-results passed; expected and
    got list the failed sub-results (all of them when none failed); the
    feedback joins theirs, each said once; the diagnosis is the first one named.
    """
    total = sum(part[0] for part in parts)
    failed = [part for part in parts if not part[1]]
    shown = failed or parts
    return Outcome(
        fraction=sum(part[0] for part in parts if part[1]) / total,
        expected="; ".join(part[2] for part in shown),
        got="; ".join(part[3] for part in shown),
        feedback=" ".join(dict.fromkeys(part[4] for part in failed)) or "Correct.",
        diagnosis=next((part[5] for part in failed if part[5]), None),
    )


def credit(value, full, zero):
    """Linear partial credit: 1 at `full` or better, 0 at `zero` or worse."""
    if not np.isfinite(value):
        return 0.0
    return float(np.clip((value - zero) / (full - zero), 0.0, 1.0))


def largest_difference(a, b):
    """The largest absolute difference of two arrays of one shape (inf when shapes differ)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.shape == b.shape else np.inf


def shape_text(shape):
    return str(tuple(int(n) for n in shape))


def test_images(ctx, count, key):
    """`count` images of the embedded sample's test split, chosen with `ctx.rng(key)`."""
    images, _ = ctx.test_data
    return images[np.sort(ctx.rng(key).choice(len(images), count, replace=False))]


# The training images of the Fashion-MNIST sample, over which the checks' `EPOCHS` are counted.
EPOCH_IMAGES = 6000


def training_epochs(ctx, epochs, images=EPOCH_IMAGES):
    """Epochs over the course sample's first `images` training images, as many steps as `epochs`.

    A check's `EPOCHS` are counted over `images` images of the Fashion-MNIST
    sample (6,000 training images); the MNIST sample holds 3,000 training
    digits, so a check trains twice as many epochs on them: the same number of
    steps on either data set.
    """
    available = min(images, len(ctx.train_data[0]))
    return -(-epochs * images // available)


def training_seed(ctx, key):
    """The seed of a training run, drawn from `ctx.rng(key)`."""
    return int(ctx.rng(key).integers(2**16))


def close(got, expected, rtol=1e-4, atol=1e-5):
    """Whether `got` has the shape of `expected` and the same values within tolerance."""
    got, expected = np.asarray(got), np.asarray(expected)
    return got.shape == expected.shape and bool(
        np.all(np.isfinite(got)) and np.allclose(got, expected, rtol=rtol, atol=atol)
    )


def brief(array, count=4):
    """A short description of an array: shape and first values."""
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    values = ", ".join(f"{v:.4g}" for v in array.ravel()[:count])
    more = ", ..." if array.size > count else ""
    return f"shape {array.shape}, [{values}{more}]"
