"""The Gaussian decoder, graded after the due date: a larger variance gives a lower KL."""

import numpy as np

from autograder.checks.common import VAE_TRAINING_STAND_INS, credit, training_epochs, training_seed
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


def mean_kl(z_mean, z_log_var):
    """The mean over the examples of `KL(N(z_mean, exp(z_log_var)) || N(0, I))`, in nats."""
    z_mean, z_log_var = np.float64(z_mean), np.float64(z_log_var)
    return float(np.mean(0.5 * np.sum(np.square(z_mean) + np.exp(z_log_var) - z_log_var - 1,
                                      axis=-1)))


@register("gaussian_decoder.variance_effect")
class VarianceEffect(Check):
    """After the same short training run, the larger variance leaves less information in the code.

    Two `GaussianVAE`s from the same seed, `c = SMALL` and `c = LARGE` (KL
    weights 0.02 and 0.6 against the summed squared error), one epoch on the
    6,000 training images (two on MNIST's 3,000 digits); the measurement is
    the ratio large / small of the mean KL of 500 test images' posteriors,
    which does not depend on how far a short run got.

    The blur is not graded. A first version of this check also graded the
    sharpness of the reconstructions of 100 of those images (the mean squared
    difference of neighbouring pixels); over the calibration runs below it
    was lower at the larger `c` in 14 of the 15, but its ratio ranged from
    0.39 to 1.02, too close to 1 to grade. The lecture figure
    `gaussian-decoder` shows the blur after 5 epochs.
    """

    LATENT_DIM, SMALL, LARGE = 8, 0.01, 0.3
    EPOCHS, BATCH_SIZE, TRAIN_COUNT, TEST_COUNT = 1, 32, 6000, 500
    # Measured over grading seeds 0-4 (`python -m tests.fixtures.calibrate
    # gaussian_decoder.variance_effect --seeds 5 assignment/solution tests/fixtures/alt_impl
    # tests/fixtures/handout_impl`): KL ratio 0.13-0.20 for the reference solution (KL 4.7-7.6
    # against 34-37 nats), 0.10-0.16 for the alternative implementation, 0.21-0.24 for the one
    # written from the handout. Full marks up to 0.35, 1.46x the worst of them; none from 0.7
    # (a loss that ignored c would give about 1: both runs start from the same seed). On the
    # MNIST sample (`--dataset mnist`, two epochs on its 3,000 digits): 0.06-0.15, 0.01-0.04 and
    # 0.07-0.20; the same lines leave 1.75x the worst.
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    KL_LINES = {"fashion_mnist": (0.35, 0.7), "mnist": (0.35, 0.7)}

    def probes(self, ctx):
        return {"train": Probe("gaussian_decoder.train", {
            "variances": [self.SMALL, self.LARGE], "latent_dim": self.LATENT_DIM,
            "train_count": self.TRAIN_COUNT,
            "epochs": training_epochs(ctx, self.EPOCHS, self.TRAIN_COUNT),
            "batch_size": self.BATCH_SIZE, "seed": training_seed(ctx, self.id),
            "dataset": ctx.dataset,
            "test_count": self.TEST_COUNT}, time_limit=150, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        kl_pass, kl_fail = self.KL_LINES[ctx.dataset]
        small, large = require(results, "train")["runs"]
        kl = [mean_kl(run["z_mean"], run["z_log_var"]) for run in (small, large)]
        ratio = kl[1] / kl[0] if kl[0] > 0 else np.inf
        fraction = credit(-ratio, -kl_pass, -kl_fail)
        expected = (f"mean KL with c = {self.LARGE:g} <= {kl_pass:g} x that with "
                    f"c = {self.SMALL:g} (none above {kl_fail:g} x)")
        got = f"KL {kl[1]:.3g} against {kl[0]:.3g} nats (ratio {ratio:.2f})"
        feedback = "Correct." if fraction == 1 else (
            "After the same short training run as the correct implementations, the larger "
            "variance lowers the KL less than in any of theirs: the reconstruction is not "
            "weighted by 1/(2c). The visible checks of gaussian_reconstruction_loss show "
            "whether it is the cause.")
        return Outcome(fraction, expected, got, feedback,
                       leaderboard={"Gaussian VAE KL ratio": (ratio, "asc")})
