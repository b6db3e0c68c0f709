"""Checks of the masked autoencoder (`masked_autoencoder.py`), a part a course may assign.

The loss against the handout's formula (`autograder.reference.masked_autoencoder`
through `expect`), the masks `draw_mask` draws (how many pixels, whole patches,
fresh for every image and call), and what `call` hides in each mode, each
against the student's own masks and own encoder and decoder, so that each TODO
is graded by its own check. How well a short training run completes held-out
masks is graded after the due date
(`autograder.checks.after_due_date.masked_autoencoder`).
"""

import numpy as np

from assignment.masks import SIDE, patch_masks
from autograder.checks.common import (
    SAME,
    combine,
    largest_difference,
    mistake_feedback,
    shape_text,
    test_images,
    training_seed,
)
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


def masked_patches(patch, mask_ratio):
    """How many patches a mask hides: `int(mask_ratio * (28 // patch)^2)`."""
    return int(mask_ratio * (SIDE // patch) ** 2)


@register("masked_autoencoder.loss")
class Loss(Check):
    """`masked_reconstruction_loss(x, x_hat, mask)` is the MSE over the pixels where `mask` is 1.

    The images sent are random, and so are the reconstructions; the mask hides
    a quarter of the pixels, so the mean over the hidden pixels, over the
    visible ones and over all of them are three different numbers.
    """

    BATCH, PATCH, HIDDEN = 8, 7, 4

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        x = rng.uniform(size=(self.BATCH, SIDE, SIDE, 1))
        x_hat = np.clip(x + rng.normal(scale=0.3, size=x.shape), 0, 1)
        # Larger errors on the hidden pixels, as after training: hidden, visible and all differ.
        mask = patch_masks(rng, self.BATCH, self.PATCH, self.HIDDEN)
        x_hat = np.where(mask == 1, 1 - x, x_hat)
        return {"loss": Probe("masked_autoencoder.loss", {"x": x, "x_hat": x_hat, "mask": mask})}

    @staticmethod
    def expect(inputs):
        """The loss of the inputs sent, and the values of its classic mistakes."""
        from autograder.reference.masked_autoencoder import (
            loss_variants,
            masked_reconstruction_loss,
        )

        value = inputs["loss"]
        return {"right": masked_reconstruction_loss(value["x"], value["x_hat"], value["mask"]),
                "mistakes": loss_variants(value["x"], value["x_hat"], value["mask"])}

    def score(self, results, ctx):
        got = np.float64(require(results, "loss")["loss"])
        expectations = ctx.expected(self, results)
        right = expectations["right"]
        expected = f"sum(mask * (x - x_hat)^2) / sum(mask) = {right:.6g}"
        if got.size != 1:
            return Outcome.failed(expected, f"a loss of shape {shape_text(got.shape)}",
                                  "masked_reconstruction_loss must return one number for the "
                                  "batch: the mean squared error over all its hidden pixels.")
        value = float(got.reshape(()))
        if np.isclose(value, right, rtol=1e-4, atol=1e-7):
            return Outcome.passed(expected, f"{value:.6g}")
        mistake = next((mistake_id for mistake_id, variant in expectations["mistakes"].items()
                        if np.isclose(value, variant, rtol=1e-4, atol=1e-7)), None)
        return Outcome.failed(
            expected, f"{value:.6g}",
            mistake_feedback(mistake) if mistake else
            "Weigh the squared errors by mask, sum them and divide by the number of hidden "
            "pixels, ops.sum(mask).", diagnosis=mistake)


@register("masked_autoencoder.mask")
class Mask(Check):
    """`draw_mask(batch_size)` hides exactly `masked_patches` whole patches, fresh every time.

    Two models, `(patch, mask_ratio)` = (4, 0.5) and (7, 0.75), two draws each,
    a quarter for each fact: every mask has the right shape, holds only 0 and 1
    and hides exactly `masked_patches * patch^2` pixels; it is constant on each
    patch; the two draws of a model differ (a fresh mask at every training
    step); the images of one draw do not all share one mask.
    """

    CONFIGS, BATCH = ((4, 0.5), (7, 0.75)), 16

    def probes(self, ctx):
        return {"masks": Probe("masked_autoencoder.masks", {
            "configs": [list(config) for config in self.CONFIGS], "batch_size": self.BATCH,
            "seed": training_seed(ctx, self.id)})}

    def score(self, results, ctx):
        draws = [[np.asarray(mask, dtype=np.float64) for mask in pair]
                 for pair in require(results, "masks")["draws"]]
        shape = (self.BATCH, SIDE, SIDE, 1)
        shapes = [mask.shape for pair in draws for mask in pair]
        if any(got != shape for got in shapes):
            return Outcome.failed(f"masks of shape {shape_text(shape)}",
                                  ", ".join(shape_text(got) for got in shapes),
                                  "draw_mask(batch_size) must return one mask per image, of the "
                                  "images' shape (batch_size, 28, 28, 1).")
        counts, aligned, fresh, per_image = [], [], [], []
        for (patch, ratio), pair in zip(self.CONFIGS, draws):
            hidden = masked_patches(patch, ratio) * patch**2
            for mask in pair:
                binary = bool(np.all((mask == 0) | (mask == 1)))
                pixels = sorted({int(n) for n in mask.sum(axis=(1, 2, 3))})
                if not binary or pixels != [hidden]:
                    values = "only 0 and 1" if binary else "values other than 0 and 1"
                    counts.append(f"patch {patch}, ratio {ratio:g}: {values}, hidden pixels per "
                                  f"image {pixels} (expected {hidden})")
                blocks = mask.reshape(self.BATCH, SIDE // patch, patch, SIDE // patch, patch)
                aligned.append(float(np.max(np.ptp(blocks, axis=(2, 4)))))
                per_image.append(largest_difference(mask, np.repeat(mask[:1], len(mask), 0)))
            fresh.append(largest_difference(*pair))
        count_text = ", ".join(f"{masked_patches(p, r) * p * p} (patch {p}, ratio {r:g})"
                               for p, r in self.CONFIGS)
        return combine([
            (1, not counts, f"0/1 masks hiding exactly {count_text} pixels per image",
             "; ".join(counts) or "right", "Hide exactly self.masked_patches patches per image: "
             "rank uniform noise per row (ops.argsort of ops.argsort) and keep the ranks below "
             "self.masked_patches, cast to float32.", None),
            (1, max(aligned) <= SAME, "each patch x patch block all hidden or all visible",
             f"largest spread within a block {max(aligned):.3g}",
             "Draw one value per patch, shape (batch_size, num_patches), reshape it to "
             "(batch_size, grid, grid, 1) and repeat it patch times along axes 1 and 2.", None),
            (1, min(fresh) > SAME, "two calls of draw_mask differ (a fresh mask every step)",
             f"largest difference {min(fresh):.3g}",
             mistake_feedback("masked_same_mask_every_step"), "masked_same_mask_every_step"),
            (1, min(per_image) > SAME, "the images of one call have different masks",
             f"largest difference from the first image's mask {min(per_image):.3g}",
             "Draw noise of shape (batch_size, num_patches), one row per image, not one row "
             "for the whole batch.", None),
        ])


@register("masked_autoencoder.call")
class Call(Check):
    """`call` hides pixels in training, or those of the mask it is given, and none otherwise.

    Compared with the student's own encoder and decoder on the same model, a
    third for each mode: `training=True` draws a mask with `draw_mask` and
    returns `decoder(encoder(x * (1 - mask)))` of the mask it drew;
    `training=False` draws none and returns `decoder(encoder(x))`, the same
    twice; with `hidden=m` it returns `decoder(encoder(x * (1 - m)))`.
    """

    BATCH, LATENT_DIM, PATCH, HIDDEN = 8, 8, 4, 24

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        return {"calls": Probe("masked_autoencoder.calls", {
            "images": test_images(ctx, self.BATCH, self.id),
            "mask": patch_masks(rng, self.BATCH, self.PATCH, self.HIDDEN),
            "latent_dim": self.LATENT_DIM, "seed": training_seed(ctx, self.id)})}

    def score(self, results, ctx):
        value = require(results, "calls")
        training, given = value["training"], value["given"]
        inference = [value["inference_1"], value["inference_2"]]
        off = {name: largest_difference(call["output"], call["expected"])
               for name, call in value.items()}
        at_inference = mistake_feedback("masked_mask_at_inference")
        unmasked = max(off["inference_1"], off["inference_2"],
                       largest_difference(inference[0]["output"], inference[1]["output"]))
        return combine([
            (1, training["drawn"] >= 1 and off["training"] <= SAME,
             "training=True: decoder(encoder(x * (1 - mask))) of the mask drawn by draw_mask",
             "no mask drawn" if not training["drawn"] else
             f"largest difference {off['training']:.3g}",
             "When training and no mask is given, draw one with self.draw_mask(batch size) and "
             "encode x * (1 - mask).", None),
            (1, not any(call["drawn"] for call in inference) and unmasked <= SAME,
             "training=False: no mask drawn, the output is decoder(encoder(x))",
             f"{sum(call['drawn'] for call in inference)} masks drawn in 2 calls, largest "
             f"difference {unmasked:.3g}", at_inference, "masked_mask_at_inference"),
            (1, off["given"] <= SAME, "hidden=m: decoder(encoder(x * (1 - m)))",
             f"largest difference {off['given']:.3g}",
             "When call is given a mask (hidden=m), hide exactly its pixels: encode "
             "x * (1 - m).", None),
        ])
