"""Checks of Part 3: the variational autoencoder (`vae.py`).

Expected values come from `autograder.reference.vae`, NumPy formulas written
independently of any implementation. Where a value is wrong, the checks also
compare it with the values that the classic mistakes give (KL with `log sigma`
instead of `log sigma^2`, `exp(log sigma^2)` as the standard deviation, ...)
and name the mistake when the student's value matches one (see
`autograder.diagnosis`). The check graded after the due date, sample quality
after a short training run, is in `autograder.checks.after_due_date.vae`.
"""

import numpy as np

from autograder.checks.common import (
    brief,
    close,
    IMAGE_SHAPE,
    VAE_TRAINING_STAND_INS,
    combine,
    mistake_feedback,
    test_images,
    training_seed,
)
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe

# What Keras's optimizer says when the loss was computed outside the GradientTape.
NO_GRADIENTS = "No gradients provided for any variable"
# The KL mistakes that `reference.vae.kl_variants` computes, in the order they are recognised.
KL_MISTAKES = ("vae_kl_log_sigma", "vae_kl_missing_half", "vae_kl_mean_over_latent",
               "vae_kl_sign_error")


# --- Sampling --------------------------------------------------------------------------------


def sampling_inputs(rng, rows):
    """Means and log-variances, one value per latent dimension, repeated over `rows` rows.

    The log-variances lie in four separated bands (none near 0), so that the
    standard deviations `exp(0.5 lv)`, the variances `exp(lv)` and 1 are far apart.
    """
    bands = np.array([[-2.5, -1.5], [-1.2, -0.6], [0.6, 1.2], [1.5, 2.5]])
    log_var = rng.uniform(bands[:, 0], bands[:, 1])[rng.permutation(len(bands))]
    mean = rng.uniform(-2.0, 2.0, len(bands))
    tile = np.ones((rows, 1), dtype=np.float32)
    return np.float32(tile * mean), np.float32(tile * log_var)


@register("vae.sampling_statistics")
class SamplingStatistics(Check):
    """`Sampling` draws `z ~ N(mu, exp(log_var))`: right shape, mean and standard deviation."""

    ROWS = 4000
    STD_RTOL = 0.08  # 7 standard errors of a standard deviation estimated from 4,000 draws.

    def probes(self, ctx):
        z_mean, z_log_var = sampling_inputs(ctx.rng(self.id), self.ROWS)
        return {"draws": Probe("vae.sampling_draws",
                               {"z_mean": z_mean, "z_log_var": z_log_var, "seed": 7})}

    def score(self, results, ctx):
        z = np.float64(require(results, "draws")["z"])
        inputs = results["draws"].inputs
        z_mean, z_log_var = inputs["z_mean"][0], inputs["z_log_var"][0]
        rows = len(inputs["z_mean"])
        expected_shape = (rows, len(z_mean))
        if z.shape != expected_shape:
            return Outcome.failed(
                f"shape {expected_shape}", f"shape {z.shape}",
                "Sampling must return z with the shape of z_mean.",
            )
        if not np.all(np.isfinite(z)):
            return Outcome.failed("finite values", "NaN or infinite values",
                                  "Sampling returned NaN or infinite values.")
        std = np.exp(0.5 * np.float64(z_log_var))
        mean_got, std_got = z.mean(axis=0), z.std(axis=0)
        mean_ok = bool(np.all(np.abs(mean_got - z_mean)
                              <= 5.0 * np.maximum(std, std_got) / np.sqrt(rows) + 1e-6))
        std_ok = bool(np.all(np.abs(std_got / std - 1.0) <= self.STD_RTOL))
        std_diagnosis = None
        std_feedback = "The standard deviation of z must be exp(0.5 * z_log_var)."
        if not std_ok:
            if np.all(np.abs(std_got / np.exp(z_log_var) - 1.0) <= self.STD_RTOL):
                std_diagnosis = "vae_sampling_exp_log_var"
            elif np.all(np.abs(std_got - 1.0) <= self.STD_RTOL) or np.all(std_got < 1e-6):
                std_diagnosis = "vae_sampler_ignores_variance"
            if std_diagnosis:
                std_feedback = mistake_feedback(std_diagnosis)
        return combine([
            (1, mean_ok, f"mean of z = z_mean = {brief(z_mean)}", f"{brief(mean_got)}",
             "The mean of z must be z_mean.", None),
            (1, std_ok, f"std of z = exp(0.5 * z_log_var) = {brief(std)}", f"{brief(std_got)}",
             std_feedback, std_diagnosis),
        ])


