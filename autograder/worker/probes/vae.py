"""Probes of Part 3: the VAE's sampler, losses, encoder, `add_loss`, `train_step` and training.

Each probe calls the student's `vae.py` (through `impl.vae`) and returns what it
measured: outputs, gradients, the values of `model.losses`, training
histories, generated images. Whether they are right is decided by
`autograder.checks.vae` in the grading process.
"""

import inspect

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from assignment.datasets import load_dataset
from assignment.training import build_before_fit
from autograder.worker.probes import probe
from autograder.worker.probes.model_losses import added_losses
from autograder.worker.probes.tensors import as_array, as_pair, optional_array, tensor
from autograder.worker.probes.training_runs import decode_posterior, fit_history, in_chunks


@probe("vae.sampling_draws")
def sampling_draws(impl, z_mean, z_log_var, seed):
    """Calls `Sampling(seed)` once on `[z_mean, z_log_var]`.

    Returns:
        `{"z": array}`.
    """
    sampling = impl.vae.Sampling(seed=seed)
    z = sampling([tensor(z_mean), tensor(z_log_var)])
    return {"z": as_array(z, "Sampling()([z_mean, z_log_var])")}


@probe("vae.sampling_noise")
def sampling_noise(impl, shape, seed):
    """Draws noise (`z_mean = z_log_var = 0`) several times.

    Returns:
        `eager_1`, `eager_2`: two eager calls of one layer; `compiled_1`,
        `compiled_2`: two calls of one layer inside one `tf.function`;
        `twin_1`, `twin_2`: the first call of two layers built with the same seed.
    """
    zeros = ops.zeros(tuple(shape))

    def draw(layer):
        return as_array(layer([zeros, zeros]), "Sampling()([z_mean, z_log_var])")

    eager = impl.vae.Sampling(seed=seed)
    compiled_layer = impl.vae.Sampling(seed=seed + 1)
    compiled = tf.function(lambda z_mean, z_log_var: compiled_layer([z_mean, z_log_var]))
    twins = [impl.vae.Sampling(seed=seed + 2) for _ in range(2)]
    return {
        "eager_1": draw(eager),
        "eager_2": draw(eager),
        "compiled_1": as_array(compiled(zeros, zeros), "Sampling under tf.function"),
        "compiled_2": as_array(compiled(zeros, zeros), "Sampling under tf.function"),
        "twin_1": draw(twins[0]),
        "twin_2": draw(twins[1]),
    }


@probe("vae.sampling_gradients")
def sampling_gradients(impl, z_mean, z_log_var, seed):
    """Differentiates `sum(Sampling()([z_mean, z_log_var]))` with a `GradientTape`.

    Since `z` is element-wise in its inputs, the gradients are `dz/dz_mean` and
    `dz/dz_log_var` element by element.

    Returns:
        `z`, `grad_mean`, `grad_log_var` (None where TensorFlow found no
        gradient).
    """
    sampling = impl.vae.Sampling(seed=seed)
    z_mean, z_log_var = tensor(z_mean), tensor(z_log_var)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([z_mean, z_log_var])
        z = sampling([z_mean, z_log_var])
        total = ops.sum(z)
    grad_mean, grad_log_var = tape.gradient(total, [z_mean, z_log_var])
    return {
        "z": as_array(z, "Sampling()([z_mean, z_log_var])"),
        "grad_mean": optional_array(grad_mean),
        "grad_log_var": optional_array(grad_log_var),
    }


@probe("vae.kl_divergence")
def kl_values(impl, z_mean, z_log_var):
    """Returns `{"kl": kl_divergence(z_mean, z_log_var)}`."""
    kl = impl.vae.kl_divergence(tensor(z_mean), tensor(z_log_var))
    return {"kl": as_array(kl, "kl_divergence(z_mean, z_log_var)")}


@probe("vae.reconstruction_loss")
def reconstruction_values(impl, x, x_hat):
    """Returns `{"loss": reconstruction_loss(x, x_hat)}`."""
    loss = impl.vae.reconstruction_loss(tensor(x), tensor(x_hat))
    return {"loss": as_array(loss, "reconstruction_loss(x, x_hat)")}


@probe("vae.encoder_outputs")
def encoder_outputs(impl, latent_dim, x, seed):
    """Calls a fresh `VAEEncoder(latent_dim)` on images `x`.

    Returns:
        `z_mean`, `z_log_var`.
    """
    keras.utils.set_random_seed(seed)
    encoder = impl.vae.VAEEncoder(latent_dim)
    z_mean, z_log_var = as_pair(encoder(tensor(x)), "VAEEncoder(latent_dim)(x)")
    return {"z_mean": z_mean, "z_log_var": z_log_var}


