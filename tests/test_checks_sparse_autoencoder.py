"""The checks of the optional sparse-autoencoder part grade what they should.

The solution gets full marks through the real sandbox, every check included;
the two other correct implementations pass the visible checks (the training
check's pass line is calibrated on all three, see its comment); a stencil
built from the solution scores nothing; each classic mistake (a mutant)
fails its check with its name; and the scores follow their thresholds.
"""

import numpy as np
import pytest

import autograder.worker.probes.sparse_autoencoder  # noqa: F401  (registers the probes)
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, load_implementation
from autograder import diagnosis, runner
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from autograder.rubric import ALL_PARTS, parts
from autograder.stencil import build_stencil
from tests.fixtures import in_process, mutants

PART = "sparse_autoencoder"
MODULES = ("autoencoder", "sparse_autoencoder")
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
    assert sorted(MUTANTS) == ["sparse_l2_instead_of_l1", "sparse_penalty_on_weights",
                               "sparse_penalty_summed_over_batch"]
    assert all(mistake in diagnosis.MISTAKES for mistake in MUTANTS)


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
    outcomes = in_process.grade_part(load_implementation(tmp_path, modules=MODULES), PART, ctx)
    assert set(outcomes) == set(CHECK_IDS)
    assert all(outcome.fraction == 0 for outcome in outcomes.values())
    assert "TODO 6.1 is not done yet" in outcomes["sparse_autoencoder.penalty"].feedback


@pytest.mark.parametrize("mistake", MUTANTS)
def test_mutant_fails_its_check_and_names_the_mistake(mistake, tmp_path, ctx):
    check_id = mutants.load(mistake).CHECK
    impl = load_implementation(mutants.build(mistake, tmp_path), modules=MODULES)
    outcome = in_process.score(check_id, in_process.probe_results(impl, check_id, ctx), ctx)
    assert outcome.fraction < 1
    assert outcome.diagnosis == mistake
    assert diagnosis.MISTAKES[mistake].name in outcome.feedback


def test_a_penalty_that_ignores_l1_loses_the_scaling_third(ctx):
    check = CHECKS["sparse_autoencoder.penalty"]
    z = check.probes(ctx)["l1_0.5"].kwargs["z"]
    fixed = 0.5 * np.mean(np.sum(np.abs(z), axis=-1))
    values = {name: {"penalty": np.float32(fixed)} for name in check.probes(ctx)}
    outcome = check.score(in_process.answered(check.id, values, ctx), ctx)
    assert outcome.fraction == pytest.approx(2 / 3)


def test_sparsity_score_follows_its_thresholds(ctx):
    check = CHECKS["sparse_autoencoder.sparsity"]
    targets = ctx.test_data[0][: check.TEST_COUNT]
    rng = np.random.default_rng(0)

    def fraction(ratio, mse):
        plain = (rng.uniform(size=(check.TEST_COUNT, 32)) < 0.5).astype(np.float32)
        sparse = plain * (rng.uniform(size=plain.shape) < ratio)
        noise = rng.choice([-1.0, 1.0], size=targets.shape) * np.sqrt(mse)
        runs = [{"codes": plain, "reconstructions": targets, "loss": [0.03]},
                {"codes": sparse, "reconstructions": targets + noise, "loss": [0.03]}]
        return check.score(in_process.answered(check.id, {"train": {"runs": runs}}, ctx),
                           ctx).fraction

    assert fraction(0.3, 0.02) == 1
    assert fraction(1.0, 0.02) == 0
    assert fraction(0.3, 0.1) == 0
    halfway = sum(check.RATIO_LINES["fashion_mnist"]) / 2
    assert fraction(halfway, 0.02) == pytest.approx(0.5, abs=0.1)
