"""The trained models the figures are drawn from, loaded on demand.

Each figure names the models it needs by key (`"ae"`, `"vae"`, `"vae-beta4"`,
...). `REFERENCE_MODELS` says how each key is trained: the arguments given to
`model_cache.cached_model`, which trains a model once with its default recipe
and caches it (the reference solution's under `build/models/`, any other
implementation's in a folder of its own).
"""

import time
from collections.abc import Mapping

from assignment import datasets, model_cache, training
from assignment.figures import estimate
from assignment.implementation import SOLUTION_DIR

# The beta sweep: from a plain (noisy) autoencoder to a KL-dominated VAE.
BETAS = (0.0, 0.1, 1.0, 4.0, 16.0)
# Enough latent dimensions for some of them to collapse at large beta.
BETA_SWEEP_LATENT_DIM = 8
# The sweep trains five models: a few epochs each show the trend.
BETA_SWEEP_EPOCHS = 5


def beta_key(beta):
    """The model key of the beta-sweep VAE trained with `beta`, e.g. `"vae-beta0.1"`."""
    return f"vae-beta{beta:g}"


# The Gaussian decoder's variances: from "reproduce every pixel" to "most of it is noise".
VARIANCES = (0.01, 0.03, 0.1, 0.3)


def variance_key(variance):
    """The model key of the Gaussian-decoder VAE of `variance`, e.g. `"gaussian-vae-c0.1"`."""
    return f"gaussian-vae-c{variance:g}"


REFERENCE_MODELS = {
    "vae": dict(name="vae"),
    "ae2": dict(name="ae", latent_dim=2),
    "ae": dict(name="ae"),
    "dae": dict(name="dae"),
    "cvae": dict(name="cvae"),
    "vqvae": dict(name="vqvae"),
    "sparse-ae": dict(name="sparse-ae"),
    "masked-ae": dict(name="masked-ae"),
    **{
        beta_key(beta): dict(
            name="vae", latent_dim=BETA_SWEEP_LATENT_DIM, beta=beta, epochs=BETA_SWEEP_EPOCHS
        )
        for beta in BETAS
    },
    # Trained like the beta sweep's VAEs (latent 8, 5 epochs), to compare with its beta = 1.
    **{
        variance_key(variance): dict(
            name="gaussian-vae", latent_dim=BETA_SWEEP_LATENT_DIM, variance=variance,
            epochs=BETA_SWEEP_EPOCHS,
        )
        for variance in VARIANCES
    },
}


# The embedded MNIST sample has 3,000 training digits, a twentieth of the full sets the default
# recipes are made for: with their epochs the VAE's prior samples are still blobs. Epochs per
# model on that sample, chosen by looking at every figure they draw.
SAMPLE_EPOCHS = {
    "mnist": {"vae": 30, "cvae": 30, "ae": 20, "ae2": 20, "dae": 20, "vqvae": 20,
              **{beta_key(beta): 15 for beta in BETAS}},
}


def model_settings(key, dataset="fashion_mnist", sample=False):
    """The `model_cache.cached_model` arguments of model `key` on `dataset` (its sample or not)."""
    settings = dict(REFERENCE_MODELS[key], dataset=dataset)
    if sample and key in SAMPLE_EPOCHS.get(dataset, {}):
        settings["epochs"] = SAMPLE_EPOCHS[dataset][key]
    return settings


def describe_model(key, dataset="fashion_mnist", sample=False):
    """One line on how model `key` is trained, e.g. `"vae, latent 8, beta 4, 5 epochs"`."""
    settings = model_settings(key, dataset, sample)
    recipe = training.get_recipe(settings["name"])
    parts = [settings["name"]]
    if recipe.latent_dim is not None:
        parts.append(f"latent {settings.get('latent_dim') or recipe.latent_dim}")
    if recipe.is_variational:
        parts.append(f"beta {settings.get('beta', 1.0):g}")
    if "variance" in settings:
        parts.append(f"variance {settings['variance']:g}")
    parts.append(f"{settings.get('epochs') or recipe.epochs} epochs")
    return ", ".join(parts)


