"""Checks of the Gaussian decoder (`gaussian_decoder.py`), a part a course may assign.

The loss against the handout's formula at several variances
(`autograder.reference.gaussian_decoder` through `expect`), and what
`GaussianVAE`'s steps score: the Gaussian loss, at the model's own variance,
of the reconstructions the step made, so that the weight of the reconstruction
against the KL follows `c`. Whether a larger `c` gives a lower KL after a
short training run is graded after the due date
(`autograder.checks.after_due_date.gaussian_decoder`).
"""

import numpy as np

from autograder.checks.common import (
    VAE_TRAINING_STAND_INS,
    brief,
    combine,
    mistake_feedback,
    shape_text,
    test_images,
    training_seed,
)
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


def diagnose(got, mistakes):
    """The id of the classic mistake whose values `got` matches, or None."""
    return next((mistake_id for mistake_id, values in mistakes.items()
                 if np.allclose(got, values, rtol=1e-4, atol=1e-6)), None)


@register("gaussian_decoder.loss")
class Loss(Check):
    """`gaussian_reconstruction_loss(x, x_hat, c)` is `||x - x_hat||^2 / (2c)` per example.

    The same images at three variances: two thirds for the values at
    `c = 0.1` (where 1/c, 1/(2c) and 1/(2c^2) are three different weights),
    one third for the other two variances (the loss must scale as 1/c).
    """

    VARIANCES = (0.1, 0.02, 0.5)
    BATCH = 6

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        x = test_images(ctx, self.BATCH, self.id)
        x_hat = np.clip(x + rng.normal(scale=0.2, size=x.shape), 0, 1)
        return {f"c_{c:g}": Probe("gaussian_decoder.loss", {"x": x, "x_hat": x_hat, "variance": c})
                for c in self.VARIANCES}

    @staticmethod
    def expect(inputs):
        """The loss at each variance, and the values of its classic mistakes at the first."""
        from autograder.reference.gaussian_decoder import (
            gaussian_reconstruction_loss,
            loss_variants,
        )

        first = inputs[f"c_{Loss.VARIANCES[0]:g}"]
        return {"right": {name: gaussian_reconstruction_loss(v["x"], v["x_hat"], v["variance"])
                          for name, v in inputs.items()},
                "mistakes": loss_variants(first["x"], first["x_hat"], first["variance"])}

    def score(self, results, ctx):
        got = {name: np.float64(require(results, name)["loss"]) for name in results}
        expectations = ctx.expected(self, results)
        right = expectations["right"]
        base = f"c_{self.VARIANCES[0]:g}"
        wrong_shape = next((value.shape for value in got.values() if value.shape != (self.BATCH,)),
                           None)
        if wrong_shape is not None:
            return Outcome.failed(
                f"one loss per example, shape {shape_text((self.BATCH,))}",
                f"shape {shape_text(wrong_shape)}",
                "Sum the squared error over every axis but the first (e.g. after ops.reshape(..., "
                "(ops.shape(x)[0], -1))), one number per image, and divide by 2 * variance.")
        value_ok = bool(np.allclose(got[base], right[base], rtol=1e-4, atol=1e-6))
        mistake = None if value_ok else diagnose(got[base], expectations["mistakes"])
        others = [(c, f"c_{c:g}") for c in self.VARIANCES[1:]]
        scales = all(np.allclose(got[name], right[name], rtol=1e-4, atol=1e-6)
                     for _, name in others)
        return combine([
            (2, value_ok, f"||x - x_hat||^2 / (2c) at c = {self.VARIANCES[0]:g}: "
             f"{brief(right[base])}", brief(got[base]),
             mistake_feedback(mistake) if mistake else
             "Sum the squared error over all the pixels of each image and divide by "
             "2 * variance.", mistake),
            (1, scales, "at " + ", ".join(f"c = {c:g}: {brief(right[name])}"
                                          for c, name in others),
             "; ".join(brief(got[name]) for _, name in others),
             "The loss is 1/(2c) times the squared error: divide by 2 * variance, the variance "
             "you are given (it is c itself, not its square root).", None),
        ])


@register("gaussian_decoder.vae_loss")
class VAELoss(Check):
    """`GaussianVAE`'s test step scores its reconstructions with the Gaussian loss at its `c`.

    One `test_step` of a `GaussianVAE` per variance (`c = 1` and `c = 0.1`) on
    the same batch; the reconstructions the step scored are recorded, and the
    step's `reconstruction_loss` must be their batch mean of
    `||x - x_hat||^2 / (2c)`: ten times heavier against the KL at `c = 0.1`,
    like a VAE on the summed squared error with KL weight `2c * beta`.
    """

    VARIANCES, BATCH = (1.0, 0.1), 8

    def probes(self, ctx):
        return {"steps": Probe("gaussian_decoder.test_step", {
            "x": test_images(ctx, self.BATCH, self.id), "variances": list(self.VARIANCES),
            "seed": training_seed(ctx, self.id)}, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        steps = require(results, "steps")["steps"]
        x = np.float64(results["steps"].inputs["x"])
        parts = []
        for c, step in zip(self.VARIANCES, steps):
            # The batch mean of ||x - x_hat||^2 of the reconstructions the student's step scored.
            squared = float(np.mean(np.sum(np.square(x - step["x_hat"]), axis=(1, 2, 3))))
            expected_value = squared / (2 * c)
            got_value = step["reconstruction_loss"]
            ok = bool(np.isclose(got_value, expected_value, rtol=1e-4, atol=1e-5))
            mistake = None
            if not ok:
                ratio = got_value / squared if squared else np.nan
                mistake = next((m for m, weight in (
                    ("gaussian_one_over_c", 1 / c), ("gaussian_variance_as_std", 1 / (2 * c * c)),
                    ("gaussian_mean_over_pixels", 1 / (2 * c * np.prod(x.shape[1:]))))
                    if np.isclose(ratio, weight, rtol=1e-4)), None)
            parts.append((1, ok, f"c = {c:g}: reconstruction_loss = mean ||x - x_hat||^2 / (2c) "
                          f"= {expected_value:.6g} (weight {1 / (2 * c):g} on the squared error, "
                          f"as KL weight {2 * c:g} x beta against it)",
                          f"{got_value:.6g} (KL {step['kl_loss']:.4g})",
                          mistake_feedback(mistake) if mistake else
                          "GaussianVAE's steps score the reconstructions with "
                          "gaussian_reconstruction_loss(x, x_hat, self.variance): check that it "
                          "sums the squared error per image and divides by 2 * variance.",
                          mistake))
        return combine(parts)
