"""Probes of Part 5 (bonus): the VQ-VAE (`vqvae.py`).

They run the student's `VectorQuantizer` with a codebook set by the grader,
differentiate through it, and train a small `VQVAE`. `autograder.checks.vqvae`
judges what they measure.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from assignment.datasets import load_dataset
from autograder.worker.probes import probe
from autograder.worker.probes.tensors import as_array, optional_array, tensor
from autograder.worker.probes.training_runs import fit_history, in_chunks, run_model


def quantizer_with_codebook(impl, codebook, z_e, beta):
    """A `VectorQuantizer` built (not called) for `z_e`, its codebook set to `codebook`."""
    num_embeddings, embedding_dim = codebook.shape
    quantizer = impl.vqvae.VectorQuantizer(num_embeddings, embedding_dim, beta=beta)
    quantizer.build(tuple(z_e.shape))
    quantizer.codebook.assign(codebook)
    return quantizer


@probe("vqvae.indices")
def indices(impl, codebook, z_e):
    """Returns `indices` from `quantizer.indices(z_e)` and the `codebook` it used."""
    z_e = tensor(z_e)
    quantizer = quantizer_with_codebook(impl, codebook, z_e, beta=0.25)
    return {
        "indices": as_array(quantizer.indices(z_e), "VectorQuantizer.indices(z_e)"),
        "codebook": as_array(quantizer.codebook, "VectorQuantizer.codebook"),
    }


@probe("vqvae.quantizer_gradients")
def quantizer_gradients(impl, codebook, z_e, upstream, beta):
    """Differentiates the quantizer's output and its added losses.

    Returns:
        `output` of `quantizer(z_e)`; `grad_output` = d sum(upstream * output) / d z_e;
        `loss_count` and `loss_total` of `quantizer.losses`; `grad_loss_z_e` and
        `grad_loss_codebook` = d sum(losses) / d z_e and / d codebook (None
        where TensorFlow found no gradient); the `codebook` it used and the
        `indices` it picks (the student's own `indices`, with which its
        output is derived).
    """
    z_e, upstream = tensor(z_e), tensor(upstream)
    quantizer = quantizer_with_codebook(impl, codebook, z_e, beta)
    chosen = as_array(quantizer.indices(z_e), "VectorQuantizer.indices(z_e)")
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z_e)
        output = quantizer(z_e)
        weighted = ops.sum(upstream * output)
        losses = [ops.sum(loss) for loss in quantizer.losses]
        loss_total = ops.sum(ops.stack(losses)) if losses else None
    grad_output = tape.gradient(weighted, z_e)
    grads = (None, None)
    if loss_total is not None:
        grads = tape.gradient(loss_total, [z_e, quantizer.codebook])
    return {
        "output": as_array(output, "VectorQuantizer(z_e)"),
        "grad_output": optional_array(grad_output),
        "loss_count": len(losses),
        "loss_total": None if loss_total is None else float(loss_total),
        "grad_loss_z_e": optional_array(grads[0]),
        "grad_loss_codebook": optional_array(grads[1]),
        "codebook": as_array(quantizer.codebook, "VectorQuantizer.codebook"),
        "indices": chosen,
    }


@probe("vqvae.model_gradients")
def model_gradients(impl, x, num_embeddings, embedding_dim, seed):
    """Gradients of a fresh `VQVAE`'s reconstruction error and total loss.

    The codebook is recognised as the trainable weight of shape
    `(num_embeddings, embedding_dim)`.

    Returns:
        `output_shape`; per trainable weight: `variable_names`, `is_codebook`,
        `mse_has_gradient` / `mse_grad_norms` for the mean squared error alone,
        and `total_grad_norms` for the MSE plus `sum(model.losses)`.
    """
    keras.utils.set_random_seed(seed)
    model = impl.vqvae.VQVAE(num_embeddings=num_embeddings, embedding_dim=embedding_dim)
    x = tensor(x)
    model(x)
    weights = model.trainable_weights
    with tf.GradientTape(persistent=True) as tape:
        output = model(x, training=True)
        mse = ops.mean(ops.square(output - x))
        total = mse + ops.sum(ops.stack([ops.sum(loss) for loss in model.losses] + [0.0]))
    mse_grads = tape.gradient(mse, weights)
    total_grads = tape.gradient(total, weights)

    def norm(gradient):
        return 0.0 if gradient is None else float(np.linalg.norm(optional_array(gradient)))

    return {
        "output_shape": list(as_array(output, "VQVAE(x)").shape),
        "variable_names": [v.path for v in weights],
        "is_codebook": [tuple(v.shape) == (num_embeddings, embedding_dim) for v in weights],
        "mse_has_gradient": [g is not None for g in mse_grads],
        "mse_grad_norms": [norm(g) for g in mse_grads],
        "total_grad_norms": [norm(g) for g in total_grads],
    }


@probe("vqvae.training")
def vqvae_training(impl, images, epochs, seed, dataset):
    """Trains a `VQVAE` on the embedded sample's first images and runs it on the test split.

    The test images go through the model `CHUNK` at a time (a quantizer that
    compares every vector with every codeword by broadcasting needs memory in
    proportion).

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `mse` (per pixel) of the test reconstructions, `codes_used` (the number
        of distinct codewords that `model.codes` gives the test images) and
        `loss` per epoch.
    """
    x, y = load_dataset(dataset, sample=True)
    model, history = fit_history(impl, "vqvae", (x[:images], y[:images]), epochs, seed)
    x_test, _ = load_dataset(dataset, "test", sample=True)
    reconstructions = run_model(model, x_test, "VQVAE(x)")
    codes = in_chunks(lambda start, x: as_array(model.codes(tensor(x)), "VQVAE.codes(x)"),
                      x_test)
    return {
        "mse": float(np.mean(np.square(reconstructions - x_test))),
        "codes_used": int(len(np.unique(codes))),
        "loss": np.asarray(history["loss"], dtype=np.float64),
    }