class ReferenceModels(Mapping):
    """A read-only mapping from model key to trained model, trained or loaded on first use.

    `plan` says beforehand which models a set of figures will train and about
    how long that takes; each of them then logs its place in the plan ("model
    2 of 11"), the time it took and about how long the others take.

    Args:
        impl_dir: the implementation directory the models are built from.
        sample: True for the embedded sample, False for the full data set.
        dataset: the data set they are trained on (`datasets.DATASETS`).
        retrain: train every model again even when it is cached.
        log: function that prints one line of progress.
    """

    def __init__(self, impl_dir=SOLUTION_DIR, *, sample, dataset="fashion_mnist", retrain=False,
                 log=print):
        self.impl_dir = impl_dir
        self.sample = sample
        self.dataset = dataset
        self.retrain = retrain
        self.log = log
        self._models = {}
        self._plan = {}  # key -> estimated seconds, for the models `plan` said it would train
        self._attempted = []  # the keys of the plan whose training has started
        self._timings = []  # (estimated, taken) seconds of each model of the plan trained

    def plan(self, keys):
        """Which of the models `keys` must be trained, and about how long each takes.

        Args:
            keys: model keys, in the order they will be used.

        Returns:
            A dict from each key that is not cached (every key, with `retrain`)
            to its estimated training time in seconds (`estimate.training_seconds`).
        """
        images = datasets.split_sizes(self.dataset, sample=self.sample)["train"]
        self._plan = {}
        for key in dict.fromkeys(keys):
            settings = model_settings(key, self.dataset, self.sample)
            if self.retrain or not model_cache.is_cached(
                    **settings, sample=self.sample, impl_dir=self.impl_dir):
                epochs = settings.get("epochs") or training.get_recipe(settings["name"]).epochs
                self._plan[key] = estimate.training_seconds(settings["name"], epochs, images)
        self._attempted, self._timings = [], []
        return dict(self._plan)

    def __getitem__(self, key):
        if key not in REFERENCE_MODELS:
            raise KeyError(f"No reference model {key!r}; known: {', '.join(REFERENCE_MODELS)}.")
        if key in self._models:
            return self._models[key]
        planned = key in self._plan and key not in self._attempted
        if planned:
            self._attempted.append(key)
            self.log(f"model {len(self._attempted)} of {len(self._plan)} to train: {key} "
                     f"({describe_model(key, self.dataset, self.sample)}), about "
                     f"{estimate.format_duration(self._slowdown() * self._plan[key])}")
        start = time.perf_counter()
        self._models[key] = model_cache.cached_model(
            **model_settings(key, self.dataset, self.sample),
            sample=self.sample,
            impl_dir=self.impl_dir,
            retrain=self.retrain,
            log=self.log,
        )
        if planned:
            seconds = time.perf_counter() - start
            self._timings.append((self._plan[key], seconds))
            self.log(f"model {len(self._attempted)} of {len(self._plan)} trained in "
                     f"{estimate.format_duration(seconds)}" + self._rest())
        return self._models[key]

    def __iter__(self):
        return iter(REFERENCE_MODELS)

    def __len__(self):
        return len(REFERENCE_MODELS)

    def _slowdown(self):
        """How much longer than estimated the models trained so far took (1 before any)."""
        if not self._timings:
            return 1.0
        return sum(taken for _, taken in self._timings) / sum(est for est, _ in self._timings)

    def _rest(self):
        """`"; the other 3 take about 2.5 min"`, or "" when none is left."""
        left = [seconds for key, seconds in self._plan.items() if key not in self._attempted]
        if not left:
            return ""
        others = "the last one takes" if len(left) == 1 else f"the other {len(left)} take"
        return f"; {others} about {estimate.format_duration(self._slowdown() * sum(left))}"
