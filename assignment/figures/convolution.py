"""Transposed convolution, step by step, computed by the implementation's NumPy `conv2d_transpose`.

A transposed convolution is linear in its input, so the output is the sum of
the outputs for each input cell alone: `conv2d_transpose(x) = sum over (i, j)
of conv2d_transpose(x with only cell (i, j) kept)`. Each term is the kernel
scaled by `x[i, j]` and painted at `(i * stride, j * stride)`; the figures draw
those terms and their sum.
"""

import math

import matplotlib.patches as mpatches
import numpy as np
from matplotlib.ticker import MaxNLocator

from assignment.figures import style

# The lecture's worked example.
LECTURE_INPUT = np.array([[0, 1], [2, 3]], dtype=np.float64)
LECTURE_KERNEL = np.array([[4, 5], [6, 7]], dtype=np.float64)

INPUT_CMAP, KERNEL_CMAP, OUTPUT_CMAP = "Greens", "Oranges", "Blues"
WINDOW_COLORS = ("tab:red", "tab:purple")


def conv2d_transpose_2d(impl, x, kernel, **kwargs):
    """`impl.transposed_conv.conv2d_transpose` on one single-channel image.

    Args:
        impl: the loaded implementation.
        x: 2-D input array.
        kernel: 2-D kernel array.
        **kwargs: `strides`, `padding`, `output_padding`.

    Returns:
        The 2-D output array.
    """
    inputs = np.asarray(x, np.float64)[None, :, :, None]
    weights = np.asarray(kernel, np.float64)[:, :, None, None]
    return impl.transposed_conv.conv2d_transpose(inputs, weights, **kwargs)[0, :, :, 0]


def cell_contributions(impl, x, kernel, stride):
    """What each input cell adds to the output of a transposed convolution.

    Args:
        impl: the loaded implementation.
        x: 2-D input array.
        kernel: 2-D kernel array.
        stride: int.

    Returns:
        A list of `((i, j), contribution, footprint)`, one per input cell, row by
        row: `contribution` is the output of `x` with only cell `(i, j)` kept,
        `footprint` the boolean mask of the output cells that cell paints.
    """
    terms = []
    for i, j in np.ndindex(*x.shape):
        only_cell = np.zeros_like(x)
        only_cell[i, j] = x[i, j]
        one_hot = np.zeros_like(x)
        one_hot[i, j] = 1.0
        contribution = conv2d_transpose_2d(impl, only_cell, kernel, strides=stride)
        footprint = conv2d_transpose_2d(impl, one_hot, np.ones_like(kernel), strides=stride) != 0
        terms.append(((i, j), contribution, footprint))
    return terms


