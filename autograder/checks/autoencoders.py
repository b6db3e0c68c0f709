"""Checks of Part 2: the autoencoders of `autoencoder.py`.

Shapes, the decoder's layers, serialization and the denoising behaviour are
compared with SPEC section 3; PCA with an independent NumPy computation
(`autograder.reference.pca` through `PCA.expect`, an eigendecomposition
instead of the SVD the handout asks for); a short training run with thresholds calibrated on correct
implementations. Known wrong variants (PCA without centring, noise at
inference, ...) are named in the feedback (see `autograder.diagnosis`). The
check graded after the due date, the linear autoencoder's subspace, is in
`autograder.checks.after_due_date.autoencoders`.
"""

import numpy as np

from autograder.checks.common import (
    IMAGE_SHAPE,
    SAME,
    combine,
    credit,
    largest_difference,
    mistake_feedback,
    shape_text,
    test_images,
    training_epochs,
    training_seed,
)
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe


@register("autoencoders.encoder_shapes")
class EncoderShapes(Check):
    """`Encoder(latent_dim)` maps `(N, 28, 28, 1)` images to `(N, latent_dim)` codes."""

    LATENT_DIMS = (2, 5, 32)
    BATCH = 8

    def probes(self, ctx):
        images = test_images(ctx, self.BATCH, self.id)
        return {"codes": Probe("autoencoders.encoder_outputs",
                               {"images": images, "latent_dims": list(self.LATENT_DIMS)})}

    def score(self, results, ctx):
        codes = require(results, "codes")["codes"]
        parts = []
        for latent_dim, code in zip(results["codes"].inputs["latent_dims"], codes):
            expected = (self.BATCH, latent_dim)
            finite = bool(np.all(np.isfinite(code)))
            parts.append((
                1, code.shape == expected and finite,
                f"Encoder({latent_dim}): {expected}",
                f"Encoder({latent_dim}): {shape_text(code.shape)}"
                + ("" if finite else ", not finite"),
                f"Encoder({latent_dim}) must return codes of shape (N, {latent_dim}): end with "
                "Flatten and Dense(latent_dim) with no activation.",
                None,
            ))
        return combine(parts)


@register("autoencoders.decoder_upsampling")
class DecoderUpsampling(Check):
    """`Decoder` output shape and range, and upsampling by `Conv2DTranspose` layers.

    The worker lists every layer nested in the decoder (recursively, so
    `Sequential` blocks and helper layers count) with the shapes it was built
    for. Upsampling counts as done by `Conv2DTranspose` when at least two
    `Conv2DTranspose` layers with a stride of 2 or more were used and no
    `UpSampling2D` or `Resizing` layer appears.
    """

    BATCH, LATENT_DIM = 8, 6
    RESIZING = ("UpSampling2D", "Resizing")

    def probes(self, ctx):
        rng = ctx.rng(self.id)
        codes = rng.normal(size=(self.BATCH, self.LATENT_DIM))
        return {"decoder": Probe("autoencoders.decoder_outputs", {"codes": codes})}

    def score(self, results, ctx):
        value = require(results, "decoder")
        images, layers = value["images"], value["layers"]
        expected_shape = (self.BATCH, *IMAGE_SHAPE)
        finite = bool(np.all(np.isfinite(images)))
        low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
        in_range = finite and low >= 0.0 and high <= 1.0
        resizing = [layer for layer in layers if layer["keras_class"] in self.RESIZING]
        upsampling = [layer for layer in layers if layer["keras_class"] == "Conv2DTranspose"
                      and layer["built"] and layer["strides"] and min(layer["strides"]) >= 2]
        by_conv_transpose = not resizing and len(upsampling) >= 2
        return combine([
            (1, images.shape == expected_shape,
             f"output shape {expected_shape}", f"output shape {shape_text(images.shape)}",
             "Decoder(latent_dim) must return images of shape (N, 28, 28, 1): Dense, Reshape to "
             "(7, 7, C), two stride-2 Conv2DTranspose layers (7 -> 14 -> 28) and a 1-channel "
             "output layer.", None),
            (1, in_range, "pixels in [0, 1]",
             f"pixels in [{low:.3g}, {high:.3g}]" if finite else "pixels not finite",
             mistake_feedback("decoder_output_outside_unit_interval"),
             "decoder_output_outside_unit_interval"),
            (2, by_conv_transpose,
             "upsampling by at least two stride-2 Conv2DTranspose layers, no UpSampling2D/Resizing",
             "layers: " + ", ".join(self.layer_text(layer) for layer in layers
                                    if layer["keras_class"] != "InputLayer"),
             mistake_feedback("decoder_upsampling_without_conv_transpose"),
             "decoder_upsampling_without_conv_transpose"),
        ])

    @staticmethod
    def layer_text(layer):
        """`Conv2DTranspose(strides 2x2) 7x7x64 -> 14x14x32`, shapes without the batch axis."""
        def spatial(shape):
            return "x".join("?" if d is None else str(d) for d in shape[1:])

        text = layer["keras_class"]
        if layer["strides"]:
            text += f"(strides {'x'.join(str(s) for s in layer['strides'])})"
        if layer["input_shape"] and layer["output_shape"]:
            text += f" {spatial(layer['input_shape'])} -> {spatial(layer['output_shape'])}"
        elif not layer["built"]:
            text += " (never called)"
        return text


