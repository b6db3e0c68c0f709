"""Domain Fréchet distance: how far two image sets are, in classifier features.

Each image set is summarised by the mean `mu` and covariance `Sigma` of its
features (see `classifier.py`), that is by a Gaussian. The Fréchet (2-Wasserstein)
distance between two Gaussians is

    FD = ||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^(1/2)).

This is FID (Heusel et al., 2017) with a classifier trained on the domain
instead of Inception. It is 0 for identical statistics, and it grows both when
generated images look wrong (the means move apart) and when they lack variety
(the covariances differ).

`Sigma_1 Sigma_2` is not symmetric: a general matrix square root of it (as in
`scipy.linalg.sqrtm`) can return small imaginary parts from round-off and is
inaccurate when a covariance is singular. But
`Tr((Sigma_1 Sigma_2)^(1/2)) = Tr((S Sigma_2 S)^(1/2))` with `S = Sigma_1^(1/2)`,
and `S Sigma_2 S` is symmetric positive semi-definite: both square roots come
from `numpy.linalg.eigh`, with round-off negative eigenvalues clipped at 0.
Singular covariances, which happen whenever a feature is constant (a dead ReLU,
a constant image) or there are fewer images than features, need no special
case: they simply have zero eigenvalues.
"""

import numpy as np


def feature_statistics(features):
    """Mean and covariance of a set of feature vectors, in float64.

    Args:
        features: array of shape `(N, d)`, `N >= 2`.

    Returns:
        `(mu, sigma)`: arrays of shape `(d,)` and `(d, d)`; `sigma` is the
        unbiased sample covariance (divided by `N - 1`).

    Raises:
        ValueError: fewer than 2 vectors, a wrong shape, or NaN / infinite
            values (e.g. features of images that hold NaN).
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(
            f"Expected features of shape (N, d) with N >= 2, got shape {features.shape}."
        )
    if not np.all(np.isfinite(features)):
        raise ValueError("The features contain NaN or infinite values.")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def sqrtm_psd(matrix):
    """The square root of a symmetric positive semi-definite matrix.

    Args:
        matrix: symmetric array of shape `(d, d)`.

    Returns:
        The symmetric PSD matrix `R` with `R @ R = matrix`; negative
        eigenvalues (round-off) are clipped at 0.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(_symmetrized(matrix))
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T


def trace_sqrt_product(sigma_1, sigma_2):
    """`Tr((sigma_1 @ sigma_2)^(1/2))` for two PSD matrices, via the symmetric form."""
    root_1 = sqrtm_psd(sigma_1)
    eigenvalues = np.linalg.eigvalsh(_symmetrized(root_1 @ sigma_2 @ root_1))
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def frechet_distance_from_statistics(mu_1, sigma_1, mu_2, sigma_2):
    """Fréchet distance between `N(mu_1, sigma_1)` and `N(mu_2, sigma_2)`.

    Args:
        mu_1, mu_2: mean vectors of shape `(d,)`.
        sigma_1, sigma_2: covariance matrices of shape `(d, d)`.

    Returns:
        A float >= 0 (clipped at 0 against round-off).
    """
    mu_1, mu_2 = (np.asarray(mu, dtype=np.float64) for mu in (mu_1, mu_2))
    sigma_1, sigma_2 = (np.asarray(s, dtype=np.float64) for s in (sigma_1, sigma_2))
    if mu_1.shape != mu_2.shape or sigma_1.shape != sigma_2.shape:
        raise ValueError(
            f"Statistics of different dimensions: means {mu_1.shape} and {mu_2.shape}, "
            f"covariances {sigma_1.shape} and {sigma_2.shape}."
        )
    mean_term = float(np.sum(np.square(mu_1 - mu_2)))
    covariance_term = (
        np.trace(sigma_1) + np.trace(sigma_2) - 2.0 * trace_sqrt_product(sigma_1, sigma_2)
    )
    return max(mean_term + float(covariance_term), 0.0)


def frechet_distance(features_1, features_2):
    """Fréchet distance between two sets of feature vectors.

    Usage:
        classifier = load_classifier("fashion_mnist")
        fd = frechet_distance(classifier.features(x_test), classifier.features(samples))

    Args:
        features_1: array `(N_1, d)`.
        features_2: array `(N_2, d)`.

    Returns:
        A float >= 0. It depends on the sample sizes (it is biased upwards
        for small sets): compare values measured with the same sizes.
    """
    return frechet_distance_from_statistics(
        *feature_statistics(features_1), *feature_statistics(features_2)
    )


def _symmetrized(matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    return 0.5 * (matrix + matrix.T)
