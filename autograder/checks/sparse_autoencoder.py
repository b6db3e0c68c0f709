"""Checks of the sparse autoencoder (`sparse_autoencoder.py`), a part a course may assign.

The penalty function against the handout's formula (`autograder.reference.
sparse_autoencoder` through `expect`), and the penalty the model registers
with `add_loss` against the student's own `sparsity_penalty` of the student's
own code, so that each TODO is graded by its own check. The sparsity a short
training run reaches is graded after the due date
(`autograder.checks.after_due_date.sparse_autoencoder`).
"""

import numpy as np

from autograder.checks.common import combine, mistake_feedback, test_images
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe

# The upstream piece that may stand in when it raises: sparsity_penalty.
PENALTY_STAND_IN = ("6.1",)


@register("sparse_autoencoder.penalty")
class Penalty(Check):
    """`sparsity_penalty(z, l1)` is `l1 * mean_over_batch(sum_i |z_i|)`, and scales with `l1`.

    The codes sent have negative entries (an L1 norm takes their absolute
    value) and 16 rows (a sum over the batch is 16 times the mean). Two thirds
    for the value at `l1 = 0.5`; one third for the scaling: 4 times larger at
    `l1 = 2`, and 0 at `l1 = 0`.
    """

    L1_VALUES = (0.5, 2.0, 0.0)
    SHAPE = (16, 8)

    def probes(self, ctx):
        z = ctx.rng(self.id).normal(size=self.SHAPE)
        return {f"l1_{l1:g}": Probe("sparse_autoencoder.sparsity_penalty", {"z": z, "l1": l1})
                for l1 in self.L1_VALUES}

    @staticmethod
    def expect(inputs):
        """The penalty at each `l1`, and the values of its classic mistakes at the first."""
        from autograder.reference.sparse_autoencoder import penalty_variants, sparsity_penalty

        first = inputs[f"l1_{Penalty.L1_VALUES[0]:g}"]
        return {"right": {name: sparsity_penalty(value["z"], value["l1"])
                          for name, value in inputs.items()},
                "mistakes": penalty_variants(first["z"], first["l1"])}

    def score(self, results, ctx):
        got = {name: np.float64(require(results, name)["penalty"]) for name in results}
        expectations = ctx.expected(self, results)
        right = expectations["right"]
        base, larger, zero = (f"l1_{l1:g}" for l1 in self.L1_VALUES)
        if any(value.size != 1 for value in got.values()):
            shape = next(value.shape for value in got.values() if value.size != 1)
            return Outcome.failed(
                "a scalar penalty", f"a penalty of shape {shape}",
                "sparsity_penalty must return one number for the batch: the batch mean of the "
                "per-example L1 norms, times l1.")
        value = {name: float(array.reshape(())) for name, array in got.items()}
        value_ok = bool(np.isclose(value[base], right[base], rtol=1e-4, atol=1e-6))
        mistake = None if value_ok else next(
            (mistake_id for mistake_id, variant in expectations["mistakes"].items()
             if np.isclose(value[base], variant, rtol=1e-4, atol=1e-6)), None)
        ratio = value[larger] / value[base] if value[base] else np.inf
        scales = bool(np.isclose(ratio, self.L1_VALUES[1] / self.L1_VALUES[0], rtol=1e-4)
                      and abs(value[zero]) <= 1e-7)
        return combine([
            (2, value_ok,
             f"l1 * mean over the batch of sum_i |z_i| = {right[base]:.6g} (l1 = "
             f"{self.L1_VALUES[0]:g})",
             f"{value[base]:.6g}",
             mistake_feedback(mistake) if mistake else
             "Sum |z_i| over the last axis (ops.abs, ops.sum), average over the batch (ops.mean) "
             "and multiply by l1.", mistake),
            (1, scales,
             f"proportional to l1: {self.L1_VALUES[1] / self.L1_VALUES[0]:g} times larger at "
             f"l1 = {self.L1_VALUES[1]:g}, 0 at l1 = 0",
             f"{ratio:.6g} times larger, {value[zero]:.3g} at l1 = 0",
             "The penalty is l1 times the mean L1 norm: multiply by the l1 you are given.", None),
        ])


@register("sparse_autoencoder.add_loss")
class AddLoss(Check):
    """`SparseAutoencoder(x)` registers `sparsity_penalty(encode(x), l1)` with `add_loss`.

    The penalty is compared with the student's own `sparsity_penalty` of the
    model's own code, on two different batches: a penalty computed from the
    weights (`kernel_regularizer`-style) does not change with the images.
    """

    LATENT_DIM, L1 = 8, 0.01
    # Two batches' own penalties differ by more than this (relative) on the images sent.
    DIFFERENT = 1e-3

    def probes(self, ctx):
        images = test_images(ctx, 24, self.id)
        return {"calls": Probe("sparse_autoencoder.added_losses", {
            "batches": [images[:16], images[16:]], "latent_dim": self.LATENT_DIM,
            "l1": self.L1, "seed": 3}, stand_ins=PENALTY_STAND_IN)}

    def score(self, results, ctx):
        calls = require(results, "calls")["calls"]
        got = [call["loss_total"] for call in calls]
        own = [call["own_penalty"] for call in calls]
        expected = ("sum(model.losses) = sparsity_penalty(encode(x), l1) of each batch: "
                    + ", ".join(f"{value:.6g}" for value in own))
        got_text = ", ".join(f"{value:.6g}" for value in got)
        if all(call["loss_count"] == 0 for call in calls):
            return Outcome.failed(expected, "model.losses is empty",
                                  "call must register the penalty with self.add_loss.")
        if all(np.isclose(g, o, rtol=1e-4, atol=1e-7) for g, o in zip(got, own)):
            return Outcome.passed(expected, got_text)
        images_matter = abs(own[0] - own[1]) > self.DIFFERENT * max(abs(own[0]), 1e-12)
        if images_matter and np.isclose(got[0], got[1], rtol=1e-6, atol=0):
            return Outcome.failed(expected, got_text + " (the same for both batches)",
                                  mistake_feedback("sparse_penalty_on_weights"),
                                  diagnosis="sparse_penalty_on_weights")
        return Outcome.failed(
            expected, got_text,
            "call must add exactly sparsity_penalty(z, self.l1) of the code z = self.encode(x) "
            "with self.add_loss, once per call.")