@register("autoencoders.serialization")
class Serialization(Check):
    """`from_config(get_config())` of `Encoder` and `Decoder`; `.keras` save and load.

    The reloaded `Autoencoder` must predict the same images (largest difference
    below 1e-6).
    """

    LATENT_DIM, BATCH = 3, 4
    TOLERANCE = 1e-6

    def probes(self, ctx):
        images = test_images(ctx, self.BATCH, self.id)
        codes = ctx.rng(self.id).normal(size=(self.BATCH, self.LATENT_DIM))
        return {
            "config": Probe("autoencoders.config_round_trip",
                            {"latent_dim": self.LATENT_DIM, "images": images, "codes": codes}),
            "save_load": Probe("autoencoders.save_load",
                               {"latent_dim": self.LATENT_DIM, "images": images}, time_limit=60),
        }

    def score(self, results, ctx):
        config = require(results, "config")
        parts = [
            self.round_trip("Encoder", config["encoder"], (self.BATCH, self.LATENT_DIM)),
            self.round_trip("Decoder", config["decoder"], (self.BATCH, *IMAGE_SHAPE)),
        ]
        expected = "the reloaded Autoencoder predicts the same images"
        fix = ("Register every class with @keras.saving.register_keras_serializable and give "
               "get_config every argument of __init__, so that keras.saving.load_model can "
               "rebuild the model and load its weights.")
        saved = results["save_load"]
        if not saved.ok:
            parts.append((2, False, expected, f"save/load failed: {saved.error}", fix, None))
        else:
            difference = largest_difference(saved.value["before"], saved.value["after"])
            parts.append((2, difference <= self.TOLERANCE, expected,
                          f"largest difference {difference:.3g} after reloading as "
                          f"{saved.value['loaded_class']}", fix, None))
        return combine(parts)

    def round_trip(self, name, value, expected_shape):
        expected = f"{name}.from_config(get_config()) gives outputs of shape {expected_shape}"
        fix = (f"{name}.get_config() must return every argument of __init__ (latent_dim, ...) on "
               "top of super().get_config(), so that from_config can rebuild the layer.")
        if value["error"]:
            return (1, False, expected, f"{name} round trip raised {value['error']}", fix, None)
        shapes = tuple(value["original_shape"]), tuple(value["clone_shape"])
        return (1, shapes == (expected_shape, expected_shape), expected,
                f"{name}: {shape_text(shapes[0])}, its clone: {shape_text(shapes[1])}", fix, None)


