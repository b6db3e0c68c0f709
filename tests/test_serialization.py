"""Every model and layer survives `get_config` / `from_config` and `model.save` / `load_model`."""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("seeded")


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.fixture(scope="module")
def batch(small_data):
    x, y = small_data
    return x[:4], y[:4]


def custom_objects(solution):
    """The solution's classes under their registered names.

    Used as a `custom_object_scope` (which `load_model` consults before the
    global registry), so that the test does not depend on which implementation
    was imported last: the last one owns the registered names.
    """
    classes = [
        getattr(module, name)
        for module in (solution.autoencoder, solution.vae, solution.cvae, solution.vqvae)
        for name in dir(module)
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), keras.layers.Layer)
        and getattr(module, name).__module__ == module.__name__
    ]
    return {keras.saving.get_registered_name(cls): cls for cls in classes}


# Deterministic outputs to compare: the VAEs' `call` samples, their `encode` does not.
def outputs_of_call(model, x, y):
    return [model(x, training=False)]


def outputs_of_encode(model, x, y):
    return list(model.encode(x))


def outputs_of_conditional_encode(model, x, y):
    return list(model.encode((x, y)))


MODELS = [
    # (module, class, constructor arguments, deterministic outputs)
    ("autoencoder", "Autoencoder", {"latent_dim": 6}, outputs_of_call),
    ("autoencoder", "DenoisingAutoencoder", {"latent_dim": 6, "noise_stddev": 0.2, "seed": 3},
     outputs_of_call),
    ("autoencoder", "LinearAutoencoder", {"latent_dim": 6}, outputs_of_call),
    ("vae", "VAE", {"latent_dim": 3, "beta": 2.5, "seed": 3}, outputs_of_encode),
    ("cvae", "ConditionalVAE", {"latent_dim": 3, "num_classes": 10, "beta": 0.5, "seed": 3},
     outputs_of_conditional_encode),
    ("vqvae", "VQVAE", {"num_embeddings": 12, "embedding_dim": 5}, outputs_of_call),
]


@pytest.mark.parametrize("module, name, kwargs, outputs", MODELS, ids=[m[1] for m in MODELS])
def test_model_save_and_load(solution, batch, tmp_path, module, name, kwargs, outputs):
    x, y = batch
    model = getattr(getattr(solution, module), name)(**kwargs)
    model((x, y) if name == "ConditionalVAE" else x)
    path = tmp_path / "m.keras"
    model.save(path)

    with keras.saving.custom_object_scope(custom_objects(solution)):
        loaded = keras.models.load_model(path)

    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    for key, value in kwargs.items():
        assert getattr(loaded, key) == value
    assert len(loaded.weights) == len(model.weights)
    for original, restored in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(numpy(restored), numpy(original), err_msg=original.path)
    for original, restored in zip(outputs(model, x, y), outputs(loaded, x, y)):
        np.testing.assert_allclose(numpy(restored), numpy(original), atol=1e-6)


def test_loaded_vae_decodes_like_the_original(solution, batch, tmp_path):
    model = solution.vae.VAE(latent_dim=3, seed=3)
    model(batch[0])
    model.save(tmp_path / "vae.keras")
    with keras.saving.custom_object_scope(custom_objects(solution)):
        loaded = keras.models.load_model(tmp_path / "vae.keras")
    z = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(numpy(loaded.decode(z)), numpy(model.decode(z)), atol=1e-6)


LAYERS = [
    ("autoencoder", "Encoder", {"latent_dim": 5, "filters": (4, 8)}, (2, 28, 28, 1), (2, 5)),
    ("autoencoder", "Decoder", {"latent_dim": 5, "filters": (8, 4)}, (2, 5), (2, 28, 28, 1)),
    ("vae", "VAEEncoder", {"latent_dim": 3, "filters": (4, 8), "hidden_dim": 7},
     (2, 28, 28, 1), None),
    ("vqvae", "VectorQuantizer", {"num_embeddings": 6, "embedding_dim": 2, "beta": 0.4},
     (2, 3, 3, 2), (2, 3, 3, 2)),
]


@pytest.mark.parametrize("module, name, kwargs, input_shape, output_shape", LAYERS,
                         ids=[layer[1] for layer in LAYERS])
def test_layer_config_round_trip(solution, module, name, kwargs, input_shape, output_shape):
    cls = getattr(getattr(solution, module), name)
    layer = cls(**kwargs)
    config = layer.get_config()

    rebuilt = cls.from_config(config)

    assert type(rebuilt) is cls
    assert rebuilt.get_config() == config
    for key, value in kwargs.items():
        assert getattr(rebuilt, key) == value
    inputs = np.random.default_rng(0).uniform(size=input_shape).astype("float32")
    outputs = rebuilt(inputs)
    if name == "VAEEncoder":
        assert [tuple(t.shape) for t in outputs] == [(2, 3), (2, 3)]
    else:
        assert tuple(outputs.shape) == output_shape


def test_sampling_config_round_trip_keeps_the_seed(solution):
    layer = solution.vae.Sampling(seed=11)
    rebuilt = solution.vae.Sampling.from_config(layer.get_config())
    assert rebuilt.seed == 11
    inputs = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
    np.testing.assert_array_equal(numpy(rebuilt(inputs)), numpy(layer(inputs)))
