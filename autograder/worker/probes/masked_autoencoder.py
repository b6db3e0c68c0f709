"""Probes of the masked autoencoder (`masked_autoencoder.py`): its loss, masks and completions.

Each probe calls the student's module through `impl.masked_autoencoder` and
returns what it measured; `autograder.checks.masked_autoencoder` and its
after-due-date check decide whether it is right.
"""

import keras
import numpy as np

from assignment.datasets import load_dataset
from assignment.training import build_before_fit
from autograder.worker.probes import probe
from autograder.worker.probes.tensors import as_array, tensor


@probe("masked_autoencoder.loss")
def masked_reconstruction_loss(impl, x, x_hat, mask):
    """Calls `masked_reconstruction_loss(x, x_hat, mask)`.

    Returns:
        `loss`: its value, as an array (a scalar when it returned one).
    """
    return {"loss": as_array(impl.masked_autoencoder.masked_reconstruction_loss(
        tensor(x), tensor(x_hat), tensor(mask)), "masked_reconstruction_loss(x, x_hat, mask)")}


@probe("masked_autoencoder.masks")
def masks(impl, configs, batch_size, seed):
    """Two calls of `draw_mask(batch_size)` per model, one model per `(patch, mask_ratio)`.

    Returns:
        `draws`: per config, the two masks, as arrays.
    """
    draws = []
    for patch, mask_ratio in configs:
        model = impl.masked_autoencoder.MaskedAutoencoder(latent_dim=4, patch=patch,
                                                          mask_ratio=mask_ratio, seed=seed)
        draws.append([as_array(model.draw_mask(batch_size), "draw_mask(batch_size)")
                      for _ in range(2)])
    return {"draws": draws}


@probe("masked_autoencoder.calls")
def calls(impl, images, mask, latent_dim, seed):
    """Calls one `MaskedAutoencoder` in training and inference mode, and with a given mask.

    `draw_mask` is wrapped, so that the probe knows which masks each call drew.

    Returns:
        For `training` (`training=True`), `inference` (`training=False`, twice)
        and `given` (`training=False, hidden=mask`): `output`, the masks the call
        drew (`drawn`), and `decoder(encoder(x * (1 - m)))` for the mask `m` it
        should have used (`expected`, the clean reconstruction when there is none).
    """
    keras.utils.set_random_seed(seed)
    model = impl.masked_autoencoder.MaskedAutoencoder(latent_dim=latent_dim, seed=seed)
    x, given = tensor(images), tensor(mask)
    drawn, draw_mask = [], model.draw_mask

    def recording_draw_mask(batch_size):
        drawn.append(draw_mask(batch_size))
        return drawn[-1]

    model.draw_mask = recording_draw_mask

    def reconstruct(m):
        inputs = x if m is None else x * (1.0 - tensor(as_array(m, "draw_mask(batch_size)")))
        return as_array(model.decoder(model.encoder(inputs)), "decoder(encoder(x))")

    result = {}
    for name, kwargs in (("training", {"training": True}), ("inference_1", {"training": False}),
                         ("inference_2", {"training": False}),
                         ("given", {"training": False, "hidden": given})):
        drawn.clear()
        output = as_array(model(x, **kwargs), f"MaskedAutoencoder(x, {kwargs})")
        used = kwargs.get("hidden", drawn[-1] if drawn else None)
        result[name] = {"output": output, "drawn": len(drawn), "expected": reconstruct(used)}
    return result


@probe("masked_autoencoder.train")
def train(impl, latent_dim, patch, mask_ratio, train_count, epochs, batch_size, seed, masks,
          dataset):
    """Trains one `MaskedAutoencoder` and completes test images under the masks given.

    Adam (learning rate 1e-3) on the first `train_count` training images of the
    embedded sample.

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `completions`: `model(x_test, hidden=masks)` for the first `len(masks)`
        test images; `loss`: the training loss per epoch.
    """
    x, _ = load_dataset(dataset, sample=True)
    x_test, _ = load_dataset(dataset, "test", sample=True)
    keras.utils.set_random_seed(seed)
    model = impl.masked_autoencoder.MaskedAutoencoder(latent_dim=latent_dim, patch=patch,
                                                      mask_ratio=mask_ratio, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=10)
    build_before_fit(model, x)
    history = model.fit(x[:train_count], batch_size=batch_size, epochs=epochs, shuffle=True,
                        verbose=0)
    masks = np.asarray(masks, dtype=np.float32)
    completions = [as_array(model(tensor(x_test[start:start + 100]), training=False,
                                  hidden=tensor(masks[start:start + 100])),
                           "model(x, hidden=mask)")
                   for start in range(0, len(masks), 100)]
    return {"completions": np.concatenate(completions),
            "loss": [float(v) for v in history.history.get("loss", [])]}
