"""Two-dimensional latent spaces: where the test images land, and what every point decodes to."""

import numpy as np

from assignment.figures import style
from assignment.figures.autoencoders import class_legend, scatter_by_class
from assignment.figures.context import in_batches


def draw_latent_scatter(ctx, out_path):
    """Test-image codes of a 2-D AE and the 2-D VAE's means, coloured by class."""
    ae, vae = ctx.models["ae2"], ctx.models["vae"]
    panels = (
        ("Autoencoder codes z", in_batches(ae.encoder, ctx.x_test)),
        ("VAE means μ(x)", in_batches(vae.encode, ctx.x_test)[0]),
    )
    figure, axes = style.subplots(1, 2, figsize=(13, 6.5), layout="constrained")
    for ax, (title, codes) in zip(axes, panels):
        handles = scatter_by_class(ax, codes, ctx.y_test, ctx.class_names)
        mean, std = codes.mean(axis=0), codes.std(axis=0)
        ax.set_title(
            f"{title}\nmean ({mean[0]:.2f}, {mean[1]:.2f}), std ({std[0]:.2f}, {std[1]:.2f})"
        )
        ax.set_xlabel("z₁")
        ax.set_ylabel("z₂")
    class_legend(figure, handles, loc="outside lower center", ncol=len(ctx.class_names) // 2)
    figure.suptitle(
        f"2-D latent spaces of {len(ctx.x_test)} test images, coloured by class: "
        "a plain autoencoder vs a VAE (prior N(0, I))"
    )
    ctx.save(figure, out_path)


def latent_grid(extent, n):
    """An `n x n` grid of 2-D points over `[-extent, extent]²`, row by row from the top.

    Returns:
        `(points (n * n, 2), values (n,))`: the first coordinate runs along each
        row, the second decreases down the rows (as on a plot's y axis).
    """
    values = np.linspace(-extent, extent, n, dtype="float32")
    z1, z2 = np.meshgrid(values, values[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1), values


def show_decoded_grid(ax, decode, extent, n, title):
    """Decodes a grid of latent points and draws it with its coordinates on the axes."""
    points, values = latent_grid(extent, n)
    style.show_mosaic(ax, np.asarray(decode(points)), ncols=n, title=title)
    labels = [f"{value:.2g}" for value in values]
    ax.set_xticklabels(labels)
    ax.set_yticklabels(labels[::-1])
    ax.set_xlabel("z₁")
    ax.set_ylabel("z₂")


def draw_manifold(ctx, out_path, n=11):
    """Decoded grids over [-1, 1]² and [-5, 5]² for a 2-D AE and the 2-D VAE."""
    decoders = (("AE", ctx.models["ae2"].decoder), ("VAE", ctx.models["vae"].decode))
    figure, axes = style.subplots(2, 2, figsize=(13, 13.5), layout="constrained")
    for row, (name, decode) in zip(axes, decoders):
        for ax, extent in zip(row, (1, 5)):
            show_decoded_grid(ax, decode, extent, n, f"{name}: decoded grid over [-{extent}, {extent}]²")
    figure.suptitle(
        "Decoding a grid of 2-D latent points: autoencoder (top) vs VAE (bottom)"
    )
    ctx.save(figure, out_path)


def draw_prior_samples(ctx, out_path, rows=8, cols=12):
    """Images the VAE decodes from codes drawn from its prior N(0, I)."""
    model = ctx.models["vae"]
    images = np.asarray(model.sample(rows * cols, seed=ctx.seed))
    figure, ax = style.subplots(figsize=(cols * 0.8, rows * 0.8 + 0.6))
    style.show_mosaic(ax, images, ncols=cols)
    ax.set_title(f"VAE (k={model.latent_dim}) samples: decode(z), z ~ N(0, I), {rows * cols} draws")
    ctx.save(figure, out_path)


# Pairs of classes to interpolate between (Fashion-MNIST labels).
INTERPOLATION_PAIRS = ((0, 1), (7, 9), (2, 8), (5, 3), (4, 6))


def draw_interpolation(ctx, out_path, steps=10):
    """Straight lines in the VAE's latent space between test images of different classes.

    Each row starts at the mean code of one test image and ends at that of an
    image of another class; the outer columns show the two images themselves.
    """
    model = ctx.models["vae"]
    first = ctx.first_per_class()
    rows, labels = [], []
    for start, end in INTERPOLATION_PAIRS:
        pair = ctx.x_test[[first[start], first[end]]]
        z_mean = np.asarray(model.encode(pair)[0])
        path = ctx.impl.vae.interpolate(z_mean[0], z_mean[1], steps)
        rows += [pair[:1], np.asarray(model.decode(path)), pair[1:]]
        labels.append(f"{ctx.class_names[start]} → {ctx.class_names[end]}")
    figure, ax = style.subplots(figsize=(12, 1.1 * len(labels) + 1))
    style.show_mosaic(
        ax, np.concatenate(rows), ncols=steps + 2, row_labels=labels,
        col_labels=["image A", "μ(A)", *[""] * (steps - 2), "μ(B)", "image B"],
    )
    ax.set_title(
        f"VAE interpolation: decode((1 - t) μ(A) + t μ(B)) for {steps} values of t from 0 to 1"
    )
    ctx.save(figure, out_path)
