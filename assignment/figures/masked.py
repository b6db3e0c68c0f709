"""The masked autoencoder: test images with hidden patches, and how they are filled in."""

import numpy as np

from assignment.figures import style
from assignment.figures.autoencoders import NUM_SCORED
from assignment.masks import hidden_mse, patch_masks

# Grey of the hidden pixels in the masked inputs shown (the models see 0 there).
HIDDEN_GREY = 0.5
BATCH = 500


def draw_inpainting(ctx, out_path):
    """One test image per class: truth, masked input, and the plain and masked AEs' completions."""
    plain, masked = ctx.models["ae"], ctx.models["masked-ae"]

    def completions(x, masks):
        """`(plain AE of the masked input, masked AE given the mask)`, batch by batch."""
        parts = [(np.asarray(plain(x[i:i + BATCH] * (1 - masks[i:i + BATCH]))),
                  np.asarray(masked(x[i:i + BATCH], hidden=masks[i:i + BATCH])))
                 for i in range(0, len(x), BATCH)]
        return tuple(np.concatenate(outputs) for outputs in zip(*parts))

    rng = ctx.rng()
    scored = ctx.x_test[:NUM_SCORED]
    scored_masks = patch_masks(rng, len(scored), masked.patch, masked.masked_patches)
    errors = [hidden_mse(output, scored, scored_masks)
              for output in completions(scored, scored_masks)]
    x = ctx.x_test[ctx.first_per_class()]
    masks = patch_masks(rng, len(x), masked.patch, masked.masked_patches)
    rows = [x, np.where(masks == 1, HIDDEN_GREY, x), *completions(x, masks)]
    figure, ax = style.subplots(figsize=(12, 5.8))
    style.show_mosaic(
        ax, np.concatenate(rows), ncols=len(x),
        row_labels=["truth", "masked input", "plain AE", "masked AE"],
        col_labels=ctx.class_names,
    )
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_title(
        f"{masked.masked_patches} of the {masked.num_patches} patches ({masked.patch}x"
        f"{masked.patch} pixels) hidden, grey here, 0 for the models.\nMSE over the hidden "
        f"pixels of {len(scored)} test images: plain AE {errors[0]:.4f}, masked AE "
        f"{errors[1]:.4f}", fontsize=10)
    ctx.save(figure, out_path)
