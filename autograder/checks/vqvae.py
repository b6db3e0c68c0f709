"""Checks of Part 5 (bonus): the VQ-VAE (`vqvae.py`).

The grader sets the quantizer's codebook itself, finds the nearest codewords
by brute force (`autograder.reference.vqvae`, through each check's `expect`), and derives the expected output, losses and gradients of the
straight-through estimator in NumPy:

- output `z_q = codebook[nearest]`, and `d sum(g * output) / d z_e = g`;
- added loss `mean((z_e - z_q)^2) * (1 + beta)` (codebook + beta * commitment,
  equal in value);
- its gradient `2 beta (z_e - z_q) / n` for `z_e` (the commitment term only)
  and `2 (e_j - z_e) / n` summed over the vectors that chose `e_j` for the
  codebook (the codebook term only), with `n` the number of entries of `z_e`.
"""

import numpy as np

from autograder.checks.common import brief, close, combine, mistake_feedback
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


def codebook_and_codes(rng, num_embeddings, embedding_dim, shape):
    """A codebook with codewords of different norms, and vectors `z_e` near random codewords."""
    codebook = rng.normal(size=(num_embeddings, embedding_dim)) * rng.uniform(
        0.3, 2.0, (num_embeddings, 1))
    chosen = rng.integers(num_embeddings, size=shape)
    z_e = codebook[chosen] + rng.normal(0.0, 0.5, (*shape, embedding_dim))
    return np.float32(codebook), np.float32(z_e)


@register("vqvae.nearest_codeword")
class NearestCodeword(Check):
    """`indices(z_e)` is the index of the nearest codeword (squared Euclidean distance)."""

    def probes(self, ctx):
        codebook, z_e = codebook_and_codes(ctx.rng(self.id), 12, 4, (2, 5, 5))
        return {"indices": Probe("vqvae.indices", {"codebook": codebook, "z_e": z_e})}

    @staticmethod
    def expect(inputs):
        """The nearest codewords by brute force, all the distances, and the wrong searches."""
        from autograder.reference.vqvae import nearest, nearest_variants, squared_distances

        z_e, codebook = inputs["indices"]["z_e"], inputs["indices"]["codebook"]
        return {"nearest": nearest(z_e, codebook), "distances": squared_distances(z_e, codebook),
                "mistakes": nearest_variants(z_e, codebook)}

    def score(self, results, ctx):
        value = require(results, "indices")
        expectations = ctx.expected(self, results)
        codebook = np.float64(value["codebook"])
        got = np.asarray(value["indices"])
        expected = np.asarray(expectations["nearest"])
        shown = dict(expected=f"indices of shape {expected.shape}, {brief(expected, 6)}",
                     got=brief(got, 6))
        if got.shape != expected.shape:
            return Outcome.failed(feedback="indices must return one index per vector of z_e, "
                                  "shape z_e.shape[:-1].", **shown)
        if not np.issubdtype(got.dtype, np.integer):
            return Outcome.failed(feedback=f"indices must be integers, got {got.dtype}.", **shown)
        distances = np.float64(expectations["distances"])
        chosen = np.take_along_axis(distances, np.clip(got, 0, len(codebook) - 1)[..., None], -1)
        in_range = np.all((got >= 0) & (got < len(codebook)))
        if in_range and np.allclose(chosen[..., 0], distances.min(axis=-1), rtol=1e-5, atol=1e-6):
            return Outcome.passed(**shown)
        for mistake_id, variant in expectations["mistakes"].items():
            if np.array_equal(got, variant):
                return Outcome.failed(feedback=mistake_feedback(mistake_id),
                                      diagnosis=mistake_id, **shown)
        wrong = int(np.sum(got != expected))
        return Outcome.failed(feedback=f"{wrong} of {expected.size} vectors got a codeword that is "
                              "not the nearest: take the argmin over the codewords of "
                              "||z - e||^2.", **shown)


