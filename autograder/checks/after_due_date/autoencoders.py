"""Part 2, graded after the due date: a trained linear autoencoder spans the PCA subspace."""

import numpy as np

from autograder.checks.common import credit, training_epochs, training_seed
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe
from autograder.reference import pca as reference


@register("autoencoders.linear_subspace")
class LinearSubspace(Check):
    """A trained `LinearAutoencoder` spans the top-k PCA subspace that the student's `pca` finds.

    The lecture's claim, on the student's own code: the subspace of the
    trained linear autoencoder (given code) against the top-k components of
    the training images by the student's `pca` (TODO 2.6).

    Implementation-agnostic: a linear autoencoder maps `x` to
    `W_d (W_e x + b_e) + b_d`, so its reconstructions of many images, centred,
    lie in the k-dimensional row space of the decoder. The worker returns the
    reconstructions of 300 test images after training; here their top-k right
    singular vectors are compared with the top-k principal directions of the
    training images by principal angles. Reconstructions that span more than k
    dimensions come from a model that is not linear.
    """

    LATENT_DIM, EPOCHS, BATCH_SIZE, TEST_COUNT = 2, 6, 32, 300
    # The student's pca runs on the first PCA_IMAGES training images: a correct pca that takes
    # the full SVD (an N x N matrix U) stays fast and small there (1,500 x 1,500).
    PCA_IMAGES = 1500
    # Singular value k+1 of the centred reconstructions, relative to the first,
    # above which they span more than k dimensions (float32 round-off gives 5e-7 to
    # 6e-7 in the calibration runs below).
    RANK_TOLERANCE = 1e-3
    # k = 2 because the sample's 2nd and 3rd variances differ threefold (explained
    # variance ratios 0.2943, 0.1745, 0.0594, 0.0492, 0.0385: `reference.pca` on
    # `load_dataset(sample=True)`), so a short training run finds the subspace
    # reliably; with k = 4 (the 4th and 5th differ by 28 %), 10 epochs still left
    # a 39.7 degree angle at grading seed 2.
    # Measured over grading seeds 0-4 (`python -m tests.fixtures.calibrate
    # autoencoders.linear_subspace --seeds 5 assignment/solution tests/fixtures/alt_impl
    # tests/fixtures/handout_impl`): largest angle 4.7-5.5 degrees for all three (the
    # linear autoencoder is given code, and their pca functions agree). Full marks up to
    # 15 degrees, about 2.7x that; none from 45 (a random plane is at nearly 90). Not
    # calibrated on the MNIST sample (a digits course grades this check on Fashion-MNIST): its
    # 2nd and 3rd variances are too close, and after 12 epochs on its 3,000 digits the second
    # angle was 46-84 degrees for all three.
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    ANGLE_LINES = {"fashion_mnist": (15.0, 45.0)}

    def probes(self, ctx):
        return {"train": Probe("autoencoders.train", {
            "name": "linear-ae", "latent_dim": self.LATENT_DIM,
            "epochs": training_epochs(ctx, self.EPOCHS),
            "batch_size": self.BATCH_SIZE,
            "seed": training_seed(ctx, self.id), "dataset": ctx.dataset,
            "test_count": self.TEST_COUNT}, time_limit=90),
            "pca": Probe("autoencoders.pca", {"x": ctx.train_data[0][: self.PCA_IMAGES],
                                              "k": self.LATENT_DIM}, time_limit=60)}

    def score(self, results, ctx):
        angle_pass, angle_fail = self.ANGLE_LINES[ctx.dataset]
        value = require(results, "train")
        k = self.LATENT_DIM
        reconstructions = value["reconstructions"].reshape(len(value["reconstructions"]), -1)
        expected = (f"principal angles to the top-{k} PCA subspace all <= {angle_pass:g}° "
                    f"(no credit from {angle_fail:g}°)")
        if not np.all(np.isfinite(reconstructions)):
            return Outcome.failed(expected, "reconstructions not finite",
                                  "The linear autoencoder diverged: check its layers.")
        centred = reconstructions.astype(np.float64) - reconstructions.mean(axis=0)
        _, singular_values, directions = np.linalg.svd(centred, full_matrices=False)
        rank_excess = singular_values[k] / singular_values[0]
        components = np.float64(require(results, "pca")["components"])
        if components.shape != (k, reconstructions.shape[1]) or not np.all(np.isfinite(components)):
            return Outcome.failed(expected, f"your pca returned components of shape "
                                            f"{components.shape}",
                                  "pca(x, k) must return the top-k principal directions as rows.")
        angles = reference.principal_angles(directions[:k], components)
        got = (f"principal angles {', '.join(f'{a:.1f}°' for a in angles)}; "
               f"singular value {k + 1} / singular value 1 of the centred reconstructions: "
               f"{rank_excess:.2g}")
        if rank_excess > self.RANK_TOLERANCE:
            return Outcome.failed(expected, got, (
                f"The reconstructions span more than {k} dimensions, so the model is not linear: "
                "LinearAutoencoder must be one Dense encoder and one Dense decoder with no "
                "activation."))
        fraction = credit(-angles.max(), -angle_pass, -angle_fail)
        feedback = "Correct." if fraction == 1 else (
            "After training, the decoder's subspace is far from the PCA subspace: check that "
            "LinearAutoencoder is trained with the mean squared error and has no activation.")
        return Outcome(fraction, expected, got, feedback)
