"""Reference points: the domain Fréchet distance of real and degraded images.

An FD value means little alone. These rows give its scale: real test images
against other real images (the floor set by the finite sample size), against
blurred and noisy copies (mild to strong degradations, the typical failures of
a VAE: blur; of a broken one: noise), against images of pure noise, and
against copies of the mean image (no variety at all).

All rows measure the same number of images against the same reference set:
`n` test images, compared with `n` other test images (degraded or not) and
`n` training images.
"""

import numpy as np

from autograder.metrics.quality import sample_quality

BLUR_SIGMAS = (0.5, 1.0, 2.0)
NOISE_STDDEVS = (0.1, 0.2, 0.4)


def gaussian_blur(images, sigma):
    """Blurs images with a Gaussian kernel of standard deviation `sigma` pixels.

    The kernel is truncated at 3 sigma and the image padded with zeros (the
    background of the data sets is black). Blurring along one axis is a matrix
    product, so the 2-D blur is `B @ image @ B.T`.

    Args:
        images: array `(N, H, W, C)` with `H == W`.
        sigma: float > 0, in pixels.

    Returns:
        Blurred float32 images, same shape.
    """
    images = np.asarray(images, dtype=np.float32)
    size = images.shape[1]
    radius = max(1, int(np.ceil(3 * sigma)))
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    blur = np.exp(-0.5 * np.square(offsets / sigma)) * (np.abs(offsets) <= radius)
    blur /= np.exp(-0.5 * np.square(np.arange(-radius, radius + 1) / sigma)).sum()
    return np.einsum("ij,njkc,lk->nilc", blur, images, blur).astype(np.float32)


def add_gaussian_noise(images, stddev, seed=0):
    """Adds Gaussian noise of standard deviation `stddev`, clipped to [0, 1]."""
    noise = np.random.default_rng(seed).standard_normal(np.shape(images))
    return np.clip(images + stddev * noise, 0.0, 1.0).astype(np.float32)


def noise_images(like, seed=0):
    """Images of pure noise with the grey-level mean and spread of the images `like`.

    Each pixel is drawn independently from `N(mean, std^2)` of all pixels of
    `like`, clipped to [0, 1].
    """
    like = np.asarray(like)
    noise = np.random.default_rng(seed).standard_normal(like.shape)
    return np.clip(like.mean() + like.std() * noise, 0.0, 1.0).astype(np.float32)


def mean_images(like):
    """As many copies of the mean image of `like` as `like` has images."""
    like = np.asarray(like, dtype=np.float32)
    return np.repeat(like.mean(axis=0, keepdims=True), len(like), axis=0)


def split_test_set(x_test, x_train, n, seed=0):
    """Draws the three disjoint sets of the reference points.

    Returns:
        `(reference, other_test, train)`: `n` test images, `n` other test
        images and `n` training images, drawn without replacement.
    """
    if 2 * n > len(x_test) or n > len(x_train):
        raise ValueError(
            f"n = {n} needs {2 * n} test and {n} training images; "
            f"there are {len(x_test)} and {len(x_train)}."
        )
    rng = np.random.default_rng(seed)
    test_order = rng.permutation(len(x_test))
    train_order = rng.permutation(len(x_train))[:n]
    return x_test[test_order[:n]], x_test[test_order[n : 2 * n]], x_train[train_order]


def degraded_sets(other_test, train, seed=0):
    """The image sets compared with the reference, as `(description, images)` pairs."""
    sets = [("training images", train), ("other test images", other_test)]
    sets += [
        (f"test images blurred, sigma {sigma:g} px", gaussian_blur(other_test, sigma))
        for sigma in BLUR_SIGMAS
    ]
    sets += [
        (f"test images + Gaussian noise, stddev {std:g}", add_gaussian_noise(other_test, std, seed))
        for std in NOISE_STDDEVS
    ]
    sets += [
        ("pure Gaussian noise images", noise_images(other_test, seed)),
        ("the mean test image, repeated", mean_images(other_test)),
    ]
    return sets


def reference_points(classifier, x_test, x_train, n=5000, seed=0):
    """Measures every reference set against `n` real test images.

    Args:
        classifier: an `EvaluationClassifier`.
        x_test: the test images.
        x_train: the training images.
        n: images per set; needs `2 n` test images.
        seed: seed of the draws and of the noise.

    Returns:
        A list of `(description, metrics)` pairs, metrics as returned by
        `sample_quality`.
    """
    reference, other_test, train = split_test_set(x_test, x_train, n, seed)
    reference_features = classifier.features(reference)
    return [
        (description, sample_quality(classifier, images, reference_features))
        for description, images in degraded_sets(other_test, train, seed)
    ]
