"""How each model is built, trained and evaluated: one recipe per model name.

The training CLI, the figures and the autograder all train models through
`train_model` and measure them with `evaluate_model`, so that a model trained by
any of them is trained the same way.
"""

import dataclasses

import numpy as np

MODEL_NAMES = ("ae", "dae", "linear-ae", "vae", "cvae", "vqvae", "sparse-ae", "masked-ae", "gaussian-vae")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Defaults for training one kind of model.

    Attributes:
        module: the student module that defines the model class.
        class_name: the model class.
        description: one line for `--help`.
        latent_dim: default code size (`None` where the model has none).
        epochs: default number of epochs on the full data set.
        learning_rate: Adam's learning rate (at the start of training).
        final_learning_rate: when set, the learning rate decays from
            `learning_rate` to it along a cosine over the whole run
            (`keras.optimizers.schedules.CosineDecay`); constant when None.
        batch_size: training batch size.
        steps_per_execution: training steps per call of the compiled training
            function (`Model.compile`): fewer Python round trips per epoch.
        input_pipeline: `"numpy"` gives `fit` the arrays; `"tf.data"` gives it
            a shuffled, batched, prefetched `tf.data.Dataset` of them.
        jit_compile: whether `compile` asks for XLA compilation.
        loss: `"mse"` for models trained with `compile(loss=...)` on `(x, x)`;
            `None` for VAEs, whose `train_step` computes the loss.
        needs_labels: whether `fit` takes the labels (conditional models).
    """

    module: str
    class_name: str
    description: str
    latent_dim: int | None
    epochs: int
    learning_rate: float = 1e-3
    final_learning_rate: float | None = None
    batch_size: int = 128
    steps_per_execution: int = 10
    input_pipeline: str = "numpy"
    jit_compile: bool = False
    loss: str | None = "mse"
    needs_labels: bool = False

    @property
    def is_variational(self):
        return self.loss is None

    @property
    def weights_key(self):
        """The settings that change the trained weights, as text (for the model cache).

        `steps_per_execution` only groups the same steps into fewer calls, and
        the description is prose: neither counts.
        """
        fields = dataclasses.asdict(self)
        for name in ("description", "steps_per_execution"):
            fields.pop(name)
        return repr(sorted(fields.items()))


RECIPES = {
    "ae": Recipe("autoencoder", "Autoencoder", "convolutional autoencoder (MSE)", 32, 10),
    "dae": Recipe(
        "autoencoder", "DenoisingAutoencoder", "denoising autoencoder (MSE, noise 0.3)", 32, 10
    ),
    "linear-ae": Recipe(
        "autoencoder", "LinearAutoencoder", "linear autoencoder, the PCA of autoencoders", 32, 10
    ),
    "vae": Recipe(
        "vae", "VAE", "variational autoencoder (negative ELBO)", 2, 10,
        learning_rate=2e-3, final_learning_rate=1e-5, loss=None,
    ),
    "cvae": Recipe(
        "cvae", "ConditionalVAE", "conditional VAE (label-conditioned)", 2, 10,
        learning_rate=2e-3, final_learning_rate=1e-5, loss=None, needs_labels=True,
    ),
    "vqvae": Recipe("vqvae", "VQVAE", "VQ-VAE with a 64-word codebook (bonus)", None, 10),
    "sparse-ae": Recipe(
        "sparse_autoencoder", "SparseAutoencoder",
        "sparse autoencoder (MSE + L1 penalty on the code)", 32, 10,
    ),
    "masked-ae": Recipe(
        "masked_autoencoder", "MaskedAutoencoder",
        "masked autoencoder (MSE on the hidden half of its 4x4 patches)", 32, 10,
    ),
    "gaussian-vae": Recipe(
        "gaussian_decoder", "GaussianVAE",
        "VAE with a Gaussian decoder (squared error / 2c instead of cross-entropy)", 2, 10,
        learning_rate=2e-3, final_learning_rate=1e-5, loss=None,
    ),
}


def get_recipe(name):
    """Returns the `Recipe` of a model name, or raises a ValueError listing the names."""
    if name not in RECIPES:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}.")
    return RECIPES[name]


def describe_recipe(name, recipe=None, epochs=None):
    """One line of a recipe's training settings, e.g. for a benchmark's log."""
    recipe = recipe or get_recipe(name)
    rate = f"Adam {recipe.learning_rate:g}"
    if recipe.final_learning_rate is not None:
        rate += f" cosine-decayed to {recipe.final_learning_rate:g}"
    return (f"{epochs or recipe.epochs} epochs, {rate}, batch {recipe.batch_size}, "
            f"{recipe.input_pipeline} input, steps_per_execution {recipe.steps_per_execution}"
            + (", XLA" if recipe.jit_compile else ""))


def learning_rate(recipe, total_steps):
    """The recipe's learning rate: a number, or a cosine decay over `total_steps` steps."""
    import keras

    if recipe.final_learning_rate is None:
        return recipe.learning_rate
    return keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate, decay_steps=max(1, total_steps),
        alpha=recipe.final_learning_rate / recipe.learning_rate)


