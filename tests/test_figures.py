"""Tests of the lecture figures: every figure draws from tiny models, and the CLI's options.

The models are built untrained with the reference recipes and the embedded
sample supplies the images, so that drawing every figure takes seconds; the
figures' content is checked by eye from the real run (see the README).
"""

import dataclasses

import numpy as np
import pytest

from assignment import datasets, training
from assignment.figures import cli, convolution, registry
from assignment.figures.beta_sweep import kl_per_dimension
from assignment.figures.context import FigureContext, in_batches
from assignment.figures.latent import latent_grid
from assignment.figures.models import REFERENCE_MODELS
from assignment.implementation import load_implementation


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