@probe("vae.added_losses")
def vae_added_losses(impl, x, latent_dim, beta, seed):
    """Calls `VAE(latent_dim, beta, seed)(x)` and reads `model.losses`.

    Returns:
        `loss_count`, `loss_shapes`, `loss_total` (see `added_losses`),
        `output_shape`, `uses_sampling`: whether the call ran `model.sampling`
        (None when the model has no such layer), `z_mean`, `z_log_var` from
        `model.encode(x)`, and `kl`: the student's `kl_divergence` of them.
    """
    keras.utils.set_random_seed(seed)
    model = impl.vae.VAE(latent_dim=latent_dim, beta=beta, seed=seed)
    with _CallCounter(getattr(model, "sampling", None)) as sampling:
        output = as_array(model(tensor(x)), "VAE.call")
    result = added_losses(model)
    z_mean, z_log_var = as_pair(model.encode(tensor(x)), "VAE.encode(x)")
    kl = as_array(impl.vae.kl_divergence(tensor(z_mean), tensor(z_log_var)), "kl_divergence")
    return {**result, "output_shape": list(output.shape), "z_mean": z_mean, "z_log_var": z_log_var,
            "kl": kl, "uses_sampling": sampling.calls > 0 if sampling.layer is not None else None}


class _CallCounter:
    """Counts the calls of a layer (its `call`, wrapped on the instance) in a `with` block."""

    def __init__(self, layer):
        self.layer = layer
        self.calls = 0

    def __enter__(self):
        if self.layer is not None:
            call = self.layer.call

            def counted(*args, **kwargs):
                self.calls += 1
                return call(*args, **kwargs)

            self.layer.call = counted
        return self

    def __exit__(self, *exc_info):
        if self.layer is not None:
            del self.layer.call


@probe("vae.evaluated_kl")
def evaluated_kl(impl, x, latent_dim, beta, seed):
    """`evaluate(x)` of a fresh `VAE(latent_dim, beta, seed)`: what it reports as `kl_loss`.

    Returns:
        `metrics`: the dict `evaluate` returns (one batch), and `kl`: the
        student's `kl_divergence` of `encode(x)`, whose mean `kl_loss` must be.
    """
    keras.utils.set_random_seed(seed)
    model = impl.vae.VAE(latent_dim=latent_dim, beta=beta, seed=seed)
    model.compile()
    metrics = model.evaluate(tensor(x), batch_size=len(x), verbose=0, return_dict=True)
    z_mean, z_log_var = as_pair(model.encode(tensor(x)), "VAE.encode(x)")
    kl = as_array(impl.vae.kl_divergence(tensor(z_mean), tensor(z_log_var)), "kl_divergence")
    return {"metrics": {key: float(value) for key, value in metrics.items()}, "kl": kl}


def with_penalty(model_class, penalty):
    """A subclass of the student's model whose `call` also adds a known loss.

    The subclass owns one extra trainable weight `w` (initially 1) and adds
    `penalty * w^2` with `add_loss` at every call. A `train_step` that
    minimises `sum(self.losses)` reports a loss `penalty` larger than
    `reconstruction + beta * kl`, and moves `w`.
    """
    passes_training = "training" in inspect.signature(model_class.call).parameters

    class PenalizedModel(model_class):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe_weight = self.add_weight(
                shape=(), initializer="ones", name="probe_weight"
            )

        def call(self, inputs, training=False):
            if passes_training:
                outputs = super().call(inputs, training=training)
            else:
                outputs = super().call(inputs)
            self.add_loss(penalty * ops.square(self.probe_weight))
            return outputs

    return PenalizedModel


