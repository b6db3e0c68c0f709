"""Probes of Part 4: the conditional VAE (`cvae.py`).

They measure how the labels change the encoder's, the decoder's and
`sample`'s outputs, what `call` adds with `add_loss`, and what a short
training run reports and generates. `autograder.checks.cvae` judges them.
"""

import keras
import numpy as np

from assignment.datasets import load_dataset
from autograder.worker.probes import probe
from autograder.worker.probes.model_losses import added_losses
from autograder.worker.probes.tensors import as_array, as_pair, tensor
from autograder.worker.probes.training_runs import decode_posterior, fit_history, in_chunks


def labels_tensor(labels):
    return tensor(labels, "int64")


def kl_weight_of_vae(impl, x, latent_dim, seed):
    """`sum(model.losses) / mean(kl_divergence(encode(x)))` for the student's plain `VAE` (beta 1).

    The conditional VAE adds its KL term the way the VAE of Part 3 does; this
    measures that way (1 when it adds the batch mean, the batch size when it
    adds the sum, ...), so that Part 4 is graded against it, not against
    Part 3's formula.
    """
    vae = impl.vae.VAE(latent_dim=latent_dim, beta=1.0, seed=seed)
    vae(x)
    kl = float(np.mean(as_array(impl.vae.kl_divergence(*vae.encode(x)), "kl_divergence")))
    added = added_losses(vae)["loss_total"]
    return added / kl if abs(kl) > 1e-12 else 1.0


@probe("cvae.conditioning")
def conditioning(impl, x, labels, other_labels, z, sample_labels, other_sample_labels, seed):
    """Runs a fresh `ConditionalVAE` with two sets of labels for the same inputs.

    Returns:
        `output_shape` of `model((x, labels))` and what it added to
        `model.losses` (see `added_losses`); `kl`: the student's
        `kl_divergence` of its encoding; `vae_weight`: what the student's
        `VAE` adds per unit of mean KL (see `kl_weight_of_vae`); `z_mean`,
        `z_log_var` and
        `other_z_mean`, `other_z_log_var` from `encode((x, labels))` and
        `encode((x, other_labels))`; `decoded`, `other_decoded` from
        `decode((z, labels))` and `decode((z, other_labels))`; `sampled`,
        `sampled_again` (both `sample(sample_labels, seed=seed)`) and
        `other_sampled` (`sample(other_sample_labels, seed=seed)`).
    """
    keras.utils.set_random_seed(seed)
    model = impl.cvae.ConditionalVAE(latent_dim=z.shape[-1], num_classes=10, seed=seed)
    x, labels, other_labels = tensor(x), labels_tensor(labels), labels_tensor(other_labels)
    output = as_array(model((x, labels)), "ConditionalVAE.call")
    result = {"output_shape": list(output.shape), **added_losses(model)}
    result["kl"] = as_array(impl.vae.kl_divergence(*model.encode((x, labels))), "kl_divergence")
    result["vae_weight"] = kl_weight_of_vae(impl, x, z.shape[-1], seed)
    for prefix, y in (("", labels), ("other_", other_labels)):
        z_mean, z_log_var = as_pair(model.encode((x, y)), "ConditionalVAE.encode((x, labels))")
        result[f"{prefix}z_mean"], result[f"{prefix}z_log_var"] = z_mean, z_log_var
        result[f"{prefix}decoded"] = as_array(model.decode((tensor(z), y)),
                                              "ConditionalVAE.decode((z, labels))")
    for key, y in (("sampled", sample_labels), ("sampled_again", sample_labels),
                   ("other_sampled", other_sample_labels)):
        result[key] = as_array(model.sample(np.asarray(y), seed=seed),
                               "ConditionalVAE.sample(labels)")
    return result


@probe("cvae.fit_history")
def fit_history_probe(impl, images, epochs, beta, seed, dataset):
    """Trains a `ConditionalVAE` on `(x, labels)` of the embedded sample's first images.

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `history_keys` and `history` (per key, the value of each epoch).
    """
    x, y = load_dataset(dataset, sample=True)
    _, history = fit_history(impl, "cvae", (x[:images], y[:images]), epochs, seed,
                                      beta=beta)
    return {
        "history_keys": sorted(history),
        "history": {key: [float(v) for v in values] for key, values in history.items()},
    }


@probe("cvae.quality")
def quality(impl, epochs, train_count, batch_size, labels, sample_seed, seed, x_eval, y_eval, eps,
            dataset):
    """Trains a `ConditionalVAE` on the embedded sample, then generates and reconstructs.

    Args:
        epochs: training epochs on the first `train_count` training images of the sample.
        train_count: how many of the sample's training images it trains on.
        batch_size: the training batch size.
        labels: the labels to generate one image for each, `CHUNK` at a time.
        sample_seed: seed of `sample` (of the first chunk; the next ones add
            their start index).
        seed: training seed.
        x_eval, y_eval: (binarized) test images and their labels, for the ELBO.
        eps: standard normal noise of shape `(len(x_eval), latent_dim)`.
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `samples` (float16) of the given labels, the posterior of `x_eval` (see
        `decode_posterior`) and `loss` per epoch.
    """
    x, y = load_dataset(dataset, sample=True)
    model, history = fit_history(impl, "cvae", (x[:train_count], y[:train_count]), epochs, seed,
                                 batch_size=batch_size)
    images = in_chunks(
        lambda start, y: as_array(model.sample(y, seed=sample_seed + start),
                                  "ConditionalVAE.sample(labels)"),
        np.asarray(labels),
    )
    return {
        "samples": images.astype(np.float16),
        **decode_posterior(model, x_eval, eps, labels=y_eval),
        "loss": np.asarray(history["loss"], dtype=np.float64),
    }
