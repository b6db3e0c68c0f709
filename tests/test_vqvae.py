"""The VQ-VAE's vector quantizer: nearest codewords, straight-through gradients, losses."""

import keras
import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.usefixtures("seeded")

NUM_EMBEDDINGS, EMBEDDING_DIM, BETA = 8, 3, 0.5


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.fixture
def quantizer(solution):
    layer = solution.vqvae.VectorQuantizer(NUM_EMBEDDINGS, EMBEDDING_DIM, beta=BETA)
    layer.codebook.assign(
        np.random.default_rng(0).normal(size=(NUM_EMBEDDINGS, EMBEDDING_DIM)).astype("float32")
    )
    return layer


@pytest.fixture
def z_e():
    return tf.constant(np.random.default_rng(1).normal(size=(2, 4, 5, EMBEDDING_DIM)), tf.float32)


def nearest_codewords(z_e, codebook):
    """Brute force: the index of the closest codeword for every vector."""
    distances = ((z_e[..., None, :] - codebook) ** 2).sum(axis=-1)
    return distances.argmin(axis=-1)


def test_codebook_shape(quantizer):
    assert tuple(quantizer.codebook.shape) == (NUM_EMBEDDINGS, EMBEDDING_DIM)


def test_indices_are_the_nearest_codewords(quantizer, z_e):
    expected = nearest_codewords(numpy(z_e), numpy(quantizer.codebook))
    indices = numpy(quantizer.indices(z_e))
    assert indices.shape == (2, 4, 5)
    np.testing.assert_array_equal(indices, expected)
    assert len(np.unique(expected)) > 1  # the check means something


def test_output_is_the_nearest_codewords(quantizer, z_e):
    codebook = numpy(quantizer.codebook)
    expected = codebook[nearest_codewords(numpy(z_e), codebook)]
    np.testing.assert_allclose(numpy(quantizer(z_e)), expected, atol=1e-6)


def test_adds_codebook_plus_beta_commitment_loss(quantizer, z_e):
    codebook = numpy(quantizer.codebook)
    error = np.mean((numpy(z_e) - codebook[nearest_codewords(numpy(z_e), codebook)]) ** 2)
    quantizer(z_e)
    (loss,) = quantizer.losses
    # Both terms have the same value in the forward pass; they differ in their gradients.
    np.testing.assert_allclose(float(numpy(loss)), (1.0 + BETA) * error, rtol=1e-5)


def test_straight_through_gradient_is_the_identity(quantizer, z_e):
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z_e)
        total = tf.reduce_sum(quantizer(z_e))
    np.testing.assert_allclose(numpy(tape.gradient(total, z_e)), np.ones(z_e.shape))
    # The codebook receives nothing through the output: only through its loss.
    codebook_gradient = tape.gradient(total, quantizer.codebook)
    assert codebook_gradient is None or not np.any(numpy(codebook_gradient))


def test_loss_gradients_respect_the_stop_gradients(quantizer, z_e):
    """Codebook loss moves only the codewords; commitment loss moves only the encoder."""
    z = numpy(z_e).reshape(-1, EMBEDDING_DIM)
    codebook = numpy(quantizer.codebook)
    nearest = nearest_codewords(z, codebook)
    difference = z - codebook[nearest]  # (M, D)
    # d/de mean((sg[z_e] - e)^2): every vector pulls its own codeword.
    expected_codebook = np.zeros_like(codebook)
    np.add.at(expected_codebook, nearest, -2.0 * difference / difference.size)
    # d/dz_e beta * mean((z_e - sg[e])^2).
    expected_z_e = BETA * 2.0 * difference / difference.size

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z_e)
        quantizer(z_e)
        loss = tf.add_n(quantizer.losses)
    np.testing.assert_allclose(
        numpy(tape.gradient(loss, quantizer.codebook)), expected_codebook, atol=1e-7
    )
    np.testing.assert_allclose(
        numpy(tape.gradient(loss, z_e)).reshape(-1, EMBEDDING_DIM), expected_z_e, atol=1e-7
    )


def test_reconstruction_gradient_reaches_the_encoder(solution, small_data):
    model = solution.vqvae.VQVAE(num_embeddings=16, embedding_dim=4)
    x = small_data[0][:8]
    model(x)
    with tf.GradientTape() as tape:
        reconstruction = tf.reduce_mean(tf.square(model(x) - x))  # no quantizer loss
    encoder_kernels = [w for w in model.encoder.trainable_weights if "kernel" in w.path]
    gradients = tape.gradient(reconstruction, encoder_kernels)

    assert len(encoder_kernels) == 3
    for weight, gradient in zip(encoder_kernels, gradients):
        assert gradient is not None and np.any(numpy(gradient)), weight.path


def test_vqvae_shapes_and_codes(solution, small_data):
    model = solution.vqvae.VQVAE(num_embeddings=16, embedding_dim=4)
    x = small_data[0][:8]
    assert tuple(model(x).shape) == (8, 28, 28, 1)
    codes = numpy(model.codes(x))
    assert codes.shape == (8, 7, 7)
    assert codes.min() >= 0 and codes.max() < 16

