"""Probes of the sparse autoencoder (`sparse_autoencoder.py`): its penalty and its codes.

Each probe calls the student's module through `impl.sparse_autoencoder` and
returns what it measured; `autograder.checks.sparse_autoencoder` and its
after-due-date check decide whether it is right.
"""

import keras
import numpy as np

from assignment.datasets import load_dataset
from assignment.training import build_before_fit
from autograder.worker.probes import probe
from autograder.worker.probes.model_losses import added_losses
from autograder.worker.probes.tensors import as_array, tensor
from autograder.worker.probes.training_runs import run_model


@probe("sparse_autoencoder.sparsity_penalty")
def sparsity_penalty(impl, z, l1):
    """Calls `sparsity_penalty(z, l1)`.

    Returns:
        `penalty`: its value, as an array (a scalar when it returned one).
    """
    return {"penalty": as_array(impl.sparse_autoencoder.sparsity_penalty(tensor(z), l1),
                                "sparsity_penalty(z, l1)")}


@probe("sparse_autoencoder.added_losses")
def model_added_losses(impl, batches, latent_dim, l1, seed):
    """Calls one `SparseAutoencoder(latent_dim, l1)` on each batch of `batches`.

    Returns:
        `calls`: per batch, what `model.losses` held after the call (see
        `added_losses`), the student's own `sparsity_penalty` of the model's
        code `model.encode(x)` (`own_penalty`) and that code (`codes`).
    """
    keras.utils.set_random_seed(seed)
    module = impl.sparse_autoencoder
    model = module.SparseAutoencoder(latent_dim=latent_dim, l1=l1)
    calls = []
    for x in batches:
        x = tensor(x)
        as_array(model(x), "SparseAutoencoder(x)")
        losses = added_losses(model)
        codes = model.encode(x)
        own = as_array(module.sparsity_penalty(codes, l1), "sparsity_penalty(code, l1)")
        calls.append({**losses, "own_penalty": float(np.sum(own, dtype=np.float64)),
                      "codes": as_array(codes, "encode(x)")})
    return {"calls": calls}


@probe("sparse_autoencoder.train")
def train(impl, l1_values, latent_dim, train_count, epochs, batch_size, seed, test_count, dataset):
    """Trains one `SparseAutoencoder(latent_dim, l1)` per `l1`, each from the same seed.

    Adam (learning rate 1e-3), the mean squared error, on the first
    `train_count` training images of the embedded sample.

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `runs`: per `l1`, `codes` (`model.encode`) and `reconstructions` of the
        first `test_count` test images, and the training `loss` per epoch.
    """
    x, _ = load_dataset(dataset, sample=True)
    x_test, _ = load_dataset(dataset, "test", sample=True)
    x, x_test = x[:train_count], x_test[:test_count]
    runs = []
    for l1 in l1_values:
        keras.utils.set_random_seed(seed)
        model = impl.sparse_autoencoder.SparseAutoencoder(latent_dim=latent_dim, l1=l1)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", steps_per_execution=10)
        build_before_fit(model, x)
        history = model.fit(x, x, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
        runs.append({
            "codes": as_array(model.encode(tensor(x_test)), "encode(x)"),
            "reconstructions": run_model(model, x_test, "SparseAutoencoder(x)"),
            "loss": [float(v) for v in history.history["loss"]],
        })
    return {"runs": runs}
