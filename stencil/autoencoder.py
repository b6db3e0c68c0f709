# GENERATED FILE: do not edit. Generated from assignment/solution/autoencoder.py by `python -m autograder build-stencil`.
# This is your file: fill in every TODO below.
"""Autoencoders: learned dimensionality reduction.

An autoencoder squeezes an image `x` through a small code `z = encoder(x)` and
tries to rebuild it, `x_hat = decoder(z)`, minimising the reconstruction error.
Because the code is much smaller than the image (here 784 pixels -> a few dozen
numbers), the network must learn what the images have in common.

- A *linear* autoencoder trained with the mean squared error learns the same
  subspace as PCA: the top-k principal components. Non-linear encoders and
  decoders can follow curved manifolds that PCA cannot.
- The *convolutional* encoder halves the image twice with stride-2 convolutions
  (28 -> 14 -> 7); the decoder mirrors it with stride-2 transposed convolutions
  (7 -> 14 -> 28).
- A *denoising* autoencoder sees a corrupted image during training and must
  reconstruct the clean one, so it cannot simply copy its input.

An autoencoder can *generate* images (decode any code you like), but it is not
a *generative model*: nothing tells us which codes are valid, and a random code
usually decodes to garbage. The VAE (`vae.py`) fixes that.

All images are float32 in [0, 1] with shape `(N, 28, 28, 1)`.
"""

import keras
import numpy as np
from keras import layers, ops

IMAGE_SHAPE = (28, 28, 1)
PACKAGE = "ae_assignment"


@keras.saving.register_keras_serializable(package=PACKAGE)
class Encoder(layers.Layer):
    """Convolutional encoder: `(N, 28, 28, 1) -> (N, latent_dim)`.

    Two `Conv2D` layers with 3x3 kernels, stride 2, `"same"` padding and ReLU halve
    the image twice (28 -> 14 -> 7), then `Flatten` and a `Dense` layer with no
    activation produce the code.

    Args:
        latent_dim: int, size of the code.
        filters: pair of ints, the number of filters of the two convolutions.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.

    Returns:
        Codes of shape `(N, latent_dim)`.
    """

    def __init__(self, latent_dim, filters=(32, 64), **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.filters = tuple(filters)
        # TODO 2.1: Create one Conv2D(f, 3, strides=2, padding='same', activation='relu') per f in self.filters, a Flatten and a Dense(latent_dim) code layer.
        raise NotImplementedError("TODO 2.1: Create one Conv2D(f, 3, strides=2, padding='same', activation='relu') per f in self.filters, a Flatten and a Dense(latent_dim) code layer.")

    def call(self, x):
        # TODO 2.2: Apply the convolutions, the Flatten and the Dense layer to `x` and return the code.
        raise NotImplementedError("TODO 2.2: Apply the convolutions, the Flatten and the Dense layer to `x` and return the code.")

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "filters": self.filters}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Decoder(layers.Layer):
    """Convolutional decoder: `(N, latent_dim) -> (N, 28, 28, 1)`, the encoder in reverse.

    `Dense(7 * 7 * filters[0], relu)` -> `Reshape((7, 7, filters[0]))` -> one
    `Conv2DTranspose` per entry of `filters` (3x3, stride 2, `"same"`, ReLU:
    7 -> 14 -> 28) -> a final `Conv2D(1, 3, padding="same")` with a sigmoid so that
    pixels lie in [0, 1].

    Why `"same"` padding: a stride-2 transposed convolution with `"same"` padding
    doubles the size exactly (`n * s`). With `"valid"` padding a 3x3 kernel would
    give `(7 - 1) * 2 + 3 = 15`, not 14. In general several sizes shrink to the
    same size under a strided convolution, so a transposed convolution has to be
    told which one to produce: that is what `output_padding` is for.

    Upsampling must be done by `Conv2DTranspose` layers (not `UpSampling2D`).

    Args:
        latent_dim: int, size of the code.
        filters: pair of ints, the number of filters of the two transposed
            convolutions (the first is also the depth of the 7x7 feature map).

    Call arguments:
        z: codes of shape `(N, latent_dim)`.

    Returns:
        Images of shape `(N, 28, 28, 1)` with values in [0, 1].
    """

    def __init__(self, latent_dim, filters=(64, 32), **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.filters = tuple(filters)
        # TODO 2.3: Create the Dense and Reshape to (7, 7, filters[0]), one stride-2 Conv2DTranspose per f in self.filters, and the sigmoid Conv2D output layer.
        raise NotImplementedError("TODO 2.3: Create the Dense and Reshape to (7, 7, filters[0]), one stride-2 Conv2DTranspose per f in self.filters, and the sigmoid Conv2D output layer.")

    def call(self, z):
        # TODO 2.4: Apply the Dense, the Reshape, the Conv2DTranspose layers and the output layer to `z` and return the images.
        raise NotImplementedError("TODO 2.4: Apply the Dense, the Reshape, the Conv2DTranspose layers and the output layer to `z` and return the images.")

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "filters": self.filters}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Autoencoder(keras.Model):
    """Convolutional autoencoder, trained with the mean squared error.

    Usage:
        model = Autoencoder(latent_dim=32)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x_train, x_train, epochs=10)

    Args:
        latent_dim: int, size of the code.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.
        training: bool, whether the model is training.

    Returns:
        The reconstruction, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.encoder = Encoder(latent_dim)
        self.decoder = Decoder(latent_dim)

    def call(self, x, training=False):
        return self.decoder(self.encoder(x))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package=PACKAGE)
class DenoisingAutoencoder(Autoencoder):
    """Autoencoder that learns to remove Gaussian noise.

    During training, `call` corrupts its input, `x_noisy = clip(x + noise_stddev * eps,
    0, 1)` with `eps ~ N(0, I)`, and reconstructs from `x_noisy`; the training target
    stays the clean image (`model.fit(x, x)`). At inference (`training=False`) no
    noise is added: the model is then used to clean images you give it.

    Draw `eps` with `keras.random.normal(shape, seed=self.seed_generator)`, which
    gives fresh noise at every training step, and clip with `ops.clip`.

    Args:
        latent_dim: int, size of the code.
        noise_stddev: float, standard deviation of the training noise.
        seed: optional int, seed of the noise.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.
        training: bool; noise is added only when True.

    Returns:
        The reconstruction, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=32, noise_stddev=0.3, seed=None, **kwargs):
        super().__init__(latent_dim=latent_dim, **kwargs)
        self.noise_stddev = noise_stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        # TODO 2.5: If training, replace `x` by clip(x + noise_stddev * eps, 0, 1) with eps ~ N(0, I) drawn from self.seed_generator; otherwise leave `x` as it is.
        raise NotImplementedError("TODO 2.5: If training, replace `x` by clip(x + noise_stddev * eps, 0, 1) with eps ~ N(0, I) drawn from self.seed_generator; otherwise leave `x` as it is.")
        return super().call(x, training=training)

    def get_config(self):
        return {**super().get_config(), "noise_stddev": self.noise_stddev, "seed": self.seed}


