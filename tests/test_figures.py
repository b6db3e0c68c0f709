"""Tests of the lecture figures: every figure draws from tiny models, and the CLI's options.

Also the picture of a training run, and the training plan the CLI prints.

The models are built untrained with the reference recipes and the embedded
sample supplies the images, so that drawing every figure takes seconds; the
figures' content is checked by eye from the real run (see the README).
"""

import dataclasses
import re

import numpy as np
import pytest

from assignment import datasets, model_cache, training
from assignment.figures import cli, convolution, estimate, registry
from assignment.figures import models as models_module
from assignment.figures.beta_sweep import kl_per_dimension
from assignment.figures.context import FigureContext, in_batches
from assignment.figures.latent import latent_grid
from assignment.figures.models import REFERENCE_MODELS, ReferenceModels
from assignment.figures.run_picture import SAMPLE_ROWS, draw_run_picture, prior_samples
from assignment.implementation import SOLUTION_DIR, load_implementation


@pytest.fixture(scope="module")
def impl():
    return load_implementation()


@pytest.fixture(scope="module")
def test_data():
    x, y = datasets.load_dataset(split="test", sample=True)
    keep = np.concatenate([np.flatnonzero(y == label)[:20] for label in range(10)])
    return x[keep], y[keep]


@pytest.fixture(scope="module")
def tiny_models(impl, test_data):
    """Every reference model, untrained, with its reference architecture and code size."""
    x, y = test_data
    models = {}
    for key, settings in REFERENCE_MODELS.items():
        model = training.build_model(
            impl, settings["name"], latent_dim=settings.get("latent_dim"),
            beta=settings.get("beta", 1.0), seed=0,
        )
        model((x[:2], y[:2]) if training.get_recipe(settings["name"]).needs_labels else x[:2])
        models[key] = model
    return models


@pytest.fixture(scope="module")
def ctx(impl, tiny_models, test_data):
    return FigureContext(
        impl=impl, models=tiny_models, x_test=test_data[0], y_test=test_data[1],
        class_names=datasets.CLASS_NAMES["fashion_mnist"], formats=("png", "pdf"), dpi=40,
    )


@pytest.mark.parametrize("figure", registry.ALL_FIGURES, ids=lambda figure: figure.name)
def test_every_figure_writes_non_empty_png_and_pdf(figure, ctx, tmp_path):
    # Only the models the figure declares: drawing fails if it uses another one.
    declared = {key: ctx.models[key] for key in figure.models}
    figure.draw(dataclasses.replace(ctx, models=declared), tmp_path / figure.name)
    for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
        path = tmp_path / f"{figure.name}.{fmt}"
        assert path.read_bytes()[:4] == magic
        assert path.stat().st_size > 1000


def test_figure_names_are_unique_and_models_are_known():
    names = [figure.name for figure in registry.ALL_FIGURES]
    assert len(names) == len(set(names)) == len(registry.FIGURES)
    for figure in registry.ALL_FIGURES:
        assert set(figure.models) <= set(REFERENCE_MODELS), figure.name
        assert figure.description


def test_select_keeps_table_order_and_rejects_unknown_names():
    chosen = registry.select(["vqvae-codebook", "tconv-stride1"])
    assert [figure.name for figure in chosen] == ["tconv-stride1", "vqvae-codebook"]
    assert registry.select(None) == list(registry.ALL_FIGURES)
    with pytest.raises(ValueError, match="valid names: tconv-stride1, "):
        registry.select(["tconv-stride1", "no-such-figure"])


def test_required_models_lists_each_model_once():
    chosen = registry.select(["latent-scatter", "random-codes", "vae-prior-samples"])
    assert registry.required_models(chosen) == ["ae2", "vae", "ae"]


def test_cli_list_prints_every_figure(capsys):
    assert cli.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [figure.name for figure in registry.ALL_FIGURES]


