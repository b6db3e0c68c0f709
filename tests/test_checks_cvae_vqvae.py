"""The checks of Part 4 (the conditional VAE) and Part 5 (the VQ-VAE) grade what they should.

Graded in this process like `test_checks_vae.py`: the solution and the
alternative implementation pass, the stencil fails with its TODOs, each mutant
fails its check with its mistake named, and the training checks score
hand-made probe values by their thresholds.
"""

import numpy as np
import pytest

from assignment.implementation import load_implementation
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from autograder.diagnosis import MISTAKES
from autograder.reference import vqvae as reference
from tests.fixtures import in_process, mutants
from tests.test_checks_vae import (  # noqa: F401  (fixtures are used by name)
    LONG_TRAINING,
    alt_impl,
    assert_passed,
    grade_check,
    mutants_of,
    restore_solution_registration,
    stencil,
)

CHECK_IDS = [check_id for check_id in CHECKS
             if check_id.split(".")[0] in ("cvae", "vqvae") and check_id not in LONG_TRAINING]


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_solution_passes(solution, check_id):
    assert_passed(grade_check(solution, check_id))


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_alternative_implementation_passes(alt_impl, check_id):
    assert_passed(grade_check(alt_impl, check_id))


@pytest.mark.parametrize("check_id", CHECK_IDS + list(LONG_TRAINING[1:]))
def test_stencil_fails_with_its_todo(stencil, check_id):
    outcome = grade_check(stencil, check_id)
    assert outcome.fraction == 0.0
    assert "is not done yet" in outcome.feedback


@pytest.mark.parametrize("mistake_id", mutants_of("cvae_") + mutants_of("vqvae_"))
def test_mutant_fails_and_is_named(mistake_id, tmp_path):
    mutant = mutants.load(mistake_id)
    impl = load_implementation(mutants.build(mistake_id, tmp_path))
    outcome = grade_check(impl, mutant.CHECK)
    assert outcome.fraction < 1.0
    assert outcome.diagnosis == mistake_id, (outcome.diagnosis, outcome.feedback)
    assert MISTAKES[mistake_id].name in outcome.feedback


def test_nearest_codeword_is_brute_force():
    codebook = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 10.0]])
    z_e = np.array([[[1.0, 0.0], [2.0, 0.5], [0.5, 4.0]]])
    np.testing.assert_array_equal(reference.nearest(z_e, codebook), [[0, 1, 0]])


def test_conditional_accuracy_of_real_images_passes():
    check = CHECKS["cvae.conditional_accuracy"]
    ctx = GradingContext(0)
    kwargs = check.probes(ctx)["quality"].kwargs
    images, labels = ctx.test_data
    # Real test images stand in for samples: one real image of the requested class each.
    by_class = {c: images[labels == c] for c in range(10)}
    samples = np.stack([by_class[c][i % len(by_class[c])]
                        for i, c in enumerate(kwargs["labels"])])
    n = len(kwargs["x_eval"])
    value = {"samples": np.float16(samples), "z_mean": np.zeros((n, 2)),
             "z_log_var": np.zeros((n, 2)), "x_hat": np.full(kwargs["x_eval"].shape, 0.3)}
    outcome = check.score(in_process.answered(check.id, {"quality": value}, ctx), ctx)
    assert outcome.fraction == 1.0
    assert outcome.leaderboard["CVAE conditional accuracy"][0] > 0.85

    shuffled = dict(value, samples=np.float16(samples[::-1]))
    outcome = check.score(in_process.answered(check.id, {"quality": shuffled}, ctx), ctx)
    assert outcome.fraction < 1.0


def test_vqvae_training_credit():
    check = CHECKS["vqvae.training"]
    ctx = GradingContext(0)

    def fraction(mse, usage):
        value = {"mse": mse, "codes_used": round(usage * check.NUM_EMBEDDINGS),
                 "loss": np.ones(3)}
        return check.score(in_process.answered(check.id, {"training": value}, ctx), ctx).fraction

    (mse_full, mse_none), (usage_full, usage_none) = (check.MSE_LINES["fashion_mnist"],
                                                      check.USAGE_LINES["fashion_mnist"])
    assert fraction(mse_full, usage_full) == 1.0
    assert fraction(mse_none, usage_none) == 0.0
    assert fraction(mse_full, usage_none) == 0.5
