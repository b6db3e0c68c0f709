"""Reference values of Parts 3 and 4: the VAE's losses, and the values of their classic mistakes.

NumPy, float64, written from the formulas of the handout (SPEC section 3):
`KL(N(mu, sigma^2) || N(0, I)) = 0.5 sum_i (mu_i^2 + sigma_i^2 - log sigma_i^2 - 1)`
per example, and the binary cross-entropy summed over the pixels of each image.
"""

import numpy as np

# Keras's binary cross-entropy clips probabilities to [EPSILON, 1 - EPSILON].
EPSILON = 1e-7


def kl_divergence(z_mean, z_log_var):
    """`KL(N(mu, exp(lv)) || N(0, I)) = 0.5 sum(mu^2 + sigma^2 - log sigma^2 - 1)` per row."""
    z_mean, z_log_var = np.float64(z_mean), np.float64(z_log_var)
    return 0.5 * np.sum(np.square(z_mean) + np.exp(z_log_var) - z_log_var - 1.0, axis=-1)


def reconstruction_loss(x, x_hat):
    """Binary cross-entropy summed over the pixels of each image, shape `(N,)`."""
    x = np.float64(x)
    p = np.clip(np.float64(x_hat), EPSILON, 1.0 - EPSILON)
    per_pixel = -(x * np.log(p) + (1.0 - x) * np.log(1.0 - p))
    return per_pixel.reshape(len(x), -1).sum(axis=1)


def mean_negative_elbo(x, x_hat, z_mean, z_log_var):
    """The batch mean of `reconstruction_loss(x, x_hat) + kl_divergence(z_mean, z_log_var)`.

    With `x_hat` decoded from one draw of `z ~ q(z | x)`, an estimate of the
    mean negative ELBO in nats per image.
    """
    return float(np.mean(reconstruction_loss(x, x_hat) + kl_divergence(z_mean, z_log_var)))


def kl_variants(z_mean, z_log_var):
    """The KL values that the classic mistakes give: mistake id -> list of arrays `(N,)`."""
    mu2, lv = np.square(np.float64(z_mean)), np.float64(z_log_var)
    k = lv.shape[-1]

    def half_sum(terms):
        return 0.5 * np.sum(terms, axis=-1)

    variants = {
        "vae_kl_log_sigma": [
            # log sigma^2 taken for log sigma: sigma^2 = exp(2 lv), log sigma^2 = 2 lv.
            half_sum(mu2 + np.exp(2.0 * lv) - 2.0 * lv - 1.0),
            # The textbook form sum(-log sigma + (sigma^2 + mu^2 - 1) / 2) with lv as log sigma.
            half_sum(mu2 + np.exp(lv) - 2.0 * lv - 1.0),
        ],
        "vae_kl_missing_half": [2.0 * half_sum(mu2 + np.exp(lv) - lv - 1.0)],
        "vae_kl_sign_error": [
            -half_sum(mu2 + np.exp(lv) - lv - 1.0),
            half_sum(-mu2 + np.exp(lv) - lv - 1.0),
            half_sum(mu2 - np.exp(lv) - lv - 1.0),
            half_sum(mu2 + np.exp(lv) + lv - 1.0),
        ],
    }
    if k > 1:
        variants["vae_kl_mean_over_latent"] = [half_sum(mu2 + np.exp(lv) - lv - 1.0) / k]
    return variants


def reconstruction_variants(x, x_hat):
    """The reconstruction losses that the classic mistakes give: mistake id -> array `(N,)`."""
    expected = reconstruction_loss(x, x_hat)
    return {
        "vae_reconstruction_averaged_over_pixels": expected / np.prod(np.shape(x)[1:]),
        "vae_reconstruction_arguments_swapped": reconstruction_loss(x_hat, x),
    }


def straight_line(z_start, z_end, steps):
    """`steps` points from `z_start` to `z_end`, evenly spaced, both ends included: `(steps, k)`."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1.0 - t) * np.float64(z_start) + t * np.float64(z_end)
