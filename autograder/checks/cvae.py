"""Checks of Part 4: the conditional VAE (`cvae.py`).

A conditional VAE must *use* its labels: for the same images, codes and seed,
other labels must give other encodings, other decodings and other samples. The
loss machinery is inherited from the VAE of Part 3, so `call` must still add
`beta * mean(KL)` with `add_loss`, and `fit(x, labels)` must report the same
three losses. The check graded after the due date, the class of the samples
after a short training run, is in `autograder.checks.after_due_date.cvae`.
"""

import numpy as np

from autograder.checks.common import (
    IMAGE_SHAPE,
    VAE_TRAINING_STAND_INS,
    close,
    combine,
    mistake_feedback,
    training_seed,
)
from autograder.checks.registry import Check, register, require
from autograder.protocol import Probe

KEYS = ["kl_loss", "loss", "reconstruction_loss"]
# Upstream pieces of Part 3 that may stand in when they raise (`autograder.worker.stand_ins`):
# Sampling, kl_divergence, add_kl_loss and draw_prior.
CVAE_STAND_INS = ("3.2", "3.3", "3.7", "3.10")


@register("cvae.conditioning")
class Conditioning(Check):
    """Labels change what the encoder, the decoder and `sample` return."""

    N = 8
    LATENT_DIM = 2

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        images, labels = ctx.test_data
        index = np.sort(rng.choice(len(images), self.N, replace=False))
        shift = rng.integers(1, 10, self.N)
        sample_labels = rng.integers(0, 10, self.N)
        return {"conditioning": Probe("cvae.conditioning", {
            "x": images[index],
            "labels": labels[index],
            "other_labels": (labels[index] + shift) % 10,
            "z": np.float32(rng.normal(size=(self.N, self.LATENT_DIM))),
            "sample_labels": sample_labels,
            "other_sample_labels": (sample_labels + rng.integers(1, 10, self.N)) % 10,
            "seed": 9,
        }, stand_ins=CVAE_STAND_INS)}

    def score(self, results, ctx):
        value = require(results, "conditioning")
        n, k = self.N, self.LATENT_DIM
        images = (n, *IMAGE_SHAPE)
        output_ok = tuple(value["output_shape"]) == images
        kl = value["vae_weight"] * float(np.mean(np.float64(value["kl"])))
        loss_ok = np.isclose(value["loss_total"], kl, rtol=1e-3, atol=1e-7)
        parts = [(1, output_ok and loss_ok,
                  f"model((x, labels)) of shape {images}, adding the KL term of its encoding as "
                  f"your VAE does (beta * mean KL): {kl:.5g}",
                  f"shape {tuple(value['output_shape'])}, sum(model.losses) = "
                  f"{value['loss_total']:.5g}",
                  "call must encode (x, labels), add the KL with add_kl_loss, and decode "
                  "(z, labels).", None)]

        encodings = [np.float64(value[key]) for key in ("z_mean", "z_log_var",
                                                        "other_z_mean", "other_z_log_var")]
        encoded_shape = all(e.shape == (n, k) for e in encodings)
        encoder_uses = encoded_shape and not (close(encodings[0], encodings[2])
                                              and close(encodings[1], encodings[3]))
        parts.append((1, encoder_uses,
                      f"encode((x, labels)): two ({n}, {k}) tensors that change with the labels",
                      f"shapes {encodings[0].shape}, {encodings[1].shape}" if not encoded_shape
                      else "they change" if encoder_uses else "the same for other labels",
                      mistake_feedback("cvae_encoder_ignores_label") if encoded_shape
                      else "encode must return (z_mean, z_log_var).",
                      "cvae_encoder_ignores_label" if encoded_shape else None))

        decoded, other_decoded = np.float64(value["decoded"]), np.float64(value["other_decoded"])
        decoded_shape = decoded.shape == other_decoded.shape == images
        decoder_uses = decoded_shape and not close(decoded, other_decoded)
        parts.append((1, decoder_uses,
                      f"decode((z, labels)) of shape {images}, changing with the labels",
                      f"shape {decoded.shape}" if not decoded_shape
                      else "it changes" if decoder_uses else "the same for other labels",
                      mistake_feedback("cvae_decoder_ignores_label") if decoded_shape
                      else "decode must return images.",
                      "cvae_decoder_ignores_label" if decoded_shape else None))

        sampled, again, other = (np.float64(value[key])
                                 for key in ("sampled", "sampled_again", "other_sampled"))
        sampled_shape = sampled.shape == images
        reproducible = sampled_shape and close(sampled, again)
        uses_labels = sampled_shape and not close(sampled, other)
        parts.append((1, sampled_shape and reproducible and uses_labels,
                      f"sample(labels, seed) of shape {images}: the same for the same seed, "
                      "other images for other labels",
                      f"shape {sampled.shape}" if not sampled_shape else
                      f"same seed: {'same' if reproducible else 'different'} images, other "
                      f"labels: {'different' if uses_labels else 'the same'} images",
                      mistake_feedback("cvae_sample_ignores_labels")
                      if sampled_shape and not uses_labels
                      else "sample must decode one prior draw per label, seeded by `seed`.",
                      "cvae_sample_ignores_labels" if sampled_shape and not uses_labels
                      else None))
        return combine(parts)


@register("cvae.train_step")
class TrainStep(Check):
    """`fit(x, labels)` runs and reports exactly `loss`, `reconstruction_loss`, `kl_loss`, finite.

    That the loss is the reconstruction plus `sum(self.losses)` is the VAE's
    `train_step` (TODO 3.9), graded by `vae.train_step`.
    """

    IMAGES = 256
    EPOCHS = 2
    BETA = 2.0

    def probes(self, ctx):
        return {"history": Probe("cvae.fit_history", {
            "images": self.IMAGES, "epochs": self.EPOCHS, "beta": self.BETA,
            "seed": training_seed(ctx, self.id), "dataset": ctx.dataset,
        }, time_limit=60.0, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        value = require(results, "history")
        keys, history = value["history_keys"], value["history"]
        parts = [(1, keys == KEYS, f"fit's keys {KEYS}", f"{keys}",
                  "The CVAE must report the VAE's three losses.", None)]
        if set(KEYS) <= set(keys):
            finite = all(np.all(np.isfinite(np.float64(history[key]))) for key in KEYS)
            parts.append((1, finite, "finite losses", "finite" if finite else "NaN or infinite",
                          "Training diverged: check the losses of Part 3.", None))
        return combine(parts)
