"""The variational autoencoder (VAE).

An autoencoder maps each image to one code, and nothing says which codes are
meaningful. A VAE maps each image to a *distribution* over codes,
`q(z | x) = N(mu(x), diag(sigma(x)^2))`, and pulls every such distribution
towards the prior `p(z) = N(0, I)`. After training, codes drawn from the prior
decode to plausible images: the VAE is a generative model.

The loss is the negative evidence lower bound (ELBO), per example:

    loss = reconstruction_loss(x, x_hat) + beta * KL(q(z | x) || N(0, I))

- The encoder has two `Dense` heads: the mean `mu` and the *log-variance*
  `log sigma^2`. A variance must be positive, but a Dense layer outputs any real
  number; predicting its logarithm needs no constraint and is numerically
  tame (`exp(log sigma^2)` is always positive).
- The *reparameterization trick*: sampling `z ~ N(mu, sigma^2)` is not
  differentiable in `mu` and `sigma`, but `z = mu + sigma * eps` with
  `eps ~ N(0, I)` is, and has the same distribution. The randomness moves into
  `eps`, and gradients flow through `mu` and `sigma = exp(0.5 * log sigma^2)`.
- The KL between two Gaussians has a closed form:
  `KL = 0.5 * sum_i (mu_i^2 + sigma_i^2 - log sigma_i^2 - 1)`, summed over the
  latent dimensions.
- `beta` weighs the KL term. `beta = 1` is the true ELBO; larger `beta` gives a
  smoother, more disentangled latent space but blurrier images; `beta = 0` is a
  plain (noisy) autoencoder. When the KL term wins, some latent dimensions
  stop carrying information (`mu = 0`, `sigma = 1` for every image): that is
  *posterior collapse*.
"""

import keras
import tensorflow as tf
from keras import layers, ops

