"""The NumPy transposed convolution must equal Keras's `Conv2DTranspose(use_bias=False)`."""

import functools
import itertools
import subprocess
import sys

import keras
import numpy as np
import pytest

from assignment.implementation import SOLUTION_DIR

KERNEL_SIZES = (1, 2, 3, 4, (2, 3), (4, 1))
STRIDES = (1, 2, 3, (1, 2), (3, 2))
PADDINGS = ("valid", "same")
# (input height and width, input channels, output channels); batch of 2.
INPUTS = (((1, 1), 2, 1), ((3, 3), 1, 1), ((4, 5), 3, 2))

# Lecture's worked example (one channel, no bias).
EXAMPLE_INPUT = np.array([[0, 1], [2, 3]], dtype=np.float64).reshape(1, 2, 2, 1)
EXAMPLE_KERNEL = np.array([[4, 5], [6, 7]], dtype=np.float64).reshape(2, 2, 1, 1)

# oneDNN, TensorFlow's CPU kernel library, refuses some configurations; in this
# grid, 64 of them, all with "same" padding, an explicit output_padding and an
# even kernel size. There is nothing to compare with there.
KERAS_REJECTS = "could not create a primitive descriptor"


def legal_output_paddings(strides):
    """None, then every output_padding below the stride: ints for an int stride, pairs otherwise."""
    if isinstance(strides, int):
        return [None, *range(strides)]
    return [None, *itertools.product(range(strides[0]), range(strides[1]))]


CONFIGS = [
    (kernel_size, strides, padding, output_padding, size, channels_in, channels_out)
    for kernel_size, strides, padding in itertools.product(KERNEL_SIZES, STRIDES, PADDINGS)
    for output_padding in legal_output_paddings(strides)
    for size, channels_in, channels_out in INPUTS
]


def config_id(config):
    kernel_size, strides, padding, output_padding, size, channels_in, channels_out = config
    return (
        f"k{kernel_size}-s{strides}-{padding}-op{output_padding}"
        f"-in{size[0]}x{size[1]}x{channels_in}-out{channels_out}"
    ).replace(" ", "")


@functools.lru_cache(maxsize=None)
def keras_layer(kernel_size, strides, padding, output_padding, channels_in, channels_out):
    """A built `Conv2DTranspose` with a random kernel, shared by the input sizes."""
    layer = keras.layers.Conv2DTranspose(
        channels_out,
        kernel_size,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        use_bias=False,
    )
    layer.build((None, None, None, channels_in))
    rng = np.random.default_rng(0)
    layer.kernel.assign(rng.normal(size=layer.kernel.shape).astype("float32"))
    return layer


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_conv2d_transpose_matches_keras(solution, config):
    kernel_size, strides, padding, output_padding, size, channels_in, channels_out = config
    layer = keras_layer(kernel_size, strides, padding, output_padding, channels_in, channels_out)
    inputs = np.random.default_rng(1).normal(size=(2, *size, channels_in)).astype("float32")
    try:
        expected = keras.ops.convert_to_numpy(layer(inputs))
    except Exception as error:  # TensorFlow raises its own error types.
        if KERAS_REJECTS in str(error):
            pytest.skip("Keras's Conv2DTranspose itself rejects this configuration")
        raise
    actual = solution.transposed_conv.conv2d_transpose(
        inputs, keras.ops.convert_to_numpy(layer.kernel), strides, padding, output_padding
    )
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("stride", (1, 2, 3))
def test_output_length_matches_keras(solution, padding, stride):
    length = solution.transposed_conv.conv_transpose_output_length
    for input_length, kernel_size in itertools.product(range(1, 7), range(1, 6)):
        for output_padding in legal_output_paddings(stride):
            layer = keras.layers.Conv2DTranspose(
                1,
                (kernel_size, 1),
                strides=(stride, 1),
                padding=padding,
                output_padding=None if output_padding is None else (output_padding, 0),
            )
            expected = layer.compute_output_shape((1, input_length, 1, 1))[1]
            actual = length(input_length, kernel_size, stride, padding, output_padding)
            assert actual == expected, (input_length, kernel_size, output_padding)


def test_worked_example_stride_1(solution):
    out = solution.transposed_conv.conv2d_transpose(EXAMPLE_INPUT, EXAMPLE_KERNEL, strides=1)
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 4, 5], [8, 28, 22], [12, 32, 21]])


def test_worked_example_stride_2(solution):
    out = solution.transposed_conv.conv2d_transpose(EXAMPLE_INPUT, EXAMPLE_KERNEL, strides=2)
    np.testing.assert_array_equal(
        out[0, :, :, 0],
        [[0, 0, 4, 5], [0, 0, 6, 7], [8, 10, 12, 15], [12, 14, 18, 21]],
    )


def test_worked_example_same_padding_keeps_top_left(solution):
    out = solution.transposed_conv.conv2d_transpose(
        EXAMPLE_INPUT, EXAMPLE_KERNEL, strides=1, padding="same"
    )
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 4], [8, 28]])


def test_bad_padding_is_a_clear_error(solution):
    tc = solution.transposed_conv
    with pytest.raises(ValueError, match="padding"):
        tc.conv_transpose_output_length(3, 3, 2, padding="full")
    with pytest.raises(ValueError, match="padding"):
        tc.conv2d_transpose(EXAMPLE_INPUT, EXAMPLE_KERNEL, strides=2, padding="full")


@pytest.mark.parametrize("strides, output_padding", [(2, 2), (2, -1), (1, 1), ((3, 2), (0, 2))])
def test_output_padding_must_be_below_stride(solution, strides, output_padding):
    tc = solution.transposed_conv
    with pytest.raises(ValueError, match="output_padding"):
        tc.conv2d_transpose(EXAMPLE_INPUT, EXAMPLE_KERNEL, strides, "valid", output_padding)
    if isinstance(strides, int):
        with pytest.raises(ValueError, match="output_padding"):
            tc.conv_transpose_output_length(3, 2, strides, "valid", output_padding)


def test_module_does_not_import_tensorflow_or_keras():
    check = (
        "import sys; import transposed_conv; "
        "loaded = {'tensorflow', 'keras'} & set(sys.modules); "
        "sys.exit(f'transposed_conv imported {sorted(loaded)}' if loaded else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=SOLUTION_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
