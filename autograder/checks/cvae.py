"""Checks of Part 4: the conditional VAE (`cvae.py`).

A conditional VAE must *use* its labels: for the same images, codes and seed,
other labels must give other encodings, other decodings and other samples. The
loss machinery is inherited from the VAE of Part 3, so `call` must still add
`beta * mean(KL)` with `add_loss`, and `fit(x, labels)` must report the same
three losses.
"""

import numpy as np

from autograder.checks.common import (
    IMAGE_SHAPE,
    close,
    combine,
    credit,
    mistake_feedback,
    training_seed,
)
from autograder.checks.registry import Check, Outcome, Probe, register, require
from autograder.checks.vae import (
    check_samples,
    kl_divergence,
    measure_samples,
    negative_elbo,
    quality_inputs,
)

KEYS = ["kl_loss", "loss", "reconstruction_loss"]


@register("cvae.conditioning")
class Conditioning(Check):
    """Labels change what the encoder, the decoder and `sample` return."""

    N = 8
    LATENT_DIM = 2

    def probes(self, ctx):
        rng = ctx.rng("cvae.conditioning")
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
        })}

    def score(self, results, ctx):
        value = require(results, "conditioning")
        n, k = self.N, self.LATENT_DIM
        images = (n, *IMAGE_SHAPE)
        output_ok = tuple(value["output_shape"]) == images
        kl = float(kl_divergence(value["z_mean"], value["z_log_var"]).mean())
        loss_ok = np.isclose(value["loss_total"], kl, rtol=1e-3, atol=1e-7)
        parts = [(1, output_ok and loss_ok,
                  f"model((x, labels)) of shape {images}, adding beta * mean KL = {kl:.5g}",
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
    """`fit(x, labels)` runs and reports exactly `loss`, `reconstruction_loss`, `kl_loss`."""

    IMAGES = 256
    EPOCHS = 2
    BETA = 2.0

    def probes(self, ctx):
        return {"history": Probe("cvae.fit_history", {
            "images": self.IMAGES, "epochs": self.EPOCHS, "beta": self.BETA,
            "seed": training_seed(ctx, "cvae.train_step"),
        }, time_limit=60.0)}

    def score(self, results, ctx):
        value = require(results, "history")
        keys, history = value["history_keys"], value["history"]
        parts = [(1, keys == KEYS, f"fit's keys {KEYS}", f"{keys}",
                  "The CVAE must report the VAE's three losses.", None)]
        if set(KEYS) <= set(keys):
            kl, loss, reconstruction = (np.float64(history[key]) for key in KEYS)
            finite = all(np.all(np.isfinite(v)) for v in (kl, loss, reconstruction))
            parts.append((1, finite, "finite losses", "finite" if finite else "NaN or infinite",
                          "Training diverged: check the losses of Part 3.", None))
            consistent = finite and close(loss, reconstruction + self.BETA * kl, rtol=1e-4,
                                          atol=1e-3)
            parts.append((1, consistent,
                          f"loss = reconstruction_loss + beta * kl_loss (beta = {self.BETA:g})",
                          f"loss {loss[-1]:.5g}, reconstruction {reconstruction[-1]:.5g}, "
                          f"kl {kl[-1]:.5g}",
                          "The CVAE's loss must be reconstruction + sum(self.losses), as in "
                          "the VAE.", None))
        return combine(parts)


@register("cvae.conditional_accuracy")
class ConditionalAccuracy(Check):
    """Samples of each requested class are recognised as that class by the evaluation classifier.

    The worker trains the student's `ConditionalVAE` with the course recipe
    (`assignment.training.RECIPES["cvae"]`, latent dimension 2) for
    `EPOCHS` epochs on the embedded sample's 6,000 training images and
    generates `PER_CLASS` images of each class. The credit is linear in the
    conditional accuracy between `ACCURACY_PASS` and `ACCURACY_FAIL`; the
    samples' Fréchet distance and the test negative ELBO of `log p(x | y)` go
    to the leaderboard.

    The reference solution, graded with `--seed 0` to `4`, measured 50.0 %, 49.8 %,
    51.1 %, 49.2 % and 53.7 %; `ACCURACY_PASS` leaves a margin of one class in ten.
    The reference with a decoder that ignores the label (the mutant
    `cvae_decoder_ignores_label`) measured 10.3 % (seed 0), chance level, below
    `ACCURACY_FAIL`.
    """

    EPOCHS = 3
    PER_CLASS = 200
    EVAL_IMAGES = 1000
    ACCURACY_PASS, ACCURACY_FAIL = 0.4, 0.15

    def probes(self, ctx):
        from assignment.training import RECIPES

        x_eval, y_eval, eps = quality_inputs(ctx, "cvae.conditional_accuracy", self.EVAL_IMAGES,
                                             RECIPES["cvae"].latent_dim)
        return {"quality": Probe("cvae.quality", {
            "epochs": self.EPOCHS, "labels": np.repeat(np.arange(10), self.PER_CLASS),
            "sample_seed": training_seed(ctx, "cvae.conditional_accuracy") + 1,
            "seed": training_seed(ctx, "cvae.conditional_accuracy"),
            "x_eval": x_eval, "y_eval": y_eval, "eps": eps,
        }, time_limit=150.0)}

    def score(self, results, ctx):
        value = require(results, "quality")
        kwargs = self.probes(ctx)["quality"].kwargs
        problem = check_samples(value["samples"], len(kwargs["labels"]))
        if problem:
            return Outcome.failed(f"{len(kwargs['labels'])} images in [0, 1]", problem,
                                  "sample(labels) must return one decoded image per label.")
        metrics = measure_samples(value["samples"], labels=kwargs["labels"])
        accuracy = metrics["conditional_accuracy"]
        nelbo = negative_elbo(value, kwargs["x_eval"])
        fraction = credit(accuracy, self.ACCURACY_PASS, self.ACCURACY_FAIL)
        return Outcome(
            fraction,
            expected=f"conditional accuracy >= {self.ACCURACY_PASS:.0%} "
                     f"(none below {self.ACCURACY_FAIL:.0%}; chance is 10%)",
            got=f"conditional accuracy {accuracy:.1%}, Fréchet distance {metrics['fd']:.1f}, "
                f"negative ELBO {nelbo:.1f} nats (after {self.EPOCHS} epochs)",
            feedback="The samples show the requested classes." if fraction == 1.0 else (
                "Too few samples are recognised as the class they were generated for: check "
                "that decode and sample pass the labels to the decoder."),
            leaderboard={"CVAE conditional accuracy": (accuracy, "desc"),
                         "CVAE Fréchet distance": (metrics["fd"], "asc"),
                         "CVAE test negative ELBO (nats)": (nelbo, "asc")},
        )
