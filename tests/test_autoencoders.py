"""Convolutional, denoising and linear autoencoders, and PCA."""

import keras
import numpy as np
import pytest
from keras import layers

pytestmark = pytest.mark.usefixtures("seeded")


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.fixture(scope="module")
def images(small_data):
    return small_data[0][:8]


# --- shapes and layers -----------------------------------------------------


def test_encoder_output_shape(solution, images):
    assert tuple(solution.autoencoder.Encoder(5)(images).shape) == (8, 5)


def test_decoder_output_shape_and_range(solution):
    codes = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    out = numpy(solution.autoencoder.Decoder(5)(codes))
    assert out.shape == (3, 28, 28, 1)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_decoder_upsamples_with_conv2d_transpose(solution):
    decoder = solution.autoencoder.Decoder(5)
    decoder(np.zeros((1, 5), "float32"))
    sublayers = decoder._flatten_layers(include_self=False)
    strided = [
        layer for layer in sublayers
        if isinstance(layer, layers.Conv2DTranspose) and tuple(layer.strides) == (2, 2)
    ]
    assert len(strided) == 2  # 7 -> 14 -> 28
    assert not any(isinstance(layer, layers.UpSampling2D) for layer in sublayers)


@pytest.mark.parametrize("name", ["Autoencoder", "DenoisingAutoencoder", "LinearAutoencoder"])
def test_autoencoders_reconstruct_images_of_the_input_shape(solution, images, name):
    model = getattr(solution.autoencoder, name)(latent_dim=4)
    assert tuple(model(images).shape) == (8, 28, 28, 1)


# --- denoising -------------------------------------------------------------


def record_encoder_inputs(model):
    """Makes the (built) model's encoder keep a copy of each input in a list."""
    seen, encode = [], model.encoder.call

    def recording_call(x):
        seen.append(numpy(x))
        return encode(x)

    model.encoder.call = recording_call
    return seen


def test_denoising_noise_only_in_training(solution, images):
    model = solution.autoencoder.DenoisingAutoencoder(latent_dim=4, seed=0)
    first = numpy(model(images, training=True))
    second = numpy(model(images, training=True))
    assert not np.allclose(first, second)

    clean = numpy(model(images, training=False))
    np.testing.assert_array_equal(clean, numpy(model(images, training=False)))
    np.testing.assert_allclose(clean, numpy(model.decoder(model.encoder(images))), atol=1e-6)


def test_denoising_input_is_clipped_gaussian_noise(solution):
    model = solution.autoencoder.DenoisingAutoencoder(latent_dim=4, noise_stddev=0.3, seed=0)
    x = np.full((8, 28, 28, 1), 0.5, "float32")
    model(x)  # build
    seen = record_encoder_inputs(model)

    model(x, training=False)
    model(x, training=True)
    clean, noisy = seen

    np.testing.assert_array_equal(clean, x)
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    # 0.5 + N(0, 0.3^2) leaves [0, 1] with probability 2 * P(Z > 1.667) = 0.0956;
    # over 6,272 pixels the standard error is 0.0037. Unscaled noise (std 1)
    # would clip 62 % of the pixels, no clipping none.
    clipped = np.mean((noisy == 0.0) | (noisy == 1.0))
    assert abs(clipped - 0.0956) < 0.02, clipped
    inside = noisy[(noisy > 0.0) & (noisy < 1.0)]
    assert 0.2 < inside.std() < 0.3  # N(0.5, 0.3^2) truncated to (0, 1): 0.239


# --- PCA -------------------------------------------------------------------


@pytest.fixture(scope="module")
def correlated_data():
    """300 points in 6-D with distinct variances along random directions, mean not 0."""
    rng = np.random.default_rng(0)
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    scales = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.2])
    return rng.normal(size=(300, 6)) * scales @ rotation.T + np.arange(6.0)


def test_pca_matches_the_covariance_eigenvectors(solution, correlated_data):
    components, mean, ratio = solution.autoencoder.pca(correlated_data, 3)

    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(correlated_data, rowvar=False))
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]

    assert components.shape == (3, 6) and mean.shape == (6,) and ratio.shape == (3,)
    np.testing.assert_allclose(mean, correlated_data.mean(axis=0), atol=1e-10)
    np.testing.assert_allclose(components @ components.T, np.eye(3), atol=1e-10)
    # Components are defined up to sign.
    np.testing.assert_allclose(np.abs(components @ eigenvectors[:, :3]), np.eye(3), atol=1e-8)
    np.testing.assert_allclose(ratio, eigenvalues[:3] / eigenvalues.sum(), rtol=1e-8)


def test_pca_flattens_images(solution, small_data):
    components, mean, ratio = solution.autoencoder.pca(small_data[0][:100], 2)
    assert components.shape == (2, 784) and mean.shape == (784,)
    assert 0 < ratio[1] <= ratio[0] < 1


@pytest.mark.parametrize("k", [0, -1, 7])
def test_pca_rejects_bad_k(solution, correlated_data, k):
    with pytest.raises(ValueError, match="k"):
        solution.autoencoder.pca(correlated_data, k)


def max_principal_angle(a, b):
    """Largest principal angle, in degrees, between the row spaces of `a` and `b`."""
    basis_a, _ = np.linalg.qr(a.T)
    basis_b, _ = np.linalg.qr(b.T)
    cosines = np.linalg.svd(basis_a.T @ basis_b, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines.min(), -1.0, 1.0)))


def test_linear_autoencoder_spans_the_pca_subspace(solution, sample_data):
    k, x = 4, sample_data[0][:3000]
    components, _, _ = solution.autoencoder.pca(x, k)
    model = solution.autoencoder.LinearAutoencoder(latent_dim=k)
    steps_per_epoch = len(x) // 100
    learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay(
        [10 * steps_per_epoch], [1e-2, 1e-3]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    model.fit(x, x, batch_size=100, epochs=20, verbose=0)

    decoder_kernel = numpy(model.decoder.kernel)
    assert decoder_kernel.shape == (k, 784)
    # A random 4-D subspace of R^784 is ~90 degrees away from the PCA subspace,
    # and so is one that misses a single principal direction. Measured with
    # seeds 0, 1, 2: 0.9, 0.7 and 3.2 degrees.
    assert max_principal_angle(decoder_kernel, components) < 10.0
