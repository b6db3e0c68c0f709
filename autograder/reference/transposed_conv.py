"""Reference values of Part 1: Keras's transposed convolution, and its classic mistakes.

The checks of Part 1 compare what a student's code returns with the values
computed here, and with the values that classic mistakes give (each mistake is
a switch of the reference function), so that the feedback can name the
mistake. Nothing here is shared with `assignment/solution/`: the transposed
convolution below uses a different algorithm than the one the handout asks
for, and the tests validate it against `keras.layers.Conv2DTranspose`.

Transposed convolution by zero insertion (one axis; the other works the same):

1. *dilate*: put `s - 1` zeros between the input cells, `(n - 1) * s + 1` cells;
2. *pad* `k - 1` zeros on both sides;
3. *correlate* (slide without flipping) with the kernel rotated by 180 degrees.

This gives the full *painted* length `(n - 1) * s + k`, which is then cut to the
output length given by Keras's rule: `"valid"` keeps the start, `"same"` drops
`floor(excess / 2)` cells at the start and the rest at the end, and an output
longer than the painted length is filled with zeros at the end.
"""

import numpy as np

PADDINGS = ("valid", "same")


def _pair(value):
    """`3 -> (3, 3)`, `(2, 1) -> (2, 1)`, `None -> (None, None)`."""
    if value is None:
        return None, None
    if np.ndim(value) == 0:
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


def conv_transpose_length(n, k, s=1, padding="valid", output_padding=None, *,
                          keep_stride_gaps=True):
    """Output length of a transposed convolution along one axis, by Keras's rule.

    Args:
        n: input length.
        k: kernel size.
        s: stride.
        padding: `"valid"` or `"same"`.
        output_padding: `None` or an int in `[0, s)`.
        keep_stride_gaps: `False` gives the classic mistake for `"valid"`
            without `output_padding`: `(n - 1) * s + k`, which forgets that a
            stride larger than the kernel still spaces the copies `s` apart
            (Keras: `(n - 1) * s + max(k, s)`).

    Returns:
        The length, an int.
    """
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    if output_padding is None:
        if padding == "same":
            return n * s
        return (n - 1) * s + (max(k, s) if keep_stride_gaps else k)
    crop = 2 * (k // 2) if padding == "same" else 0
    return (n - 1) * s + k - crop + output_padding


def keras_accepts(n, k, s, padding, output_padding=None):
    """Whether Keras's `Conv2DTranspose` computes this configuration along one axis.

    TensorFlow computes a transposed convolution as the gradient of a
    convolution, so for `"same"` with an explicit `output_padding` the output
    length `L` must convolve back to the input length (`ceil(L / s) == n`);
    otherwise TensorFlow's CPU kernels refuse it ("could not create a primitive
    descriptor"). Empty outputs are refused here too.
    """
    length = conv_transpose_length(n, k, s, padding, output_padding)
    if length <= 0:
        return False
    return padding == "valid" or output_padding is None or -(-length // s) == n


def _dilate_and_pad(inputs, strides, kernel_size):
    """Zero insertion between the input cells, then `k - 1` zeros on each side."""
    batch, height, width, channels = inputs.shape
    (sh, sw), (kh, kw) = strides, kernel_size
    padded = np.zeros(
        (batch, (height - 1) * sh + 1 + 2 * (kh - 1), (width - 1) * sw + 1 + 2 * (kw - 1),
         channels)
    )
    padded[:, kh - 1 : kh - 1 + (height - 1) * sh + 1 : sh,
           kw - 1 : kw - 1 + (width - 1) * sw + 1 : sw, :] = inputs
    return padded


def _fit(painted, length, axis, crop_at_start):
    """Cuts (or zero-extends at the end) `painted` to `length` along `axis`."""
    start = crop_at_start
    kept = np.take(painted, np.arange(start, min(start + length, painted.shape[axis])), axis=axis)
    missing = length - kept.shape[axis]
    if missing > 0:
        widths = [(0, 0)] * painted.ndim
        widths[axis] = (0, missing)
        kept = np.pad(kept, widths)
    return kept


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, *,
                   flip_kernel=False, crop_more_at_start=False, swap_channel_axes=False):
    """Keras's `Conv2DTranspose(use_bias=False)` in NumPy, float64, by zero insertion.

    The keyword-only switches give the values of classic mistakes instead.

    Args:
        inputs: array `(N, H, W, C_in)`.
        kernel: array `(kh, kw, C_out, C_in)`, Keras's layout.
        strides: int or pair.
        padding: `"valid"` or `"same"`.
        output_padding: `None`, an int or a pair.
        flip_kernel: paint the kernel rotated by 180 degrees (the convolution's
            flip applied once too many).
        crop_more_at_start: for `"same"`, drop `ceil(excess / 2)` cells at the
            top/left instead of `floor(excess / 2)` (the crop on the wrong side).
        swap_channel_axes: read the kernel as `(kh, kw, C_in, C_out)`; needs
            `C_in == C_out`.

    Returns:
        Array `(N, H_out, W_out, C_out)`.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if swap_channel_axes:
        kernel = kernel.transpose(0, 1, 3, 2)
    if flip_kernel:
        kernel = kernel[::-1, ::-1]
    strides = _pair(strides)
    output_padding = _pair(output_padding)
    kh, kw = kernel.shape[:2]
    padded = _dilate_and_pad(inputs, strides, (kh, kw))
    painted_h, painted_w = padded.shape[1] - kh + 1, padded.shape[2] - kw + 1
    rotated = kernel[::-1, ::-1]
    painted = np.zeros((len(inputs), painted_h, painted_w, kernel.shape[2]))
    for a in range(kh):
        for b in range(kw):
            window = padded[:, a : a + painted_h, b : b + painted_w, :]
            painted += np.einsum("nhwc,oc->nhwo", window, rotated[a, b])
    for axis, n, k, s, op, full in (
        (1, inputs.shape[1], kh, strides[0], output_padding[0], painted_h),
        (2, inputs.shape[2], kw, strides[1], output_padding[1], painted_w),
    ):
        length = conv_transpose_length(n, k, s, padding, op)
        excess = max(full - length, 0) if padding == "same" else 0
        start = -(-excess // 2) if crop_more_at_start else excess // 2
        painted = _fit(painted, length, axis, start)
    return painted
