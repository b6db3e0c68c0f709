"""Reference values of the sparse autoencoder's penalty, and the values of its classic mistakes.

NumPy, float64, from the handout's formula: `l1 * mean_over_batch(sum_i |z_i|)`.
"""

import numpy as np


def sparsity_penalty(z, l1):
    """`l1 * mean_over_batch(sum_i |z_i|)`, a float."""
    return float(l1 * np.mean(np.sum(np.abs(np.float64(z)), axis=-1)))


def penalty_variants(z, l1):
    """The penalties that the classic mistakes give: mistake id -> float."""
    z = np.float64(z)
    return {
        "sparse_l2_instead_of_l1": float(l1 * np.mean(np.sum(np.square(z), axis=-1))),
        "sparse_penalty_summed_over_batch": float(l1 * np.sum(np.abs(z))),
    }