def pca(x, k):
    """Principal component analysis with NumPy.

    Flattens every example to a vector of `D` numbers, centres the data on its
    mean and takes the singular value decomposition `X_c = U S V^T`
    (`np.linalg.svd(X_c, full_matrices=False)`). The rows of `V^T` are the
    principal directions, sorted by the variance they explain, `S**2 / (N - 1)`;
    component `i` explains the fraction `S_i**2 / sum_j S_j**2` of the total
    variance (the sum runs over all singular values, not only the top k).
    Without centring, the first "component" points at the mean image instead.

    Args:
        x: array of shape `(N, ...)`, e.g. images `(N, 28, 28, 1)`.
        k: int, the number of components to keep, `1 <= k <= min(N, D)`.

    Returns:
        A tuple `(components, mean, explained_variance_ratio)`: components of
        shape `(k, D)` with orthonormal rows, the mean of shape `(D,)`, and the
        fraction of the total variance each component explains, shape `(k,)`.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if not 1 <= k <= min(x.shape):
        raise ValueError(f"`k` must be between 1 and {min(x.shape)}, got {k}.")
    # TODO 2.6: Centre `x` on its mean, take the SVD of the centred data and return (the top-k rows of V^T, the mean, their explained-variance ratios).
    raise NotImplementedError("TODO 2.6: Centre `x` on its mean, take the SVD of the centred data and return (the top-k rows of V^T, the mean, their explained-variance ratios).")


@keras.saving.register_keras_serializable(package=PACKAGE)
class LinearAutoencoder(keras.Model):
    """Autoencoder with one `Dense` layer each way and no activation.

    `z = W_e x + b_e`, `x_hat = W_d z + b_d`. Trained with the mean squared error,
    the decoder's weight rows span the same k-dimensional subspace as the top-k
    principal components (Baldi & Hornik, 1989) -- though not necessarily the
    components themselves: any invertible mix of them gives the same error.

    Args:
        latent_dim: int, size of the code.

    Call arguments:
        x: images of shape `(N, 28, 28, 1)`.

    Returns:
        The reconstruction, shape `(N, 28, 28, 1)`.
    """

    def __init__(self, latent_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.flatten = layers.Flatten()
        self.encoder = layers.Dense(latent_dim)
        self.decoder = layers.Dense(int(np.prod(IMAGE_SHAPE)))
        self.reshape = layers.Reshape(IMAGE_SHAPE)

    def call(self, x, training=False):
        return self.reshape(self.decoder(self.encoder(self.flatten(x))))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}
