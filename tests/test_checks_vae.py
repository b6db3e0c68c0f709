"""The checks of Part 3 (the VAE) grade what they should.

Graded in this process (`tests/fixtures/in_process.py`: probes called here,
their results through the worker's plain-data encoding, then scored): the
reference solution and a second, differently built implementation
(`tests/fixtures/alt_impl/`) pass, the stencil fails with its TODOs, and each
mutant (`tests/fixtures/mutants/`) fails the check it targets with feedback
that names its mistake. The training checks that take minutes are graded on
hand-made probe values here; the solution's marks on them come from grading
it (`python -m autograder grade assignment/solution --all`).
"""

import numpy as np
import pytest

import autograder.worker.probes.cvae  # noqa: F401  (registers the probes)
import autograder.worker.probes.vae  # noqa: F401
import autograder.worker.probes.vqvae  # noqa: F401
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, STENCIL_DIR, load_implementation
from autograder.checks import vae as checks
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from autograder.diagnosis import MISTAKES
from autograder.reference import vae as reference
from tests.fixtures import in_process, mutants

ALT_DIR = REPO_ROOT / "tests" / "fixtures" / "alt_impl"
LONG_TRAINING = ("vae.sample_quality", "cvae.conditional_accuracy", "vqvae.training")
VAE_CHECKS = [check_id for check_id in CHECKS
              if check_id.startswith("vae.") and check_id not in LONG_TRAINING]


def grade_check(impl, check_id, ctx=None):
    """The `Outcome` of one check for implementation `impl`, graded in this process."""
    ctx = ctx or GradingContext(0)
    return in_process.score(check_id, in_process.probe_results(impl, check_id, ctx), ctx)


@pytest.fixture(scope="module", autouse=True)
def restore_solution_registration():
    """Mutants register their classes under the solution's Keras names; give them back after."""
    yield
    load_implementation(SOLUTION_DIR)


@pytest.fixture(scope="session")
def alt_impl():
    return load_implementation(ALT_DIR)


@pytest.fixture(scope="session")
def stencil():
    return load_implementation(STENCIL_DIR)


def assert_passed(outcome):
    assert outcome.fraction == 1.0, (outcome.expected, outcome.got, outcome.feedback)
    assert outcome.diagnosis is None


@pytest.mark.parametrize("check_id", VAE_CHECKS)
def test_solution_passes(solution, check_id):
    assert_passed(grade_check(solution, check_id))


@pytest.mark.parametrize("check_id", VAE_CHECKS)
def test_alternative_implementation_passes(alt_impl, check_id):
    assert_passed(grade_check(alt_impl, check_id))


@pytest.mark.parametrize("check_id", VAE_CHECKS + ["vae.sample_quality"])
def test_stencil_fails_with_its_todo(stencil, check_id):
    outcome = grade_check(stencil, check_id)
    assert outcome.fraction == 0.0
    assert "TODO 3." in outcome.feedback and "is not done yet" in outcome.feedback


def mutants_of(prefix):
    return [mistake_id for mistake_id in mutants.mutant_ids() if mistake_id.startswith(prefix)]


@pytest.mark.parametrize("mistake_id", mutants_of("vae_"))
def test_mutant_fails_and_is_named(mistake_id, tmp_path):
    mutant = mutants.load(mistake_id)
    impl = load_implementation(mutants.build(mistake_id, tmp_path))
    outcome = grade_check(impl, mutant.CHECK)
    assert outcome.fraction < 1.0
    assert outcome.diagnosis == mistake_id, (outcome.diagnosis, outcome.feedback)
    assert MISTAKES[mistake_id].name in outcome.feedback


# --- Scoring logic on hand-made probe values ------------------------------------------------


def score(check_id, values, ctx=None):
    """Scores hand-made probe values `{name: value}` with check `check_id`."""
    ctx = ctx or GradingContext(0)
    return CHECKS[check_id].score(in_process.answered(check_id, values, ctx), ctx)


