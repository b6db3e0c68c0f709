"""Masked autoencoders: learn to fill in the parts of an image you cannot see.

A masked autoencoder (MAE, He et al., 2021) cuts each training image into
square patches, hides a random subset of them, and asks the network to
reconstruct the whole image from the visible rest. To fill a hidden patch the
model must know what images look like around it: the sleeve that continues an
arm, the sole under a shoe.

- **Which patches.** The image is a grid of `(28 / patch)^2` patches; each
  training image hides exactly `masked_patches = int(mask_ratio * num_patches)`
  of them, a different random set for every image and every training step.
  Drawing uniform noise per patch and hiding the patches of the smallest
  noise (their *rank* below `masked_patches`) gives a uniformly random subset
  of exactly that size; an independent coin per patch would hide a different
  number of patches in every image.
- **Which pixels count in the loss.** Only the hidden ones: the mean squared
  error over the masked pixels. The visible pixels are in the input, so
  reconstructing them is copying, which a network learns quickly and which
  teaches it nothing about completion; with a loss on all pixels a large part
  of the gradient rewards that copying. (The MAE paper measured that the loss
  on masked patches only gives better representations.)
- **Training only.** At inference (`training=False`) the model sees the whole
  image and masks nothing, unless it is given a mask to complete.

Hidden pixels are set to 0 (black, the background of Fashion-MNIST). All
images are float32 in [0, 1] with shape `(N, 28, 28, 1)`; a mask has the same
shape, 1 on hidden pixels and 0 on visible ones.
"""

import keras
import tensorflow as tf
from keras import ops

from autoencoder import IMAGE_SHAPE, PACKAGE, Autoencoder


def masked_reconstruction_loss(x, x_hat, mask):
    """Mean squared error over the hidden pixels of a batch.

    `sum(mask * (x - x_hat)^2) / sum(mask)`: the squared errors of the pixels
    where `mask` is 1, averaged over those pixels only (every image hides the
    same number of pixels, so this is also the batch mean of each image's
    mean over its hidden pixels). The visible pixels (`mask = 0`) do not count:
    the model sees them, so reconstructing them would only teach copying.

    Args:
        x: images, shape `(N, 28, 28, 1)`.
        x_hat: reconstructions, same shape.
        mask: 1 on hidden pixels, 0 on visible ones, same shape.

    Returns:
        A scalar tensor.
    """
    # BEGIN SOLUTION TODO 7.1: Return the sum of mask * (x - x_hat)^2 divided by the sum of mask: the mean squared error over the hidden pixels, a scalar.
    return ops.sum(mask * ops.square(x - x_hat)) / ops.sum(mask)
    # END SOLUTION


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskedAutoencoder(Autoencoder):
    """Autoencoder trained to complete images of which random patches are hidden.

    `train_step` (given) draws a fresh mask for the batch with `draw_mask`,
    reconstructs `self(x, training=True, hidden=mask)` and minimises
    `masked_reconstruction_loss(x, x_hat, mask)`. At inference `call` masks
    nothing unless it is given one: `model(x, hidden=mask)` completes the
    pixels of `x` where `mask` is 1. (The argument is not called `mask`:
    Keras reserves that name for its masking of padded sequences.)

    Usage:
        model = MaskedAutoencoder(latent_dim=32, patch=4, mask_ratio=0.5)
        model.compile(optimizer="adam")
        model.fit(x_train, epochs=10, batch_size=32)

    Args:
        latent_dim: int, size of the code.
        patch: int, side of the square patches, a divisor of 28.
        mask_ratio: float in (0, 1), the fraction of the patches hidden in
            training (rounded down to a whole number of patches, at least 1).
        seed: optional int, seed of the masks.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.
        training: bool; without `hidden`, a fresh mask is drawn only when True.
        hidden: optional mask of `x`'s shape, 1 on the pixels to hide.

    Returns:
        The reconstruction, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=32, patch=4, mask_ratio=0.5, seed=None, **kwargs):
        super().__init__(latent_dim=latent_dim, **kwargs)
        side = IMAGE_SHAPE[0]
        if patch < 1 or side % patch:
            raise ValueError(f"`patch` must be a divisor of {side}, got {patch}.")
        self.patch = patch
        self.grid = side // patch
        self.num_patches = self.grid**2
        self.masked_patches = int(mask_ratio * self.num_patches)
        if not 1 <= self.masked_patches < self.num_patches:
            raise ValueError(
                f"`mask_ratio` must hide at least one of the {self.num_patches} patches and "
                f"leave one visible, got {mask_ratio}."
            )
        self.mask_ratio = mask_ratio
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def draw_mask(self, batch_size):
        """A fresh random patch mask per image: exactly `masked_patches` patches hidden.

        Draw uniform noise of shape `(batch_size, num_patches)` with
        `keras.random.uniform(..., seed=self.seed_generator)` (new noise at
        every call), rank each row (`ops.argsort` of `ops.argsort`) and hide
        the patches whose rank is below `masked_patches`. Reshape to
        `(batch_size, grid, grid, 1)` and blow every patch up to
        `patch x patch` pixels with `ops.repeat` along axes 1 and 2.

        Args:
            batch_size: int, the number of masks.

        Returns:
            float32 tensor of shape `(batch_size, 28, 28, 1)`, 1 on hidden
            pixels and 0 on visible ones.
        """
        # BEGIN SOLUTION TODO 7.2: Rank uniform noise of shape (batch_size, num_patches) drawn from self.seed_generator, hide the masked_patches lowest ranks of each row, and repeat each patch to patch x patch pixels: float32 of shape (batch_size, 28, 28, 1).
        noise = keras.random.uniform((batch_size, self.num_patches), seed=self.seed_generator)
        ranks = ops.argsort(ops.argsort(noise, axis=-1), axis=-1)
        hidden = ops.cast(ranks < self.masked_patches, "float32")
        hidden = ops.reshape(hidden, (batch_size, self.grid, self.grid, 1))
        return ops.repeat(ops.repeat(hidden, self.patch, axis=1), self.patch, axis=2)
        # END SOLUTION

    def call(self, x, training=False, hidden=None):
        # BEGIN SOLUTION TODO 7.3: Without a `hidden` mask, draw one with self.draw_mask only when training; when there is one, replace x by x * (1 - hidden).
        if hidden is None and training:
            hidden = self.draw_mask(ops.shape(x)[0])
        if hidden is not None:
            x = x * (1.0 - hidden)
        # END SOLUTION
        return self.decoder(self.encoder(x))

    def train_step(self, data):
        """One step on a batch: a fresh mask, then the gradient of the loss on its hidden pixels."""
        x = data[0] if isinstance(data, (tuple, list)) else data
        mask = self.draw_mask(ops.shape(x)[0])
        with tf.GradientTape() as tape:
            x_hat = self(x, training=True, hidden=mask)
            loss = masked_reconstruction_loss(x, x_hat, mask)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        mask = self.draw_mask(ops.shape(x)[0])
        self.loss_tracker.update_state(
            masked_reconstruction_loss(x, self(x, hidden=mask), mask))
        return {"loss": self.loss_tracker.result()}

    def get_config(self):
        return {**super().get_config(), "patch": self.patch, "mask_ratio": self.mask_ratio,
                "seed": self.seed}
