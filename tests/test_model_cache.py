"""The model cache retrains when the code or the recipe changes, not when a comment does.

Each implementation has a cache of its own: the reference solution's is never read
or filled with another implementation's models.
"""

import shutil

import pytest

from assignment import model_cache, training
from assignment.implementation import SOLUTION_DIR
from assignment.model_cache import cache_path, implementation_hash


def copy_of_solution(tmp_path):
    folder = tmp_path / "impl"
    shutil.copytree(SOLUTION_DIR, folder)
    return folder


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_docstrings_and_comments_do_not_change_the_hash(tmp_path):
    folder = copy_of_solution(tmp_path)
    before = implementation_hash(folder)
    edit(folder / "vae.py", '"""The variational autoencoder (VAE).', '"""A VAE, reworded.')
    edit(folder / "vae.py", "# BEGIN SOLUTION TODO 3.3:", "# BEGIN SOLUTION TODO 3.3: reworded,")
    assert implementation_hash(folder) == before


def test_code_changes_the_hash_and_the_cache_path(tmp_path):
    folder = copy_of_solution(tmp_path)
    settings = dict(dataset="fashion_mnist", sample=True, latent_dim=None, beta=1.0,
                    epochs=None, seed=0)
    before = cache_path("vae", impl_dir=folder, **settings)
    edit(folder / "vae.py", "0.5 * ops.sum(", "0.25 * ops.sum(")
    assert cache_path("vae", impl_dir=folder, **settings) != before


def test_a_file_that_does_not_parse_still_hashes(tmp_path):
    folder = copy_of_solution(tmp_path)
    (folder / "cvae.py").write_text("def broken(:\n")
    assert len(implementation_hash(folder)) == 10


def test_a_recipe_setting_that_changes_the_weights_changes_the_cache_path(monkeypatch):
    import dataclasses

    from assignment import training

    settings = dict(dataset="fashion_mnist", sample=True, latent_dim=None, beta=1.0,
                    epochs=None, seed=0, impl_dir=SOLUTION_DIR)
    before = cache_path("vae", **settings)
    recipe = training.RECIPES["vae"]
    monkeypatch.setitem(training.RECIPES, "vae",
                        dataclasses.replace(recipe, steps_per_execution=7,
                                            description="reworded"))
    assert cache_path("vae", **settings) == before
    monkeypatch.setitem(training.RECIPES, "vae",
                        dataclasses.replace(recipe, learning_rate=recipe.learning_rate * 2))
    assert cache_path("vae", **settings) != before


# Where each implementation's models go


def test_the_reference_solution_has_the_reference_cache_and_every_other_folder_its_own(tmp_path):
    copy = copy_of_solution(tmp_path)
    other = tmp_path / "elsewhere" / "impl"
    shutil.copytree(SOLUTION_DIR, other)
    assert model_cache.cache_dir(SOLUTION_DIR) == model_cache.CACHE_DIR
    folders = {model_cache.cache_dir(folder) for folder in (copy, other)}
    assert len(folders) == 2  # Same folder name, same code, different places.
    for folder in folders:
        assert folder.parent == model_cache.IMPL_CACHE_DIR and folder.name.startswith("impl-")
    settings = dict(dataset="fashion_mnist", sample=True, latent_dim=None, beta=1.0,
                    epochs=None, seed=0)
    reference = cache_path("vae", impl_dir=SOLUTION_DIR, **settings)
    copied = cache_path("vae", impl_dir=copy, **settings)
    assert reference.name == copied.name  # The same code hash...
    assert model_cache.CACHE_DIR not in copied.parents  # ...but never the reference cache.


class FakeModel:
    """Stands in for a trained Keras model: `save` writes a file."""

    def save(self, path):
        path.write_text("a model")


@pytest.fixture
def fake_training(tmp_path, monkeypatch):
    """Points both caches into tmp_path; training and loading record their calls instead."""
    monkeypatch.setattr(model_cache, "CACHE_DIR", tmp_path / "build" / "models")
    monkeypatch.setattr(model_cache, "IMPL_CACHE_DIR", tmp_path / "build" / "impl-models")
    monkeypatch.setattr(model_cache, "REPO_ROOT", tmp_path)
    calls = []
    monkeypatch.setattr(training, "train_model",
                        lambda impl, name, data, **kwargs: calls.append(("train", name))
                        or (FakeModel(), None))
    import keras

    monkeypatch.setattr(keras.models, "load_model",
                        lambda path: calls.append(("load", path)) or FakeModel())
    return calls


def test_a_copy_of_the_solution_neither_reads_nor_fills_the_reference_cache(
        tmp_path, fake_training):
    copy = copy_of_solution(tmp_path)
    settings = dict(sample=True, log=lambda line: None)
    reference = cache_path("ae", dataset="fashion_mnist", sample=True, latent_dim=None,
                           beta=1.0, epochs=None, seed=0, impl_dir=SOLUTION_DIR)
    reference.parent.mkdir(parents=True)
    reference.write_text("the reference model")
    model_cache.cached_model("ae", impl_dir=copy, **settings)
    assert fake_training == [("train", "ae")]
    assert sorted(path.name for path in model_cache.CACHE_DIR.rglob("*.keras")) == [reference.name]
    copied = list(model_cache.IMPL_CACHE_DIR.rglob("*.keras"))
    assert len(copied) == 1 and copied[0].name == reference.name
    model_cache.cached_model("ae", impl_dir=copy, **settings)
    assert fake_training[-1] == ("load", copied[0])
    assert model_cache.is_cached("ae", sample=True, impl_dir=copy)


def test_a_retrained_model_replaces_the_one_trained_from_earlier_code(tmp_path, fake_training):
    copy = copy_of_solution(tmp_path)
    settings = dict(sample=True, log=lambda line: None)
    model_cache.cached_model("ae", impl_dir=copy, **settings)
    model_cache.cached_model("ae", impl_dir=copy, latent_dim=2, **settings)
    code_2, code_32 = sorted(model_cache.IMPL_CACHE_DIR.rglob("*.keras"))
    assert code_2.name.startswith("ae-k2-") and code_32.name.startswith("ae-k32-")
    edit(copy / "autoencoder.py", "return self.output_conv(x)", "return self.output_conv(x) * 1.0")
    model_cache.cached_model("ae", impl_dir=copy, **settings)
    now = sorted(model_cache.IMPL_CACHE_DIR.rglob("*.keras"))
    assert len(now) == 2 and now[0] == code_2  # Other settings: kept.
    assert now[1].name.startswith("ae-k32-") and now[1] != code_32  # Replaced.
