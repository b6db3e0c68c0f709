"""Part 3, graded after the due date: the test ELBO and samples after a short training run."""

from autograder.checks.after_due_date.sample_quality import (
    check_samples,
    measure_samples,
    posterior_negative_elbo,
    quality_inputs,
)
from autograder.checks.common import VAE_TRAINING_STAND_INS, credit, training_seed
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


@register("vae.sample_quality")
class SampleQuality(Check):
    """Test ELBO and prior samples after a short, seeded training run of the student's VAE.

    The worker trains the student's `VAE` with the course recipe
    (`assignment.training.RECIPES["vae"]`, latent dimension 2) for
    `EPOCHS` epochs on the embedded sample's 6,000 training images, then
    returns 2,000 prior samples and, for 1,000 stochastically binarized test
    images, `encode` and the `decode` of `z = mu + sigma * eps` with the
    grader's `eps`. The test negative ELBO is computed here, with the NumPy
    formulas of `autograder.reference.vae`.

    The credit is linear in the negative ELBO between `NELBO_PASS` and
    `NELBO_FAIL`. Measured over grading seeds 0-4 on three correct
    implementations (`python -m tests.fixtures.calibrate vae.sample_quality
    --seeds 5 assignment/solution tests/fixtures/alt_impl
    tests/fixtures/handout_impl`): 293.9-302.1 nats for the reference
    solution, 291.3-325.9 for the alternative implementation, 288.9-296.1 for
    the one written from the handout; `NELBO_PASS` leaves 39 nats above the
    worst of them. A VAE whose code carries no information decodes every
    image to the mean image: 387.7 nats on these test images, just above
    `NELBO_FAIL`.

    The domain Fréchet distance of the samples goes to the leaderboard but not
    into the credit: after so short a training the samples of the three
    measured 76.6 to 112.0 (same seeds), on both sides of pixel noise (87.3)
    and not far below 2,000 copies of the mean training image (105.5), so it
    cannot tell a working VAE from a broken one.
    """

    EPOCHS = 6
    LATENT_DIM = 2
    SAMPLES = 2000
    EVAL_IMAGES = 1000
    NELBO_PASS, NELBO_FAIL = 365.0, 385.0

    def probes(self, ctx):
        x_eval, _, eps = quality_inputs(ctx, self.id, self.EVAL_IMAGES, self.LATENT_DIM)
        seed = training_seed(ctx, self.id)
        return {"quality": Probe("vae.quality", {
            "epochs": self.EPOCHS, "latent_dim": self.LATENT_DIM, "samples": self.SAMPLES,
            "sample_seed": seed + 1, "seed": seed, "x_eval": x_eval, "eps": eps,
        }, time_limit=150.0, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        value = require(results, "quality")
        problem = check_samples(value["samples"], self.SAMPLES)
        if problem:
            return Outcome.failed(f"sample({self.SAMPLES}): finite images", problem,
                                  "sample(n) must return n decoded images.")
        nelbo = posterior_negative_elbo(value, results["quality"].inputs["x_eval"])
        fd = measure_samples(value["samples"])["fd"]
        fraction = credit(nelbo, self.NELBO_PASS, self.NELBO_FAIL)
        return Outcome(
            fraction,
            expected=f"test negative ELBO <= {self.NELBO_PASS:g} nats for full credit (none "
                     f"above {self.NELBO_FAIL:g})",
            got=f"negative ELBO {nelbo:.1f} nats, samples' Fréchet distance {fd:.1f} "
                f"(after {self.EPOCHS} epochs)",
            feedback="Trains as well as the reference." if fraction == 1.0 else (
                "After the same short training as the correct implementations, the test ELBO "
                "is worse than any of theirs: the code carries little information about the "
                "image. The visible checks of the losses, add_loss and train_step show whether "
                "one of them is the cause."),
            leaderboard={"VAE test negative ELBO (nats)": (nelbo, "asc"),
                         "VAE samples' Fréchet distance": (fd, "asc")},
        )
