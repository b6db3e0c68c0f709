"""The masked autoencoder, graded after the due date: it completes masks it has never seen."""

import numpy as np

from assignment.masks import hidden_mse, patch_masks
from autograder.checks.common import credit, shape_text, training_epochs, training_seed
from autograder.checks.masked_autoencoder import masked_patches
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


@register("masked_autoencoder.inpainting")
class Inpainting(Check):
    """After a short seeded training run, the hidden pixels of held-out masks are filled in well.

    A `MaskedAutoencoder(32, patch=4, mask_ratio=0.5)`, one epoch on 6,000
    training images (two on MNIST's 3,000 digits); then `model(x, hidden=m)`
    for 500 test images under masks drawn by the grader (24 of the 49
    patches each), and the mean squared error over the hidden pixels. For scale, the feedback also gives that of
    the mean training image pasted into the holes.
    """

    LATENT_DIM, PATCH, MASK_RATIO = 32, 4, 0.5
    EPOCHS, BATCH_SIZE, TRAIN_COUNT, TEST_COUNT = 1, 32, 6000, 500
    # Measured over grading seeds 0-4 (`python -m tests.fixtures.calibrate
    # masked_autoencoder.inpainting --seeds 5 assignment/solution tests/fixtures/alt_impl
    # tests/fixtures/handout_impl`): MSE over the hidden pixels 0.0337-0.0362 for the reference
    # solution, 0.0365-0.0407 for the alternative implementation, 0.0349-0.0373 for the one
    # written from the handout; the mean training image gives 0.0849-0.0852. Full marks up to
    # 0.05, 1.23x the worst of them; none from 0.08, just below the mean image. On 3,000
    # training images instead of 6,000, one of the 15 runs had learned little (0.0786). Not
    # calibrated on the MNIST sample (a digits course grades this check on Fashion-MNIST): after
    # two epochs on its 3,000 digits, all 15 runs measured 0.0626-0.0654, hardly below the mean
    # training digit (0.0663-0.0675).
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    MSE_LINES = {"fashion_mnist": (0.05, 0.08)}

    def probes(self, ctx):
        masks = patch_masks(ctx.rng(self.id), self.TEST_COUNT, self.PATCH,
                            masked_patches(self.PATCH, self.MASK_RATIO))
        return {"train": Probe("masked_autoencoder.train", {
            "latent_dim": self.LATENT_DIM, "patch": self.PATCH, "mask_ratio": self.MASK_RATIO,
            "train_count": self.TRAIN_COUNT,
            "epochs": training_epochs(ctx, self.EPOCHS, self.TRAIN_COUNT),
            "batch_size": self.BATCH_SIZE, "seed": training_seed(ctx, self.id),
            "dataset": ctx.dataset,
            "masks": masks}, time_limit=120, stand_ins=("7.1", "7.2"))}

    def score(self, results, ctx):
        mse_pass, mse_fail = self.MSE_LINES[ctx.dataset]
        value = require(results, "train")
        completions = value["completions"]
        masks = results["train"].inputs["masks"]
        targets = ctx.test_data[0][: self.TEST_COUNT]
        expected = (f"MSE over the hidden pixels <= {mse_pass:g} (no credit from "
                    f"{mse_fail:g})")
        if completions.shape != targets.shape:
            return Outcome.failed(expected, f"completions of shape "
                                  f"{shape_text(completions.shape)}",
                                  "model(x, hidden=mask) must return images of the input's shape.")
        mse = hidden_mse(completions, targets, masks)
        mean_image = hidden_mse(np.broadcast_to(ctx.train_data[0][: self.TRAIN_COUNT].mean(0),
                                                targets.shape), targets, masks)
        fraction = credit(mse, mse_pass, mse_fail)
        losses = ", ".join(f"{loss:.4f}" for loss in value["loss"])
        got = (f"MSE over the hidden pixels {mse:.4f} (the mean training image gives "
               f"{mean_image:.4f}; training loss per epoch: {losses})")
        feedback = "Correct." if fraction == 1 else (
            "After the same short training run as the correct implementations, the hidden "
            "pixels are filled in worse than by any of theirs. The visible checks of the loss, "
            "of draw_mask and of call show whether one of them is the cause.")
        return Outcome(fraction, expected, got, feedback,
                       leaderboard={"masked AE hidden-pixel MSE": (mse, "asc")})

