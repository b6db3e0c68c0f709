"""The model cache retrains when the code or the recipe changes, not when a comment does."""

import shutil

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
