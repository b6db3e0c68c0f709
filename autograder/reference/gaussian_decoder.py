"""Reference values of the Gaussian decoder's loss, and the values of its classic mistakes.

NumPy, float64, from the handout's formula: `||x - x_hat||^2 / (2 c)` per example.
"""

import numpy as np


def squared_errors(x, x_hat):
    """`||x - x_hat||^2` of each example, shape `(N,)`."""
    difference = np.float64(x) - np.float64(x_hat)
    return np.sum(np.square(difference).reshape(len(difference), -1), axis=1)


def gaussian_reconstruction_loss(x, x_hat, variance):
    """`||x - x_hat||^2 / (2 variance)` per example, shape `(N,)`."""
    return squared_errors(x, x_hat) / (2.0 * variance)


def loss_variants(x, x_hat, variance):
    """The per-example losses that the classic mistakes give: mistake id -> array `(N,)`."""
    squared = squared_errors(x, x_hat)
    pixels = np.prod(np.shape(x)[1:])
    return {
        "gaussian_one_over_c": squared / variance,
        "gaussian_mean_over_pixels": squared / pixels / (2.0 * variance),
        "gaussian_variance_as_std": squared / (2.0 * variance**2),
    }
