"""The checks of the optional Gaussian-decoder part grade what they should.

The solution gets full marks through the real sandbox, every check included;
the two other correct implementations pass the visible checks (the training
check's pass lines are calibrated on all three, see its comment); a stencil
built from the solution scores nothing; each classic mistake (a mutant)
fails its check with its name; `GaussianVAE` puts `vae.reconstruction_loss`
back after its steps, also when one raises; and the scores follow their
thresholds.
"""

import numpy as np
import pytest

import autograder.worker.probes.gaussian_decoder  # noqa: F401  (registers the probes)
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, load_implementation
from autograder import diagnosis, runner
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from autograder.rubric import ALL_PARTS, parts
from autograder.stencil import build_stencil
from tests.fixtures import in_process, mutants

PART = "gaussian_decoder"
MODULES = ("autoencoder", "vae", "gaussian_decoder")
CHECK_IDS = [check.id for check in parts([PART], ALL_PARTS)[0].checks]
VISIBLE_IDS = [check.id for check in parts([PART], ALL_PARTS)[0].checks
               if check.visibility == "visible"]
MUTANTS = [mistake for mistake in mutants.mutant_ids()
           if mutants.load(mistake).CHECK.startswith(f"{PART}.")]
CORRECT = [REPO_ROOT / "tests" / "fixtures" / name for name in ("alt_impl", "handout_impl")]


@pytest.fixture(scope="module", autouse=True)
def restore_solution_registration():
    """Other implementations register their classes under Keras names; give them back after."""
    yield
    load_implementation(SOLUTION_DIR)


@pytest.fixture(scope="module")
def ctx():
    return GradingContext(0)


def test_the_part_names_its_mistakes_and_each_has_a_mutant():
    assert sorted(MUTANTS) == ["gaussian_mean_over_pixels", "gaussian_one_over_c",
                               "gaussian_variance_as_std"]
    assert all(mistake in diagnosis.MISTAKES for mistake in MUTANTS)


def test_gaussian_vae_swaps_the_loss_only_during_its_steps_and_restores_it():
    impl = load_implementation(SOLUTION_DIR, modules=MODULES)
    bernoulli = impl.vae.reconstruction_loss
    model = impl.gaussian_decoder.GaussianVAE(latent_dim=2, variance=0.1, seed=0)
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    seen = []
    model.reconstruction_loss = lambda x, x_hat: seen.append(impl.vae.reconstruction_loss) or (
        impl.gaussian_decoder.gaussian_reconstruction_loss(x, x_hat, 0.1))
    model.test_step(x)
    assert seen and seen[0] is not bernoulli and impl.vae.reconstruction_loss is bernoulli

    def raising(x, x_hat):
        raise RuntimeError("boom")

    model.reconstruction_loss = raising
    with pytest.raises(RuntimeError, match="boom"):
        model.test_step(x)
    assert impl.vae.reconstruction_loss is bernoulli


def test_the_variance_must_be_positive():
    impl = load_implementation(SOLUTION_DIR, modules=MODULES)
    with pytest.raises(ValueError, match="got -0.1"):
        impl.gaussian_decoder.GaussianVAE(variance=-0.1)


def test_solution_gets_full_marks_through_the_sandbox():
    report = runner.grade(SOLUTION_DIR, parts=[PART], include_hidden=True, rubric=ALL_PARTS,
                          checks=CHECKS, secrets=())
    assert {r.check.id: (r.status, r.feedback) for r in report.checks} == {
        check_id: (runner.PASSED, "Correct.") for check_id in CHECK_IDS}


@pytest.mark.parametrize("directory", CORRECT, ids=lambda path: path.name)
def test_other_correct_implementations_pass_the_visible_checks(directory, ctx):
    outcomes = in_process.grade_part(load_implementation(directory, modules=MODULES), PART, ctx,
                                     skip=set(CHECK_IDS) - set(VISIBLE_IDS))
    assert {check_id: (o.fraction, o.got, o.feedback) for check_id, o in outcomes.items()
            if o.fraction < 1} == {}
    assert set(outcomes) == set(VISIBLE_IDS)


def test_the_stencil_scores_nothing(tmp_path, ctx):
    build_stencil(SOLUTION_DIR, tmp_path)
    # Part 3 done, Part 8 not: the stencil's gaussian_decoder.py on the solution's vae.py.
    for name in ("autoencoder", "vae"):
        (tmp_path / f"{name}.py").write_text((SOLUTION_DIR / f"{name}.py").read_text())
    outcomes = in_process.grade_part(load_implementation(tmp_path, modules=MODULES), PART, ctx)
    assert set(outcomes) == set(CHECK_IDS)
    assert all(outcome.fraction == 0 for outcome in outcomes.values())
    assert "TODO 8.1 is not done yet" in outcomes["gaussian_decoder.loss"].feedback


@pytest.mark.parametrize("mistake", MUTANTS)
def test_mutant_fails_its_checks_and_names_the_mistake(mistake, tmp_path, ctx):
    impl = load_implementation(mutants.build(mistake, tmp_path), modules=MODULES)
    for check_id in VISIBLE_IDS:
        outcome = in_process.score(check_id, in_process.probe_results(impl, check_id, ctx), ctx)
        assert outcome.fraction < 1
        assert outcome.diagnosis == mistake
        assert diagnosis.MISTAKES[mistake].name in outcome.feedback


def test_variance_effect_score_follows_its_thresholds(ctx):
    check = CHECKS["gaussian_decoder.variance_effect"]

    def run(kl):
        z_log_var = np.zeros((check.TEST_COUNT, check.LATENT_DIM))
        z_mean = np.full_like(z_log_var, np.sqrt(2 * kl / check.LATENT_DIM))
        return {"z_mean": z_mean, "z_log_var": z_log_var, "loss": [1.0], "kl_loss": [kl]}

    def fraction(ratio):
        runs = [run(30.0), run(30.0 * ratio)]
        return check.score(in_process.answered(check.id, {"train": {"runs": runs}}, ctx),
                           ctx).fraction

    assert fraction(0.2) == 1
    assert fraction(1.0) == 0
    assert fraction(sum(check.KL_LINES["fashion_mnist"]) / 2) == pytest.approx(0.5, abs=0.01)
