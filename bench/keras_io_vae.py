"""The keras.io "Variational AutoEncoder" example, the baseline of the benchmarks.

The model and training step of https://keras.io/examples/generative/vae/
(François Chollet, Keras 3 version), unchanged: a functional encoder (two
stride-2 `Conv2D` of 32 and 64 filters, `Dense(16)`, latent 2), a functional
decoder (`Dense(7 * 7 * 64)`, `Conv2DTranspose` 64 / 32 / 1) and a `keras.Model`
whose `train_step` minimises the summed binary cross-entropy plus the KL term.
The example trains it with `Adam()` (learning rate 1e-3), batch size 128, for
30 epochs, from NumPy arrays.

Only what the benchmarks need is added: `build_keras_io_vae` returns the
compiled model, and `encode` / `decode` give the benchmarks the same view of
it as of our VAE.
"""

import keras
import tensorflow as tf
from keras import layers, ops

LATENT_DIM = 2
EPOCHS = 30
BATCH_SIZE = 128


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder(latent_dim=LATENT_DIM):
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim=LATENT_DIM):
    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


class KerasIoVAE(keras.Model):
    """The example's `VAE` model (named apart from ours)."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(
                    keras.losses.binary_crossentropy(data, reconstruction),
                    axis=(1, 2),
                )
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }

    def encode(self, x):
        """`(z_mean, z_log_var)` of images `x`."""
        z_mean, z_log_var, _ = self.encoder(x)
        return z_mean, z_log_var

    def decode(self, z):
        """Images decoded from codes `z`."""
        return self.decoder(z)


def build_keras_io_vae():
    """The example's VAE, compiled as the example compiles it."""
    vae = KerasIoVAE(build_encoder(), build_decoder())
    vae.compile(optimizer=keras.optimizers.Adam())
    return vae


def train_keras_io_vae(x_train, epochs=EPOCHS, callbacks=None, verbose=0):
    """Trains the example's VAE as the example does: `fit` on NumPy arrays, batch 128."""
    vae = build_keras_io_vae()
    vae.fit(x_train, epochs=epochs, batch_size=BATCH_SIZE, callbacks=callbacks, verbose=verbose)
    return vae
