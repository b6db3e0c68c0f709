"""Trained models, cached on disk: trained once, loaded afterwards.

The figures and the metrics report need the same trained models again and again.
`cached_model` trains a model with its default recipe (`training.py`) the first
time and saves it; later calls load it. The cache key holds everything that
changes the weights: the model and its hyper-parameters, the data (full set or
embedded sample), and a hash of the implementation's source files and of the
model's training recipe, so that editing the code or the recipe retrains; a
model replaces the one of the same settings trained from earlier code.

The reference solution's models live in `build/models/` (`CACHE_DIR`). Every
other implementation (the stencil, a submission, a copy of the solution) gets
its own folder, `build/impl-models/<folder name>-<hash of its path>/`
(`IMPL_CACHE_DIR`), so that its models never mix with the reference ones.
Both are under the git-ignored `build/`.
"""

import ast
import hashlib
import re
from pathlib import Path

from assignment import datasets, training
from assignment.implementation import ALL_MODULE_NAMES, REPO_ROOT, SOLUTION_DIR, load_implementation

CACHE_DIR = REPO_ROOT / "build" / "models"
IMPL_CACHE_DIR = REPO_ROOT / "build" / "impl-models"
_HASH_LENGTH = 10


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
    for name in ALL_MODULE_NAMES:
        path = Path(directory) / f"{name}.py"
        digest.update(_code_of(path.read_text()).encode() if path.is_file() else b"")
    return digest.hexdigest()[:_HASH_LENGTH]


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


def cache_dir(impl_dir):
    """The cache folder of an implementation: `CACHE_DIR` for the reference solution.

    Any other implementation directory gets a folder of its own under
    `IMPL_CACHE_DIR`, named after the directory and a hash of its resolved
    path (two folders both named `submission` stay apart).
    """
    impl_dir = Path(impl_dir).resolve()
    if impl_dir == SOLUTION_DIR.resolve():
        return CACHE_DIR
    path_hash = hashlib.sha256(str(impl_dir).encode()).hexdigest()[:8]
    return IMPL_CACHE_DIR / f"{_safe(impl_dir.name)}-{path_hash}"


def cache_path(name, *, dataset, sample, latent_dim, beta, epochs, seed, impl_dir,
               variance=None):
    """Where the model with these settings is (or will be) saved."""
    folder = cache_dir(impl_dir) / f"{dataset}-{'sample' if sample else 'full'}"
    code_hash = implementation_hash(impl_dir, training.get_recipe(name).weights_key)
    stem = _settings_stem(name, latent_dim, beta, epochs, seed, variance)
    return folder / f"{stem}-{code_hash}.keras"


def _settings_stem(name, latent_dim, beta, epochs, seed, variance=None):
    """The cache file's name without the code hash, e.g. `vae-k2-beta1-e10-seed0`."""
    recipe = training.get_recipe(name)
    parts = [
        name,
        f"k{latent_dim or recipe.latent_dim}" if recipe.latent_dim else None,
        f"beta{beta:g}" if recipe.is_variational else None,
        f"c{variance:g}" if variance is not None else None,
        f"e{epochs or recipe.epochs}",
        f"seed{seed}",
    ]
    return _safe("-".join(part for part in parts if part))


def _older_versions(path):
    """The cached models with the settings of `path` but another code hash."""
    stem = path.stem[: -(_HASH_LENGTH + 1)]  # Without "-<code hash>".
    return [other for other in path.parent.glob(f"{stem}-{'?' * _HASH_LENGTH}{path.suffix}")
            if other != path]


def _safe(text):
    """`text` with every character but letters, digits and `._+-` replaced by `_`."""
    return re.sub(r"[^\w.+-]", "_", text)


def is_cached(name, *, dataset="fashion_mnist", sample, latent_dim=None, beta=1.0, epochs=None,
              seed=0, impl_dir=SOLUTION_DIR, variance=None):
    """Whether `cached_model` with these arguments would load the model rather than train it."""
    return cache_path(name, dataset=dataset, sample=sample, latent_dim=latent_dim, beta=beta,
                      epochs=epochs, seed=seed, impl_dir=impl_dir, variance=variance).exists()


def cached_model(
    name,
    *,
    dataset="fashion_mnist",
    sample=None,
    latent_dim=None,
    beta=1.0,
    epochs=None,
    seed=0,
    variance=None,
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
        latent_dim, beta, epochs, seed, variance: as for `training.train_model`.
        impl_dir: the implementation directory to train.
        retrain: train even when a cached model exists.
        log: function that prints one line of progress.
        verbose: Keras's `fit` verbosity while training.

    Returns:
        A trained Keras model (its implementation loaded).

    Raises:
        datasets.DatasetNotFoundError, datasets.CorruptDatasetError: the data
            is missing or damaged.
        Exception: whatever the implementation's code raises.
    """
    import keras

    if sample is None:
        sample = not full_data_available(dataset)
    path = cache_path(
        name, dataset=dataset, sample=sample, latent_dim=latent_dim, beta=beta,
        epochs=epochs, seed=seed, impl_dir=impl_dir, variance=variance,
    )
    impl = load_implementation(impl_dir)  # registers its classes for loading
    if path.exists() and not retrain:
        log(f"loading {name} from {path.relative_to(REPO_ROOT)}")
        return keras.models.load_model(path)
    log(f"training {name} on {datasets.describe_source(dataset, sample=sample)} ...")
    data = datasets.load_dataset(dataset, "train", sample=sample)
    model, _ = training.train_model(
        impl, name, data, epochs=epochs, latent_dim=latent_dim, beta=beta, seed=seed,
        variance=variance, verbose=verbose,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    for older in _older_versions(path):
        older.unlink()
    model.save(path)
    log(f"saved {path.relative_to(REPO_ROOT)}")
    return model