@register("vae.sampling_noise")
class SamplingNoise(Check):
    """Fresh noise at every call (eager and under `tf.function`), reproducible with a seed."""

    def probes(self, ctx):
        return {"noise": Probe("vae.sampling_noise", {"shape": [64, 3], "seed": 11})}

    def score(self, results, ctx):
        value = require(results, "noise")
        draws = {key: np.float64(array) for key, array in value.items()}
        if all(np.all(np.abs(array) < 1e-12) for array in draws.values()):
            return Outcome.failed(
                "z - z_mean ~ N(0, 1) when z_log_var = 0", "z = z_mean exactly (no noise)",
                mistake_feedback("vae_sampler_ignores_variance", "Sampling adds no noise at all."),
                diagnosis="vae_sampler_ignores_variance",
            )
        reuse = mistake_feedback("vae_sampler_reuses_noise")
        fresh = not close(draws["eager_1"], draws["eager_2"])
        fresh_compiled = not close(draws["compiled_1"], draws["compiled_2"])
        twins = close(draws["twin_1"], draws["twin_2"])
        return combine([
            (1, fresh, "two calls draw different noise",
             "different z" if fresh else "two calls returned the same z",
             reuse, "vae_sampler_reuses_noise"),
            (1, fresh_compiled, "two calls under tf.function draw different noise",
             "different z" if fresh_compiled else "the same z under tf.function",
             reuse, "vae_sampler_reuses_noise"),
            (1, twins, "two layers built with the same seed draw the same noise",
             "the same z" if twins else "different z", mistake_feedback("vae_sampler_ignores_seed"),
             "vae_sampler_ignores_seed"),
        ])


@register("vae.reparameterization_gradients")
class ReparameterizationGradients(Check):
    """`dz/dmu = 1` and `dz/dlog_var = 0.5 exp(0.5 log_var) eps = 0.5 (z - mu)`."""

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        return {"gradients": Probe("vae.sampling_gradients", {
            "z_mean": np.float32(rng.normal(size=(16, 3))),
            "z_log_var": np.float32(rng.uniform(-2.0, 2.0, size=(16, 3))),
            "seed": 5,
        })}

    def score(self, results, ctx):
        value = require(results, "gradients")
        z_mean = np.float64(results["gradients"].inputs["z_mean"])
        z = np.float64(value["z"])
        if z.shape != z_mean.shape:
            return Outcome.failed(f"z of shape {z_mean.shape}", f"shape {z.shape}",
                                  "Sampling must return z with the shape of z_mean.")
        # eps = (z - mu) / exp(0.5 lv), so dz/dlv = 0.5 exp(0.5 lv) eps = 0.5 (z - mu).
        expected_log_var = 0.5 * (z - z_mean)
        grad_mean, grad_log_var = value["grad_mean"], value["grad_log_var"]
        if grad_mean is None and grad_log_var is None:
            return Outcome.failed(
                "gradients dz/dmu and dz/dlog_var", "no gradient at all (None)",
                mistake_feedback("vae_sampler_blocks_gradients"),
                diagnosis="vae_sampler_blocks_gradients",
            )
        return combine([
            self.part("dz/dmu = 1 everywhere", grad_mean, np.ones_like(z_mean),
                      "dz/dmu must be 1: z = mu + sigma * eps."),
            self.part(f"dz/dlog_var = 0.5 * exp(0.5 * log_var) * eps = {brief(expected_log_var)}",
                      grad_log_var, expected_log_var,
                      "dz/dlog_var must be 0.5 * exp(0.5 * log_var) * eps.",
                      variance_as_std=2.0 * expected_log_var),
        ])

    @staticmethod
    def part(expected_text, gradient, expected, feedback, variance_as_std=None):
        """A sub-result of `combine` for one gradient, naming the mistake it shows, if any.

        Args:
            expected_text: what is expected, for the report.
            gradient: the gradient returned by the probe, or None.
            expected: its expected value.
            feedback: the feedback when it is wrong for no known reason.
            variance_as_std: the gradient that `exp(log_var) * eps` would give.
        """
        correct = gradient is not None and close(gradient, expected, rtol=1e-3, atol=1e-5)
        diagnosis = None
        if not correct and (gradient is None or np.allclose(gradient, 0.0)):
            diagnosis = "vae_sampler_blocks_gradients"
        elif not correct and variance_as_std is not None and close(gradient, variance_as_std,
                                                                  1e-3, 1e-5):
            diagnosis = "vae_sampling_exp_log_var"
        return (1, correct, expected_text, "None" if gradient is None else brief(gradient),
                mistake_feedback(diagnosis) if diagnosis else feedback, diagnosis)