from autoencoder import PACKAGE, Decoder


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """Draws `z ~ N(z_mean, exp(z_log_var))` with the reparameterization trick.

    `z = z_mean + exp(0.5 * z_log_var) * eps`, with `eps ~ N(0, I)` drawn with
    `keras.random.normal` from the layer's `SeedGenerator`, so that every call
    draws fresh noise and a given seed reproduces the same sequence of draws.
    Gradients flow to both inputs: `dz/dz_mean = 1` and
    `dz/dz_log_var = 0.5 * exp(0.5 * z_log_var) * eps`.

    Create the `keras.random.SeedGenerator(seed)` once, in `__init__`, and pass
    it as the `seed` of `keras.random.normal(ops.shape(z_mean), seed=...)`: an
    int seed, or NumPy noise, would give the same `eps` at every training step.
    Note the `0.5`: `exp(0.5 * log sigma^2) = sigma`, the standard deviation.

    Args:
        seed: optional int, seed of the noise.

    Call arguments:
        inputs: a pair `[z_mean, z_log_var]`, each of shape `(N, k)`.

    Returns:
        `z`, shape `(N, k)`.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        # BEGIN SOLUTION TODO 3.1: Store a keras.random.SeedGenerator(seed) in self.seed_generator (an int seed would draw the same noise at every call).
        self.seed_generator = keras.random.SeedGenerator(seed)
        # END SOLUTION

    def call(self, inputs):
        z_mean, z_log_var = inputs
        # BEGIN SOLUTION TODO 3.2: Draw eps ~ N(0, I) of z_mean's shape from self.seed_generator and return z_mean + exp(0.5 * z_log_var) * eps.
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps
        # END SOLUTION

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def kl_divergence(z_mean, z_log_var):
    """KL divergence from `N(z_mean, exp(z_log_var))` to the prior `N(0, I)`, per example.

    `KL = 0.5 * sum_i (mu_i^2 + sigma_i^2 - log sigma_i^2 - 1)`, in nats, summed
    (not averaged) over the `k` latent dimensions. It is 0 exactly when
    `mu = 0` and `log sigma^2 = 0`. The input is the *log-variance*, so
    `sigma_i^2 = exp(z_log_var_i)`; use `ops.square`, `ops.exp` and
    `ops.sum(..., axis=-1)`.

    Args:
        z_mean: tensor of shape `(N, k)`, `mu`.
        z_log_var: tensor of shape `(N, k)`, `log sigma^2`.

    Returns:
        Tensor of shape `(N,)`.
    """
    # BEGIN SOLUTION TODO 3.3: Return 0.5 * sum_i (mu_i^2 + exp(log_var_i) - log_var_i - 1), summed over the last axis: shape (N,).
    return 0.5 * ops.sum(
        ops.square(z_mean) + ops.exp(z_log_var) - z_log_var - 1.0, axis=-1
    )
    # END SOLUTION


def reconstruction_loss(x, x_hat):
    """Binary cross-entropy between images and reconstructions, summed per example.

    Each pixel is treated as the probability of a Bernoulli variable:
    `-[x log x_hat + (1 - x) log(1 - x_hat)]`, summed (not averaged) over all
    pixels so that it is in nats per image, on the same scale as the KL.
    `keras.ops.binary_crossentropy(x, x_hat)` returns it per pixel (and clips
    `x_hat` away from 0 and 1); sum it over every axis but the first, e.g. after
    `ops.reshape(..., (ops.shape(x)[0], -1))`.

    Args:
        x: images, shape `(N, 28, 28, 1)`, values in [0, 1].
        x_hat: reconstructions, same shape, values in [0, 1].

    Returns:
        Tensor of shape `(N,)`.
    """
    # BEGIN SOLUTION TODO 3.4: Return the binary cross-entropy of x_hat against x, summed over every pixel of each image: shape (N,).
    per_pixel = ops.binary_crossentropy(x, x_hat)
    return ops.sum(ops.reshape(per_pixel, (ops.shape(x)[0], -1)), axis=-1)
    # END SOLUTION


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAEEncoder(layers.Layer):
    """Encoder of a VAE: a convolutional trunk and two Dense heads.

    Trunk: two stride-2 `Conv2D` layers (3x3, `"same"`, ReLU), `Flatten`, and a
    `Dense(hidden_dim, relu)`. Heads: `Dense(latent_dim)` for the mean and
    `Dense(latent_dim)` for the log-variance, both without activation (any real
    number is a valid mean and a valid log-variance).

    The keras.io VAE example uses the same trunk with `hidden_dim=16`. The heads
    read everything the encoder knows about an image from that layer; 128 units
    let them place each posterior more precisely for 1.5 % more computation
    (23.27 instead of 22.92 million multiply-adds per image, decoder included).
    Together with the training recipe of `assignment/training.py`, it gets our
    VAE to the example's final test loss 8 times sooner (the README's
    performance section has the measurements).

    Args:
        latent_dim: int, `k`.
        filters: pair of ints, filters of the two convolutions.
        hidden_dim: int, width of the Dense layer before the heads.

    Call arguments:
        x: images of shape `(N, 28, 28, C)`.

    Returns:
        A tuple `(z_mean, z_log_var)`, each of shape `(N, latent_dim)`.
    """

    def __init__(self, latent_dim, filters=(32, 64), hidden_dim=128, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.filters = tuple(filters)
        self.hidden_dim = hidden_dim
        self.trunk = [
            layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")
            for f in self.filters
        ] + [layers.Flatten(), layers.Dense(hidden_dim, activation="relu")]
        # BEGIN SOLUTION TODO 3.5: Create the two heads, Dense(latent_dim) for z_mean and Dense(latent_dim) for z_log_var, both without activation.
        self.dense_mean = layers.Dense(latent_dim, name="z_mean")
        self.dense_log_var = layers.Dense(latent_dim, name="z_log_var")
        # END SOLUTION

    def call(self, x):
        for layer in self.trunk:
            x = layer(x)
        # BEGIN SOLUTION TODO 3.6: Apply both heads to the trunk's output `x` and return (z_mean, z_log_var).
        return self.dense_mean(x), self.dense_log_var(x)
        # END SOLUTION

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "filters": self.filters,
            "hidden_dim": self.hidden_dim,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(keras.Model):
    """Variational autoencoder with a convolutional encoder and decoder.

    `call(x)` encodes `x` to `(z_mean, z_log_var)`, samples `z` with the
    reparameterization trick, decodes it, and registers the regularizer
    `beta * mean_over_batch(KL)` with `self.add_loss`, so that it appears in
    `self.losses`. The custom `train_step` minimises
    `mean_over_batch(reconstruction_loss) + sum(self.losses)`.

    Usage:
        vae = VAE(latent_dim=2)
        vae.compile(optimizer="adam")
        vae.fit(x_train, epochs=10, batch_size=128)

    Args:
        latent_dim: int, `k`.
        beta: float, weight of the KL term.
        seed: optional int, seed of the sampling noise.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.
        training: bool, whether the model is training.

    Returns:
        The reconstruction of a sampled code, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=2, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.beta = beta
        self.seed = seed
        self.encoder = VAEEncoder(latent_dim)
        self.decoder = Decoder(latent_dim)
        self.sampling = Sampling(seed)
        self.prior_seed_generator = keras.random.SeedGenerator(seed)
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        # Listed here so that Keras resets them at the start of each epoch.
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def encode(self, x):
        """Returns `(z_mean, z_log_var)` for images `x`."""
        return self.encoder(x)

    def decode(self, z):
        """Returns the images decoded from codes `z` of shape `(N, k)`."""
        return self.decoder(z)

    def add_kl_loss(self, z_mean, z_log_var):
        """Adds `beta * mean_over_batch(KL)` with `self.add_loss`.

        Also records the unweighted mean KL in `kl_loss_tracker`, so that
        `fit` reports the KL whatever `beta` is (even `beta = 0`).

        Args:
            z_mean: tensor of shape `(N, k)`.
            z_log_var: tensor of shape `(N, k)`.
        """
        # BEGIN SOLUTION TODO 3.7: Take the batch mean of kl_divergence, record it with self.kl_loss_tracker.update_state and register self.beta times it with self.add_loss.
        kl = ops.mean(kl_divergence(z_mean, z_log_var))
        self.kl_loss_tracker.update_state(kl)
        self.add_loss(self.beta * kl)
        # END SOLUTION

    def call(self, x, training=False):
        # BEGIN SOLUTION TODO 3.8: Encode x, call self.add_kl_loss, sample z with self.sampling([z_mean, z_log_var]) and return the decoded z.
        z_mean, z_log_var = self.encode(x)
        self.add_kl_loss(z_mean, z_log_var)
        return self.decode(self.sampling([z_mean, z_log_var]))
        # END SOLUTION

    def unpack_batch(self, data):
        """Splits a batch from `fit` into `(model_inputs, images)`."""
        x = data[0] if isinstance(data, (tuple, list)) else data
        return x, x

    def train_step(self, data):
        """One optimisation step on a batch; `fit` calls it for every batch.

        Under a `tf.GradientTape`, reconstructs `inputs` with
        `self(inputs, training=True)` (which also fills `self.losses` with the
        KL term through `add_loss`) and computes

            total_loss = mean_over_batch(reconstruction_loss(x, x_hat)) + sum(self.losses)

        then applies the gradients of `total_loss` with respect to
        `self.trainable_weights` with `self.optimizer.apply_gradients`, and
        updates `total_loss_tracker` and `reconstruction_loss_tracker` (the KL
        tracker is updated by `add_kl_loss`). `test_step` below computes the same
        loss without the tape.

        Args:
            data: a batch as given by `fit`.

        Returns:
            A dict `{"loss", "reconstruction_loss", "kl_loss"}` of the trackers'
            running means.
        """
        inputs, x = self.unpack_batch(data)
        # BEGIN SOLUTION TODO 3.9: Under a tf.GradientTape, compute batch-mean reconstruction_loss + ops.sum(self.losses); apply its gradients with self.optimizer; update the total and reconstruction loss trackers.
        with tf.GradientTape() as tape:
            x_hat = self(inputs, training=True)
            reconstruction = ops.mean(reconstruction_loss(x, x_hat))
            total_loss = reconstruction + ops.sum(self.losses)
        gradients = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        # END SOLUTION
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        inputs, x = self.unpack_batch(data)
        x_hat = self(inputs, training=False)
        reconstruction = ops.mean(reconstruction_loss(x, x_hat))
        self.total_loss_tracker.update_state(reconstruction + ops.sum(self.losses))
        self.reconstruction_loss_tracker.update_state(reconstruction)
        return {m.name: m.result() for m in self.metrics}

    def sample(self, n, seed=None):
        """Decodes `n` codes drawn from the prior `N(0, I)`.

        Args:
            n: int, number of images.
            seed: optional int; the same seed gives the same images. Without a
                seed, every call draws new codes.

        Returns:
            Images of shape `(n, 28, 28, 1)`.
        """
        return self.decode(self.draw_prior(n, seed))

    def draw_prior(self, n, seed=None):
        """Draws `n` codes from the prior `N(0, I)`, shape `(n, latent_dim)`.

        With `seed=None` the draws come from the model's `prior_seed_generator`
        (new codes every call), otherwise from the given seed (same codes):
        `keras.random.normal(shape, seed=...)` takes either.
        """
        # BEGIN SOLUTION TODO 3.10: Return keras.random.normal of shape (n, latent_dim), seeded by `seed` when given, else by self.prior_seed_generator.
        seed = self.prior_seed_generator if seed is None else seed
        return keras.random.normal((n, self.latent_dim), seed=seed)
        # END SOLUTION

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "beta": self.beta,
            "seed": self.seed,
        }


