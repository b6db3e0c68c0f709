# GENERATED FILE: do not edit. Generated from assignment/solution/sparse_autoencoder.py by `python -m autograder build-stencil`.
# This is your file: fill in every TODO below.
"""Sparse autoencoders: codes in which most units are silent for any one image.

A plain autoencoder may spread every image over all the units of its code. A
*sparse* autoencoder adds a penalty on the code itself,

    loss = reconstruction_error(x, x_hat) + l1 * mean_over_batch(||f(x)||_1),

so that each image is described by a few active units, different ones for
different images. The penalty is *data-dependent*: it is computed on the
codes `z = f(x)` of the batch, not on the weights, so it changes with the
images the model sees. (An L1 penalty on the weights, `kernel_regularizer`,
makes the weights sparse, which is another thing.)

Why L1 and not L2: the gradient of `|z|` is `sign(z)`, the same pull towards 0
however small `z` already is, so small units are pushed all the way to 0. The
gradient of `z^2` is `2 z`, which fades as `z` shrinks: L2 makes every unit
small, none of them zero.

The penalty is averaged over the batch, as the mean squared error is, so that
`l1` means the same at any batch size. Keras's own
`activity_regularizer=keras.regularizers.L1(l1)` computes the same thing (Keras
3 divides the regularizer of a layer's output by the batch size).
"""

import keras
from keras import ops

from autoencoder import PACKAGE, Autoencoder


def sparsity_penalty(z, l1):
    """The L1 sparsity penalty of a batch of codes: `l1 * mean_over_batch(sum_i |z_i|)`.

    Sum `|z_i|` over the code units of each example (`ops.abs`, `ops.sum(...,
    axis=-1)`), then average over the batch (`ops.mean`): the penalty must not
    grow with the batch size, just as the mean squared error it is added to.

    Args:
        z: codes, tensor of shape `(N, k)`.
        l1: float, the weight of the penalty.

    Returns:
        A scalar tensor.
    """
    # TODO 6.1: Return l1 times the batch mean of each code's L1 norm, sum_i |z_i|: a scalar.
    raise NotImplementedError("TODO 6.1: Return l1 times the batch mean of each code's L1 norm, sum_i |z_i|: a scalar.")


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseAutoencoder(Autoencoder):
    """Autoencoder whose code is pushed towards sparsity by an L1 penalty on the code.

    `call` encodes `x` to the code `z = self.encoder(x)`, registers
    `sparsity_penalty(z, self.l1)` with `self.add_loss`, and returns
    `self.decoder(z)`. Trained with `compile(loss="mse")` and `fit(x, x)`, Keras
    adds `sum(self.losses)` to the mean squared error, so the model minimises
    `MSE + l1 * mean_over_batch(||z||_1)`.

    Usage:
        model = SparseAutoencoder(latent_dim=32, l1=3e-5)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x_train, x_train, epochs=10)

    Args:
        latent_dim: int, size of the code.
        l1: float >= 0, weight of the sparsity penalty.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.
        training: bool, whether the model is training (the penalty is
            registered at every call).

    Returns:
        The reconstruction, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=32, l1=3e-5, **kwargs):
        super().__init__(latent_dim=latent_dim, **kwargs)
        if l1 < 0:
            raise ValueError(f"`l1` must be >= 0, got {l1}.")
        self.l1 = l1

    def encode(self, x):
        """The code of `x`: the encoder's output through a ReLU, shape `(N, latent_dim)`."""
        return ops.relu(self.encoder(x))

    def call(self, x, training=False):
        # TODO 6.2: Encode x, register sparsity_penalty of the code (weight self.l1) with self.add_loss, and return the decoded code.
        raise NotImplementedError("TODO 6.2: Encode x, register sparsity_penalty of the code (weight self.l1) with self.add_loss, and return the decoded code.")

    def get_config(self):
        return {**super().get_config(), "l1": self.l1}
