"""What every figure function receives: the implementation, models, test data and output settings."""

import dataclasses
from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np

from assignment.figures import style


@dataclasses.dataclass
class FigureContext:
    """Everything a figure is drawn from.

    Attributes:
        impl: the loaded implementation (`load_implementation`): the NumPy
            transposed convolution, `pca`, `kl_divergence`, `interpolate`...
        models: mapping from model key (see `models.REFERENCE_MODELS`) to a
            trained model; a `ReferenceModels` trains or loads them on demand,
            tests pass a dict of tiny models.
        x_test: test images, float32 `(N, 28, 28, 1)` in [0, 1].
        y_test: their integer labels, `(N,)`.
        class_names: the name of each label.
        formats: file formats written for each figure.
        dpi: resolution of the PNG files.
        seed: seeds every random draw of the figures.
    """

    impl: SimpleNamespace
    models: Mapping
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    formats: tuple = ("png", "pdf")
    dpi: int = 150
    seed: int = 0

    def save(self, figure, out_path):
        """Writes `figure` to `out_path` plus each extension of `formats`."""
        return style.save(figure, out_path, self.formats, self.dpi)

    def rng(self):
        """A fresh NumPy generator seeded with `seed`: each figure draws the same numbers every run."""
        return np.random.default_rng(self.seed)

    def first_per_class(self, per_class=1):
        """Indices of the first `per_class` test images of every class, class by class.

        Returns:
            int array of shape `(num_classes * per_class,)`.
        """
        return np.concatenate(
            [np.flatnonzero(self.y_test == label)[:per_class] for label in range(len(self.class_names))]
        )


def in_batches(function, x, batch_size=1000):
    """Applies `function` to `x` batch by batch and returns NumPy arrays.

    Bounds the memory that decoding or encoding thousands of images at once would take.

    Args:
        function: a callable on a batch, returning a tensor or a tuple of tensors
            (e.g. `vae.encode`, which returns `(z_mean, z_log_var)`).
        x: array whose first axis is the batch axis.
        batch_size: examples per call.

    Returns:
        A NumPy array, or a tuple of them when `function` returns a tuple.
    """
    outputs = [function(x[start : start + batch_size]) for start in range(0, len(x), batch_size)]
    if isinstance(outputs[0], (tuple, list)):
        return tuple(np.concatenate([np.asarray(part) for part in parts]) for parts in zip(*outputs))
    return np.concatenate([np.asarray(output) for output in outputs])