@register("vqvae.straight_through")
class StraightThrough(Check):
    """Forward `z_q`, straight-through gradient, codebook + beta * commitment losses.

    `z_q` is derived from the codewords the student's own `indices` picks, so
    that a wrong nearest-codeword search is graded by `vqvae.nearest_codeword`
    only. The losses may be normalised either way the handout allows: the
    mean over all entries of `(z_e - z_q)^2` (the reference's), or the squared
    norm per vector averaged over the vectors (`D` times larger, as in the
    paper); the loss and its gradients must use the same one.
    """

    BETA = 0.4

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        codebook, z_e = codebook_and_codes(rng, 8, 3, (2, 3, 3))
        return {
            "quantizer": Probe("vqvae.quantizer_gradients", {
                "codebook": codebook, "z_e": z_e, "beta": self.BETA,
                "upstream": np.float32(rng.normal(size=z_e.shape)),
            }, stand_ins=("5.1",)),
            "model": Probe("vqvae.model_gradients", {
                "x": image_batch(ctx), "num_embeddings": 24, "embedding_dim": 5, "seed": 6,
            }, time_limit=60.0, stand_ins=("5.1",)),
        }

    @staticmethod
    def expect(inputs):
        """The nearest codewords of the quantizer's inputs, for a malformed `indices`."""
        from autograder.reference.vqvae import nearest

        return {"nearest": nearest(inputs["quantizer"]["z_e"], inputs["quantizer"]["codebook"])}

    def score(self, results, ctx):
        value = require(results, "quantizer")
        kwargs = results["quantizer"].inputs
        z_e, upstream = np.float64(kwargs["z_e"]), np.float64(kwargs["upstream"])
        codebook = np.float64(value["codebook"])
        chosen = np.asarray(value["indices"])
        if chosen.shape != z_e.shape[:-1] or not np.issubdtype(chosen.dtype, np.integer):
            chosen = np.asarray(ctx.expected(self, results)["nearest"])
        chosen = np.clip(chosen, 0, len(codebook) - 1)
        z_q = codebook[chosen]
        output = np.float64(value["output"])
        parts = [(1, close(output, z_q, rtol=1e-5, atol=1e-5),
                  f"output = the codewords indices(z_e) picks, {brief(z_q)}", brief(output),
                  "The forward output must be the chosen codewords z_q "
                  "(z_e + stop_gradient(z_q - z_e)).", None)]

        gradient = value["grad_output"]
        straight = gradient is not None and close(gradient, upstream, rtol=1e-5, atol=1e-6)
        blocked = gradient is None or np.allclose(gradient, 0.0)
        parts.append((1, straight, "d output / d z_e = identity (straight-through)",
                      "no gradient" if blocked else brief(gradient),
                      mistake_feedback("vqvae_no_straight_through") if blocked
                      else "Return z_e + stop_gradient(z_q - z_e).",
                      "vqvae_no_straight_through" if blocked else None))
        parts += self.loss_parts(value, z_e, z_q, chosen, codebook)

        model = require(results, "model")
        names, codebooks = model["variable_names"], model["is_codebook"]
        unreached = [name for name, is_codebook, norm in zip(names, codebooks,
                                                              model["mse_grad_norms"])
                     if not is_codebook and norm == 0.0]
        codebook_trained = any(norm > 0.0 for is_codebook, norm
                               in zip(codebooks, model["total_grad_norms"]) if is_codebook)
        parts.append((1, not unreached and any(codebooks) and codebook_trained,
                      "in a VQVAE, the reconstruction error reaches every encoder and decoder "
                      "weight, the added losses reach the codebook",
                      (f"no gradient for {', '.join(unreached[:4])}" if unreached else
                       "no (24, 5) codebook weight found" if not any(codebooks) else
                       "the codebook gets no gradient" if not codebook_trained else "they do"),
                      mistake_feedback("vqvae_no_straight_through") if unreached
                      else "The VQVAE must use its VectorQuantizer between encoder and decoder.",
                      "vqvae_no_straight_through" if unreached else None))
        return combine(parts)

    def loss_parts(self, value, z_e, z_q, chosen, codebook):
        """The sub-results of `combine` for the added losses and their gradients.

        Each normalisation the handout allows is tried; the one whose loss
        matches is the one the gradients must follow.
        """
        squared = np.sum(np.square(z_e - z_q))
        loss = value["loss_total"]
        counts = {"mean over the entries": z_e.size,
                  "squared norm per vector, mean over the vectors": z_e.size // z_e.shape[-1]}
        name, n = next(((name, n) for name, n in counts.items() if loss is not None
                        and np.isclose(loss, (1.0 + self.BETA) * squared / n, rtol=1e-4)),
                       next(iter(counts.items())))
        expected_loss = (1.0 + self.BETA) * squared / n
        parts = [(1, loss is not None and np.isclose(loss, expected_loss, rtol=1e-4),
                  f"sum of the added losses = (1 + beta) * ||z_e - z_q||^2, {name}: "
                  f"{expected_loss:.5g}",
                  "nothing added" if loss is None else f"{loss:.5g}",
                  "Add ||sg[z_e] - z_q||^2 + beta * ||z_e - sg[z_q]||^2, averaged over the "
                  "entries of z_e, with self.add_loss.", None)]

        grad_z_e = 2.0 * self.BETA * (z_e - z_q) / n
        grad_codebook = np.zeros_like(codebook)
        np.add.at(grad_codebook, chosen.ravel(),
                  (2.0 * (z_q - z_e) / n).reshape(-1, codebook.shape[1]))
        got_z_e, got_codebook = value["grad_loss_z_e"], value["grad_loss_codebook"]

        def matches(got, expected):
            return got is not None and close(got, expected, rtol=1e-4, atol=1e-7)

        split_ok = matches(got_z_e, grad_z_e) and matches(got_codebook, grad_codebook)
        swapped = (matches(got_z_e, grad_z_e / self.BETA)
                   and matches(got_codebook, grad_codebook * self.BETA))
        parts.append((1, split_ok,
                      "d losses / d z_e = commitment term only (2 beta (z_e - z_q) / n), "
                      "d losses / d codebook = codebook term only",
                      "d/dz_e " + ("None" if got_z_e is None else brief(got_z_e))
                      + ", d/dcodebook "
                      + ("None" if got_codebook is None else brief(got_codebook)),
                      mistake_feedback("vqvae_losses_swapped") if swapped
                      else "stop_gradient z_e in the codebook loss and z_q in the commitment loss.",
                      "vqvae_losses_swapped" if swapped else None))
        return parts


def image_batch(ctx):
    """16 test images of the embedded sample."""
    return ctx.test_data[0][:16]