# --- Losses --------------------------------------------------------------------------------


def kl_cases(rng):
    """Inputs of the KL probes: name -> (z_mean, z_log_var), several k and extreme log-variances."""
    cases = {}
    for name, (n, k) in {"k1": (5, 1), "k4": (6, 4), "k16": (3, 16)}.items():
        cases[name] = (rng.normal(0.0, 1.5, (n, k)), rng.uniform(-3.0, 3.0, (n, k)))
    extreme_log_var = np.linspace(-10.0, 10.0, 20).reshape(4, 5)
    cases["extreme"] = (rng.normal(0.0, 3.0, (4, 5)), extreme_log_var)
    cases["zero"] = (np.zeros((2, 3)), np.zeros((2, 3)))
    return {name: (np.float32(m), np.float32(v)) for name, (m, v) in cases.items()}


@register("vae.kl_closed_form")
class KLClosedForm(Check):
    """`kl_divergence` equals the closed form, summed over latent dimensions, per example."""

    def probes(self, ctx):
        return {
            name: Probe("vae.kl_divergence", {"z_mean": mean, "z_log_var": log_var})
            for name, (mean, log_var) in kl_cases(ctx.rng(self.id)).items()
        }

    @staticmethod
    def expect(inputs):
        """Per case, the closed form and the values of the KL mistakes."""
        from autograder.reference.vae import kl_divergence, kl_variants

        return {name: {"right": kl_divergence(case["z_mean"], case["z_log_var"]),
                       "mistakes": kl_variants(case["z_mean"], case["z_log_var"])}
                for name, case in inputs.items()}

    def score(self, results, ctx):
        shapes = {name: np.shape(result.inputs["z_mean"]) for name, result in results.items()}
        got = {name: np.float64(require(results, name)["kl"]) for name in shapes}
        expectations = ctx.expected(self, results)
        expected = {name: np.float64(expectations[name]["right"]) for name in shapes}
        wrong = [name for name in shapes if not close(got[name], expected[name], 1e-4, 1e-4)]
        if not wrong:
            return Outcome.passed(f"KL per example, e.g. {brief(expected['k4'])}",
                                  brief(got["k4"]))
        name = wrong[0]
        n, k = shapes[name]
        shown = dict(expected=f"k = {k}: {brief(expected[name])}",
                     got=f"k = {k}: {brief(got[name])}")
        if got[name].shape != (n,):
            feedback = f"kl_divergence must return one value per example, shape ({n},)"
            if got[name].shape == (n, k):
                feedback += ": sum over the latent dimensions (the last axis)."
            elif got[name].ndim == 0:
                feedback += "; the batch mean is taken later, in the VAE."
            return Outcome.failed(feedback=feedback + ".", **shown)
        diagnosed = self.diagnose({name: expectations[name]["mistakes"] for name in shapes}, got)
        if diagnosed:
            return Outcome.failed(feedback=mistake_feedback(diagnosed), diagnosis=diagnosed,
                                  **shown)
        if wrong == ["extreme"]:
            return Outcome(0.5, feedback=(
                "Right for moderate values but wrong for extreme log-variances (-10 to 10): "
                "compute sigma^2 as exp(z_log_var) and use z_log_var itself as log sigma^2."
            ), **shown)
        return Outcome.failed(feedback="KL must be 0.5 * sum(mu^2 + exp(lv) - lv - 1) "
                              "over the latent dimensions.", **shown)

    @staticmethod
    def diagnose(variants, got):
        """The mistake whose values match `got` on every case where it makes a difference.

        Args:
            variants: per case, mistake id -> the values it gives (see
                `reference.vae.kl_variants`).
            got: per case, the student's values.
        """
        def matches(name, mistake_id):
            if mistake_id not in variants[name]:  # no difference here, e.g. mean or sum, k = 1
                return True
            return any(close(got[name], value, 1e-3, 1e-3)
                       for value in variants[name][mistake_id])

        return next((mistake_id for mistake_id in KL_MISTAKES
                     if all(matches(name, mistake_id) for name in variants)), None)