@probe("vae.train_step")
def train_step(impl, x, beta, penalty, seed):
    """One `fit` step on one batch of a `VAE` whose `call` adds a known extra loss.

    The model (see `with_penalty`) is built and compiled with Adam, then fit
    for one epoch of one batch. `losses_total` is `sum(model.losses)` after
    `model(x)` before the step (the student's own KL term plus the extra
    loss), the parameters at which `fit` reports its losses.

    Returns:
        `history_keys`, `history` values per key (one epoch), `losses_total`,
        `probe_weight_after` (1 before), `variable_names` and
        `variable_changed` for the student's own trainable weights.
    """
    keras.utils.set_random_seed(seed)
    model = with_penalty(impl.vae.VAE, penalty)(latent_dim=2, beta=beta, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = tensor(x)
    model(x)
    losses_total = added_losses(model)["loss_total"]
    weights = [v for v in model.trainable_weights if v is not model.probe_weight]
    before = [np.array(v.numpy()) for v in weights]
    build_before_fit(model, x)
    history = model.fit(x, epochs=1, batch_size=len(x), shuffle=False, verbose=0).history
    return {
        "history_keys": sorted(history),
        "history": {key: float(values[-1]) for key, values in history.items()},
        "losses_total": losses_total,
        "probe_weight_after": float(model.probe_weight.numpy()),
        "variable_names": [v.path for v in weights],
        "variable_changed": [
            bool(not np.array_equal(old, v.numpy())) for old, v in zip(before, weights)
        ],
    }


@probe("vae.loss_history")
def loss_history(impl, images, epochs, seed, dataset):
    """Trains a VAE on the first `images` images of the embedded sample.

    Args:
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `loss`: the loss of each epoch.
    """
    x, y = load_dataset(dataset, sample=True)
    _, history = fit_history(impl, "vae", (x[:images], y[:images]), epochs, seed)
    return {"loss": np.asarray(history["loss"], dtype=np.float64)}


class _CodeRecorder:
    """Records the codes a decoder layer is called with, and decodes nothing.

    The decoder's `call` is replaced on the instance by one that keeps its
    input and returns blank images of the right shape, so that recording
    thousands of codes costs no decoding (and no memory for it).
    """

    def __init__(self, decoder):
        self.codes = []
        self.decoder = decoder

    def __enter__(self):
        def call(z, *args, **kwargs):
            self.codes.append(as_array(z, "the codes sample() decodes"))
            return ops.zeros((ops.shape(z)[0], 28, 28, 1))

        self.decoder.call = call
        return self

    def __exit__(self, *exc_info):
        del self.decoder.call


@probe("vae.sample_interpolate")
def sample_interpolate(impl, latent_dim, n, seed, z_start, z_end, steps, prior_draws):
    """Draws prior samples with and without seeds, records the codes, interpolates two codes.

    Returns:
        `seeded_1`, `seeded_2` (both `sample(n, seed=seed)`), `other_seed`
        (`sample(n, seed=seed + 1)`), `unseeded_1`, `unseeded_2`
        (`sample(n)` twice), `prior_codes`: the codes that `sample(prior_draws)`
        passed to the decoder (None when it never called `model.decoder`), and
        `line` (`interpolate(z_start, z_end, steps)`).
    """
    keras.utils.set_random_seed(seed)
    model = impl.vae.VAE(latent_dim=latent_dim, seed=seed)

    def sample(**kwargs):
        return as_array(model.sample(n, **kwargs), "VAE.sample")

    result = {
        "seeded_1": sample(seed=seed),
        "seeded_2": sample(seed=seed),
        "other_seed": sample(seed=seed + 1),
        "unseeded_1": sample(),
        "unseeded_2": sample(),
    }
    with _CodeRecorder(model.decoder) as recorder:
        model.sample(prior_draws, seed=seed + 2)
    codes = recorder.codes[-1] if recorder.codes else None
    line = impl.vae.interpolate(tensor(z_start), tensor(z_end), steps)
    return {**result, "prior_codes": codes,
            "line": as_array(line, "interpolate(z_start, z_end, steps)")}


@probe("vae.quality")
def quality(impl, epochs, train_count, batch_size, latent_dim, samples, sample_seed, seed, x_eval,
            eps, dataset):
    """Trains a VAE on the embedded sample, then generates and reconstructs.

    Args:
        epochs: training epochs on the first `train_count` training images of the sample.
        train_count: how many of the sample's training images it trains on.
        batch_size: the training batch size.
        latent_dim: size of the code.
        samples: number of prior samples to return, drawn `CHUNK` at a time.
        sample_seed: seed of `sample` (of the first chunk; the next ones add
            their start index).
        seed: training seed.
        x_eval: (binarized) test images for the ELBO.
        eps: standard normal noise of shape `(len(x_eval), latent_dim)`.
        dataset: the embedded sample's data set, e.g. "mnist".

    Returns:
        `samples` (float16), the posterior of `x_eval` (see
        `decode_posterior`) and `loss` per epoch.
    """
    x, y = load_dataset(dataset, sample=True)
    model, history = fit_history(impl, "vae", (x[:train_count], y[:train_count]), epochs, seed,
                                 latent_dim=latent_dim, batch_size=batch_size)
    images = in_chunks(
        lambda start, n: as_array(model.sample(len(n), seed=sample_seed + start), "VAE.sample"),
        np.arange(samples),
    )
    return {
        "samples": images.astype(np.float16),
        **decode_posterior(model, x_eval, eps),
        "loss": np.asarray(history["loss"], dtype=np.float64),
    }
