"""The sparse autoencoder, graded after the due date: its code is sparser than without the penalty."""

import numpy as np

from autograder.checks.common import credit, training_seed
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


@register("sparse_autoencoder.sparsity")
class Sparsity(Check):
    """After the same short training run, the penalised code has fewer active units.

    Two `SparseAutoencoder`s from the same seed, `l1 = 0` (the plain
    autoencoder, same architecture) and `l1 = L1`, one epoch on 3,000 training
    images; on 500 test images, the fraction of code units that are active
    (not exactly 0 after the code's ReLU) and the test MSE of the penalised
    model. The measurement is the ratio of the two active fractions, which
    does not depend on how many units the plain model happens to use.
    """

    LATENT_DIM, L1, EPOCHS, BATCH_SIZE, TRAIN_COUNT, TEST_COUNT = 32, 5e-5, 1, 32, 3000, 500
    # Measured over grading seeds 0-4 (`python -m tests.fixtures.calibrate
    # sparse_autoencoder.sparsity --seeds 5 assignment/solution tests/fixtures/alt_impl
    # tests/fixtures/handout_impl`): active-unit ratio 0.16-0.54 for the reference solution,
    # 0.37-0.47 for the alternative implementation, 0.30-0.63 for the one written from the
    # handout; test MSE 0.0307-0.0408, 0.0320-0.0358 and 0.0317-0.0389. Full marks up to a
    # ratio of 0.8, 0.17 above the worst of them (1.27x), none from 0.95 (a penalty with no
    # effect gives 1: both runs start from the same seed); full marks up to an MSE of 0.05,
    # 1.23x the worst, none from 0.08, about the error of the mean image. With l1 = 1e-4
    # instead, 2 of the 15 runs lost every unit in this short run (MSE 0.09). Not calibrated on
    # the MNIST sample (a digits course grades this check on Fashion-MNIST): after one epoch on
    # its 3,000 digits the penalised models' test MSE was 0.0615-0.0680 (11 runs), about that
    # of the mean training digit (0.0670).
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    RATIO_LINES = {"fashion_mnist": (0.8, 0.95)}
    MSE_LINES = {"fashion_mnist": (0.05, 0.08)}

    def probes(self, ctx):
        return {"train": Probe("sparse_autoencoder.train", {
            "l1_values": [0.0, self.L1], "latent_dim": self.LATENT_DIM,
            "train_count": self.TRAIN_COUNT, "epochs": self.EPOCHS,
            "batch_size": self.BATCH_SIZE, "seed": training_seed(ctx, self.id),
            "dataset": ctx.dataset,
            "test_count": self.TEST_COUNT}, time_limit=120, stand_ins=("6.1",))}

    def score(self, results, ctx):
        mse_pass, mse_fail = self.MSE_LINES[ctx.dataset]
        ratio_pass, ratio_fail = self.RATIO_LINES[ctx.dataset]
        plain, sparse = require(results, "train")["runs"]
        targets = ctx.test_data[0][: self.TEST_COUNT]
        expected = (f"active units with l1 = {self.L1:g} <= {ratio_pass:g} x those with "
                    f"l1 = 0 (none above {ratio_fail:g} x), test MSE <= {mse_pass:g} "
                    f"(none above {mse_fail:g})")
        if sparse["reconstructions"].shape != targets.shape:
            return Outcome.failed(expected, "reconstructions of shape "
                                  f"{sparse['reconstructions'].shape}",
                                  "SparseAutoencoder must return reconstructions of the input's "
                                  "shape.")
        active = [float(np.mean(run["codes"] != 0)) for run in (plain, sparse)]
        ratio = active[1] / active[0] if active[0] else np.inf
        mse = float(np.mean(np.square(np.float64(sparse["reconstructions"]) - targets)))
        fraction = min(credit(-ratio, -ratio_pass, -ratio_fail),
                       credit(mse, mse_pass, mse_fail))
        got = (f"active units {active[1]:.1%} with l1 = {self.L1:g} against {active[0]:.1%} with "
               f"l1 = 0 (ratio {ratio:.2f}), test MSE {mse:.4f}")
        feedback = "Correct." if fraction == 1 else (
            "After the same short training run as the correct implementations, the penalised "
            "code is less sparse, or reconstructs worse, than any of theirs. The visible checks "
            "of sparsity_penalty and of add_loss show whether one of them is the cause.")
        return Outcome(fraction, expected, got, feedback,
                       leaderboard={"sparse AE active units": (active[1], "asc")})