@register("autoencoders.training")
class Training(Check):
    """A short seeded training run of `Autoencoder` lowers the test reconstruction error.

    One epoch over the 6,000 training images of the embedded sample (two over
    MNIST's 3,000 digits, see `training_epochs`; batch 32,
    the recipe's Adam), then the mean squared error per pixel on the first 500
    test images.
    """

    EPOCHS, BATCH_SIZE, LATENT_DIM, TEST_COUNT = 1, 32, 32, 500
    # Measured over grading seeds 0-4 (`python -m tests.fixtures.calibrate
    # autoencoders.training --seeds 5 assignment/solution tests/fixtures/alt_impl
    # tests/fixtures/handout_impl`): test MSE 0.0230-0.0252 for the reference solution,
    # 0.0241-0.0262 for the tests' alternative implementation, 0.0242-0.0256 for the
    # one written from the handout. Full marks up to 0.035, about 1.3x the worst of
    # them (seed-to-seed spread is under 10 %); no credit from 0.060, where
    # a model has learned little more than the average image (which scores 0, see
    # tests/test_checks_autoencoders.py). Not calibrated on the MNIST sample (a digits course
    # grades this check on Fashion-MNIST): after as many steps there (two epochs on its 3,000
    # digits, `--dataset mnist`), the three measured 0.0405-0.0561, 0.0424-0.0555 and
    # 0.0420-0.0458, where the mean training digit gives 0.0670: no line fits between.
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    MSE_LINES = {"fashion_mnist": (0.035, 0.060)}

    def probes(self, ctx):
        return {"train": Probe("autoencoders.train", {
            "name": "ae", "latent_dim": self.LATENT_DIM,
            "epochs": training_epochs(ctx, self.EPOCHS),
            "batch_size": self.BATCH_SIZE, "seed": training_seed(ctx, self.id),
            "dataset": ctx.dataset,
            "test_count": self.TEST_COUNT}, time_limit=120)}

    def score(self, results, ctx):
        mse_pass, mse_fail = self.MSE_LINES[ctx.dataset]
        value = require(results, "train")
        reconstructions = value["reconstructions"]
        targets = ctx.test_data[0][: self.TEST_COUNT]
        expected = f"test MSE <= {mse_pass} (no credit from {mse_fail})"
        if reconstructions.shape != targets.shape:
            return Outcome.failed(
                expected, f"reconstructions of shape {shape_text(reconstructions.shape)}",
                "Autoencoder must return reconstructions of the input's shape.")
        mse = float(np.mean(np.square(reconstructions.astype(np.float64) - targets)))
        fraction = credit(mse, mse_pass, mse_fail)
        losses = ", ".join(f"{loss:.4f}" for loss in value["loss"])
        got = f"test MSE {mse:.4f} (training loss per epoch: {losses})"
        feedback = "Correct." if fraction == 1 else (
            "After the same short training run as the correct implementations, the "
            "reconstruction error is higher than any of theirs. The shape checks of the encoder "
            "and the decoder above show whether one of them is the cause.")
        return Outcome(fraction, expected, got, feedback,
                       leaderboard={"AE test MSE": (mse, "asc")})


@register("autoencoders.denoising")
class Denoising(Check):
    """`DenoisingAutoencoder` corrupts its input in training only, with fresh noise each call.

    Four facts, a quarter each: two `training=True` calls differ from
    `training=False` (noise added) and from each other (fresh noise);
    `training=False` is deterministic and equals `decoder(encoder(x))` (no noise
    at inference).
    """

    BATCH, LATENT_DIM, NOISE = 16, 16, 0.3

    def probes(self, ctx):
        return {"calls": Probe("autoencoders.denoising_calls", {
            "images": test_images(ctx, self.BATCH, self.id),
            "latent_dim": self.LATENT_DIM, "noise_stddev": self.NOISE,
            "seed": training_seed(ctx, self.id)})}

    def score(self, results, ctx):
        value = require(results, "calls")
        noise_added, fresh_noise, deterministic, clean = (
            largest_difference(value[a], value[b]) for a, b in (
                ("training_1", "inference_1"), ("training_1", "training_2"),
                ("inference_1", "inference_2"), ("inference_1", "clean")))
        at_inference = mistake_feedback("denoising_noise_at_inference")
        return combine([
            (1, noise_added > SAME, "training=True output differs from training=False",
             f"largest difference {noise_added:.3g}",
             mistake_feedback("denoising_noise_never_added"), "denoising_noise_never_added"),
            (1, fresh_noise > SAME, "two training=True calls differ (fresh noise)",
             f"largest difference {fresh_noise:.3g}",
             mistake_feedback("denoising_same_noise_every_call"),
             "denoising_same_noise_every_call"),
            (1, deterministic <= SAME, "two training=False calls are identical",
             f"largest difference {deterministic:.3g}",
             at_inference, "denoising_noise_at_inference"),
            (1, clean <= SAME,
             "training=False equals decoder(encoder(x)) of the clean input",
             f"largest difference {clean:.3g}",
             at_inference, "denoising_noise_at_inference"),
        ])