def interpolate(z_start, z_end, steps):
    """Points on the straight line from `z_start` to `z_end`, both ends included.

    Args:
        z_start: tensor or array of shape `(k,)`.
        z_end: tensor or array of shape `(k,)`.
        steps: int >= 2, the number of points.

    Returns:
        float32 tensor of shape `(steps, k)`; row 0 is `z_start`, row `steps - 1`
        is `z_end`, and row `i` is `(1 - t_i) * z_start + t_i * z_end` with
        `t_i = i / (steps - 1)`.

    Hint: `ops.linspace(0.0, 1.0, steps)` reshaped to `(steps, 1)` broadcasts
    against `(k,)` vectors.
    """
    if steps < 2:
        raise ValueError(f"`steps` must be at least 2 to include both ends, got {steps}.")
    # BEGIN SOLUTION TODO 3.11: Return the float32 tensor (1 - t) * z_start + t * z_end of shape (steps, k), for `steps` values of t evenly spaced from 0 to 1.
    t = ops.reshape(ops.linspace(0.0, 1.0, steps), (steps, 1))
    z_start = ops.convert_to_tensor(z_start, dtype="float32")
    z_end = ops.convert_to_tensor(z_end, dtype="float32")
    return (1.0 - t) * z_start + t * z_end
    # END SOLUTION
