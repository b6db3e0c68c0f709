"""One look for every figure: Matplotlib settings, image mosaics and saving.

Figures are drawn off-screen (the `Agg` backend), so they render the same on a
laptop, a server and in tests. Importing this module selects that backend and
the shared style (`STYLE`) for the whole process.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402

STYLE = {
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.interpolation": "nearest",
    "pdf.fonttype": 42,  # embed TrueType fonts: text stays editable in the PDF
}
# Grey-level images: black background, white garment, like the data set's own pictures.
IMAGE_CMAP = "gray"
# Ten well-separated colours, one per class.
CLASS_CMAP = "tab10"
# Lines between the images of a mosaic: white, to stand out on the black backgrounds.
SEPARATOR = 1.0


plt.rcParams.update(STYLE)


def subplots(*args, **kwargs):
    """`plt.subplots`: returns `(figure, axes)`."""
    return plt.subplots(*args, **kwargs)


def figure(*args, **kwargs):
    """`plt.figure`: returns an empty figure."""
    return plt.figure(*args, **kwargs)


def save(fig, out_path, formats=("png", "pdf"), dpi=150):
    """Writes figure `fig` once per format, then closes it.

    Args:
        fig: a Matplotlib figure.
        out_path: path without extension; `.png`, `.pdf`... are appended.
        formats: the file formats to write.
        dpi: resolution of raster formats.

    Returns:
        The list of written paths.
    """
    paths = []
    for fmt in formats:
        path = out_path.with_name(f"{out_path.name}.{fmt}")
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def class_colors(num_classes=10):
    """`num_classes` distinct RGBA colours, one per class."""
    return plt.get_cmap(CLASS_CMAP)(np.arange(num_classes) % 10)


def mosaic(images, ncols, pad=1):
    """Tiles images into one 2-D array, row by row, `pad` pixels apart.

    Args:
        images: array of shape `(n, h, w)` or `(n, h, w, 1)`.
        ncols: number of images per row; the last row is padded with blanks.
        pad: width of the separator between images.

    Returns:
        A 2-D array of shape `(nrows * (h + pad) - pad, ncols * (w + pad) - pad)`.
    """
    images = np.asarray(images, dtype=np.float32).reshape(len(images), *np.shape(images)[1:3])
    n, h, w = images.shape
    nrows = -(-n // ncols)
    canvas = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), SEPARATOR, np.float32)
    for index, image in enumerate(images):
        row, col = divmod(index, ncols)
        canvas[row * (h + pad) : row * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = image
    return canvas


def show_mosaic(ax, images, ncols, row_labels=None, col_labels=None, title=None, pad=1):
    """Draws images as a grid on `ax`, optionally naming its rows and columns.

    Args:
        ax: a Matplotlib axes.
        images: array `(n, h, w[, 1])` with values in [0, 1], row by row.
        ncols: images per row.
        row_labels: one label per row, written on the left.
        col_labels: one label per column, written on top.
        title: the axes title.
        pad: pixels between images.
    """
    images = np.asarray(images)
    h, w = images.shape[1:3]
    ax.imshow(mosaic(images, ncols, pad), cmap=IMAGE_CMAP, vmin=0.0, vmax=1.0)
    nrows = -(-len(images) // ncols)
    ax.set_xticks(np.arange(ncols) * (w + pad) + (w - 1) / 2)
    ax.set_yticks(np.arange(nrows) * (h + pad) + (h - 1) / 2)
    ax.set_xticklabels(col_labels if col_labels is not None else [])
    ax.set_yticklabels(row_labels if row_labels is not None else [])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