def test_kl_variants_are_recognised():
    ctx = GradingContext(0)
    cases = checks.kl_cases(ctx.rng("vae.kl_closed_form"))
    right = {name: {"kl": reference.kl_divergence(*inputs)} for name, inputs in cases.items()}
    assert_passed(score("vae.kl_closed_form", right))
    # A second arrangement of the textbook formula, with lv used as log sigma.
    textbook = {name: {"kl": np.sum(-v + (np.exp(v) + m ** 2 - 1) / 2, axis=-1)}
                for name, (m, v) in cases.items()}
    assert score("vae.kl_closed_form", textbook).diagnosis == "vae_kl_log_sigma"
    per_dimension = {name: {"kl": 0.5 * (m ** 2 + np.exp(v) - v - 1)}
                     for name, (m, v) in cases.items()}
    outcome = score("vae.kl_closed_form", per_dimension)
    assert outcome.fraction == 0.0 and "sum over the latent dimensions" in outcome.feedback


def test_kl_expected_and_got_read_alike():
    """Expected and got are told the same way: the latent size, then the values."""
    ctx = GradingContext(0)
    cases = checks.kl_cases(ctx.rng("vae.kl_closed_form"))
    halved = {name: {"kl": reference.kl_divergence(*inputs) / 2} for name, inputs in cases.items()}
    outcome = score("vae.kl_closed_form", halved)
    assert outcome.expected.startswith("k = 1: shape (5,), [")
    assert outcome.got.startswith("k = 1: shape (5,), [")


def test_kl_unstable_only_at_extremes_gets_half():
    ctx = GradingContext(0)
    cases = checks.kl_cases(ctx.rng("vae.kl_closed_form"))
    values = {name: {"kl": reference.kl_divergence(*inputs)} for name, inputs in cases.items()}
    values["extreme"] = {"kl": np.where(cases["extreme"][1].max(axis=1) > 5, np.inf,
                                        values["extreme"]["kl"])}
    assert score("vae.kl_closed_form", values).fraction == 0.5


def test_sampler_without_noise_is_named():
    zeros = np.zeros((64, 3))
    outcome = score("vae.sampling_noise", {"noise": {key: zeros for key in (
        "eager_1", "eager_2", "compiled_1", "compiled_2", "twin_1", "twin_2")}})
    assert outcome.diagnosis == "vae_sampler_ignores_variance"


def test_reporting_the_weighted_kl_is_named():
    kl = np.full(16, 0.25)
    beta = checks.AddLoss.BETAS[-1]
    right = {f"beta{b:g}": {"output_shape": [16, 28, 28, 1], "loss_count": 1,
                            "loss_shapes": [[]], "loss_total": b * kl.mean(), "kl": kl,
                            "z_mean": np.zeros((16, 3)), "z_log_var": np.zeros((16, 3)),
                            "uses_sampling": True}
             for b in checks.AddLoss.BETAS}
    weighted = {"metrics": {"kl_loss": beta * kl.mean(), "loss": 1.0}, "kl": kl}
    outcome = score("vae.add_loss", {**right, "reported": weighted})
    assert outcome.fraction == 0.8 and outcome.diagnosis == "vae_kl_loss_weighted_by_beta"


def test_sample_quality_grades_the_test_elbo():
    check = CHECKS["vae.sample_quality"]
    ctx = GradingContext(0)
    x_eval = check.probes(ctx)["quality"].kwargs["x_eval"]
    images = ctx.test_data[0]
    n = len(x_eval)
    # A perfect posterior (KL 0 and x_hat close to x): full credit.
    value = {"samples": np.float16(images), "z_mean": np.zeros((n, 2)),
             "z_log_var": np.zeros((n, 2)),
             "x_hat": np.float32(np.clip(x_eval, 0.1, 0.9))}
    outcome = score("vae.sample_quality", {"quality": value}, ctx)
    assert outcome.fraction == 1.0
    nelbo, fd = (outcome.leaderboard[key][0] for key in (
        "VAE test negative ELBO (nats)", "VAE samples' Fréchet distance"))
    assert nelbo == pytest.approx(-784 * np.log(0.9))
    assert fd < 1.0  # the test images themselves
    # A code that carries nothing: every image decodes to the mean image.
    collapsed = dict(value, x_hat=np.repeat(images.mean(axis=0, keepdims=True), n, axis=0))
    outcome = score("vae.sample_quality", {"quality": collapsed}, ctx)
    no_credit = check.NELBO_LINES["fashion_mnist"][1]
    assert outcome.leaderboard["VAE test negative ELBO (nats)"][0] > no_credit
    assert outcome.fraction == 0.0
    outcome = score("vae.sample_quality", {"quality": dict(value, samples=value["samples"][:10])})
    assert outcome.fraction == 0.0 and "shape (10, 28, 28, 1)" in outcome.got

