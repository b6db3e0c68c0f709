"""The VQ-VAE: reconstructions through a discrete code, and how much of the codebook is used."""

import numpy as np

from assignment.figures import style
from assignment.figures.autoencoders import draw_reconstruction_rows
from assignment.figures.context import in_batches


def draw_reconstructions(ctx, out_path):
    """One test image per class (top) and its VQ-VAE reconstruction (bottom)."""
    model = ctx.models["vqvae"]
    draw_reconstruction_rows(
        ctx, model,
        f"VQ-VAE reconstructions from a 7×7 grid of codewords (codebook of "
        f"{model.num_embeddings})",
        out_path,
    )


def draw_codebook_usage(ctx, out_path):
    """How often each codeword is chosen over the test images."""
    model = ctx.models["vqvae"]
    codes = in_batches(model.codes, ctx.x_test)
    counts = np.bincount(codes.ravel().astype(np.int64), minlength=model.num_embeddings)
    used = int(np.count_nonzero(counts))
    figure, ax = style.subplots(figsize=(10, 4))
    ax.bar(np.arange(model.num_embeddings), counts / counts.sum(), width=0.85, color="tab:blue")
    ax.set_xlim(-1, model.num_embeddings)
    ax.set_xlabel("codeword index")
    ax.set_ylabel("fraction of the code positions")
    ax.set_title(
        f"VQ-VAE codebook usage over {len(codes)} test images × {codes[0].size} positions: "
        f"{used} of {model.num_embeddings} codewords used"
        + (f" (the rarest {counts[counts > 0].min()} times)" if used else "")
    )
    ctx.save(figure, out_path)