def reconstruction_inputs(rng):
    """Images and predictions, `(5, 28, 28, 1)`, all away from 0 and 1 (where clipping matters).

    Two images are nearly binary (0.01 or 0.99), three are grey.
    """
    x = rng.uniform(0.01, 0.99, (5, *IMAGE_SHAPE))
    x[:2] = 0.01 + 0.98 * np.round(x[:2])
    x_hat = rng.uniform(0.02, 0.98, (5, *IMAGE_SHAPE))
    return np.float32(x), np.float32(x_hat)


@register("vae.reconstruction_loss")
class ReconstructionLoss(Check):
    """`reconstruction_loss` is the binary cross-entropy summed over pixels, per example."""

    def probes(self, ctx):
        x, x_hat = reconstruction_inputs(ctx.rng(self.id))
        return {"loss": Probe("vae.reconstruction_loss", {"x": x, "x_hat": x_hat})}

    @staticmethod
    def expect(inputs):
        """The summed binary cross-entropy, and the values of its classic mistakes."""
        from autograder.reference.vae import reconstruction_loss, reconstruction_variants

        x, x_hat = inputs["loss"]["x"], inputs["loss"]["x_hat"]
        return {"right": reconstruction_loss(x, x_hat),
                "mistakes": reconstruction_variants(x, x_hat)}

    def score(self, results, ctx):
        got = np.float64(require(results, "loss")["loss"])
        expectations = ctx.expected(self, results)
        expected = np.float64(expectations["right"])
        shown = dict(expected=f"BCE summed per image, {brief(expected)}", got=brief(got))
        if close(got, expected, rtol=1e-3, atol=1e-3):
            return Outcome.passed(**shown)
        if got.shape != expected.shape:
            feedback = "reconstruction_loss must return one value per image, shape (N,)"
            if got.size == 1 and np.isclose(got.item(), expected.mean(), rtol=1e-3):
                feedback += ": it returned the batch mean; the VAE takes the mean itself"
            return Outcome.failed(feedback=feedback + ".", **shown)
        for mistake_id, variant in expectations["mistakes"].items():
            if close(got, variant, rtol=1e-3, atol=1e-5):
                return Outcome.failed(feedback=mistake_feedback(mistake_id),
                                      diagnosis=mistake_id, **shown)
        return Outcome.failed(
            feedback="Sum the per-pixel binary cross-entropy -[x log x_hat + (1 - x) "
                     "log(1 - x_hat)] over all pixels of each image.", **shown)