def build_model(impl, name, latent_dim=None, beta=1.0, seed=None, recipe=None, total_steps=1,
                variance=None):
    """Instantiates model `name` from the implementation `impl` and compiles it.

    Args:
        impl: a namespace of student modules (`load_implementation`).
        name: one of `MODEL_NAMES`.
        latent_dim: code size; the recipe's default when None.
        beta: KL weight (VAEs only).
        seed: seed of the model's own noise (VAEs, denoising and masked AEs).
        recipe: the `Recipe` to follow; `RECIPES[name]` when None.
        total_steps: training steps the learning-rate schedule spans.
        variance: the decoder's variance `c` (gaussian-vae only); the model's
            default when None.

    Returns:
        A compiled, unbuilt Keras model.
    """
    import keras

    recipe = recipe or get_recipe(name)
    model_class = getattr(getattr(impl, recipe.module), recipe.class_name)
    kwargs = {}
    if recipe.latent_dim is not None:
        kwargs["latent_dim"] = latent_dim or recipe.latent_dim
    if recipe.is_variational:
        kwargs.update(beta=beta, seed=seed)
    elif name in ("dae", "masked-ae"):
        kwargs["seed"] = seed
    if variance is not None:
        kwargs["variance"] = variance
    model = model_class(**kwargs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate(recipe, total_steps)),
                  loss=recipe.loss, steps_per_execution=recipe.steps_per_execution,
                  jit_compile=recipe.jit_compile)
    return model


def fit_arguments(name, x, y):
    """The `(x, y)` that `model.fit` / `model.evaluate` take for model `name`."""
    recipe = get_recipe(name)
    if recipe.needs_labels:
        return x, y
    if recipe.is_variational:
        return x, None
    return x, x


def training_input(recipe, x, y, batch_size, seed):
    """What `fit` trains on, as the recipe's `input_pipeline` asks.

    Returns:
        A dict of `fit` keyword arguments: `x`, `y`, `batch_size` and
        `shuffle` for NumPy arrays; for a `tf.data.Dataset`, which shuffles the
        images' order anew every epoch (seeded), batches them and prefetches the
        next batches while the model trains, `x` and `shuffle=False` (the
        dataset shuffles itself).
    """
    if recipe.input_pipeline == "numpy":
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
    if recipe.input_pipeline != "tf.data":
        raise ValueError(f"Unknown input pipeline {recipe.input_pipeline!r}; "
                         "choose 'numpy' or 'tf.data'.")
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return {"x": dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE), "shuffle": False}


