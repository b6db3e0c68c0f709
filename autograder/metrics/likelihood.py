"""Test log-likelihood of a VAE: the negative ELBO and the importance-weighted bound.

A VAE does not give `log p(x)` directly, but two lower bounds on it:

- the **ELBO**, `E_q[log p(x | z)] - KL(q(z | x) || p(z))`, the training
  objective with `beta = 1`;
- the **importance-weighted bound** (IWAE, Burda et al., 2016) with `k`
  samples `z_1..z_k ~ q(z | x)`:
  `log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x)`. Its expectation is the
  ELBO for `k = 1` and increases with `k` towards `log p(x)`.

Both are reported as *negative* log-likelihoods in nats per image (lower is
better) and, divided by `784 ln 2`, in bits per dimension.

The decoder's outputs are the means of Bernoulli pixels, so the likelihood is
a probability of **binary** images. Test images are binarized stochastically,
once, with a fixed seed: pixel `x` becomes 1 with probability `x`. This keeps
the average grey level of every pixel (a threshold at 0.5 would not: it turns
the many mid-grey pixels of Fashion-MNIST into hard edges the models never
saw), and the expected Bernoulli log-likelihood of the binarized image equals
the binary cross-entropy the models were trained on. Every model is measured
on the same binarized images.

Both bounds hold for *any* proposal distribution `q(z)`, so the encoder may
propose codes from the grey-level image that was binarized
(`encoder_inputs`): the models were trained on grey-level images and their
encoders propose worse codes for binary ones, which loosens both bounds. With
the grey-level proposal, the expected -ELBO of the binarized images equals the
-ELBO (the training loss) of the grey-level images.

Only the VAE API of the assignment is used: `model.encode(x) -> (z_mean,
z_log_var)` and `model.decode(z)`; a conditional VAE is measured as
`log p(x | y)` when labels are given (`model.encode((x, y))`,
`model.decode((z, y))`). The noise comes from a NumPy generator, so the
numbers are deterministic given the seed (and independent of `batch_size`).
"""

import math

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)
PIXEL_EPSILON = 1e-7  # Keras's epsilon: decoder outputs are clipped to [eps, 1 - eps].


def binarize(images, seed=0):
    """Stochastic binarization: each pixel is 1 with probability its grey level.

    Args:
        images: float array in [0, 1].
        seed: seed of the draws; the same seed gives the same binary images.

    Returns:
        A float32 array of 0s and 1s, the shape of `images`.
    """
    images = np.asarray(images, dtype=np.float32)
    return (np.random.default_rng(seed).random(images.shape) < images).astype(np.float32)


def bernoulli_log_likelihood(x, probabilities):
    """`log p(x | z)`: sum over pixels of `x log p + (1 - x) log(1 - p)`, per image.

    Args:
        x: images `(N, ...)` (binary for a true likelihood).
        probabilities: Bernoulli means, same shape; clipped to
            `[1e-7, 1 - 1e-7]` like Keras's binary cross-entropy.

    Returns:
        Array of shape `(N,)`, in nats.
    """
    p = np.clip(np.asarray(probabilities, dtype=np.float64), PIXEL_EPSILON, 1 - PIXEL_EPSILON)
    x = np.asarray(x, dtype=np.float64)
    per_pixel = x * np.log(p) + (1.0 - x) * np.log1p(-p)
    return per_pixel.reshape(len(per_pixel), -1).sum(axis=1)


def gaussian_log_density(z, mean, log_var):
    """`log N(z; mean, diag(exp(log_var)))`, summed over the last axis."""
    return -0.5 * np.sum(LOG_2PI + log_var + np.square(z - mean) / np.exp(log_var), axis=-1)


def kl_to_prior(z_mean, z_log_var):
    """Closed-form `KL(N(z_mean, exp(z_log_var)) || N(0, I))` per row, in nats."""
    return 0.5 * np.sum(np.square(z_mean) + np.exp(z_log_var) - z_log_var - 1.0, axis=-1)


