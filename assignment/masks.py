"""Held-out patch masks, drawn with NumPy: the masks the figures and the grader complete.

A mask has the images' shape `(N, 28, 28, 1)`, 1 on hidden pixels and 0 on
visible ones, and hides exactly `masked_patches` of the `(28 / patch)^2`
square patches of each image, a uniformly random subset (the patches of the
smallest uniform noise), as `MaskedAutoencoder.draw_mask` does in training.
"""

import numpy as np

SIDE = 28


def patch_masks(rng, count, patch, masked_patches):
    """`count` masks, each hiding `masked_patches` random `patch x patch` patches.

    Args:
        rng: a NumPy `Generator`.
        count: int, the number of masks.
        patch: int, side of the patches, a divisor of 28.
        masked_patches: int, patches hidden per mask.

    Returns:
        float32 array of shape `(count, 28, 28, 1)`.
    """
    if patch < 1 or SIDE % patch:
        raise ValueError(f"`patch` must be a divisor of {SIDE}, got {patch}.")
    grid = SIDE // patch
    if not 0 <= masked_patches <= grid * grid:
        raise ValueError(f"`masked_patches` must be between 0 and {grid * grid}, "
                         f"got {masked_patches}.")
    ranks = np.argsort(np.argsort(rng.uniform(size=(count, grid * grid)), axis=1), axis=1)
    hidden = (ranks < masked_patches).astype(np.float32).reshape(count, grid, grid, 1)
    return hidden.repeat(patch, axis=1).repeat(patch, axis=2)


def hidden_mse(images, targets, masks):
    """The mean squared error of `images` against `targets` over the pixels where `masks` is 1."""
    squared = np.square(np.float64(images) - np.float64(targets))
    return float(np.sum(masks * squared) / np.sum(masks))
