"""Autoencoders: reconstructions, the PCA of their codes, denoising, and why they are not generative."""

import numpy as np

from assignment.figures import style
from assignment.figures.context import in_batches

# Test images over which the figures' error numbers are averaged.
NUM_SCORED = 1000


def mean_squared_error(x, x_hat):
    """The mean squared error per pixel, a float."""
    return float(np.mean(np.square(np.asarray(x) - np.asarray(x_hat))))


def draw_reconstructions(ctx, out_path):
    """One test image per class (top) and its reconstruction by the AE (bottom)."""
    model = ctx.models["ae"]
    draw_reconstruction_rows(
        ctx, model, f"Autoencoder (code size {model.latent_dim}) reconstructions", out_path)


def draw_reconstruction_rows(ctx, model, description, out_path):
    """One test image per class (top), its reconstruction by `model` (bottom) and the test MSE."""
    x = ctx.x_test[ctx.first_per_class()]
    scored = ctx.x_test[:NUM_SCORED]
    error = mean_squared_error(scored, in_batches(model, scored))
    figure, ax = style.subplots(figsize=(12, 3.4))
    style.show_mosaic(
        ax, np.concatenate([x, np.asarray(model(x))]), ncols=len(x),
        row_labels=["input", "reconstruction"], col_labels=ctx.class_names,
    )
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_title(f"{description}: test MSE {error:.4f} per pixel ({len(scored)} images)")
    ctx.save(figure, out_path)


def scatter_by_class(ax, points, labels, class_names, size=3):
    """Scatter plot of 2-D points, one colour per class (no legend).

    Returns:
        One handle per class, for a legend.
    """
    colors = style.class_colors(len(class_names))
    handles = []
    for label, (name, color) in enumerate(zip(class_names, colors)):
        chosen = points[labels == label]
        handles.append(
            ax.scatter(chosen[:, 0], chosen[:, 1], s=size, color=color, alpha=0.6,
                       label=name, rasterized=True)
        )
    return handles


def class_legend(figure, handles, **kwargs):
    """A legend of the class colours, with markers large enough to read."""
    legend = figure.legend(handles=handles, markerscale=4, **kwargs)
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    return legend


def draw_pca(ctx, out_path):
    """The AE's codes of the test images, projected on their first two principal components."""
    model = ctx.models["ae"]
    codes = in_batches(model.encoder, ctx.x_test)
    components, mean, ratio = ctx.impl.autoencoder.pca(codes, 2)
    projected = (codes - mean) @ components.T
    figure, ax = style.subplots(figsize=(7.5, 6))
    handles = scatter_by_class(ax, projected, ctx.y_test, ctx.class_names)
    ax.set_xlabel(f"PC1 ({ratio[0]:.1%} of the variance)")
    ax.set_ylabel(f"PC2 ({ratio[1]:.1%} of the variance)")
    ax.set_title(
        f"Autoencoder codes (size {model.latent_dim}) of {len(codes)} test images, "
        f"reduced by PCA\nPC1 explains {ratio[0]:.1%}, PC2 {ratio[1]:.1%} of the code variance"
    )
    class_legend(figure, handles, loc="center left", bbox_to_anchor=(0.92, 0.5))
    ctx.save(figure, out_path)


def draw_random_codes(ctx, out_path, num_images=12):
    """Codes drawn from N(0, I), decoded by autoencoders and by the VAE.

    Nothing in an autoencoder's training says where its codes lie, so random
    codes land where no training image was encoded; the VAE's KL term pulls
    the codes towards N(0, I), so its random codes decode to garments.
    """
    rows, labels = [], []
    for key, kind in (("ae", "AE"), ("ae2", "AE"), ("vae", "VAE")):
        model = ctx.models[key]
        z = ctx.rng().standard_normal((num_images, model.latent_dim)).astype("float32")
        decode = model.decode if kind == "VAE" else model.decoder
        rows.append(np.asarray(decode(z)))
        labels.append(f"{kind}, k={model.latent_dim}")
    figure, ax = style.subplots(figsize=(12, 3.6))
    style.show_mosaic(ax, np.concatenate(rows), ncols=num_images, row_labels=labels)
    ax.set_title(
        "Decoding random codes z ~ N(0, I): an autoencoder can generate, but is not a "
        "generative model"
    )
    ax.set_xlabel("each row: the model's decoder on its own draws of z ~ N(0, I)")
    ctx.save(figure, out_path)


def add_noise(x, stddev, rng):
    """`clip(x + stddev * eps, 0, 1)` with `eps ~ N(0, I)`: the denoising AE's corruption."""
    return np.clip(x + stddev * rng.standard_normal(x.shape), 0.0, 1.0).astype("float32")


def draw_denoising(ctx, out_path):
    """Noisy test images, the denoising AE's output, and the clean images."""
    model = ctx.models["dae"]
    x = ctx.x_test[ctx.first_per_class()]
    noisy = add_noise(x, model.noise_stddev, ctx.rng())
    denoised = np.asarray(model(noisy))
    scored = ctx.x_test[:NUM_SCORED]
    scored_noisy = add_noise(scored, model.noise_stddev, ctx.rng())
    noisy_error = mean_squared_error(scored, scored_noisy)
    denoised_error = mean_squared_error(scored, in_batches(model, scored_noisy))
    figure, ax = style.subplots(figsize=(12, 4.6))
    style.show_mosaic(
        ax, np.concatenate([noisy, denoised, x]), ncols=len(x),
        row_labels=[f"noisy (σ = {model.noise_stddev:g})", "denoised", "clean"],
        col_labels=ctx.class_names,
    )
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_title(
        f"Denoising autoencoder: MSE to the clean images {noisy_error:.4f} (noisy) "
        f"→ {denoised_error:.4f} (denoised), {len(scored)} test images"
    )
    ctx.save(figure, out_path)
