"""Reference values of the masked autoencoder's loss, and the values of its classic mistakes.

NumPy, float64, from the handout's formula: `sum(mask * (x - x_hat)^2) / sum(mask)`.
"""

import numpy as np


def masked_reconstruction_loss(x, x_hat, mask):
    """The mean squared error over the hidden pixels (`mask = 1`), a float."""
    squared, mask = np.square(np.float64(x) - np.float64(x_hat)), np.float64(mask)
    return float(np.sum(mask * squared) / np.sum(mask))


def loss_variants(x, x_hat, mask):
    """The losses that the classic mistakes give: mistake id -> float."""
    squared, mask = np.square(np.float64(x) - np.float64(x_hat)), np.float64(mask)
    return {
        "masked_loss_on_visible_pixels": float(np.sum((1 - mask) * squared) / np.sum(1 - mask)),
        "masked_loss_on_all_pixels": float(np.mean(squared)),
    }
