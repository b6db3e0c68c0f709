"""Transposed convolution in NumPy, exactly as Keras's `Conv2DTranspose` computes it.

A convolution with stride `s` maps a large image to a small one. A *transposed*
convolution goes the other way: every input cell paints a copy of the kernel,
scaled by the cell's value, into the output, and the copies are placed `s` cells
apart. Where copies overlap, they add up. The lecture's worked example (one
channel, no padding):

    input           kernel          stride 1            stride 2
    [[0, 1],        [[4, 5],        [[ 0,  4,  5],      [[ 0,  0,  4,  5],
     [2, 3]]         [6, 7]]         [ 8, 28, 22],       [ 0,  0,  6,  7],
                                     [12, 32, 21]]       [ 8, 10, 12, 15],
                                                         [12, 14, 18, 21]]

The kernel is *not* flipped: input cell (i, j) adds `x[i, j] * kernel` to the
output window whose top-left corner is (i * s, j * s).

Padding works backwards compared with `Conv2D`: `"valid"` keeps the whole painted
area, `"same"` crops it so that the output is exactly `input_length * stride`.
Because a stride-`s` convolution maps several input sizes to the same output size
(with stride 2, both 7 and 8 become 4), its transpose cannot know which size you
want back; `output_padding` picks it by adding rows and columns at the end.

This file is NumPy only: do not import TensorFlow or Keras here.
"""

import numpy as np


def _pair(value, name):
    """Returns `value` as a pair of ints: `3 -> (3, 3)`, `(2, 1) -> (2, 1)`."""
    if np.ndim(value) == 0:
        return int(value), int(value)
    if len(value) != 2:
        raise ValueError(f"`{name}` must be an int or a pair of ints, got {value!r}.")
    return int(value[0]), int(value[1])


def conv_transpose_output_length(
    input_length, kernel_size, stride=1, padding="valid", output_padding=None
):
    """Output length of a transposed convolution along one axis (Keras's rule).

    Without `output_padding`, `"valid"` keeps every painted cell, i.e.
    `(n - 1) * s + k`, but never less than `n * s` (when the stride is larger than
    the kernel, the gaps between copies still count); `"same"` gives `n * s`.
    With `output_padding = p`, the length is the painted length minus the crop,
    plus `p`: `(n - 1) * s + k + p` for `"valid"` and
    `(n - 1) * s + k - 2 * (k // 2) + p` for `"same"`.

    Args:
        input_length: int, `n`, the length of the input along this axis.
        kernel_size: int, `k`.
        stride: int, `s`.
        padding: `"valid"` or `"same"`.
        output_padding: `None` or an int `p` with `0 <= p < s`.

    Returns:
        The output length, an int.
    """
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same', got {padding!r}.")
    if output_padding is not None and not 0 <= output_padding < stride:
        raise ValueError(
            f"`output_padding` must be in [0, stride) = [0, {stride}), "
            f"got {output_padding}."
        )
    n, k, s = input_length, kernel_size, stride
    # BEGIN SOLUTION TODO 1.1: Return the output length by Keras's rule above, for 'valid' and 'same', with and without output_padding.
    if output_padding is None:
        if padding == "valid":
            return (n - 1) * s + max(k, s)
        return n * s
    if padding == "valid":
        return (n - 1) * s + k + output_padding
    return (n - 1) * s + k - 2 * (k // 2) + output_padding
    # END SOLUTION


def conv2d_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None):
    """2-D transposed convolution, equal to `keras.layers.Conv2DTranspose(use_bias=False)`.

    Each input position `(i, j)` adds `kernel @ inputs[n, i, j, :]` (a `kh x kw x C_out`
    patch: the kernel weighted by the cell's channels) into a *painted* array of size
    `((H - 1) * sh + kh, (W - 1) * sw + kw)` at rows `i * sh ... i * sh + kh - 1` and
    columns `j * sw ... j * sw + kw - 1`. The kernel is used as it is, not flipped.
    The output (size given by `conv_transpose_output_length`, already computed below
    as `out_h, out_w`) is then cut out of the painted array: for `"valid"` starting
    at the top-left corner; for `"same"` after dropping `(painted - output) // 2`
    rows (columns) at the top (left) and the rest at the bottom (right). Where the
    output is longer than the painted array (a stride larger than the kernel, or
    `output_padding`), the extra cells are zeros.

    Hint: two loops over `i` and `j` are enough; `np.einsum` or `np.tensordot`
    over the `C_in` axis computes the patches of the whole batch at once. Start
    from a zero array at least as large as both the painted area and the output.

    Args:
        inputs: array of shape `(N, H, W, C_in)`.
        kernel: array of shape `(kh, kw, C_out, C_in)` (Keras's layout for
            `Conv2DTranspose`; note `C_out` comes before `C_in`).
        strides: int or pair of ints.
        padding: `"valid"` or `"same"`.
        output_padding: `None`, an int or a pair of ints, each below its stride.

    Returns:
        float64 array of shape `(N, H_out, W_out, C_out)`.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if inputs.ndim != 4 or kernel.ndim != 4:
        raise ValueError(
            "Expected `inputs` of shape (N, H, W, C_in) and `kernel` of shape "
            f"(kh, kw, C_out, C_in); got {inputs.shape} and {kernel.shape}."
        )
    if inputs.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"`inputs` has {inputs.shape[-1]} channels but the kernel expects "
            f"{kernel.shape[-1]} (its last axis)."
        )
    batch, height, width, _ = inputs.shape
    kh, kw, channels_out, _ = kernel.shape
    sh, sw = _pair(strides, "strides")
    if output_padding is None:
        oph = opw = None
    else:
        oph, opw = _pair(output_padding, "output_padding")
    out_h = conv_transpose_output_length(height, kh, sh, padding, oph)
    out_w = conv_transpose_output_length(width, kw, sw, padding, opw)

    # BEGIN SOLUTION TODO 1.2: Add every input cell's kernel-weighted patch into a zero 'painted' array at (i * sh, j * sw), then cut the (out_h, out_w) output out of it and return it.
    painted_h, painted_w = (height - 1) * sh + kh, (width - 1) * sw + kw
    painted = np.zeros((batch, max(painted_h, out_h), max(painted_w, out_w), channels_out))
    for i in range(height):
        for j in range(width):
            patch = np.einsum("nc,hwoc->nhwo", inputs[:, i, j, :], kernel)
            painted[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :] += patch
    top = max(painted_h - out_h, 0) // 2 if padding.lower() == "same" else 0
    left = max(painted_w - out_w, 0) // 2 if padding.lower() == "same" else 0
    return painted[:, top : top + out_h, left : left + out_w, :]
    # END SOLUTION