def test_cli_only_with_unknown_name_exits_with_the_valid_names(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--only", "no-such-figure"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "'no-such-figure'" in error
    assert all(name in error for name in registry.FIGURES)


def test_draw_figures_draws_only_the_selection(ctx, tmp_path):
    lines = []
    written, failed = cli.draw_figures(
        registry.select(["gaussians-kl", "tconv-stride2"]), ctx, tmp_path / "out", log=lines.append
    )
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "gaussians-kl.pdf", "gaussians-kl.png", "tconv-stride2.pdf", "tconv-stride2.png",
    ]
    assert sorted(written) == sorted((tmp_path / "out").iterdir())
    assert failed == []
    assert lines[0].startswith("[1/2] tconv-stride2")


def test_draw_figures_reports_a_failing_figure_and_draws_the_rest(ctx, tmp_path):
    def unfinished(ctx, out_path):
        raise NotImplementedError("TODO 1.2")

    figures = [registry.Figure("broken", unfinished, "raises"), registry.FIGURES["gaussians-kl"]]
    lines = []
    written, failed = cli.draw_figures(figures, ctx, tmp_path, log=lines.append)
    assert failed == ["broken"]
    assert "    FAILED: NotImplementedError: TODO 1.2" in lines
    assert sorted(path.name for path in written) == ["gaussians-kl.pdf", "gaussians-kl.png"]


def test_cell_contributions_sum_to_the_lecture_output(impl):
    for stride, expected in (
        (1, [[0, 4, 5], [8, 28, 22], [12, 32, 21]]),
        (2, [[0, 0, 4, 5], [0, 0, 6, 7], [8, 10, 12, 15], [12, 14, 18, 21]]),
    ):
        terms = convolution.cell_contributions(
            impl, convolution.LECTURE_INPUT, convolution.LECTURE_KERNEL, stride
        )
        np.testing.assert_allclose(sum(term for _, term, _ in terms), expected)
        (_, last, footprint) = terms[-1]
        np.testing.assert_allclose(last[footprint], 3 * convolution.LECTURE_KERNEL.ravel())
        assert footprint.sum() == convolution.LECTURE_KERNEL.size


def test_crop_offset_finds_the_window():
    full = np.arange(81.0).reshape(9, 9)
    assert convolution.crop_offset(full, full[1:8, 2:9]) == (1, 2)
    with pytest.raises(ValueError):
        convolution.crop_offset(full, np.zeros((3, 3)))


def test_kl_per_dimension_is_zero_at_the_prior_and_sums_to_kl_divergence(impl):
    rng = np.random.default_rng(0)
    z_mean = rng.normal(size=(50, 4)).astype("float32")
    z_log_var = rng.normal(size=(50, 4)).astype("float32")
    np.testing.assert_allclose(kl_per_dimension(np.zeros((3, 4)), np.zeros((3, 4))), 0.0)
    np.testing.assert_allclose(
        kl_per_dimension(z_mean, z_log_var).sum(),
        np.asarray(impl.vae.kl_divergence(z_mean, z_log_var)).mean(),
        rtol=1e-5,
    )


def test_latent_grid_runs_rows_from_the_top():
    points, values = latent_grid(5, 3)
    np.testing.assert_allclose(values, [-5, 0, 5])
    np.testing.assert_allclose(points[:3], [[-5, 5], [0, 5], [5, 5]])
    np.testing.assert_allclose(points[-1], [5, -5])


def test_in_batches_concatenates_arrays_and_tuples():
    x = np.arange(10.0)
    np.testing.assert_allclose(in_batches(lambda b: b * 2, x, batch_size=3), x * 2)
    first, second = in_batches(lambda b: (b, -b), x, batch_size=4)
    np.testing.assert_allclose(second, -x)


# The picture of a training run


@pytest.mark.parametrize("name", training.MODEL_NAMES)
def test_the_run_picture_of_every_model(name, impl, test_data, tmp_path):
    model = training.build_model(impl, name, seed=0)
    x, y = test_data
    model((x[:2], y[:2]) if training.get_recipe(name).needs_labels else x[:2])
    path = draw_run_picture(model, name, x, y, datasets.CLASS_NAMES["fashion_mnist"],
                            tmp_path / f"{name}.png", f"{name}: untrained", dpi=40)
    assert path == tmp_path / f"{name}.png" and sorted(tmp_path.iterdir()) == [path]
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 1000


