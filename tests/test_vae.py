"""The VAE: closed-form KL, reconstruction loss, sampling layer, model, training step."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.usefixtures("seeded")

BETA = 2.0  # of the trained model; not 1, so that a beta-weighted kl_loss shows.


@pytest.fixture(scope="session")
def trained_vae(solution, small_data):
    """A 2-D VAE fitted for 4 epochs on 512 images, and its `History`."""
    keras.utils.set_random_seed(0)
    x, _ = small_data
    model = solution.vae.VAE(latent_dim=2, beta=BETA, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(x, epochs=4, batch_size=64, verbose=0)
    return model, history


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


# --- kl_divergence ---------------------------------------------------------


@pytest.mark.parametrize(
    "z_mean, z_log_var, expected",
    [
        ([[0.0]], [[0.0]], [0.0]),
        ([[1.0]], [[0.0]], [0.5]),
        ([[0.0]], [[math.log(2.25)]], [0.5 * (2.25 - math.log(2.25) - 1.0)]),
        # Summed over the latent dimensions, one value per example.
        ([[1.0, 0.0], [0.0, 0.0]], [[0.0, math.log(2.25)], [0.0, 0.0]],
         [0.5 + 0.5 * (2.25 - math.log(2.25) - 1.0), 0.0]),
        ([[3.0, -1.0, 0.5]], [[0.0, 0.0, 0.0]], [0.5 * (9.0 + 1.0 + 0.25)]),
    ],
)
def test_kl_divergence_hand_computed(solution, z_mean, z_log_var, expected):
    kl = numpy(solution.vae.kl_divergence(
        np.array(z_mean, "float32"), np.array(z_log_var, "float32")
    ))
    assert kl.shape == (len(expected),)
    np.testing.assert_allclose(kl, expected, rtol=1e-6, atol=1e-7)


def test_kl_divergence_matches_monte_carlo(solution):
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated with 200,000 draws.
    rng = np.random.default_rng(0)
    mu = np.array([1.0, -0.5, 0.0], "float32")
    log_var = np.array([np.log(2.25), np.log(0.5), 0.3], "float32")
    sigma = np.exp(0.5 * log_var.astype(np.float64))
    z = mu + sigma * rng.standard_normal((200_000, 3))
    log_q = -0.5 * (((z - mu) / sigma) ** 2 + np.log(2 * np.pi) + log_var)
    log_p = -0.5 * (z**2 + np.log(2 * np.pi))
    terms = (log_q - log_p).sum(axis=1)
    estimate = terms.mean()
    standard_error = terms.std() / np.sqrt(len(terms))

    kl = float(numpy(solution.vae.kl_divergence(mu[None], log_var[None]))[0])

    # 5 standard errors: a correct closed form fails this once in ~2 million
    # seeds; the classic mistakes (no 1/2, log sigma for log sigma^2, a mean
    # over dimensions) miss by far more than that.
    assert abs(kl - estimate) < 5 * standard_error, (kl, estimate, standard_error)


# --- reconstruction_loss ---------------------------------------------------


def test_reconstruction_loss_is_binary_cross_entropy_summed_per_example(solution):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 28, 28, 1)).astype("float32")
    x[0] = np.round(x[0])  # binary pixels too
    x_hat = rng.uniform(0.01, 0.99, size=(3, 28, 28, 1)).astype("float32")
    expected = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(axis=(1, 2, 3))

    loss = numpy(solution.vae.reconstruction_loss(x, x_hat))

    assert loss.shape == (3,)
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


# --- Sampling --------------------------------------------------------------


def gaussian_inputs(n=20_000, k=2, mean=2.0, variance=0.25):
    z_mean = np.full((n, k), mean, "float32")
    z_log_var = np.full((n, k), np.log(variance), "float32")
    return z_mean, z_log_var


def test_sampling_shape(solution):
    z = solution.vae.Sampling()([np.zeros((5, 3), "float32"), np.zeros((5, 3), "float32")])
    assert tuple(z.shape) == (5, 3)


def test_sampling_has_the_requested_mean_and_standard_deviation(solution):
    z = numpy(solution.vae.Sampling(seed=1)(gaussian_inputs()))
    # 40,000 draws of N(2, 0.5^2): the standard error of the mean is 0.0025,
    # of the standard deviation 0.0018; the tolerances are over 5 of them.
    # (exp(log_var) instead of exp(0.5 * log_var) would give std 0.25.)
    assert abs(z.mean() - 2.0) < 0.015
    assert abs(z.std() - 0.5) < 0.01


def test_sampling_draws_fresh_noise_on_every_call(solution):
    layer = solution.vae.Sampling(seed=1)
    inputs = gaussian_inputs(n=4)
    assert not np.allclose(numpy(layer(inputs)), numpy(layer(inputs)))


def test_sampling_draws_fresh_noise_inside_tf_function(solution):
    layer = solution.vae.Sampling(seed=1)
    inputs = gaussian_inputs(n=4)
    draw = tf.function(lambda: layer(inputs))
    assert not np.allclose(numpy(draw()), numpy(draw()))


def test_sampling_with_a_seed_is_reproducible(solution):
    inputs = gaussian_inputs(n=4)
    first, second = solution.vae.Sampling(seed=7), solution.vae.Sampling(seed=7)
    for _ in range(2):
        np.testing.assert_array_equal(numpy(first(inputs)), numpy(second(inputs)))
    other = solution.vae.Sampling(seed=8)
    assert not np.allclose(numpy(other(inputs)), numpy(first(inputs)))


def test_sampling_gradients_follow_the_reparameterization(solution):
    rng = np.random.default_rng(0)
    mu = tf.constant(rng.normal(size=(4, 3)), tf.float32)
    log_var = tf.constant(rng.normal(size=(4, 3)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([mu, log_var])
        z = solution.vae.Sampling(seed=1)([mu, log_var])
        total = tf.reduce_sum(z)
    d_mu, d_log_var = tape.gradient(total, [mu, log_var])
    sigma = np.exp(0.5 * numpy(log_var))
    eps = (numpy(z) - numpy(mu)) / sigma

    np.testing.assert_allclose(numpy(d_mu), np.ones((4, 3)), rtol=1e-6)
    np.testing.assert_allclose(numpy(d_log_var), 0.5 * sigma * eps, rtol=1e-4, atol=1e-6)


# --- VAEEncoder ------------------------------------------------------------


def test_encoder_has_two_separate_heads(solution, small_data):
    z_mean, z_log_var = solution.vae.VAEEncoder(latent_dim=3)(small_data[0][:4])
    assert tuple(z_mean.shape) == tuple(z_log_var.shape) == (4, 3)
    # Two Dense layers with their own random weights cannot agree.
    assert not np.allclose(numpy(z_mean), numpy(z_log_var))


# --- VAE: the KL term in model.losses --------------------------------------


@pytest.fixture(scope="session")
def images(small_data):
    return small_data[0][:16]


def vaes_sharing_weights(vae_class, images, betas):
    """One built VAE per beta, all with the weights of the first."""
    models = [vae_class(latent_dim=3, beta=beta, seed=0) for beta in betas]
    for model in models:
        model(images)
        model.set_weights(models[0].get_weights())
    return models


def kl_term(model, images):
    """The one loss that `model(images)` adds."""
    model(images)
    (loss,) = model.losses
    return float(numpy(loss))


def test_call_adds_beta_times_mean_kl(solution, images):
    model = solution.vae.VAE(latent_dim=3, beta=1.0, seed=0)
    added = kl_term(model, images)
    # `encode` is deterministic: the same (z_mean, z_log_var) as inside `call`.
    z_mean, z_log_var = model.encode(images)
    expected = float(np.mean(numpy(solution.vae.kl_divergence(z_mean, z_log_var))))

    assert expected > 0
    np.testing.assert_allclose(added, expected, rtol=1e-5)


def test_beta_scales_the_kl_term(solution, images):
    models = vaes_sharing_weights(solution.vae.VAE, images, betas=(1.0, 0.0, 4.0))
    unit, zero, four = (kl_term(model, images) for model in models)

    assert unit > 0
    assert zero == 0.0
    np.testing.assert_allclose(four, 4.0 * unit, rtol=1e-5)


def test_train_step_reports_the_kl_unweighted_by_beta(solution, images):
    models = vaes_sharing_weights(solution.vae.VAE, images, betas=(1.0, 4.0))
    logs = []
    for model in models:
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.reset_metrics()  # as `fit` does at the start of each epoch
        logs.append({key: float(numpy(value)) for key, value in model.train_step(images).items()})
    unit, four = logs

    assert set(unit) == {"loss", "reconstruction_loss", "kl_loss"}
    assert unit["kl_loss"] > 0
    # Same weights, same images: same KL, whatever beta is.
    np.testing.assert_allclose(four["kl_loss"], unit["kl_loss"], rtol=1e-5)
    for beta, step in zip((1.0, 4.0), logs):
        np.testing.assert_allclose(
            step["loss"] - step["reconstruction_loss"], beta * step["kl_loss"], atol=1e-3
        )


# --- VAE: training ---------------------------------------------------------


def test_fit_reports_the_three_losses(trained_vae):
    _, history = trained_vae
    logs = history.history
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    # Every batch has loss = reconstruction + beta * KL, and so have the epoch means.
    np.testing.assert_allclose(
        logs["loss"],
        np.add(logs["reconstruction_loss"], BETA * np.asarray(logs["kl_loss"])),
        rtol=1e-4,
    )


def test_fit_decreases_the_loss(trained_vae):
    loss = trained_vae[1].history["loss"]
    # Measured: 537.1 -> 443.0 over the 4 epochs.
    assert loss[-1] < 0.9 * loss[0], loss


def test_evaluate_reports_the_same_keys(trained_vae, small_data):
    model, _ = trained_vae
    logs = model.evaluate(small_data[0][:128], batch_size=64, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    np.testing.assert_allclose(
        logs["loss"], logs["reconstruction_loss"] + BETA * logs["kl_loss"], rtol=1e-4
    )


# --- VAE: generating -------------------------------------------------------


def test_sample_shape_and_range(trained_vae):
    images = numpy(trained_vae[0].sample(5, seed=1))
    assert images.shape == (5, 28, 28, 1)
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_sample_with_a_seed_is_reproducible(trained_vae):
    model = trained_vae[0]
    np.testing.assert_array_equal(numpy(model.sample(4, seed=3)), numpy(model.sample(4, seed=3)))
    assert not np.allclose(numpy(model.sample(4, seed=3)), numpy(model.sample(4, seed=4)))


def test_sample_without_a_seed_draws_new_codes(trained_vae):
    model = trained_vae[0]
    assert not np.allclose(numpy(model.sample(4)), numpy(model.sample(4)))


def test_interpolate_runs_from_start_to_end(solution):
    start, end = np.array([0.0, 1.0, -2.0]), np.array([4.0, 1.0, 2.0])
    path = numpy(solution.vae.interpolate(start, end, 5))
    assert path.shape == (5, 3)
    np.testing.assert_allclose(path[0], start)
    np.testing.assert_allclose(path[-1], end)
    np.testing.assert_allclose(path[2], [2.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile([[1.0, 0.0, 1.0]], (4, 1)), atol=1e-6)


@pytest.mark.parametrize("steps", [1, 0])
def test_interpolate_needs_two_steps(solution, steps):
    with pytest.raises(ValueError, match="steps"):
        solution.vae.interpolate(np.zeros(2), np.ones(2), steps)
