"""Bonus: the vector-quantized VAE (VQ-VAE, van den Oord et al., 2017).

Instead of a Gaussian code, the VQ-VAE encodes an image into a 7x7 grid of
vectors `z_e` and replaces each vector by the nearest entry of a learned
*codebook* of `K` vectors: the code is discrete, a 7x7 grid of integers in
`[0, K)`.

Picking the nearest codeword (an `argmin`) has no gradient. The
*straight-through estimator* copies the decoder's gradient from the quantized
vectors `z_q` to the encoder's `z_e` as if quantization were the identity:
`z_q_st = z_e + stop_gradient(z_q - z_e)` equals `z_q` in the forward pass and
has gradient 1 with respect to `z_e` in the backward pass.

Because the straight-through gradient never reaches the codebook, two extra
losses are added (`sg` is `stop_gradient`):

- the *codebook loss* `||sg[z_e] - e||^2` moves the codewords towards the
  encoder outputs that chose them;
- the *commitment loss* `beta * ||z_e - sg[e]||^2` keeps the encoder outputs
  close to their codewords, so that they do not drift away.
"""

import keras
from keras import layers, ops

from autoencoder import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class VectorQuantizer(layers.Layer):
    """Replaces each vector of the last axis by its nearest codeword.

    Args:
        num_embeddings: int, `K`, the number of codewords.
        embedding_dim: int, `D`, the size of each codeword (the last axis of
            the input).
        beta: float, weight of the commitment loss.

    Call arguments:
        z_e: encoder outputs of shape `(..., D)`.

    Returns:
        The quantized vectors with straight-through gradients, same shape as
        `z_e`. Adds `mean((sg[z_e] - z_q)^2) + beta * mean((z_e - sg[z_q])^2)`
        with `self.add_loss`, each mean over every entry (the handout's
        squared norm per vector averaged over the vectors, `D` times larger,
        is accepted too, when both losses use it).

    `z_q` is `ops.take(self.codebook, self.indices(z_e), axis=0)`; `sg` is
    `ops.stop_gradient`.
    """

    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = beta
        self.codebook = self.add_weight(
            shape=(num_embeddings, embedding_dim),
            initializer="random_uniform",
            name="codebook",
        )

    def indices(self, z_e):
        """Index of the nearest codeword (squared Euclidean distance) for each vector.

        Flatten `z_e` to `(M, D)` vectors and compute all `M x K` distances at
        once with `||a - e||^2 = ||a||^2 - 2 a.e + ||e||^2` (one `ops.matmul`
        with the transposed codebook), take `ops.argmin` over the codewords and
        reshape back.

        Args:
            z_e: tensor of shape `(..., D)`.

        Returns:
            int tensor of shape `z_e.shape[:-1]`.
        """
        # BEGIN SOLUTION TODO 5.1: Return the index of the nearest codeword (squared Euclidean distance) for every vector of z_e, shape z_e.shape[:-1].
        flat = ops.reshape(z_e, (-1, self.embedding_dim))
        distances = (
            ops.sum(ops.square(flat), axis=1, keepdims=True)
            - 2.0 * ops.matmul(flat, ops.transpose(self.codebook))
            + ops.sum(ops.square(self.codebook), axis=1)
        )
        return ops.reshape(ops.argmin(distances, axis=1), ops.shape(z_e)[:-1])
        # END SOLUTION

    def call(self, z_e):
        # BEGIN SOLUTION TODO 5.2: Look up z_q, the nearest codewords; add codebook loss + beta * commitment loss with self.add_loss; return z_e + stop_gradient(z_q - z_e).
        z_q = ops.take(self.codebook, self.indices(z_e), axis=0)
        codebook_loss = ops.mean(ops.square(ops.stop_gradient(z_e) - z_q))
        commitment_loss = ops.mean(ops.square(z_e - ops.stop_gradient(z_q)))
        self.add_loss(codebook_loss + self.beta * commitment_loss)
        return z_e + ops.stop_gradient(z_q - z_e)
        # END SOLUTION

    def get_config(self):
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "beta": self.beta,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class VQVAE(keras.Model):
    """VQ-VAE: convolutional encoder, `VectorQuantizer`, `Conv2DTranspose` decoder.

    The encoder maps `(N, 28, 28, 1)` to a `(N, 7, 7, embedding_dim)` grid, the
    quantizer snaps each of the 49 vectors to a codeword, and the decoder
    upsamples back to `(N, 28, 28, 1)`. Train with the mean squared error; the
    quantizer's losses are added automatically through `self.losses`:

        model = VQVAE()
        model.compile(optimizer="adam", loss="mse")
        model.fit(x_train, x_train, epochs=5)

    Args:
        num_embeddings: int, codebook size `K`.
        embedding_dim: int, codeword size `D`.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.

    Returns:
        The reconstruction, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, num_embeddings=64, embedding_dim=16, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.encoder = keras.Sequential(
            [
                layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
                layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
                layers.Conv2D(embedding_dim, 1),
            ],
            name="encoder",
        )
        self.quantizer = VectorQuantizer(num_embeddings, embedding_dim)
        self.decoder = keras.Sequential(
            [
                layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
                layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
                layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
            ],
            name="decoder",
        )

    def call(self, x, training=False):
        return self.decoder(self.quantizer(self.encoder(x)))

    def codes(self, x):
        """The discrete code of each image: int tensor of shape `(N, 7, 7)`."""
        return self.quantizer.indices(self.encoder(x))

    def get_config(self):
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
        }
