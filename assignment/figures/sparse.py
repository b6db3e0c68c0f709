"""The sparse autoencoder: which code units each test image uses, with and without the L1 penalty."""

import numpy as np

from assignment.figures import style
from assignment.figures.context import in_batches

# Test images per class shown as rows of the activation maps.
PER_CLASS = 3
# A unit of the plain autoencoder's code counts as silent below this fraction of the largest |z|.
SILENT = 0.01


def draw_code_activations(ctx, out_path):
    """|code| of 30 test images (rows) per unit (columns): plain AE vs sparse AE, and histograms."""
    plain, sparse = ctx.models["ae"], ctx.models["sparse-ae"]
    x = ctx.x_test[ctx.first_per_class(PER_CLASS)]
    codes = {"plain autoencoder": np.abs(in_batches(plain.encoder, x)),
             f"sparse autoencoder (l1 = {sparse.l1:g})": np.abs(in_batches(sparse.encode, x))}
    scored = ctx.x_test[:1000]
    scored_codes = [np.abs(in_batches(plain.encoder, scored)),
                    np.abs(in_batches(sparse.encode, scored))]
    figure, axes = style.subplots(1, 3, figsize=(16, 6), width_ratios=(1, 1, 1.1),
                                  layout="constrained")
    for ax, (name, code), all_codes in zip(axes, codes.items(), scored_codes):
        largest = all_codes.max() or 1.0
        image = ax.imshow(code / largest, cmap="magma", vmin=0, vmax=1, aspect="auto")
        silent = np.mean(all_codes < SILENT * largest)
        ax.set_title(f"{name}\n{silent:.0%} of the units below {SILENT:g} x the largest |z|",
                     fontsize=10)
        ax.set_xlabel("code unit")
        ax.set_yticks(np.arange(PER_CLASS // 2, len(x), PER_CLASS),
                      labels=ctx.class_names, fontsize=8)
    figure.colorbar(image, ax=axes[:2], label="|z| / largest |z| of the model", shrink=0.8)
    ax = axes[2]
    for name, all_codes in zip(codes, scored_codes):
        active = np.sum(all_codes >= SILENT * all_codes.max(), axis=1)
        ax.hist(active, bins=np.arange(all_codes.shape[1] + 2) - 0.5, alpha=0.7, label=name)
    ax.set_xlabel("active units per image (|z| >= 1 % of the largest)")
    ax.set_ylabel(f"test images (of {len(scored)})")
    ax.legend()
    ax.set_title("How many units each image uses")
    figure.suptitle("An L1 penalty on the code silences most of its units, image by image")
    ctx.save(figure, out_path)
