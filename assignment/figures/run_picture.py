"""The picture `python -m assignment.train` leaves next to the model it trained.

Test images, one per class, above their reconstructions; for the generative
models (the VAE and the conditional VAE) a second panel of samples from the
prior, the CVAE's one column per class.
"""

import numpy as np

from assignment import training
from assignment.figures import style

# Rows of prior samples under the reconstructions, one column per class.
SAMPLE_ROWS = 2


def reconstructions(model, name, x, y):
    """What `model` makes of the images `x` (labels `y`, for the conditional model).

    The VAEs decode the mean of each image's code rather than a random draw
    around it, so that the picture shows what the model learnt, not the noise.
    """
    recipe = training.get_recipe(name)
    if recipe.needs_labels:
        return model.decode((model.encode((x, y))[0], y))
    if recipe.is_variational:
        return model.decode(model.encode(x)[0])
    return model(x)


def prior_samples(model, name, num_classes, seed):
    """`SAMPLE_ROWS * num_classes` images decoded from the prior, or None for a model without one.

    The conditional model's samples run through the labels in each row.
    """
    recipe = training.get_recipe(name)
    if not recipe.is_variational:
        return None
    if recipe.needs_labels:
        return model.sample(np.tile(np.arange(num_classes), SAMPLE_ROWS), seed=seed)
    return model.sample(SAMPLE_ROWS * num_classes, seed=seed)


def draw_run_picture(model, name, x_test, y_test, class_names, out_path, title, seed=0, dpi=100):
    """Draws a trained model's reconstructions (and prior samples) into one PNG file.

    Args:
        model: the trained model.
        name: its model name, one of `training.MODEL_NAMES`.
        x_test: test images `(N, 28, 28, 1)`; the first one of each class
            present is drawn.
        y_test: their integer labels `(N,)`.
        class_names: the name of each label.
        out_path: the file to write, ending with `.png`.
        title: the picture's title (e.g. the model, its settings and test metrics).
        seed: seeds the prior samples.
        dpi: resolution of the file.

    Returns:
        `out_path`.
    """
    present = [label for label in range(len(class_names)) if np.any(y_test == label)]
    chosen = np.array([np.flatnonzero(y_test == label)[0] for label in present])
    x, y = x_test[chosen], y_test[chosen]
    samples = prior_samples(model, name, len(class_names), seed)
    panels = 1 if samples is None else 2
    figure, axes = style.subplots(panels, 1, figsize=(12, 3.2 * panels), squeeze=False)
    style.show_mosaic(
        axes[0, 0], np.concatenate([x, np.asarray(reconstructions(model, name, x, y))]),
        ncols=len(x), row_labels=["test image", "reconstruction"],
        col_labels=[class_names[label] for label in present],
    )
    axes[0, 0].tick_params(axis="x", labelrotation=30)
    if samples is not None:
        conditional = training.get_recipe(name).needs_labels
        style.show_mosaic(
            axes[1, 0], np.asarray(samples), ncols=len(class_names),
            col_labels=class_names if conditional else None,
            title="samples: codes z ~ N(0, I) decoded"
            + (", one class per column" if conditional else ""),
        )
        axes[1, 0].tick_params(axis="x", labelrotation=30)
    figure.suptitle(title)
    style.save(figure, out_path.parent / out_path.stem, formats=("png",), dpi=dpi)
    return out_path
