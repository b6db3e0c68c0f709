"""Probes of Part 2: the autoencoders of `autoencoder.py`.

Each probe builds the student's classes through `impl.autoencoder`, calls them,
and returns what it measured: output shapes and values, the layers of the
decoder, configs and saved models reloaded, short seeded training runs, PCA's
results. Whether they are right is decided by `autograder.checks.autoencoders`.
"""

import tempfile
from pathlib import Path

import keras
import numpy as np
from keras import ops

from assignment import training
from assignment.datasets import load_dataset
from autograder.worker.probes import probe
from assignment.student_errors import exception_text
from autograder.worker.probes.tensors import as_array
from autograder.worker.probes.training_runs import run_model


def _keras_class(layer):
    """The name of the first Keras class in `layer`'s class hierarchy (e.g. for a subclass)."""
    for cls in type(layer).__mro__:
        if cls.__module__.startswith("keras."):
            return cls.__name__
    return type(layer).__name__


def _shape(shape):
    """A shape as a list (None for unknown dimensions), or None."""
    return None if shape is None else [None if d is None else int(d) for d in shape]


def _strides(layer):
    """The layer's strides as a list of ints, or None where it has none (or odd ones)."""
    try:
        return [int(s) for s in np.atleast_1d(layer.strides)]
    except (AttributeError, TypeError, ValueError):
        return None


def describe_layers(layer):
    """Every layer nested in `layer` (recursively), in tracking order.

    Returns:
        A list of dicts: `keras_class` (for a subclass, the Keras class it
        extends), `strides` (None where the layer has none), `built`, and
        `input_shape` / `output_shape` from the shape it was built with (None
        where unknown).
    """
    described = []
    for sublayer in layer._flatten_layers(include_self=False, recursive=True):
        build_config = sublayer.get_build_config()
        input_shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
        try:
            output_shape = sublayer.compute_output_shape(input_shape) if input_shape else None
        except Exception:  # noqa: BLE001  (custom layers need not implement it)
            output_shape = None
        described.append({
            "keras_class": _keras_class(sublayer),
            "strides": _strides(sublayer),
            "built": bool(sublayer.built),
            "input_shape": _shape(input_shape),
            "output_shape": (_shape(output_shape) if isinstance(output_shape, (tuple, list))
                             else None),
        })
    return described


@probe("autoencoders.encoder_outputs")
def encoder_outputs(impl, images, latent_dims):
    """Calls `Encoder(latent_dim)` on `images` for each latent size.

    Returns:
        `codes`: the list of the codes, one array per latent size.
    """
    x = ops.convert_to_tensor(images, dtype="float32")
    return {"codes": [as_array(impl.autoencoder.Encoder(latent_dim)(x), f"Encoder({latent_dim})")
                      for latent_dim in latent_dims]}


@probe("autoencoders.decoder_outputs")
def decoder_outputs(impl, codes):
    """Calls `Decoder(latent_dim)` on `codes` and lists its layers.

    Returns:
        `images`: the decoder's output; `layers`: see `describe_layers`.
    """
    decoder = impl.autoencoder.Decoder(int(np.shape(codes)[1]))
    images = as_array(decoder(ops.convert_to_tensor(codes, dtype="float32")), "Decoder")
    return {"images": images, "layers": describe_layers(decoder)}


def _round_trip(cls, latent_dim, x):
    """Output shapes of `cls(latent_dim)` and of its `from_config(get_config())`, or the error."""
    x = ops.convert_to_tensor(x, dtype="float32")
    try:
        layer = cls(latent_dim)
        original = as_array(layer(x), cls.__name__)
        clone = cls.from_config(layer.get_config())
        cloned = as_array(clone(x), f"{cls.__name__}.from_config(get_config())")
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001  (reported per class)
        return {"error": exception_text(error)}
    return {"error": None, "original_shape": list(original.shape),
            "clone_shape": list(cloned.shape)}


@probe("autoencoders.config_round_trip")
def config_round_trip(impl, latent_dim, images, codes):
    """`from_config(get_config())` of an `Encoder` and a `Decoder`.

    Returns:
        `encoder`, `decoder`: dicts with `error` (None when it worked),
        `original_shape` and `clone_shape` (the outputs' shapes).
    """
    return {
        "encoder": _round_trip(impl.autoencoder.Encoder, latent_dim, images),
        "decoder": _round_trip(impl.autoencoder.Decoder, latent_dim, codes),
    }


@probe("autoencoders.save_load")
def save_load(impl, latent_dim, images):
    """Saves an `Autoencoder` as `.keras` in a temporary folder and loads it back.

    Returns:
        `before`, `after`: the outputs on `images` of the model and of
        the reloaded one; `loaded_class`: the reloaded model's class.
    """
    model = impl.autoencoder.Autoencoder(latent_dim=latent_dim)
    before = run_model(model, images, "Autoencoder(x)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "autoencoder.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
    after = run_model(loaded, images, "the reloaded model(x)")
    return {"before": before, "after": after, "loaded_class": type(loaded).__name__}


@probe("autoencoders.train")
def train(impl, name, latent_dim, epochs, batch_size, seed, test_count, dataset):
    """Trains model `name` ("ae" or "linear-ae") on the embedded sample's training split.

    Uses `assignment.training.train_model`, the recipe's training.

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `loss`: the training loss per epoch; `reconstructions`: of the first
        `test_count` images of the sample's test split.
    """
    x, y = load_dataset(dataset, sample=True)
    x_test, _ = load_dataset(dataset, "test", sample=True)
    model, history = training.train_model(impl, name, (x, y), epochs=epochs,
                                           latent_dim=latent_dim, seed=seed, verbose=0,
                                           batch_size=batch_size)
    reconstructions = run_model(model, x_test[:test_count], f"{name}(x)")
    return {"loss": [float(v) for v in history.history["loss"]],
            "reconstructions": reconstructions}


@probe("autoencoders.denoising_calls")
def denoising_calls(impl, images, latent_dim, noise_stddev, seed):
    """Calls one `DenoisingAutoencoder` in training and in inference mode.

    Returns:
        `training_1`, `training_2`: two calls with `training=True`;
        `inference_1`, `inference_2`: two calls with `training=False`;
        `clean`: `model.decoder(model.encoder(x))`, the reconstruction of the
        uncorrupted input.
    """
    keras.utils.set_random_seed(seed)
    model = impl.autoencoder.DenoisingAutoencoder(latent_dim=latent_dim,
                                                  noise_stddev=noise_stddev, seed=seed)
    x = ops.convert_to_tensor(images, dtype="float32")
    calls = {
        "training_1": lambda: model(x, training=True),
        "training_2": lambda: model(x, training=True),
        "inference_1": lambda: model(x, training=False),
        "inference_2": lambda: model(x, training=False),
        "clean": lambda: model.decoder(model.encoder(x)),
    }
    return {name: as_array(call(), name) for name, call in calls.items()}


@probe("autoencoders.pca")
def pca(impl, x, k):
    """Calls `pca(x, k)`.

    Returns:
        `components`, `mean`, `explained_variance_ratio`, as float64 arrays.
    """
    result = impl.autoencoder.pca(x, k)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise TypeError("pca must return a tuple (components, mean, explained_variance_ratio), "
                        f"got a {type(result).__name__}.")
    names = ("components", "mean", "explained_variance_ratio")
    return {name: np.asarray(value, dtype=np.float64) for name, value in zip(names, result)}
