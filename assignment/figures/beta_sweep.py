"""The β sweep: the same VAE trained with KL weights from 0 to 16.

Small β reconstructs well but leaves the codes far from the prior (its samples
are poor); large β matches the prior so closely that latent dimensions stop
carrying information about the image: their KL drops to 0, *posterior collapse*.
"""

import numpy as np

from assignment.figures import style
from assignment.figures.context import in_batches
from assignment.figures.models import BETAS, beta_key

# A latent dimension whose average KL is below this many nats carries
# (almost) no information about the image: it has collapsed to the prior.
COLLAPSED_KL = 0.05


def kl_per_dimension(z_mean, z_log_var):
    """Average KL to N(0, 1) of each latent dimension, in nats.

    `0.5 * (μ² + σ² - log σ² - 1)` per image and dimension, averaged over the
    images: the terms that `kl_divergence` sums.

    Returns:
        Array of shape `(k,)`.
    """
    terms = 0.5 * (np.square(z_mean) + np.exp(z_log_var) - z_log_var - 1.0)
    return terms.mean(axis=0)


def sweep_models(ctx):
    """`[(beta, model)]` for every β of the sweep."""
    return [(beta, ctx.models[beta_key(beta)]) for beta in BETAS]


def draw_reconstructions(ctx, out_path):
    """One test image per class and its reconstruction (from the mean code) by each β."""
    x = ctx.x_test[ctx.first_per_class()]
    rows, labels = [x], ["input"]
    for beta, model in sweep_models(ctx):
        rows.append(np.asarray(model.decode(model.encode(x)[0])))
        labels.append(f"β = {beta:g}")
    figure, ax = style.subplots(figsize=(12, 1.1 * len(rows) + 1.2))
    style.show_mosaic(ax, np.concatenate(rows), ncols=len(x), row_labels=labels,
                      col_labels=ctx.class_names)
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_title("β sweep (latent 8): reconstructions decode(μ(x)) of test images")
    ctx.save(figure, out_path)


def draw_samples(ctx, out_path, num_images=12):
    """Prior samples of each β's VAE."""
    rows, labels = [], []
    for beta, model in sweep_models(ctx):
        rows.append(np.asarray(model.sample(num_images, seed=ctx.seed)))
        labels.append(f"β = {beta:g}")
    figure, ax = style.subplots(figsize=(12, 1.1 * len(rows) + 1))
    style.show_mosaic(ax, np.concatenate(rows), ncols=num_images, row_labels=labels)
    ax.set_title("β sweep (latent 8): samples decode(z), z ~ N(0, I)")
    ctx.save(figure, out_path)


def draw_kl_per_dimension(ctx, out_path):
    """Bars of the average KL of each latent dimension, one panel per β."""
    models = sweep_models(ctx)
    # Each panel has its own scale: without the KL term (beta = 0) the KL is orders of magnitude larger.
    figure, axes = style.subplots(1, len(models), figsize=(3.2 * len(models), 4), layout="constrained")
    for ax, (beta, model) in zip(axes, models):
        kl = kl_per_dimension(*in_batches(model.encode, ctx.x_test))
        dims = np.arange(1, len(kl) + 1)
        collapsed = kl < COLLAPSED_KL
        ax.bar(dims, kl, color=np.where(collapsed, "tab:gray", "tab:blue"))
        ax.set_xticks(dims)
        ax.set_xlabel("latent dimension")
        ax.set_title(f"β = {beta:g}: KL {kl.sum():.3g} nats\n{collapsed.sum()} of {len(kl)} collapsed")
    axes[0].set_ylabel("average KL (nats)")
    figure.suptitle(
        f"Average KL per latent dimension over {len(ctx.x_test)} test images: grey bars "
        f"(< {COLLAPSED_KL} nats) have collapsed to the prior"
    )
    ctx.save(figure, out_path)
