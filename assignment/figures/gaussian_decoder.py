"""The Gaussian decoder: prior samples against the cross-entropy VAE, and what its variance does."""

import numpy as np

from assignment.figures import style
from assignment.figures.context import in_batches
from assignment.figures.models import BETA_SWEEP_LATENT_DIM, VARIANCES, beta_key, variance_key

SAMPLES = 10
# Test images over which the KL and the sharpness of the reconstructions are averaged.
NUM_SCORED = 1000


def sharpness(images):
    """The mean squared difference of neighbouring pixels (across and down): 0 for a flat image."""
    images = np.float64(images)
    return float(np.mean(np.square(np.diff(images, axis=2)))
                 + np.mean(np.square(np.diff(images, axis=1))))


def draw_variance_effect(ctx, out_path):
    """Prior samples of the BCE VAE and of Gaussian decoders of 4 variances; KL and sharpness."""
    keys = {"cross-entropy (β = 1)": beta_key(1.0),
            **{f"Gaussian, c = {c:g}": variance_key(c) for c in VARIANCES}}
    codes = ctx.rng().normal(size=(SAMPLES, BETA_SWEEP_LATENT_DIM)).astype("float32")
    scored = ctx.x_test[:NUM_SCORED]
    rows, kl, sharp = [], {}, {}
    for name, key in keys.items():
        model = ctx.models[key]
        rows.append(np.asarray(model.decode(codes)))
        z_mean, z_log_var = in_batches(model.encode, scored)
        kl[name] = float(np.mean(ctx.impl.vae.kl_divergence(z_mean, z_log_var)))
        sharp[name] = sharpness(in_batches(model.decode, z_mean))
    figure, (left, right) = style.subplots(1, 2, figsize=(15, 5.2), width_ratios=(1.6, 1),
                                           layout="constrained")
    style.show_mosaic(left, np.concatenate(rows), ncols=SAMPLES, row_labels=list(keys))
    left.set_title("Decoded prior codes, the same 10 for every model", fontsize=10)
    gaussian = list(keys)[1:]
    right.plot(VARIANCES, [kl[name] for name in gaussian], "o-", color="C0",
               label="Gaussian: KL (nats)")
    right.axhline(kl[list(keys)[0]], color="C0", linestyle="--", label="cross-entropy: KL")
    right.set_xscale("log")
    right.set_xlabel("decoder variance c (KL weight 2c against the summed squared error)")
    right.set_ylabel(f"mean KL of {NUM_SCORED} test images (nats)", color="C0")
    twin = right.twinx()
    twin.plot(VARIANCES, [sharp[name] for name in gaussian], "s-", color="C3",
              label="Gaussian: sharpness")
    twin.axhline(sharp[list(keys)[0]], color="C3", linestyle="--",
                 label="cross-entropy: sharpness")
    twin.set_ylabel("sharpness of the reconstructions\n(mean squared neighbour difference)",
                    color="C3")
    handles = right.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    right.legend(handles=handles, fontsize=8, loc="upper right")
    right.set_title(f"A larger c: less information in the code, blurrier reconstructions\n"
                    f"(the test images' own sharpness: {sharpness(scored):.3f})", fontsize=10)
    figure.suptitle("VAE samples are blurry: a pixel-wise loss rewards the average of the images "
                    "a code could be")
    ctx.save(figure, out_path)
