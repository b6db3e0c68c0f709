"""Part 3, graded after the due date: the test ELBO and samples after a short training run."""

from autograder.checks.after_due_date.sample_quality import (
    SampleMeasuringCheck,
    check_samples,
    measure_samples,
    posterior_negative_elbo,
    quality_inputs,
)
from autograder.checks.common import VAE_TRAINING_STAND_INS, credit, training_epochs, training_seed
from autograder.checks.registry import Outcome, register, require
from autograder.protocol import Probe


@register("vae.sample_quality")
class SampleQuality(SampleMeasuringCheck):
    """Test ELBO and prior samples after a short, seeded training run of the student's VAE.

    The worker trains the student's `VAE` with the course recipe
    (`assignment.training.RECIPES["vae"]`, latent dimension 2) for `EPOCHS`
    epochs on the embedded sample's first `TRAIN_COUNT` training images, in
    batches of `BATCH_SIZE` instead of the recipe's 128: as many steps as
    over all 6,000 in batches of 128, for half the computation. It then
    returns 2,000 prior samples and, for 1,000 stochastically binarized test
    images, `encode` and the `decode` of `z = mu + sigma * eps` with the
    grader's `eps`. The test negative ELBO is computed here, with the NumPy
    formulas of `autograder.reference.vae`.

    The credit is linear in the negative ELBO between the two lines of
    `NELBO_LINES`. Measured over grading seeds 0-19 on three correct
    implementations (`python -m tests.fixtures.calibrate vae.sample_quality
    --seeds 20 assignment/solution tests/fixtures/alt_impl
    tests/fixtures/handout_impl`): 293.9-312.7 nats for the reference
    solution, 290.9-337.6 for the alternative implementation, 287.3-300.9 for
    the one written from the handout; the pass line leaves 27.4 nats above the
    worst of them (45 over seeds 0-7 alone). A VAE whose code carries no
    information decodes every image to the mean image: 387.7 nats on these test images, just above
    the no-credit line. On all 6,000 images in batches of 128 (twice the
    computation) the three measured 293.9-325.9 nats (seeds 0-4); and after
    4 epochs of those, the alternative implementation measured 356.8-363.9
    nats on 3 of seeds 0-11, too close to the pass line.

    The domain Fréchet distance of the samples goes to the leaderboard but not
    into the credit: after so short a training the samples of the three
    measured 74.3 to 109.7 (same seeds), on both sides of pixel noise (87.3)
    and of 2,000 copies of the mean training image (105.5), so it cannot tell
    a working VAE from a broken one.

    Not calibrated on the MNIST sample, so a digits course grades it on
    Fashion-MNIST: after as many steps on its 3,000 digits (`--dataset
    mnist`, seeds 0-2), the reference solution measured 184.2-207.1 nats and
    the alternative implementation 195.3-207.9, where decoding every image to
    the mean training digit gives 206.3: on so few digits a correct VAE may
    still have learned nothing.
    """

    EPOCHS = 6
    TRAIN_COUNT = 3000
    BATCH_SIZE = 64
    LATENT_DIM = 2
    SAMPLES = 2000
    EVAL_IMAGES = 1000
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    NELBO_LINES = {"fashion_mnist": (365.0, 385.0)}

    def probes(self, ctx):
        x_eval, _, eps = quality_inputs(ctx, self.id, self.EVAL_IMAGES, self.LATENT_DIM)
        seed = training_seed(ctx, self.id)
        return {"quality": Probe("vae.quality", {
            "epochs": training_epochs(ctx, self.EPOCHS, self.TRAIN_COUNT),
            "train_count": self.TRAIN_COUNT, "batch_size": self.BATCH_SIZE,
            "latent_dim": self.LATENT_DIM, "samples": self.SAMPLES,
            "sample_seed": seed + 1, "seed": seed, "x_eval": x_eval, "eps": eps,
            "dataset": ctx.dataset,
        }, time_limit=150.0, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        nelbo_pass, nelbo_fail = self.NELBO_LINES[ctx.dataset]
        value = require(results, "quality")
        problem = check_samples(value["samples"], self.SAMPLES)
        if problem:
            return Outcome.failed(f"sample({self.SAMPLES}): finite images", problem,
                                  "sample(n) must return n decoded images.")
        nelbo = posterior_negative_elbo(value, results["quality"].inputs["x_eval"])
        fd = measure_samples(value["samples"], ctx.dataset)["fd"]
        fraction = credit(nelbo, nelbo_pass, nelbo_fail)
        return Outcome(
            fraction,
            expected=f"test negative ELBO <= {nelbo_pass:g} nats for full credit (none "
                     f"above {nelbo_fail:g})",
            got=f"negative ELBO {nelbo:.1f} nats, samples' Fréchet distance {fd:.1f} "
                f"(after {results['quality'].inputs['epochs']} epochs)",
            feedback="Trains as well as the reference." if fraction == 1.0 else (
                "After the same short training as the correct implementations, the test ELBO "
                "is worse than any of theirs: the code carries little information about the "
                "image. The visible checks of the losses, add_loss and train_step show whether "
                "one of them is the cause."),
            leaderboard={"VAE test negative ELBO (nats)": (nelbo, "asc"),
                         "VAE samples' Fréchet distance": (fd, "asc")},
        )
