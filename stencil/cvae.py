# GENERATED FILE: do not edit. Generated from assignment/solution/cvae.py by `python -m autograder build-stencil`.
# This is your file: fill in every TODO below.
"""The conditional VAE (CVAE): generate an image of the class you ask for.

A VAE's prior samples come from every class at random. A conditional VAE gives
the class label `y` to both networks: the encoder models `q(z | x, y)` and the
decoder `p(x | z, y)`. Since the decoder already knows the class, the code `z`
only has to describe *how* the item looks (its style: thickness, slant, shape),
and `sample(labels)` decodes prior draws with the label of your choice.

Here the label enters as a one-hot vector: appended to the image as 10 constant
channels for the encoder (so the `VAEEncoder` sees `(N, 28, 28, 1 + 10)`), and
concatenated to `z` for the decoder (so the `Decoder` sees `(N, k + 10)`). The
loss, `call` with `add_loss` and `train_step` are inherited from `VAE`.
"""

import keras
from keras import ops

from autoencoder import PACKAGE
from vae import VAE


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditionalVAE(VAE):
    """VAE conditioned on an integer class label.

    Trained on pairs: `cvae.fit(x_train, y_train)` with integer labels `y`.

    Args:
        latent_dim: int, `k`.
        num_classes: int, number of classes of the labels.
        beta: float, weight of the KL term.
        seed: optional int, seed of the sampling noise.

    Call arguments:
        inputs: a pair `(x, labels)`: images `(N, 28, 28, 1)` and integer labels `(N,)`.
        training: bool, whether the model is training.

    Returns:
        The reconstruction of a sampled code, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=2, num_classes=10, beta=1.0, seed=None, **kwargs):
        super().__init__(latent_dim=latent_dim, beta=beta, seed=seed, **kwargs)
        # `self.encoder` and `self.decoder` are VAE's, unchanged: their first
        # layers simply get more input channels / features when they are built.
        self.num_classes = num_classes

    def one_hot(self, labels):
        """Integer labels `(N,)` -> float32 one-hot vectors `(N, num_classes)`."""
        return ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def encode(self, inputs):
        """Returns `(z_mean, z_log_var)` for a pair `(x, labels)`.

        The one-hot labels `(N, num_classes)` are reshaped to
        `(N, 1, 1, num_classes)`, broadcast to `(N, 28, 28, num_classes)`
        (`ops.broadcast_to`) and concatenated to `x` on the channel axis, so
        that `self.encoder` sees `(N, 28, 28, 1 + num_classes)`.

        Args:
            inputs: a pair `(x, labels)`: images `(N, 28, 28, 1)` and integer
                labels `(N,)`.

        Returns:
            A tuple `(z_mean, z_log_var)`, each of shape `(N, latent_dim)`.
        """
        x, labels = inputs
        # TODO 4.1: Broadcast the one-hot labels to (N, 28, 28, num_classes), concatenate them to x on the last axis and return self.encoder of the result.
        raise NotImplementedError("TODO 4.1: Broadcast the one-hot labels to (N, 28, 28, num_classes), concatenate them to x on the last axis and return self.encoder of the result.")

    def decode(self, inputs):
        """Returns the images decoded from a pair `(z, labels)`.

        `self.decoder` sees `z` and the one-hot labels concatenated on the last
        axis, `(N, latent_dim + num_classes)`.

        Args:
            inputs: a pair `(z, labels)`: codes `(N, latent_dim)` and integer
                labels `(N,)`.

        Returns:
            Images of shape `(N, 28, 28, 1)`.
        """
        z, labels = inputs
        # TODO 4.2: Concatenate z and the one-hot labels on the last axis, (N, k + num_classes), and return self.decoder of the result.
        raise NotImplementedError("TODO 4.2: Concatenate z and the one-hot labels on the last axis, (N, k + num_classes), and return self.decoder of the result.")

    def call(self, inputs, training=False):
        x, labels = inputs
        # TODO 4.3: Do what VAE.call does, but pass (x, labels) to self.encode and (z, labels) to self.decode.
        raise NotImplementedError("TODO 4.3: Do what VAE.call does, but pass (x, labels) to self.encode and (z, labels) to self.decode.")

    def unpack_batch(self, data):
        """Splits a batch `(x, labels)` from `fit` into `((x, labels), x)`."""
        x, labels = data[:2]
        return (x, labels), x

    def sample(self, labels, seed=None):
        """Decodes one prior draw per requested label.

        Args:
            labels: integer labels, shape `(n,)`.
            seed: optional int; the same seed gives the same images.

        Returns:
            Images of shape `(n, 28, 28, 1)`, image `i` of class `labels[i]`.
        """
        labels = ops.convert_to_tensor(labels, dtype="int32")
        # TODO 4.4: Draw one prior code per label with self.draw_prior and return the codes decoded with their labels.
        raise NotImplementedError("TODO 4.4: Draw one prior code per label with self.draw_prior and return the codes decoded with their labels.")

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
