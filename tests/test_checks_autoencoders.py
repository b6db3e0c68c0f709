"""The checks of Part 2 (autoencoders) grade what they should.

The solution passes every check through the real sandbox, a second,
differently built implementation passes them too, the stencil scores nothing,
each classic mistake (a mutant of the solution) fails its check with feedback
that names it, and the scoring of the training checks follows its thresholds.
"""

import numpy as np
import pytest

import autograder.checks.autoencoders as checks
import autograder.worker.probes.autoencoders  # noqa: F401  (registers the probes)
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, STENCIL_DIR, load_implementation
from autograder import diagnosis, rubric, runner
from autograder.reference import pca as reference
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from tests.fixtures import in_process, mutants

PART = "autoencoders"
MODULES = ("autoencoder",)
ALT_DIR = REPO_ROOT / "tests" / "fixtures" / "alt_impl"
CHECK_IDS = [check.id for check in rubric.parts([PART])[0].checks]
MUTANTS = [mistake for mistake in mutants.mutant_ids()
           if mutants.load(mistake).CHECK.startswith(f"{PART}.")]


@pytest.fixture(scope="module", autouse=True)
def restore_solution_registration():
    """Mutants register their classes under the solution's Keras names; give them back after."""
    yield
    load_implementation(SOLUTION_DIR, modules=MODULES)


@pytest.fixture(scope="module")
def ctx():
    return GradingContext(0)


def test_reference_pca_equals_the_svd():
    x = np.random.default_rng(0).normal(size=(50, 8)) @ np.diag(np.arange(8.0, 0.0, -1.0)) + 3.0
    for centre in (True, False):
        data = x - x.mean(axis=0) if centre else x
        _, singular_values, vt = np.linalg.svd(data, full_matrices=False)
        components, mean, eigenvalues = reference.pca(x, 3, centre=centre)
        np.testing.assert_allclose(np.abs(np.sum(components * vt[:3], axis=1)), 1.0, atol=1e-10)
        np.testing.assert_allclose(eigenvalues, singular_values**2, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(mean, x.mean(axis=0))


def test_principal_angles():
    basis = np.eye(5)[:2]
    mixed = np.array([[1.0, 2.0, 0, 0, 0], [3.0, -1.0, 0, 0, 0]])
    np.testing.assert_allclose(reference.principal_angles(mixed, basis), [0, 0], atol=1e-6)
    np.testing.assert_allclose(reference.principal_angles(np.eye(5)[2:4], basis), [90, 90])
    np.testing.assert_allclose(reference.principal_angles(np.eye(5)[1:3], basis), [0, 90], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pca_data_has_distinct_variances(seed):
    """The components are compared one by one: they must be unique up to sign."""
    check = CHECKS["autoencoders.pca"]
    _, _, eigenvalues = reference.pca(check.data(GradingContext(seed)), check.K)
    top = eigenvalues[: check.K + 1]
    assert np.all(top[1:] / top[:-1] < 0.97)


def test_solution_gets_full_marks_through_the_sandbox():
    report = runner.grade(SOLUTION_DIR, parts=[PART], include_hidden=True, checks=CHECKS)
    assert {r.check.id: (r.status, r.feedback) for r in report.checks} == {
        check_id: (runner.PASSED, "Correct.") for check_id in CHECK_IDS}


def test_alternative_implementation_gets_full_marks(ctx):
    outcomes = in_process.grade_part(load_implementation(ALT_DIR, modules=MODULES), PART, ctx)
    assert {check_id: (outcome.fraction, outcome.got) for check_id, outcome in outcomes.items()
            if outcome.fraction < 1} == {}
    assert set(outcomes) == set(CHECK_IDS)


def test_stencil_scores_nothing(ctx):
    outcomes = in_process.grade_part(load_implementation(STENCIL_DIR, modules=MODULES), PART, ctx)
    assert set(outcomes) == set(CHECK_IDS)
    assert all(outcome.fraction == 0 for outcome in outcomes.values())
    assert "TODO 2.6 is not done yet" in outcomes["autoencoders.pca"].feedback


@pytest.mark.parametrize("mistake", MUTANTS)
def test_mutant_fails_its_check_and_names_the_mistake(mistake, tmp_path, ctx):
    check_id = mutants.load(mistake).CHECK
    impl = load_implementation(mutants.build(mistake, tmp_path), modules=MODULES)
    outcome = in_process.score(check_id, in_process.probe_results(impl, check_id, ctx), ctx)
    assert outcome.fraction < 1
    assert outcome.diagnosis == mistake
    assert diagnosis.MISTAKES[mistake].name in outcome.feedback


def score_with(check_id, ctx, **value):
    return CHECKS[check_id].score(in_process.answered(check_id, {"train": value}, ctx), ctx)


def test_training_score_follows_the_test_error(ctx):
    check = checks.Training
    targets = ctx.test_data[0][: check.TEST_COUNT]
    history = {"loss": [0.05], "seconds": 1.0}

    def fraction(reconstructions):
        return score_with("autoencoders.training", ctx, reconstructions=reconstructions,
                          **history).fraction

    noise = np.random.default_rng(0).normal(size=targets.shape)
    assert fraction(targets) == 1
    full, none = check.MSE_LINES["fashion_mnist"]
    assert fraction(targets + noise * np.sqrt(full)) == pytest.approx(1, abs=0.02)
    halfway = np.sqrt((full + none) / 2)
    assert fraction(targets + noise * halfway) == pytest.approx(0.5, abs=0.05)
    assert fraction(np.broadcast_to(ctx.train_data[0].mean(axis=0), targets.shape)) == 0
    assert fraction(targets[:, :, :, 0]) == 0


def test_linear_subspace_score_follows_the_principal_angles(ctx):
    check = CHECKS["autoencoders.linear_subspace"]
    pcs, _, _ = reference.pca(ctx.train_data[0], check.LATENT_DIM)
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(check.TEST_COUNT, check.LATENT_DIM))
    mixing = rng.normal(size=(check.LATENT_DIM, check.LATENT_DIM))

    def outcome(directions, activation=lambda values: values):
        reconstructions = activation(codes @ mixing @ directions + 0.3).reshape(-1, 28, 28, 1)
        values = {"train": {"reconstructions": reconstructions, "loss": [0.04], "seconds": 1.0},
                  "pca": {"components": pcs}}
        return check.score(in_process.answered(check.id, values, ctx), ctx)

    assert outcome(pcs).fraction == 1
    random_directions = np.linalg.qr(rng.normal(size=(784, check.LATENT_DIM)))[0].T
    assert outcome(random_directions).fraction == 0
    not_linear = outcome(pcs, activation=lambda values: np.maximum(values, 0.3))
    assert not_linear.fraction == 0
    assert f"more than {check.LATENT_DIM} dimensions" in not_linear.feedback