@register("vae.encoder_heads")
class EncoderHeads(Check):
    """`VAEEncoder(k)(x)` returns two `(N, k)` tensors, two different functions of `x`."""

    LATENT_DIMS = (2, 5)

    def probes(self, ctx):
        x = test_images(ctx, 8, self.id)
        return {f"k{k}": Probe("vae.encoder_outputs", {"latent_dim": k, "x": x, "seed": 3})
                for k in self.LATENT_DIMS}

    def score(self, results, ctx):
        parts = []
        for k in self.LATENT_DIMS:
            value = require(results, f"k{k}")
            z_mean, z_log_var = np.float64(value["z_mean"]), np.float64(value["z_log_var"])
            shapes_ok = z_mean.shape == z_log_var.shape == (8, k)
            parts.append((1, shapes_ok, f"k = {k}: z_mean and z_log_var of shape (8, {k})",
                          f"shapes {z_mean.shape} and {z_log_var.shape}",
                          f"Both heads must be Dense({k}) layers applied to the trunk's output.",
                          None))
            if not shapes_ok:
                continue
            same = close(z_mean, z_log_var)
            parts.append((1, not same, "z_mean and z_log_var differ (two heads)",
                          "z_mean == z_log_var" if same else "they differ",
                          mistake_feedback("vae_shared_head"), "vae_shared_head"))
            varies = bool(np.std(z_mean, axis=0).max() > 0 and np.std(z_log_var, axis=0).max() > 0)
            parts.append((1, varies, "the outputs depend on the image",
                          "they do" if varies else "the same output for every image",
                          "Apply the heads to the trunk's output for each image.", None))
        return combine(parts)


@register("vae.add_loss")
class AddLoss(Check):
    """After `model(x)`, `model.losses` holds `beta * mean(KL)`; `kl_loss` is reported unweighted.

    The KL is the student's own `kl_divergence` of the student's own encoding
    of `x`, so that a mistake in either is graded by its own check, not here.
    Three fifths for `model.losses`; one fifth for the `kl_loss` that
    `evaluate` (and so `fit`) reports, which must be the mean KL, not weighted
    by beta; one fifth for sampling: `call` runs `self.sampling` (a sampler
    that draws wrong noise is graded by the sampling checks, not here).
    """

    BETAS = (0.0, 1.0, 4.0)
    # Upstream pieces that may stand in when they raise: Sampling, kl_divergence.
    STAND_INS = ("3.2", "3.3")

    def probes(self, ctx):
        x = test_images(ctx, 16, self.id)
        probes = {f"beta{beta:g}": Probe("vae.added_losses",
                                         {"x": x, "latent_dim": 3, "beta": beta, "seed": 2},
                                         stand_ins=self.STAND_INS)
                  for beta in self.BETAS}
        probes["reported"] = Probe("vae.evaluated_kl",
                                   {"x": x, "latent_dim": 3, "beta": self.BETAS[-1], "seed": 2},
                                   stand_ins=self.STAND_INS)
        return probes

    def score(self, results, ctx):
        values = {beta: require(results, f"beta{beta:g}") for beta in self.BETAS}
        shapes = {tuple(value["output_shape"]) for value in values.values()}
        if shapes != {(16, *IMAGE_SHAPE)}:
            return Outcome.failed(f"VAE(x) of shape {(16, *IMAGE_SHAPE)}",
                                  f"shape {shapes.pop()}",
                                  "VAE.call must return the decoded images.")
        kl = {beta: np.float64(value["kl"]) for beta, value in values.items()}
        samples = all(value["uses_sampling"] is not False for value in values.values())
        return combine([
            self.losses_part(values, kl),
            self.reported_part(require(results, "reported"), self.BETAS[-1]),
            (1, samples, "call decodes z sampled by self.sampling",
             "it does" if samples else "self.sampling was never called",
             mistake_feedback("vae_call_decodes_mean"), "vae_call_decodes_mean"),
        ])

    def losses_part(self, values, kl):
        """The sub-result of `combine` for what `model.losses` holds."""
        got = {beta: value["loss_total"] for beta, value in values.items()}
        expected = {beta: beta * kl[beta].mean() for beta in self.BETAS}

        def matches(target):
            return all(np.isclose(got[beta], target(beta), rtol=1e-3, atol=1e-7)
                       for beta in self.BETAS)

        expected_text = "sum(model.losses) = beta * mean(kl_divergence(encode(x))) = " + ", ".join(
            f"{expected[b]:.5g} (beta = {b:g})" for b in self.BETAS)
        got_text = ", ".join(f"{got[b]:.5g}" for b in self.BETAS)
        if all(value["loss_count"] == 0 for value in values.values()):
            mistake = "vae_kl_not_added"
            got_text = "model.losses is empty"
        elif matches(lambda beta: expected[beta]):
            return (3, True, expected_text, got_text, "", None)
        elif matches(lambda beta: kl[beta].mean()):
            mistake = "vae_beta_ignored"
        elif matches(lambda beta: beta * kl[beta].sum()):
            mistake = "vae_kl_summed_over_batch"
        else:
            return (3, False, expected_text, got_text,
                    "call must add beta * mean over the batch of kl_divergence(z_mean, z_log_var) "
                    "with self.add_loss, once per call.", None)
        return (3, False, expected_text, got_text, mistake_feedback(mistake), mistake)

    @staticmethod
    def reported_part(value, beta):
        """The sub-result of `combine` for the `kl_loss` that `evaluate` reports."""
        expected = float(np.mean(np.float64(value["kl"])))
        got = value["metrics"].get("kl_loss")
        weighted = got is not None and np.isclose(got, beta * expected, rtol=1e-3, atol=1e-6)
        return (1, got is not None and np.isclose(got, expected, rtol=1e-3, atol=1e-6),
                f"evaluate reports kl_loss = mean KL = {expected:.5g}, unweighted (beta = {beta:g})",
                "no kl_loss" if got is None else f"{got:.5g}",
                mistake_feedback("vae_kl_loss_weighted_by_beta") if weighted
                else "Record the batch mean of kl_divergence, not weighted by beta, in the "
                     "tracker that reports kl_loss.",
                "vae_kl_loss_weighted_by_beta" if weighted else None)