def show_matrix(ax, matrix, title, cmap, vmax=None, outlines=(), values=True):
    """Draws a small matrix as coloured cells with their values written in.

    Args:
        ax: a Matplotlib axes.
        matrix: 2-D array.
        title: the axes title.
        cmap: colour map name.
        vmax: top of the colour scale (default: the matrix's maximum).
        outlines: pairs `(mask, colour)`: a rectangle is drawn around the
            bounding box of each boolean mask, dashed after the first.
        values: write each cell's value in it.

    Returns:
        The image, for a colour bar.
    """
    vmax = float(np.max(matrix)) if vmax is None else vmax
    image = ax.imshow(matrix, cmap=cmap, vmin=0.0, vmax=max(vmax, 1e-9))
    small = matrix.shape[0] > 6
    for (row, col), value in np.ndenumerate(matrix if values else np.empty((0, 0))):
        ax.text(
            col, row, f"{value:g}", ha="center", va="center",
            fontsize=7 if small else 10,
            color="white" if value > 0.6 * vmax else "black",
        )
    ax.set_xticks(np.arange(matrix.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(matrix.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white" if values else "0.6", linewidth=1.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for index, (mask, color) in enumerate(outlines):
        rows, cols = np.nonzero(mask)
        ax.add_patch(
            mpatches.Rectangle(
                (cols.min() - 0.5, rows.min() - 0.5),
                cols.max() - cols.min() + 1,
                rows.max() - rows.min() + 1,
                fill=False, edgecolor=color, linewidth=3, zorder=3, clip_on=False,
                linestyle="-" if index == 0 else "--",
            )
        )
    ax.set_title(title)
    return image


def write_between(figure, left_ax, right_ax, symbol):
    """Writes `symbol` (`+`, `=`, an arrow, a word) halfway between two axes."""
    left, right = left_ax.get_position(), right_ax.get_position()
    figure.text(
        (left.x1 + right.x0) / 2, (left.y0 + left.y1) / 2, symbol,
        ha="center", va="center", fontsize=20 if len(symbol) == 1 else 12,
    )


def add_colorbar(figure, ax, image, label):
    """A slim colour bar just right of `ax`, without shrinking it, with integer ticks."""
    box = ax.get_position()
    cax = figure.add_axes([box.x1 + 0.01, box.y0, 0.008, box.height])
    figure.colorbar(image, cax=cax, label=label, ticks=MaxNLocator(integer=True))


def draw_painting(ctx, out_path, stride):
    """The lecture's example, `[[0, 1], [2, 3]]` with kernel `[[4, 5], [6, 7]]`, at one stride.

    One row: the input, the kernel, then each input cell's scaled kernel in
    its place in the output, and their sum, the output.
    """
    terms = cell_contributions(ctx.impl, LECTURE_INPUT, LECTURE_KERNEL, stride)
    output = conv2d_transpose_2d(ctx.impl, LECTURE_INPUT, LECTURE_KERNEL, strides=stride)
    n_in, n_k, n_out = LECTURE_INPUT.shape[0], LECTURE_KERNEL.shape[0], output.shape[0]
    figure, axes = style.subplots(
        1, 4 + len(terms), figsize=(16, 3.2),
        gridspec_kw=dict(width_ratios=[n_in, n_k, 1] + [n_out] * (len(terms) + 1), wspace=0.35),
    )
    axes[2].set_axis_off()
    show_matrix(axes[0], LECTURE_INPUT, "input x", INPUT_CMAP)
    show_matrix(axes[1], LECTURE_KERNEL, "kernel", KERNEL_CMAP)
    vmax = float(output.max())
    for ax, ((i, j), contribution, footprint) in zip(axes[3:], terms):
        value = LECTURE_INPUT[i, j]
        rows, cols = np.nonzero(footprint)
        show_matrix(
            ax, contribution,
            f"x[{i},{j}] = {value:g}\n{value:g} × kernel at ({rows.min()}, {cols.min()})",
            OUTPUT_CMAP, vmax, outlines=[(footprint, WINDOW_COLORS[0])],
        )
    image = show_matrix(axes[-1], output, f"output ({n_out}×{n_out})\nsum of the {len(terms)}", OUTPUT_CMAP, vmax)
    for left, right in zip(axes[3:-2], axes[4:-1]):
        write_between(figure, left, right, "+")
    write_between(figure, axes[-2], axes[-1], "=")
    add_colorbar(figure, axes[-1], image, "value")
    overlap = sum(footprint.astype(int) for _, _, footprint in terms).max() > 1
    figure.suptitle(
        f"Transposed convolution, stride {stride}, 'valid': each input cell paints "
        f"its value × kernel, {stride} cell{'s' if stride > 1 else ''} apart; "
        + ("overlaps add up" if overlap else "here the copies do not overlap"),
    )
    ctx.save(figure, out_path)


def draw_stride1(ctx, out_path):
    """Stride 1: the painted kernels overlap."""
    draw_painting(ctx, out_path, stride=1)


def draw_stride2(ctx, out_path):
    """Stride 2: the painted kernels sit side by side."""
    draw_painting(ctx, out_path, stride=2)


def conv_output_length(n, kernel_size, stride, padding):
    """Output length of a (forward) `Conv2D` along one axis: `ceil(n / s)` for `"same"`."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - kernel_size) // stride + 1


def crop_offset(full, cropped):
    """`(top, left)` where `cropped` sits inside `full`."""
    h, w = cropped.shape
    for top, left in np.ndindex(full.shape[0] - h + 1, full.shape[1] - w + 1):
        if np.allclose(full[top : top + h, left : left + w], cropped):
            return top, left
    raise ValueError("`cropped` is not a window of `full`.")


def draw_output_padding(ctx, out_path, sizes=(7, 8), kernel_size=3, stride=2):
    """Why `output_padding` exists: two input sizes, one downsampled size, two ways back.

    Top row: a stride-2 `Conv2D` with `"same"` padding maps both 7x7 and 8x8 to
    4x4. Bottom row: the transposed convolution of a 4x4 map of ones (a 3x3
    kernel of ones, so each cell counts the kernels painted on it) first
    paints a 9x9 array (`"valid"`); `"same"` crops it, to 7x7 with
    `output_padding=0` and to 8x8 with `output_padding=1`.
    """
    small = {conv_output_length(n, kernel_size, stride, "same") for n in sizes}
    (n_small,) = small  # both sizes shrink to the same size: the point of the figure
    x = np.ones((n_small, n_small))
    kernel = np.ones((kernel_size, kernel_size))
    painted = conv2d_transpose_2d(ctx.impl, x, kernel, strides=stride, padding="valid")
    probe = ctx.rng().random((n_small, n_small))
    probe_painted = conv2d_transpose_2d(ctx.impl, probe, kernel, strides=stride, padding="valid")
    results = []
    for output_padding in range(len(sizes)):
        kwargs = dict(strides=stride, padding="same", output_padding=output_padding)
        output = conv2d_transpose_2d(ctx.impl, x, kernel, **kwargs)
        top, left = crop_offset(probe_painted, conv2d_transpose_2d(ctx.impl, probe, kernel, **kwargs))
        window = np.zeros_like(painted, dtype=bool)
        window[top : top + output.shape[0], left : left + output.shape[1]] = True
        results.append((output_padding, output, window))

    # Cells are the same size in every panel: widths proportional to the matrix sizes.
    gap = 2
    bottom_sizes = [n_small, painted.shape[0]] + [output.shape[0] for _, output, _ in results]
    bottom_ratios = [size for n in bottom_sizes for size in (n, gap)][:-1]
    top_sizes = [sizes[0], n_small, sizes[1]]
    top_ratios = [size for n in top_sizes for size in (n, gap)][:-1]
    side = (sum(bottom_ratios) - sum(top_ratios)) / 2
    figure = style.figure(figsize=(15, 8.4))
    rows = figure.add_gridspec(2, 1, height_ratios=[max(top_sizes), max(bottom_sizes)], hspace=0.15)
    top_grid = rows[0].subgridspec(1, len(top_ratios) + 2, width_ratios=[side, *top_ratios, side])
    bottom_grid = rows[1].subgridspec(1, len(bottom_ratios), width_ratios=bottom_ratios)
    top_axes = [figure.add_subplot(top_grid[0, col]) for col in range(1, len(top_ratios) + 1, 2)]
    titles = (
        f"{sizes[0]}×{sizes[0]} input",
        f"Conv2D {kernel_size}×{kernel_size}, stride {stride},\n'same': both give {n_small}×{n_small}",
        f"{sizes[1]}×{sizes[1]} input",
    )
    for ax, n, title in zip(top_axes, top_sizes, titles):
        show_matrix(ax, np.zeros((n, n)), title, "Greys", vmax=1.0, values=False)
    write_between(figure, top_axes[0], top_axes[1], "→")
    write_between(figure, top_axes[1], top_axes[2], "←")

    bottom = [figure.add_subplot(bottom_grid[0, col]) for col in range(0, len(bottom_ratios), 2)]
    vmax = float(painted.max())
    show_matrix(bottom[0], x, f"{n_small}×{n_small} input\n(ones)", INPUT_CMAP, vmax=2.0)
    outlines = [(window, color) for (_, _, window), color in zip(results, WINDOW_COLORS)]
    image = show_matrix(
        bottom[1], painted,
        f"painted ('valid'): {painted.shape[0]}×{painted.shape[1]}\n"
        f"{kernel_size}×{kernel_size} kernel of ones, stride {stride}",
        OUTPUT_CMAP, vmax, outlines=outlines,
    )
    for ax, (output_padding, output, _), color in zip(bottom[2:], results, WINDOW_COLORS):
        show_matrix(
            ax, output,
            f"'same', output_padding={output_padding}\n→ {output.shape[0]}×{output.shape[1]}",
            OUTPUT_CMAP, vmax, outlines=[(np.ones_like(output, dtype=bool), color)],
        )
        ax.title.set_color(color)
    write_between(figure, bottom[0], bottom[1], "→")
    write_between(figure, bottom[1], bottom[2], "crop")
    add_colorbar(figure, bottom[-1], image, "kernels painted on the cell")
    figure.suptitle(
        f"Same downsampled size, different sizes back: output_padding picks "
        f"{sizes[0]}×{sizes[0]} or {sizes[1]}×{sizes[1]}",
        y=0.95,
    )
    ctx.save(figure, out_path)