def train_model(impl, name, data, epochs=None, latent_dim=None, beta=1.0, seed=0,
                verbose=1, callbacks=None, batch_size=None, recipe=None, variance=None):
    """Builds, compiles and trains model `name`, seeded for reproducibility.

    Args:
        impl: a namespace of student modules.
        name: one of `MODEL_NAMES`.
        data: a `(x_train, y_train)` pair of arrays.
        epochs: number of epochs; the recipe's default when None.
        latent_dim: code size; the recipe's default when None.
        beta: KL weight (VAEs only).
        seed: int, seeds Python, NumPy, TensorFlow and the model's noise.
        verbose: Keras's `fit` verbosity (1 shows the progress bar).
        callbacks: optional list of Keras callbacks.
        batch_size: training batch size; the recipe's default when None.
        recipe: the `Recipe` to follow; `RECIPES[name]` when None.
        variance: the decoder's variance (gaussian-vae only).

    Returns:
        `(model, history)`.
    """
    import keras

    keras.utils.set_random_seed(seed)
    recipe = recipe or get_recipe(name)
    epochs = epochs or recipe.epochs
    batch_size = batch_size or recipe.batch_size
    x, y = fit_arguments(name, *data)
    total_steps = epochs * -(-len(x) // batch_size)
    model = build_model(impl, name, latent_dim=latent_dim, beta=beta, seed=seed, recipe=recipe,
                        total_steps=total_steps, variance=variance)
    build_before_fit(model, x, y if recipe.needs_labels else None)
    history = model.fit(**training_input(recipe, x, y, batch_size, seed), epochs=epochs,
                        verbose=verbose, callbacks=callbacks)
    return model, history


def build_before_fit(model, x, labels=None):
    """Creates the variables of a compiled model and of its optimizer, symbolically.

    On the TensorFlow backend, `fit` leaves them to be created while it traces
    the training step, and a `tf.function` that has created variables is
    traced a second time. Built beforehand, from the shapes of the inputs (no
    operation runs and no random number is drawn, so training is unchanged),
    they cost `fit` that second trace. Where the model's `call` raises, nothing
    more is built: `fit` then raises that error itself, in the model's own words.

    Args:
        model: a compiled model, built or not.
        x: the training images, an array or a tensor (only its shape and
            dtype are read).
        labels: the labels, for a model whose `call` takes `(images, labels)`.
    """
    import keras

    def symbolic(array):
        return keras.KerasTensor((None, *array.shape[1:]),
                                 dtype=keras.backend.standardize_dtype(array.dtype))

    if not model.built:
        try:
            model.compute_output_spec(symbolic(x) if labels is None
                                      else (symbolic(x), symbolic(labels)))
        except Exception:  # noqa: BLE001  (Keras rewords the error; `fit` raises the model's own)
            return
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def evaluate_model(model, name, data, seed=0, batch_size=500):
    """Test-set metrics of a trained model, as plain floats.

    Autoencoders report the mean squared error per pixel; VAEs report the mean
    reconstruction loss and KL per image in nats, and the negative ELBO
    (`reconstruction + KL`, with `beta = 1` whatever `beta` the model was trained
    with; for the Gaussian decoder, without the constant `0.5 * D * log(2 pi c)`
    its loss leaves out); the VQ-VAE reports its MSE and the fraction of the
    codebook in use.

    Args:
        model: a trained model.
        name: its model name.
        data: a `(x_test, y_test)` pair of arrays.
        seed: seeds the VAE's sampling noise.
        batch_size: evaluation batch size.

    Returns:
        A dict of metric name to float.
    """
    import keras

    keras.utils.set_random_seed(seed)
    recipe = get_recipe(name)
    x, y = fit_arguments(name, *data)
    results = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    if recipe.is_variational:
        reconstruction = float(results["reconstruction_loss"])
        kl = float(results["kl_loss"])
        return {"reconstruction": reconstruction, "kl": kl, "neg_elbo": reconstruction + kl}
    metrics = {"mse": float(results["loss"])}
    if name == "vqvae":
        metrics["mse"] = float(np.mean(np.square(model.predict(x, batch_size=batch_size, verbose=0) - x)))
        codes = np.asarray(model.codes(x[:2000]))
        metrics["codebook_usage"] = len(np.unique(codes)) / model.num_embeddings
    return metrics


def format_metrics(metrics):
    """`{"mse": 0.0123}` -> `"mse 0.0123"`, for one-line summaries."""
    return ", ".join(f"{key} {value:.4g}" for key, value in metrics.items())