@register("vae.train_step")
class TrainStep(Check):
    """`fit` reports `loss`, `reconstruction_loss`, `kl_loss`; it minimises `sum(self.losses)`.

    The probe trains a subclass of the student's VAE whose `call` adds a known
    extra loss `PENALTY * w^2` (w = 1 at first) with `add_loss`: a step that
    minimises `reconstruction + sum(self.losses)` reports a loss equal to
    `reconstruction_loss + sum(model.losses)` (the student's own KL term plus
    `PENALTY`, read before the step), and moves `w`.
    """

    BETA = 10.0
    PENALTY = 50.0
    KEYS = ["kl_loss", "loss", "reconstruction_loss"]
    # Upstream pieces that may stand in when they raise: Sampling, the losses, call.
    STAND_INS = ("3.2", "3.3", "3.4", "3.7", "3.8")

    def probes(self, ctx):
        return {"step": Probe("vae.train_step", {
            "x": test_images(ctx, 64, self.id), "beta": self.BETA,
            "penalty": self.PENALTY, "seed": 4,
        }, time_limit=60.0, stand_ins=self.STAND_INS)}

    def score(self, results, ctx):
        step = results["step"]
        if not step.ok and NO_GRADIENTS in step.error:
            return Outcome.failed("fit runs train_step, which applies the total loss's gradients",
                                  step.error, mistake_feedback("vae_forward_pass_outside_tape"),
                                  diagnosis="vae_forward_pass_outside_tape")
        value = require(results, "step")
        keys = value["history_keys"]
        parts = [(1, keys == self.KEYS, f"fit's keys {self.KEYS}", f"{keys}",
                  "train_step must return exactly loss, reconstruction_loss and kl_loss.", None)]
        history = value["history"]
        if not set(self.KEYS) <= set(keys):
            return combine(parts)
        loss, reconstruction = history["loss"], history["reconstruction_loss"]
        added = value["losses_total"]
        residual = loss - reconstruction - (added - self.PENALTY)
        tolerance = 1e-5 * abs(loss) + 1e-3
        includes_losses = abs(residual - self.PENALTY) <= tolerance
        ignores = abs(residual) < self.PENALTY / 2  # the extra loss is not in the total
        parts.append((1, includes_losses,
                      f"loss = reconstruction_loss + sum(self.losses) = reconstruction_loss + "
                      f"your KL term + {self.PENALTY:g} (an extra loss the grader added with "
                      "add_loss)",
                      f"loss - reconstruction_loss - your KL term = {residual:.5g}",
                      mistake_feedback("vae_train_step_ignores_losses") if ignores
                      else "The total loss must be the mean reconstruction loss plus "
                           "ops.sum(self.losses).",
                      "vae_train_step_ignores_losses" if ignores else None))
        moved = abs(value["probe_weight_after"] - 1.0) > 1e-6
        changed = value["variable_changed"]
        unchanged = [name for name, c in zip(value["variable_names"], changed) if not c]
        applied = moved and sum(changed) >= 0.9 * len(changed)
        parts.append((1, applied,
                      "one step changes the weights, including those only self.losses depends on",
                      f"{sum(changed)} of {len(changed)} weights changed"
                      + ("" if moved else ", the extra loss's weight did not")
                      + (f" (unchanged: {', '.join(unchanged[:4])})" if unchanged else ""),
                      mistake_feedback("vae_train_step_ignores_losses") if not moved
                      else "Apply the gradients of the total loss to self.trainable_weights.",
                      "vae_train_step_ignores_losses" if not moved else None))
        return combine(parts)