def test_the_run_picture_samples_only_generative_models_and_the_cvae_by_class(impl, tiny_models):
    assert prior_samples(tiny_models["ae"], "ae", 10, seed=0) is None
    assert prior_samples(tiny_models["vqvae"], "vqvae", 10, seed=0) is None
    assert np.asarray(prior_samples(tiny_models["vae"], "vae", 10, seed=0)).shape == (
        SAMPLE_ROWS * 10, 28, 28, 1)
    cvae = tiny_models["cvae"]
    samples = np.asarray(prior_samples(cvae, "cvae", 10, seed=0))
    labels = np.tile(np.arange(10), SAMPLE_ROWS)
    np.testing.assert_allclose(samples, np.asarray(cvae.sample(labels, seed=0)), atol=1e-6)


# Training plan, estimates and progress


def test_estimates_scale_with_epochs_and_images_and_read_as_durations():
    once = estimate.training_seconds("vae", 1, 6000)
    assert estimate.training_seconds("vae", 10, 6000) - estimate.SETUP_SECONDS["vae"] == (
        pytest.approx(10 * (once - estimate.SETUP_SECONDS["vae"])))
    assert set(estimate.IMAGES_PER_SECOND) == set(estimate.SETUP_SECONDS) == set(training.RECIPES)
    assert [estimate.format_duration(s) for s in (42.4, 150, 5400)] == ["42 s", "2.5 min", "1.5 h"]


@pytest.fixture
def fake_cache(monkeypatch):
    """`cached_model` returns the key's settings; `is_cached` is True for the keys in `cached`."""
    cached = set()
    monkeypatch.setattr(models_module.model_cache, "is_cached",
                        lambda name, **kwargs: (name, kwargs.get("latent_dim")) in cached)
    monkeypatch.setattr(models_module.model_cache, "cached_model",
                        lambda name, **kwargs: ("model", name, kwargs.get("latent_dim")))
    return cached


def test_the_plan_lists_the_models_to_train_and_each_logs_its_progress(fake_cache, monkeypatch):
    fake_cache.add(("ae", None))  # "ae" is cached, "ae2" and "vae" are not.
    lines = []
    models = ReferenceModels(sample=True, log=lines.append)
    plan = models.plan(["ae2", "vae", "ae", "vae"])
    images = datasets.split_sizes(sample=True)["train"]
    assert plan == {"ae2": estimate.training_seconds("ae", 10, images),
                    "vae": estimate.training_seconds("vae", 10, images)}
    clock = iter([0.0, 30.0, 100.0, 160.0, 220.0])  # ae2: 30 s; ae: loaded; vae: 60 s
    monkeypatch.setattr(models_module.time, "perf_counter", lambda: next(clock))
    assert models["ae2"] == ("model", "ae", 2)
    assert lines == [
        f"model 1 of 2 to train: ae2 (ae, latent 2, 10 epochs), about "
        f"{estimate.format_duration(plan['ae2'])}",
        "model 1 of 2 trained in 30 s; the last one takes about "
        f"{estimate.format_duration(plan['vae'] * 30.0 / plan['ae2'])}",
    ]
    lines.clear()
    assert models["ae"] == ("model", "ae", None) and lines == []  # Cached: no progress line.
    models["vae"]
    assert lines[-1] == "model 2 of 2 trained in 60 s"
    assert models["vae"] == ("model", "vae", None) and len(lines) == 2  # Once only.


def test_retrain_plans_every_model(fake_cache):
    fake_cache.update({("ae", None), ("vae", None)})
    assert list(ReferenceModels(sample=True, retrain=True).plan(["ae", "vae"])) == ["ae", "vae"]
    assert ReferenceModels(sample=True).plan(["ae", "vae"]) == {}


