"""The checks of the optional masked-autoencoder part grade what they should.

The solution gets full marks through the real sandbox, every check included;
the two other correct implementations pass the visible checks (the training
check's pass line is calibrated on all three, see its comment); a stencil
built from the solution scores nothing; each classic mistake (a mutant)
fails its check with its name; and the scores follow their thresholds.
"""

import numpy as np
import pytest

import autograder.worker.probes.masked_autoencoder  # noqa: F401  (registers the probes)
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, load_implementation
from assignment.masks import patch_masks
from autograder import diagnosis, runner
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from autograder.rubric import ALL_PARTS, parts
from autograder.stencil import build_stencil
from tests.fixtures import in_process, mutants

PART = "masked_autoencoder"
MODULES = ("autoencoder", "masked_autoencoder")
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
    assert sorted(MUTANTS) == ["masked_loss_on_all_pixels", "masked_loss_on_visible_pixels",
                               "masked_mask_at_inference", "masked_same_mask_every_step"]
    assert all(mistake in diagnosis.MISTAKES for mistake in MUTANTS)


def test_the_graders_masks_hide_exactly_their_patches():
    masks = patch_masks(np.random.default_rng(0), 50, 4, 24)
    assert masks.shape == (50, 28, 28, 1)
    assert set(masks.sum(axis=(1, 2, 3))) == {24 * 16}
    blocks = masks.reshape(50, 7, 4, 7, 4)
    assert np.all(np.ptp(blocks, axis=(2, 4)) == 0)
    assert len({mask.tobytes() for mask in masks}) == 50


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
    assert "TODO 7.1 is not done yet" in outcomes["masked_autoencoder.loss"].feedback


@pytest.mark.parametrize("mistake", MUTANTS)
def test_mutant_fails_its_check_and_names_the_mistake(mistake, tmp_path, ctx):
    check_id = mutants.load(mistake).CHECK
    impl = load_implementation(mutants.build(mistake, tmp_path), modules=MODULES)
    outcome = in_process.score(check_id, in_process.probe_results(impl, check_id, ctx), ctx)
    assert outcome.fraction < 1
    assert outcome.diagnosis == mistake
    assert diagnosis.MISTAKES[mistake].name in outcome.feedback


def test_a_mask_shared_by_the_batch_loses_a_quarter(ctx):
    check = CHECKS["masked_autoencoder.mask"]
    rng = np.random.default_rng(1)
    draws = []
    for patch, ratio in check.CONFIGS:
        hidden = int(ratio * (28 // patch) ** 2)
        draws.append([np.repeat(patch_masks(rng, 1, patch, hidden), check.BATCH, axis=0)
                      for _ in range(2)])
    outcome = check.score(in_process.answered(check.id, {"masks": {"draws": draws}}, ctx), ctx)
    assert outcome.fraction == pytest.approx(3 / 4)
    assert "different masks" in outcome.expected


def test_inpainting_score_follows_its_thresholds(ctx):
    check = CHECKS["masked_autoencoder.inpainting"]
    targets = ctx.test_data[0][: check.TEST_COUNT]
    rng = np.random.default_rng(0)

    def fraction(mse):
        noise = rng.choice([-1.0, 1.0], size=targets.shape) * np.sqrt(mse)
        value = {"completions": targets + noise, "loss": [0.05]}
        return check.score(in_process.answered(check.id, {"train": value}, ctx), ctx).fraction

    assert fraction(check.MSE_LINES["fashion_mnist"][0] * 0.9) == 1
    assert fraction(check.MSE_LINES["fashion_mnist"][1] * 1.1) == 0
    assert fraction(sum(check.MSE_LINES["fashion_mnist"]) / 2) == pytest.approx(0.5, abs=0.05)
