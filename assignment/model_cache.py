"""Trained models, cached on disk: trained once, loaded afterwards.

The figures and the metrics report need the same trained models again and again.
`cached_model` trains a model with its default recipe (`training.py`) the first
time and saves it under `build/models/` (git-ignored); later calls load it. The
cache key holds everything that changes the weights: the model and its
hyper-parameters, the data (full set or embedded sample), and a hash of the
implementation's source files and of the model's training recipe, so that
editing the code or the recipe retrains.
"""

import ast
import hashlib
import re
from pathlib import Path

from assignment import datasets, training
from assignment.implementation import MODULE_NAMES, REPO_ROOT, SOLUTION_DIR, load_implementation

CACHE_DIR = REPO_ROOT / "build" / "models"


def full_data_available(name="fashion_mnist"):
    """Whether the full data set is installed locally (no download is tried)."""
    try:
        datasets.find_dataset_dir(name)
    except datasets.DatasetNotFoundError:
        return False
    return True


def implementation_hash(directory, recipe_key=""):
    """A short hash of the code of the student modules of `directory`, and of a recipe's key.

    Comments and docstrings do not count, so editing a TODO text or a docstring
    keeps the cached models; a file that does not parse counts as its bytes.
    `recipe_key` is `Recipe.weights_key`: the training settings that change the
    weights.
    """
    digest = hashlib.sha256(recipe_key.encode())
    for name in MODULE_NAMES:
        path = Path(directory) / f"{name}.py"
        digest.update(_code_of(path.read_text()).encode() if path.is_file() else b"")
    return digest.hexdigest()[:10]


def _code_of(source):
    """The source's syntax tree without docstrings, as text (the source itself if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def cache_path(name, *, dataset, sample, latent_dim, beta, epochs, seed, impl_dir):
    """Where the model with these settings is (or will be) saved."""
    recipe = training.get_recipe(name)
    parts = [
        name,
        f"k{latent_dim or recipe.latent_dim}" if recipe.latent_dim else None,
        f"beta{beta:g}" if recipe.is_variational else None,
        f"e{epochs or recipe.epochs}",
        f"seed{seed}",
        implementation_hash(impl_dir, recipe.weights_key),
    ]
    stem = "-".join(part for part in parts if part)
    folder = f"{dataset}-{'sample' if sample else 'full'}"
    return CACHE_DIR / folder / (re.sub(r"[^\w.+-]", "_", stem) + ".keras")


def cached_model(
    name,
    *,
    dataset="fashion_mnist",
    sample=None,
    latent_dim=None,
    beta=1.0,
    epochs=None,
    seed=0,
    impl_dir=SOLUTION_DIR,
    retrain=False,
    log=print,
    verbose=2,
):
    """Returns model `name`, loaded from the cache or trained and saved there.

    Args:
        name: one of `training.MODEL_NAMES`.
        dataset: data set name.
        sample: True for the embedded sample, False for the full data set,
            None for the full set when it is installed, else the sample.
        latent_dim, beta, epochs, seed: as for `training.train_model`.
        impl_dir: the implementation directory to train.
        retrain: train even when a cached model exists.
        log: function that prints one line of progress.
        verbose: Keras's `fit` verbosity while training.

    Returns:
        A trained Keras model (its implementation loaded).
    """
    import keras

    if sample is None:
        sample = not full_data_available(dataset)
    path = cache_path(
        name, dataset=dataset, sample=sample, latent_dim=latent_dim, beta=beta,
        epochs=epochs, seed=seed, impl_dir=impl_dir,
    )
    impl = load_implementation(impl_dir)  # registers its classes for loading
    if path.exists() and not retrain:
        log(f"loading {name} from {path.relative_to(REPO_ROOT)}")
        return keras.models.load_model(path)
    log(f"training {name} on {datasets.describe_source(dataset, sample=sample)} ...")
    data = datasets.load_dataset(dataset, "train", sample=sample)
    model, _ = training.train_model(
        impl, name, data, epochs=epochs, latent_dim=latent_dim, beta=beta, seed=seed,
        verbose=verbose,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    log(f"saved {path.relative_to(REPO_ROOT)}")
    return model
