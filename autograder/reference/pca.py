"""Reference values of Part 2: principal components, and the PCA mistakes.

An eigendecomposition of the scatter matrix, not the SVD the handout asks for,
so that the reference and the student's code share no steps; the tests check
that both agree.
"""

import numpy as np


def pca(x, k, *, centre=True):
    """Principal components from the eigendecomposition of the scatter matrix.

    Args:
        x: array `(N, ...)`, flattened to `(N, D)`.
        k: number of components.
        centre: `False` gives the classic mistake of skipping the centring
            (the first "component" then points at the mean).

    Returns:
        `(components (k, D), mean (D,), eigenvalues (D,))`: the top-k unit
        eigenvectors as rows, the mean, and every eigenvalue of the scatter
        matrix `X_c^T X_c` (the squared singular values), largest first.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    mean = x.mean(axis=0)
    centred = x - mean if centre else x
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = np.clip(eigenvalues[order], 0.0, None)
    return eigenvectors[:, order[:k]].T, mean, eigenvalues


def principal_angles(a, b):
    """Principal angles in degrees between the row spaces of `a` and `b`, smallest first."""
    qa, _ = np.linalg.qr(np.asarray(a, dtype=np.float64).T)
    qb, _ = np.linalg.qr(np.asarray(b, dtype=np.float64).T)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))
