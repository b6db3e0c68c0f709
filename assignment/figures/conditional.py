"""The conditional VAE: the label picks the class, the code picks the style."""

import numpy as np

from assignment.figures import style


def draw_class_rows(ctx, out_path, num_styles=10):
    """One row per class: the CVAE decodes the same prior codes with each label.

    Every column shares one code z ~ N(0, I), so along a column only the label
    changes, and along a row only the style.
    """
    model = ctx.models["cvae"]
    num_classes = len(ctx.class_names)
    z = ctx.rng().standard_normal((num_styles, model.latent_dim)).astype("float32")
    codes = np.tile(z, (num_classes, 1))
    labels = np.repeat(np.arange(num_classes), num_styles)
    images = np.asarray(model.decode((codes, labels)))
    figure, ax = style.subplots(figsize=(num_styles * 0.9 + 1.5, num_classes * 0.9 + 0.8))
    style.show_mosaic(ax, images, ncols=num_styles, row_labels=ctx.class_names,
                      col_labels=[f"z{index + 1}" for index in range(num_styles)])
    ax.set_title(
        "Conditional VAE: decode(z, label), one row per label,\n"
        "one code z ~ N(0, I) per column"
    )
    ctx.save(figure, out_path)