def negative_elbo(model, x, seed=0, samples=1, labels=None, encoder_inputs=None,
                  batch_size=1000):
    """Per-image negative ELBO: `-E_q[log p(x | z)] + KL(q(z | x) || N(0, I))`.

    The expectation is estimated with `samples` draws of `z`, the KL is exact.

    Args:
        model: a VAE (`encode`, `decode`).
        x: images `(N, 28, 28, 1)`, binarized (see `binarize`).
        seed: seed of the draws of `z`.
        samples: number of draws of `z` per image.
        labels: class labels `(N,)` for a conditional VAE, else None.
        encoder_inputs: what the encoder sees, `(N, 28, 28, 1)`; default `x`.
        batch_size: number of images decoded at once (bounds memory).

    Returns:
        Array of shape `(N,)`, in nats.
    """
    terms = [
        (-log_likelihood.mean(axis=1) + kl_to_prior(z_mean, z_log_var))
        for log_likelihood, z_mean, z_log_var, _ in _posterior_draws(
            model, x, samples, seed, labels, encoder_inputs, batch_size
        )
    ]
    return np.concatenate(terms)


def importance_weighted_bound(model, x, k=100, seed=0, labels=None, encoder_inputs=None,
                              batch_size=1000):
    """Per-image negative IWAE bound with `k` importance samples.

    `-log (1/k) sum_i exp(log p(x | z_i) + log p(z_i) - log q(z_i | x))`,
    computed with a stable log-sum-exp. It is an upper bound on `-log p(x)`
    that tightens as `k` grows.

    Args:
        model: a VAE (`encode`, `decode`).
        x: images `(N, 28, 28, 1)`, binarized (see `binarize`).
        k: number of importance samples per image.
        seed: seed of the draws of `z`.
        labels: class labels `(N,)` for a conditional VAE, else None.
        encoder_inputs: what the encoder sees, `(N, 28, 28, 1)`; default `x`.
        batch_size: number of images decoded at once (bounds memory);
            `batch_size // k` test images are processed per step.

    Returns:
        Array of shape `(N,)`, in nats.
    """
    bounds = []
    for log_likelihood, z_mean, z_log_var, (z, eps) in _posterior_draws(
        model, x, k, seed, labels, encoder_inputs, batch_size
    ):
        log_prior = gaussian_log_density(z, 0.0, 0.0)
        # z = mean + sigma * eps, so (z - mean)^2 / sigma^2 = eps^2.
        log_posterior = -0.5 * np.sum(LOG_2PI + z_log_var[:, None, :] + np.square(eps), axis=-1)
        log_weights = log_likelihood + log_prior - log_posterior
        bounds.append(-(_logsumexp(log_weights, axis=1) - math.log(k)))
    return np.concatenate(bounds)


def bits_per_dim(nats, dims=28 * 28):
    """Converts a negative log-likelihood in nats per image to bits per pixel."""
    return nats / (dims * math.log(2.0))


def _posterior_draws(model, x, k, seed, labels, encoder_inputs, batch_size):
    """Yields, per block of images, `k` draws `z ~ q(z | x)` and `log p(x | z)`.

    Each item is `(log_likelihood (B, k), z_mean (B, d), z_log_var (B, d),
    (z (B, k, d), eps (B, k, d)))`. The noise of image `i` is the same
    whatever the block size, because the generator fills `(B, k, d)` arrays in
    image order.
    """
    x = np.asarray(x, dtype=np.float32)
    encoder_inputs = x if encoder_inputs is None else np.asarray(encoder_inputs, np.float32)
    if encoder_inputs.shape != x.shape:
        raise ValueError(f"encoder_inputs of shape {encoder_inputs.shape} for images {x.shape}.")
    rng = np.random.default_rng(seed)
    images_per_step = max(1, batch_size // k)
    for start in range(0, len(x), images_per_step):
        block = x[start : start + images_per_step]
        block_labels = None if labels is None else np.asarray(labels)[start : start + len(block)]
        z_mean, z_log_var = (
            np.asarray(t, dtype=np.float64)
            for t in _encode(model, encoder_inputs[start : start + len(block)], block_labels)
        )
        eps = rng.standard_normal((len(block), k, z_mean.shape[-1]))
        z = z_mean[:, None, :] + np.exp(0.5 * z_log_var)[:, None, :] * eps
        decoded = _decode(
            model,
            z.reshape(-1, z.shape[-1]).astype(np.float32),
            None if block_labels is None else np.repeat(block_labels, k),
        )
        log_likelihood = bernoulli_log_likelihood(np.repeat(block, k, axis=0), decoded)
        yield log_likelihood.reshape(len(block), k), z_mean, z_log_var, (z, eps)


def _encode(model, x, labels):
    return model.encode(x) if labels is None else model.encode((x, labels))


def _decode(model, z, labels):
    return model.decode(z) if labels is None else model.decode((z, labels))


def _logsumexp(values, axis):
    top = np.max(values, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(values - top), axis=axis))
