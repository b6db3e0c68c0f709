"""The conditional VAE: trained on (image, label) pairs, samples the class it is asked for."""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("seeded")


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.fixture(scope="module")
def trained_cvae(solution, small_data):
    """A 2-D CVAE fitted for 2 epochs on 512 labelled images, and its `History`."""
    keras.utils.set_random_seed(0)
    x, y = small_data
    model = solution.cvae.ConditionalVAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    return model, history


def test_fit_on_images_and_labels_reports_the_vae_keys(trained_cvae):
    logs = trained_cvae[1].history
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    assert all(np.isfinite(values).all() for values in logs.values())
    assert logs["loss"][-1] < logs["loss"][0]


def test_call_on_a_pair_returns_reconstructions(trained_cvae, small_data):
    x, y = small_data
    assert tuple(trained_cvae[0]((x[:4], y[:4])).shape) == (4, 28, 28, 1)


def test_sample_shape_and_range(trained_cvae):
    images = numpy(trained_cvae[0].sample(np.arange(10), seed=1))
    assert images.shape == (10, 28, 28, 1)
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_sample_with_a_seed_is_reproducible(trained_cvae):
    model = trained_cvae[0]
    labels = np.array([3, 3, 7])
    np.testing.assert_array_equal(
        numpy(model.sample(labels, seed=5)), numpy(model.sample(labels, seed=5))
    )


def test_the_label_changes_the_sample(trained_cvae):
    model = trained_cvae[0]
    # Same seed, so the same prior codes: only the label differs.
    trousers = numpy(model.sample(np.full(4, 1), seed=2))
    bags = numpy(model.sample(np.full(4, 8), seed=2))
    # Measured: 0.016 after this short training; a decoder blind to the label gives 0.
    assert np.abs(trousers - bags).mean() > 0.005


def test_the_encoder_sees_the_label(trained_cvae, small_data):
    model, x = trained_cvae[0], small_data[0][:4]
    z_mean_1, z_log_var_1 = model.encode((x, np.full(4, 1)))
    z_mean_8, z_log_var_8 = model.encode((x, np.full(4, 8)))
    assert not np.allclose(numpy(z_mean_1), numpy(z_mean_8))
    assert not np.allclose(numpy(z_log_var_1), numpy(z_log_var_8))