@register("autoencoders.pca")
class PCA(Check):
    """`pca(x, k)` against an eigendecomposition of the scatter matrix.

    The components are compared one by one up to their sign (they are
    determined up to sign when the variances are distinct, as they are on the
    images sent), the mean and the explained-variance ratios by value.
    """

    COUNT, K = 300, 5
    # Components: |cos| between the student's and the expected direction.
    MIN_COSINE = 0.9999

    def data(self, ctx):
        """`COUNT` training images, averaged down to 14x14 so that the SVD stays cheap."""
        images, _ = ctx.train_data
        chosen = images[np.sort(ctx.rng(self.id).choice(len(images), self.COUNT,
                                                         replace=False))]
        return chosen.reshape(-1, 14, 2, 14, 2, 1).mean(axis=(2, 4))

    def probes(self, ctx):
        return {"pca": Probe("autoencoders.pca", {"x": self.data(ctx), "k": self.K})}

    def expect(self, inputs):
        """The reference's components, mean and eigenvalues, and those without centring."""
        from autograder.reference.pca import pca

        x, k = inputs["pca"]["x"], inputs["pca"]["k"]
        components, mean, eigenvalues = pca(x, k)
        uncentred, _, raw_eigenvalues = pca(x, k, centre=False)
        return {"components": components, "mean": mean, "eigenvalues": eigenvalues,
                "uncentred_components": uncentred, "uncentred_eigenvalues": raw_eigenvalues}

    def score(self, results, ctx):
        value = require(results, "pca")
        expected = ctx.expected(self, results)
        components, mean, eigenvalues = (expected[key] for key in ("components", "mean",
                                                                   "eigenvalues"))
        ratios = eigenvalues[: self.K] / eigenvalues.sum()
        got_components, got_mean = value["components"], value["mean"]
        got_ratios = value["explained_variance_ratio"]
        mean_ok = got_mean.shape == mean.shape and np.allclose(got_mean, mean, atol=1e-6)
        cosines = self.cosines(got_components, components)
        norms = (np.linalg.norm(got_components, axis=1) if got_components.shape == components.shape
                 else None)
        components_ok = (cosines is not None and bool(np.all(cosines >= self.MIN_COSINE))
                         and bool(np.all(np.abs(norms - 1.0) <= 1e-4)))
        ratios_ok = got_ratios.shape == ratios.shape and np.allclose(got_ratios, ratios,
                                                                    rtol=1e-4, atol=1e-7)
        mistake_id = (None if components_ok and ratios_ok
                      else self.diagnose(expected, got_components, got_ratios))
        detail = mistake_feedback(mistake_id) if mistake_id else ""
        dimension = mean.size
        got_text = f"components of shape {shape_text(got_components.shape)}"
        if cosines is not None:
            got_text += (f", norms {', '.join(f'{n:.4f}' for n in norms)}, |cos| with the "
                         f"expected directions {', '.join(f'{c:.4f}' for c in cosines)}")
        return combine([
            (1, mean_ok, f"mean of shape ({dimension},)",
             f"mean of shape {shape_text(got_mean.shape)}"
             + ("" if got_mean.shape != mean.shape else
                f", largest error {largest_difference(got_mean, mean):.3g}"),
             "The mean is x.mean(axis=0) of the flattened data.", None),
            (2, components_ok,
             f"components of shape ({self.K}, {dimension}): the top-{self.K} principal directions "
             f"as rows, unit vectors (up to sign)", got_text,
             detail or "Return the first k rows of V^T from the SVD of the centred data "
                       "(unit vectors, sorted by decreasing variance).", mistake_id),
            (1, ratios_ok,
             f"explained variance ratios {', '.join(f'{r:.4f}' for r in ratios)}",
             "explained variance ratios " + ", ".join(f"{r:.4f}" for r in np.ravel(got_ratios)[:8]),
             detail or "Component i explains S_i**2 / sum_j S_j**2 of the variance.", mistake_id),
        ])

    @staticmethod
    def cosines(got, expected):
        """|cos| of the angle between each row of `got` and of `expected` (None: wrong shape)."""
        if got.shape != expected.shape or not np.all(np.isfinite(got)):
            return None
        norms = np.maximum(np.linalg.norm(got, axis=1), np.finfo(float).tiny)
        return np.abs(np.sum(got * expected, axis=1)) / norms

    def diagnose(self, expected, got_components, got_ratios):
        """The classic PCA mistake that the student's values fit, or None.

        Args:
            expected: what `expect` gave: the components and eigenvalues of the
                centred and of the uncentred data.
            got_components, got_ratios: what the student's `pca` returned.
        """
        def ratios_are(expected_ratios):
            return got_ratios.shape == expected_ratios.shape and np.allclose(
                got_ratios, expected_ratios, rtol=1e-3, atol=1e-7)

        raw = expected["uncentred_eigenvalues"]
        cosines = self.cosines(got_components, expected["uncentred_components"])
        if (cosines is not None and cosines[0] >= self.MIN_COSINE) or ratios_are(
                raw[: self.K] / raw.sum()):
            return "pca_without_centring"
        eigenvalues = expected["eigenvalues"]
        top = eigenvalues[: self.K]
        if ratios_are(top / top.sum()):
            return "pca_ratio_over_top_k"
        singular_values = np.sqrt(eigenvalues)
        if ratios_are(singular_values[: self.K] / singular_values.sum()):
            return "pca_ratio_of_singular_values"
        return None
