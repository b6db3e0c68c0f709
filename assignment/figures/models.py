"""The trained models the figures are drawn from, loaded on demand.

Each figure names the models it needs by key (`"ae"`, `"vae"`, `"vae-beta4"`,
...). `REFERENCE_MODELS` says how each key is trained: the arguments given to
`model_cache.cached_model`, which trains a model once with its default recipe
and caches its weights under `build/models/`.
"""

from collections.abc import Mapping

from assignment import model_cache
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


REFERENCE_MODELS = {
    "vae": dict(name="vae"),
    "ae2": dict(name="ae", latent_dim=2),
    "ae": dict(name="ae"),
    "dae": dict(name="dae"),
    "cvae": dict(name="cvae"),
    "vqvae": dict(name="vqvae"),
    **{
        beta_key(beta): dict(
            name="vae", latent_dim=BETA_SWEEP_LATENT_DIM, beta=beta, epochs=BETA_SWEEP_EPOCHS
        )
        for beta in BETAS
    },
}


class ReferenceModels(Mapping):
    """A read-only mapping from model key to trained model, trained or loaded on first use.

    Args:
        impl_dir: the implementation directory the models are built from.
        sample: as for `cached_model`: None uses the full data set when it is
            installed, else the embedded sample.
        retrain: train every model again even when it is cached.
        log: function that prints one line of progress.
    """

    def __init__(self, impl_dir=SOLUTION_DIR, sample=None, retrain=False, log=print):
        self.impl_dir = impl_dir
        self.sample = sample
        self.retrain = retrain
        self.log = log
        self._models = {}

    def __getitem__(self, key):
        if key not in REFERENCE_MODELS:
            raise KeyError(f"No reference model {key!r}; known: {', '.join(REFERENCE_MODELS)}.")
        if key not in self._models:
            self._models[key] = model_cache.cached_model(
                **REFERENCE_MODELS[key],
                sample=self.sample,
                impl_dir=self.impl_dir,
                retrain=self.retrain,
                log=self.log,
            )
        return self._models[key]

    def __iter__(self):
        return iter(REFERENCE_MODELS)

    def __len__(self):
        return len(REFERENCE_MODELS)
