"""Short training runs of a student's model, and running a trained model over many images.

Shared by the probes of the parts whose checks train the student's models
with the course recipe (`assignment.training`).
"""

import numpy as np

from assignment import training
from autograder.worker.probes.tensors import as_array, as_pair, tensor


def fit_history(impl, name, data, epochs, seed, beta=1.0, latent_dim=None, batch_size=None):
    """Trains model `name` with `assignment.training`; returns `(model, history dict)`.

    `batch_size` replaces the recipe's when given.
    """
    model, history = training.train_model(
        impl, name, data, epochs=epochs, latent_dim=latent_dim, beta=beta, seed=seed, verbose=0,
        batch_size=batch_size,
    )
    return model, history.history


# Images generated or decoded per call in the quality probes: bounds the worker's memory.
CHUNK = 250


def in_chunks(function, *arrays):
    """`function(start, *chunks)` for consecutive chunks of `arrays`, concatenated."""
    outputs = [function(start, *(array[start:start + CHUNK] for array in arrays))
               for start in range(0, len(arrays[0]), CHUNK)]
    return np.concatenate(outputs)


def run_model(model, x, what):
    """`model(x, training=False)` on `x`, `CHUNK` images at a time, eagerly, as a NumPy array.

    What `model.predict` returns, without tracing a graph for it: on a small
    model, tracing costs more than the call (500 test images through the
    course's autoencoder, 2 cores: `predict` 0.22-0.33 s, this 0.09-0.11 s, and
    0.28 s for a process's first eager call).

    Args:
        what: the call, for the error message when the model returns no tensor.
    """
    return in_chunks(lambda start, chunk: as_array(model(tensor(chunk), training=False), what), x)


def decode_posterior(model, x, eps, labels=None):
    """Encodes `x`, decodes `z = z_mean + exp(0.5 z_log_var) * eps`, with the grader's `eps`.

    Args:
        model: a trained VAE, or a conditional VAE when `labels` are given.
        x: images.
        eps: standard normal noise, one row per image.
        labels: the images' labels, for a conditional VAE.

    Returns:
        `z_mean`, `z_log_var`, `x_hat` (float32).
    """
    conditional = labels is not None
    labels = labels if conditional else np.zeros(len(x), dtype=np.int64)

    def model_input(a, y):
        return (tensor(a), tensor(y, "int64")) if conditional else tensor(a)

    def encode(start, x, y):
        return np.concatenate(as_pair(model.encode(model_input(x, y)), "encode"), axis=-1)

    def decode(start, z, y):
        return as_array(model.decode(model_input(z, y)), "decode")

    z_mean, z_log_var = np.split(in_chunks(encode, x, labels), 2, axis=-1)
    z = z_mean + np.exp(0.5 * z_log_var) * eps
    x_hat = in_chunks(decode, z, labels)
    return {"z_mean": z_mean, "z_log_var": z_log_var, "x_hat": x_hat.astype(np.float32)}
