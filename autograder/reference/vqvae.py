"""Reference values of Part 5: nearest codewords by brute force, and the wrong distances."""

import numpy as np


def squared_distances(z_e, codebook):
    """`||z - e_j||^2` for every vector `z` of `z_e` and codeword `e_j`, `z_e.shape[:-1] + (K,)`."""
    return np.sum(np.square(np.float64(z_e)[..., None, :] - np.float64(codebook)), axis=-1)


def nearest(z_e, codebook):
    """Index of the nearest codeword of each vector of `z_e` (brute force)."""
    return np.argmin(squared_distances(z_e, codebook), axis=-1)


def nearest_variants(z_e, codebook):
    """The codeword indices that the classic mistakes give: mistake id -> index array."""
    dot = np.einsum("...d,kd->...k", np.float64(z_e), np.float64(codebook))
    return {
        "vqvae_dot_product": np.argmax(dot, axis=-1),
        "vqvae_distance_sign": np.argmin(np.sum(np.square(codebook), axis=1) + 2.0 * dot, -1),
    }
