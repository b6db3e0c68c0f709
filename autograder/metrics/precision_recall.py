"""Precision and recall of generated images (Kynkäänniemi et al., 2019).

A single number such as the Fréchet distance mixes two failures: samples that
look wrong, and samples that cover only part of the data (mode dropping).
Precision and recall separate them, in the classifier's feature space:

- the *manifold* of a set of feature vectors is the union of balls centred on
  each vector, of radius the distance to its `k`-th nearest neighbour in the
  same set (`k = 3`);
- **precision** is the fraction of generated vectors inside the manifold of
  the real ones (do samples look real?);
- **recall** is the fraction of real vectors inside the manifold of the
  generated ones (is the variety of the data covered?).
"""

import numpy as np


def distance_blocks(a, b, block_size=1000):
    """Yields the Euclidean distances from consecutive blocks of rows of `a` to all rows of `b`.

    Working block by block keeps memory at `block_size * len(b)` floats.

    Args:
        a: array `(N, d)`.
        b: array `(M, d)`.
        block_size: rows of `a` per block.

    Yields:
        Arrays of shape `(block_size, M)` (the last one may be shorter).
    """
    a, b = (np.asarray(x, dtype=np.float64) for x in (a, b))
    b_squared = np.sum(np.square(b), axis=1)
    for start in range(0, len(a), block_size):
        block = a[start : start + block_size]
        squared = np.sum(np.square(block), axis=1)[:, None] - 2.0 * block @ b.T + b_squared
        yield np.sqrt(np.clip(squared, 0.0, None))


def manifold_radii(features, k=3):
    """Distance from each vector to its `k`-th nearest neighbour in the same set.

    Args:
        features: array `(N, d)`, `N > k`.
        k: which neighbour; the vector itself does not count.

    Returns:
        Array of shape `(N,)`.
    """
    if len(features) <= k:
        raise ValueError(f"Need more than k = {k} vectors, got {len(features)}.")
    # Index 0 of each sorted row is the vector itself, at distance 0.
    blocks = distance_blocks(features, features)
    return np.concatenate([np.partition(distances, k, axis=1)[:, k] for distances in blocks])


def coverage(manifold_features, query_features, k=3):
    """Fraction of `query_features` inside the k-NN manifold of `manifold_features`.

    A query vector is inside when it lies within the radius of at least one
    manifold vector's ball (the boundary included).
    """
    radii = manifold_radii(manifold_features, k)
    inside = [
        np.any(distances <= radii[None, :], axis=1)
        for distances in distance_blocks(query_features, manifold_features)
    ]
    return float(np.mean(np.concatenate(inside)))


def precision_recall(real_features, generated_features, k=3):
    """k-NN precision and recall of generated features against real features.

    Usage:
        precision, recall = precision_recall(
            classifier.features(x_test), classifier.features(samples)
        )

    Args:
        real_features: features of real images, `(N, d)`.
        generated_features: features of generated images, `(M, d)`.
        k: the neighbour that sets each ball's radius.

    Returns:
        `(precision, recall)`, two floats in [0, 1].
    """
    precision = coverage(real_features, generated_features, k)
    recall = coverage(generated_features, real_features, k)
    return precision, recall
