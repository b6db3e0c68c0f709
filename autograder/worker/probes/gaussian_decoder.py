"""Probes of the Gaussian decoder (`gaussian_decoder.py`): its loss, the VAE's steps, training.

Each probe calls the student's module through `impl.gaussian_decoder` and
returns what it measured; `autograder.checks.gaussian_decoder` and its
after-due-date check decide whether it is right.
"""

import keras

from assignment.datasets import load_dataset
from assignment.training import build_before_fit
from autograder.worker.probes import probe
from autograder.worker.probes.tensors import as_array, tensor


@probe("gaussian_decoder.loss")
def gaussian_reconstruction_loss(impl, x, x_hat, variance):
    """Calls `gaussian_reconstruction_loss(x, x_hat, variance)`.

    Returns:
        `loss`: its value, as an array.
    """
    return {"loss": as_array(impl.gaussian_decoder.gaussian_reconstruction_loss(
        tensor(x), tensor(x_hat), variance), "gaussian_reconstruction_loss(x, x_hat, variance)")}


@probe("gaussian_decoder.test_step")
def test_step(impl, x, variances, seed):
    """One `test_step` on `x` of a `GaussianVAE` per variance, recording what it reconstructed.

    The model's `reconstruction_loss` is wrapped, so that the probe sees the
    reconstructions the step scored.

    Returns:
        `steps`: per variance, the step's `reconstruction_loss` and `kl_loss`,
        the reconstructions it scored (`x_hat`, the last ones when it scored
        several) and whether `vae.reconstruction_loss` was the module's own
        function again after the step (`restored`).
    """
    steps = []
    for variance in variances:
        keras.utils.set_random_seed(seed)
        model = impl.gaussian_decoder.GaussianVAE(latent_dim=2, variance=variance, seed=seed)
        scored, own = [], model.reconstruction_loss

        def recording_reconstruction_loss(x, x_hat, own=own, scored=scored):
            scored.append(as_array(x_hat, "the reconstructions"))
            return own(x, x_hat)

        model.reconstruction_loss = recording_reconstruction_loss
        module_loss = impl.vae.reconstruction_loss
        logs = model.test_step(tensor(x))
        if not scored:
            raise RuntimeError("GaussianVAE.test_step never called its reconstruction_loss.")
        steps.append({"reconstruction_loss": float(as_array(logs["reconstruction_loss"],
                                                            "reconstruction_loss")),
                      "kl_loss": float(as_array(logs["kl_loss"], "kl_loss")),
                      "x_hat": scored[-1],
                      "restored": impl.vae.reconstruction_loss is module_loss})
    return {"steps": steps}


@probe("gaussian_decoder.train")
def train(impl, variances, latent_dim, train_count, epochs, batch_size, seed, test_count, dataset):
    """Trains one `GaussianVAE` per variance, each from the same seed.

    Adam (learning rate 1e-3) on the first `train_count` training images of
    the embedded sample.

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `runs`: per variance, `z_mean` and `z_log_var` of the first
        `test_count` test images, and the training `loss` and `kl_loss` per
        epoch.
    """
    x, _ = load_dataset(dataset, sample=True)
    x_test, _ = load_dataset(dataset, "test", sample=True)
    x, x_test = x[:train_count], x_test[:test_count]
    runs = []
    for variance in variances:
        keras.utils.set_random_seed(seed)
        model = impl.gaussian_decoder.GaussianVAE(latent_dim=latent_dim, variance=variance,
                                                  seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=10)
        build_before_fit(model, x)
        history = model.fit(x, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
        z_mean, z_log_var = model.encode(tensor(x_test))
        runs.append({
            "z_mean": as_array(z_mean, "encode(x)[0]"),
            "z_log_var": as_array(z_log_var, "encode(x)[1]"),
            "loss": [float(v) for v in history.history["loss"]],
            "kl_loss": [float(v) for v in history.history["kl_loss"]],
        })
    return {"runs": runs}