def test_the_printed_plan_says_what_where_and_about_how_long(capsys):
    cli.print_training_plan({"vae": 70.0, "vae-beta4": 40.0}, SOLUTION_DIR)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"models: 2 to train from {SOLUTION_DIR} (the rest are cached), about "
                        "1.8 min in all (estimated from training speeds measured on a 2-core "
                        f"CPU); cached in {model_cache.CACHE_DIR}:")
    assert lines[1:] == ["  vae        vae, latent 2, beta 1, 10 epochs, about 70 s",
                         "  vae-beta4  vae, latent 8, beta 4, 5 epochs, about 40 s"]
    cli.print_training_plan({}, SOLUTION_DIR)
    assert capsys.readouterr().out == "models: every model these figures need is cached\n"


# Data and arguments of the command line


def test_without_the_full_data_set_the_figures_use_the_sample_and_say_so(
        tmp_path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    sample = datasets.sample_file("fashion_mnist")
    (tmp_path / "data" / sample.name).symlink_to(sample)
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", {"fashion_mnist": tmp_path / "system"})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("ASSIGNMENT_DATA_DIR", raising=False)
    monkeypatch.setenv("ASSIGNMENT_NO_DOWNLOAD", "1")
    out = tmp_path / "out"
    assert cli.main(["--only", "gaussians-kl", "--out", str(out), "--format", "png",
                     "--dpi", "30"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("note: the full Fashion-MNIST was not found on this machine")
    assert captured.err.count("\n") == 1
    assert "data: Fashion-MNIST, embedded sample" in captured.out
    assert "models:" not in captured.out  # This figure needs no model.
    assert (out / "gaussians-kl.png").is_file()
    assert cli.main(["--full", "--only", "gaussians-kl", "--out", str(out)]) == 1
    assert capsys.readouterr().err.startswith("error: Fashion-MNIST not found. Looked")


@pytest.mark.parametrize("argv, message", [
    (["--sample", "--full"], "argument --full: not allowed with argument --sample"),
    (["--impl", "no/such/folder"], "--impl: no such directory: no/such/folder"),
])
def test_cli_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_every_figure_draws_on_digits_with_no_data_installed(
        impl, tiny_models, tmp_path, monkeypatch, capsys):
    """`--dataset mnist --sample` on a machine with the MNIST sample only: every figure, digits."""
    (tmp_path / "data").mkdir()
    sample = datasets.sample_file("mnist")
    (tmp_path / "data" / sample.name).symlink_to(sample)
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", {"fashion_mnist": tmp_path / "system"})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("ASSIGNMENT_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ASSIGNMENT_NO_DOWNLOAD", "1")
    trained = []

    def cached_model(name, **settings):  # the untrained reference models, in place of training
        trained.append((name, settings["dataset"], settings["sample"], settings.get("epochs")))
        key = next(key for key, value in REFERENCE_MODELS.items() if value["name"] == name
                   and value.get("latent_dim") == settings.get("latent_dim")
                   and value.get("beta", 1.0) == settings.get("beta", 1.0))
        return tiny_models[key]

    monkeypatch.setattr(models_module.model_cache, "cached_model", cached_model)
    monkeypatch.setattr(models_module.model_cache, "is_cached", lambda name, **settings: False)
    out = tmp_path / "out"
    assert cli.main(["--dataset", "mnist", "--sample", "--out", str(out), "--format", "png",
                     "--dpi", "30"]) == 0
    captured = capsys.readouterr()
    assert "data: MNIST, embedded sample (3000 train / 2000 test)" in captured.out
    assert re.search(r"^  vae +vae, latent 2, beta 1, 30 epochs, about", captured.out, re.M)
    assert sorted(path.stem for path in out.glob("*.png")) == sorted(registry.FIGURES)
    assert {(dataset, sample) for _, dataset, sample, _ in trained} == {("mnist", True)}
    assert len(trained) == len(REFERENCE_MODELS)
    assert ("vae", "mnist", True, models_module.SAMPLE_EPOCHS["mnist"]["vae"]) in trained


def test_only_the_digit_sample_changes_the_recipes_epochs():
    assert models_module.model_settings("vae") == {"name": "vae", "dataset": "fashion_mnist"}
    assert models_module.model_settings("vae", "mnist", sample=False)["dataset"] == "mnist"
    assert "epochs" not in models_module.model_settings("vae", "mnist", sample=False)
    assert models_module.model_settings("vae-beta4", "mnist", sample=True)["epochs"] == 15