@register("vae.loss_decreases")
class LossDecreases(Check):
    """A short seeded `fit` on the embedded sample lowers the loss.

    Measured over grading seeds 0-4 on three correct implementations
    (`python -m tests.fixtures.calibrate vae.loss_decreases --seeds 5
    assignment/solution tests/fixtures/alt_impl tests/fixtures/handout_impl`):
    the loss dropped by 13.4-15.6 %, 10.8-12.3 % and 11.1-14.7 % from the first
    epoch to the third (e.g. 517.4 to 436.9); `MIN_DROP` asks for less than
    half of the smallest drop.
    """

    IMAGES = 1024
    EPOCHS = 3
    MIN_DROP = 0.05

    def probes(self, ctx):
        return {"history": Probe("vae.loss_history",
                                 {"images": self.IMAGES, "epochs": self.EPOCHS,
                                  "seed": training_seed(ctx, self.id), "dataset": ctx.dataset},
                                 time_limit=90.0, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        loss = np.float64(require(results, "history")["loss"])
        shown = dict(expected=f"last epoch's loss at least {self.MIN_DROP:.0%} below the first's",
                     got="losses per epoch " + ", ".join(f"{v:.4g}" for v in loss))
        if len(loss) != self.EPOCHS or not np.all(np.isfinite(loss)):
            return Outcome.failed(feedback="The loss must be finite at every epoch.", **shown)
        if loss[-1] <= (1.0 - self.MIN_DROP) * loss[0]:
            return Outcome.passed(**shown)
        return Outcome.failed(
            feedback="Training did not lower the loss: check that train_step applies the "
                     "gradients of the total loss with self.optimizer.", **shown)


@register("vae.sample_and_interpolate")
class SampleAndInterpolate(Check):
    """`sample(n, seed)` decodes draws from the prior; `interpolate` is a straight line.

    The codes that `sample` passes to the decoder must come from `N(0, I)`:
    `PRIOR_DRAWS` of them are recorded, and each dimension's mean and standard
    deviation must be within 5 standard errors of 0 and 1 (for 4,000 draws:
    0.079 for the mean, 5.6 % for the standard deviation).
    """

    LATENT_DIM = 3
    N = 6
    STEPS = 7
    PRIOR_DRAWS = 4000

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        z_start, z_end = np.float32(rng.normal(size=(2, self.LATENT_DIM)))
        return {"sample": Probe("vae.sample_interpolate", {
            "latent_dim": self.LATENT_DIM, "n": self.N, "seed": 8,
            "z_start": z_start, "z_end": z_end, "steps": self.STEPS,
            "prior_draws": self.PRIOR_DRAWS,
        })}

    def score(self, results, ctx):
        value = require(results, "sample")
        samples = {key: np.float64(value[key])
                   for key in ("seeded_1", "seeded_2", "other_seed", "unseeded_1", "unseeded_2")}
        shape = (self.N, *IMAGE_SHAPE)
        bad_shape = {key: array.shape for key, array in samples.items() if array.shape != shape}
        parts = [(1, not bad_shape, f"sample({self.N}) of shape {shape}",
                  f"shapes {set(bad_shape.values())}" if bad_shape else f"shape {shape}",
                  "sample(n) must decode n codes drawn from N(0, I) of size latent_dim.", None)]
        if not bad_shape:
            same_seed = close(samples["seeded_1"], samples["seeded_2"])
            other_seed = not close(samples["seeded_1"], samples["other_seed"])
            fresh = not close(samples["unseeded_1"], samples["unseeded_2"])
            parts += [
                (1, same_seed and other_seed,
                 "the same seed gives the same images, another seed other images",
                 f"same seed: {'same' if same_seed else 'different'} images, other seed: "
                 f"{'different' if other_seed else 'same'} images",
                 "Pass `seed` to keras.random.normal when it is given.", None),
                (1, fresh, "without a seed, every call draws new images",
                 "new images" if fresh else "two calls gave the same images",
                 "Without a seed, draw from the model's SeedGenerator.", None),
            ]
        expected = np.float64(ctx.expected(self, results)["line"])
        line = np.float64(value["line"])
        parts.append(self.prior_part(value["prior_codes"]))
        parts.append((1, close(line, expected, rtol=1e-5, atol=1e-5),
                      f"interpolate: shape {expected.shape}, rows from z_start to z_end evenly "
                      f"spaced, {brief(expected[:, 0])} in the first coordinate",
                      brief(line[:, 0]) if line.ndim == 2 else brief(line),
                      "interpolate must return (1 - t) z_start + t z_end for `steps` evenly spaced "
                      "t from 0 to 1, both ends included.", None))
        return combine(parts)

    @staticmethod
    def expect(inputs):
        """The straight line of `interpolate`'s inputs."""
        from autograder.reference.vae import straight_line

        sample = inputs["sample"]
        return {"line": straight_line(sample["z_start"], sample["z_end"], sample["steps"])}

    def prior_part(self, codes):
        """The sub-result of `combine` for the distribution of the codes `sample` decodes."""
        expected = (f"sample({self.PRIOR_DRAWS}) decodes codes of shape ({self.PRIOR_DRAWS}, "
                    f"{self.LATENT_DIM}) drawn from N(0, I)")
        if codes is None:
            return (1, False, expected, "sample() never called model.decoder",
                    "sample(n) must decode its codes with the model's decoder.", None)
        codes = np.float64(codes)
        if codes.shape != (self.PRIOR_DRAWS, self.LATENT_DIM) or not np.all(np.isfinite(codes)):
            return (1, False, expected, f"codes of shape {codes.shape}",
                    "sample(n) must draw n codes of size latent_dim.", None)
        mean, std = codes.mean(axis=0), codes.std(axis=0)
        standard_error = 5.0 / np.sqrt(self.PRIOR_DRAWS)
        prior = bool(np.all(np.abs(mean) <= standard_error)
                     and np.all(np.abs(std - 1.0) <= standard_error * np.sqrt(0.5)))
        return (1, prior, expected + ": mean 0 and standard deviation 1 per dimension",
                f"mean {brief(mean)}, standard deviation {brief(std)}",
                mistake_feedback("vae_sample_wrong_prior"), "vae_sample_wrong_prior")
