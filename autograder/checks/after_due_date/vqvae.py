"""Part 5 (bonus), graded after the due date: reconstruction and codebook usage after training."""

from autograder.checks.common import credit, training_seed
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


@register("vqvae.training")
class Training(Check):
    """After a short seeded training run: test reconstruction error and codebook usage.

    The worker trains the student's `VQVAE` (`NUM_EMBEDDINGS` codewords of size
    16, the defaults) with the course recipe (`assignment.training`: MSE, Adam
    1e-3, batch 128) for `EPOCHS` epochs on the first `IMAGES` images of the
    embedded sample, and measures the MSE per pixel of the 2,000 test images
    of the sample and the share of the codebook that they use. Each is worth
    half, linear between a pass and a fail line.

    Measured over grading seeds 0-4 on three correct implementations
    (`python -m tests.fixtures.calibrate vqvae.training --seeds 5
    assignment/solution tests/fixtures/alt_impl tests/fixtures/handout_impl`):
    test MSE 0.0243-0.0265 for the reference solution, 0.0238-0.0260 for the
    alternative implementation, 0.0277-0.0293 for the one written from the
    handout (whose losses are the squared norm per vector, 16 times the
    reference's); the MSE's pass line leaves 23 % above the worst of them (predicting
    the mean training image gives 0.0865). Codebook usage 22-55 %, 44-62 % and
    33-48 %: the usage's pass line, 10 of 64 codewords, leaves 4 of the 14 of the worst;
    a codebook collapsed to 3 codewords or fewer gets no credit for usage.

    Not calibrated on the MNIST sample, so a digits course grades it on
    Fashion-MNIST: on its first 3,000 digits (`--dataset mnist`) the
    reference solution measured a test MSE of 0.0230-0.0347 but the
    alternative implementation 0.0475-0.1125 (seeds 0-2), where the mean
    training digit gives 0.0670.
    """

    IMAGES = 3000
    EPOCHS = 3
    NUM_EMBEDDINGS = 64
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    MSE_LINES = {"fashion_mnist": (0.036, 0.06)}
    USAGE_LINES = {"fashion_mnist": (10 / 64, 3 / 64)}

    def probes(self, ctx):
        return {"training": Probe("vqvae.training", {
            "images": self.IMAGES, "epochs": self.EPOCHS,
            "seed": training_seed(ctx, self.id), "dataset": ctx.dataset,
        }, time_limit=120.0, stand_ins=("5.1",))}

    def score(self, results, ctx):
        usage_pass, usage_fail = self.USAGE_LINES[ctx.dataset]
        mse_pass, mse_fail = self.MSE_LINES[ctx.dataset]
        value = require(results, "training")
        mse, usage = value["mse"], value["codes_used"] / self.NUM_EMBEDDINGS
        fraction = 0.5 * credit(mse, mse_pass, mse_fail) + 0.5 * credit(
            usage, usage_pass, usage_fail)
        return Outcome(
            fraction,
            expected=f"test MSE <= {mse_pass:g} (none above {mse_fail:g}), codebook "
                     f"usage >= {usage_pass:.0%} (none below {usage_fail:.0%})",
            got=f"test MSE {mse:.4f}, codebook usage {usage:.0%} (after {self.EPOCHS} epochs)",
            feedback="The VQ-VAE reconstructs well and uses its codebook." if fraction == 1.0
            else ("After the same short training as the correct implementations, the test "
                  "error is higher, or fewer codewords are in use, than with any of them. The "
                  "visible checks of the quantizer show whether its search, losses or "
                  "gradients are the cause."),
            leaderboard={"VQ-VAE test MSE": (mse, "asc"),
                         "VQ-VAE codebook usage": (usage, "desc")},
        )
