"""Every lecture figure: its name, the function that draws it, what it shows, the models it needs.

`--list` and `--only` read this table, and the models a run trains or loads
are exactly those its figures need.
"""

import dataclasses
from collections.abc import Callable

from assignment.figures import (
    autoencoders,
    beta_sweep,
    conditional,
    convolution,
    gaussian_decoder,
    gaussians,
    latent,
    masked,
    sparse,
    vqvae,
)
from assignment.figures.models import (
    BETA_SWEEP_LATENT_DIM,
    BETAS,
    VARIANCES,
    beta_key,
    variance_key,
)
from assignment.training import RECIPES

SWEEP = tuple(beta_key(beta) for beta in BETAS)
AE_CODE = RECIPES["ae"].latent_dim


@dataclasses.dataclass(frozen=True)
class Figure:
    """One lecture figure.

    Attributes:
        name: file name without extension, and the name `--only` takes.
        draw: `draw(ctx, out_path)`: draws the figure from a `FigureContext`
            and saves it to `out_path` plus each format's extension.
        description: one line on what the figure shows.
        models: keys of `models.REFERENCE_MODELS` that `draw` uses.
    """

    name: str
    draw: Callable
    description: str
    models: tuple = ()


ALL_FIGURES = (
    Figure("tconv-stride1", convolution.draw_stride1,
           "transposed convolution of [[0,1],[2,3]] by [[4,5],[6,7]], stride 1: each cell's kernel copy, summed"),
    Figure("tconv-stride2", convolution.draw_stride2,
           "the same worked example with stride 2: the kernel copies sit 2 cells apart"),
    Figure("tconv-output-padding", convolution.draw_output_padding,
           "stride-2 Conv2D maps 7x7 and 8x8 to 4x4; 'same' + output_padding 0 or 1 gives 7x7 or 8x8 back"),
    Figure("ae-reconstructions", autoencoders.draw_reconstructions,
           f"autoencoder (code {AE_CODE}): one test image per class and its reconstruction", ("ae",)),
    Figure("ae-pca", autoencoders.draw_pca,
           f"autoencoder codes (size {AE_CODE}) of the test set reduced to 2-D by PCA, explained variance in the title",
           ("ae",)),
    Figure("latent-scatter", latent.draw_latent_scatter,
           "2-D latent scatter of the test set coloured by class: AE codes vs VAE means", ("ae2", "vae")),
    Figure("latent-manifold", latent.draw_manifold,
           "decoded grids of latent points over [-1,1]² and [-5,5]², 2-D AE vs VAE", ("ae2", "vae")),
    Figure("random-codes", autoencoders.draw_random_codes,
           "codes drawn from N(0, I) decoded by AEs (garbage) and by the VAE (garments)",
           ("ae", "ae2", "vae")),
    Figure("vae-prior-samples", latent.draw_prior_samples,
           "a grid of VAE samples: prior codes z ~ N(0, I) decoded", ("vae",)),
    Figure("vae-interpolation", latent.draw_interpolation,
           "VAE latent interpolation between test images of different classes", ("vae",)),
    Figure("beta-reconstructions", beta_sweep.draw_reconstructions,
           f"β sweep (β = {', '.join(f'{beta:g}' for beta in BETAS)}; latent {BETA_SWEEP_LATENT_DIM}): "
           "reconstructions of one image per class", SWEEP),
    Figure("beta-samples", beta_sweep.draw_samples,
           "β sweep: prior samples of each β", SWEEP),
    Figure("beta-kl", beta_sweep.draw_kl_per_dimension,
           "β sweep: average KL per latent dimension as bars; collapsed dimensions in grey", SWEEP),
    Figure("gaussians-kl", gaussians.draw_gaussians,
           "densities of N(1, 1) and N(0, 1.5²) against the prior N(0, 1), with their KL"),
    Figure("dae-denoising", autoencoders.draw_denoising,
           "denoising autoencoder: noisy input, output, clean image", ("dae",)),
    Figure("cvae-classes", conditional.draw_class_rows,
           "conditional VAE: one row per class (named), the same prior codes in each column", ("cvae",)),
    Figure("vqvae-reconstructions", vqvae.draw_reconstructions,
           "VQ-VAE: one test image per class and its reconstruction", ("vqvae",)),
    Figure("vqvae-codebook", vqvae.draw_codebook_usage,
           "VQ-VAE: histogram of codeword usage over the test set", ("vqvae",)),
    Figure("sparse-codes", sparse.draw_code_activations,
           "code activations of test images, plain AE vs sparse AE (L1 on the code), and active "
           "units per image", ("ae", "sparse-ae")),
    Figure("masked-inpainting", masked.draw_inpainting,
           "test images with half their 4x4 patches hidden: truth, masked input, completions by "
           "the plain AE and the masked AE", ("ae", "masked-ae")),
    Figure("gaussian-decoder", gaussian_decoder.draw_variance_effect,
           "prior samples of the cross-entropy VAE and of Gaussian decoders of 4 variances, and "
           "the KL and the reconstructions' sharpness against the variance",
           (beta_key(1.0), *(variance_key(c) for c in VARIANCES))),
)

FIGURES = {figure.name: figure for figure in ALL_FIGURES}


def select(names=None):
    """The figures to draw, in the table's order.

    Args:
        names: figure names, or None for every figure.

    Returns:
        A list of `Figure`.

    Raises:
        ValueError: a name is unknown; the message lists the valid names.
    """
    if not names:
        return list(ALL_FIGURES)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise ValueError(
            f"Unknown figure{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"valid names: {', '.join(FIGURES)}."
        )
    return [figure for figure in ALL_FIGURES if figure.name in names]


def required_models(figures):
    """The model keys the figures need, each once, in order of first use."""
    return list(dict.fromkeys(key for figure in figures for key in figure.models))
