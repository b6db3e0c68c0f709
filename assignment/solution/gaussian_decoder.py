"""A Gaussian decoder for the VAE, and why VAE samples are blurry.

Part 3's VAE treats each pixel as a Bernoulli variable and scores a
reconstruction with the binary cross-entropy. A *Gaussian decoder* says
instead that the image is the decoder's output plus Gaussian noise of a fixed
variance `c` on every pixel, `p(x | z) = N(x; x_hat(z), c I)`. Its negative
log-likelihood is, per image of `D` pixels,

    -log p(x | z) = ||x - x_hat||^2 / (2 c) + 0.5 * D * log(2 pi c),

a squared error weighted by `C = 1 / (2 c)`, plus a constant.

- **The constant is dropped.** `0.5 * D * log(2 pi c)` depends on neither
  `x_hat` nor any weight (here `c` is fixed, not learned), so its gradient is 0
  and leaving it out changes no training step; only the printed loss shifts.
- **`c` weighs the reconstruction against the KL.** The VAE minimises
  `C ||x - x_hat||^2 + beta KL = C (||x - x_hat||^2 + 2 c beta KL)`: the same
  minimiser as a VAE with the summed squared error and KL weight `2 c beta`
  (and, as the mean squared error per pixel is `||x - x_hat||^2 / D`, KL weight
  `2 c beta / D` against that). A small `c` means "the images are nearly
  noise-free, reconstruct them exactly": more information in the code, a
  larger KL. A large `c` means "most of what you see is noise": the KL wins,
  codes carry less, samples are blurrier.
- **Why VAE samples are blurry.** A squared error (like the cross-entropy)
  scores each pixel on its own. When the code does not pin an image down
  (several shirts share a code), the output that minimises the expected
  error is their *average*, pixel by pixel: a blurred shirt. No pixel-wise
  loss rewards picking one sharp shirt, because a sharp edge put one pixel
  off costs more than a grey smear.

`GaussianVAE` trains Part 3's `VAE` with this loss. `VAE.train_step` calls the
module-level `vae.reconstruction_loss`, so `GaussianVAE` puts its own
reconstruction loss in that place while its training and test steps run, and
puts the original back afterwards (in a `finally`, also when a step raises).
Nothing else in `vae.py` is touched, and a plain `VAE`'s steps still use the
cross-entropy. (`fit` traces `train_step` once into a graph: the swap is in
place while it is traced, so the graph computes the Gaussian loss.)
"""

import contextlib

import keras
from keras import ops

import vae
from autoencoder import PACKAGE


def gaussian_reconstruction_loss(x, x_hat, variance):
    """The Gaussian decoder's negative log-likelihood per example, without its constant.

    `||x - x_hat||^2 / (2 * variance)`: the squared error summed (not averaged)
    over all the pixels of each image, times `C = 1 / (2 c)`. The constant
    `0.5 * D * log(2 pi c)` of `-log N(x; x_hat, c I)` is dropped: it depends
    on neither `x_hat` nor any weight, so its gradient is 0 and training is
    the same without it.

    Args:
        x: images, shape `(N, 28, 28, 1)`.
        x_hat: the decoder's means, same shape.
        variance: float > 0, `c`, the variance of every pixel's noise (not a
            standard deviation).

    Returns:
        Tensor of shape `(N,)`.
    """
    # BEGIN SOLUTION TODO 8.1: Return the squared error of x_hat against x summed over every pixel of each image, divided by 2 * variance: shape (N,).
    squared = ops.reshape(ops.square(x - x_hat), (ops.shape(x)[0], -1))
    return ops.sum(squared, axis=-1) / (2.0 * variance)
    # END SOLUTION


@keras.saving.register_keras_serializable(package=PACKAGE)
class GaussianVAE(vae.VAE):
    """Part 3's VAE with a Gaussian decoder of fixed variance `c` per pixel.

    Trained like `VAE` (`compile(optimizer=...)`, `fit(x)`), on
    `mean_over_batch(gaussian_reconstruction_loss(x, x_hat, variance)) +
    beta * mean_over_batch(KL)`, which has the same minimiser as the summed
    squared error plus `2 * variance * beta` times the KL.

    How: `VAE.train_step` and `VAE.test_step` call `vae.reconstruction_loss`, a
    module-level function. `train_step` and `test_step` below replace it by
    `self.reconstruction_loss` (the Gaussian loss at `self.variance`) for the
    duration of the step, then restore it, also when the step raises.

    Args:
        latent_dim: int, `k`.
        beta: float, weight of the KL term.
        variance: float > 0, `c`, the decoder's variance per pixel.
        seed: optional int, seed of the sampling noise.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.
        training: bool, whether the model is training.

    Returns:
        The reconstruction of a sampled code, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=2, beta=1.0, variance=0.05, seed=None, **kwargs):
        super().__init__(latent_dim=latent_dim, beta=beta, seed=seed, **kwargs)
        if not variance > 0:
            raise ValueError(f"`variance` must be > 0, got {variance}.")
        self.variance = variance

    def reconstruction_loss(self, x, x_hat):
        """`gaussian_reconstruction_loss(x, x_hat, self.variance)`, shape `(N,)`."""
        return gaussian_reconstruction_loss(x, x_hat, self.variance)

    @contextlib.contextmanager
    def gaussian_reconstruction(self):
        """Puts `self.reconstruction_loss` in place of `vae.reconstruction_loss` for a block."""
        original = vae.reconstruction_loss
        vae.reconstruction_loss = self.reconstruction_loss
        try:
            yield
        finally:
            vae.reconstruction_loss = original

    def train_step(self, data):
        with self.gaussian_reconstruction():
            return super().train_step(data)

    def test_step(self, data):
        with self.gaussian_reconstruction():
            return super().test_step(data)

    def get_config(self):
        return {**super().get_config(), "variance": self.variance}
