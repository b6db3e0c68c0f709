"""Tensors in and out of student code: the grader's plain arrays as tensors, results as arrays.

Imports nothing heavy at module level: the transposed-convolution probes must
not load Keras before the student's module is imported (they check whether
that module loads it).
"""


def as_array(value, what):
    """Converts a tensor returned by student code to a NumPy array.

    Args:
        value: what the student code returned.
        what: the call that returned it, for the error message.

    Returns:
        A NumPy array with a numeric dtype.

    Raises:
        TypeError: `value` is None or not a numeric tensor / array.
    """
    import numpy as np
    from keras import ops

    if value is None:
        raise TypeError(f"{what} returned None instead of a tensor.")
    try:
        array = np.asarray(ops.convert_to_numpy(value))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{what} returned {type(value).__name__}, which is not a tensor: {error}"
        ) from None
    if array.dtype == object:
        raise TypeError(f"{what} returned {type(value).__name__}, not a numeric tensor.")
    return array


def as_pair(value, what):
    """Checks that student code returned two tensors and converts them to arrays."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        described = f"a {type(value).__name__}"
        if isinstance(value, (tuple, list)):
            described += f" of length {len(value)}"
        raise TypeError(f"{what} must return a pair (z_mean, z_log_var), got {described}.")
    return tuple(as_array(item, f"{what}[{i}]") for i, item in enumerate(value))


def optional_array(gradient):
    """A gradient as a dense array (also from `tf.IndexedSlices`), or None when there is none."""
    import numpy as np
    import tensorflow as tf

    return None if gradient is None else np.asarray(tf.convert_to_tensor(gradient))


def tensor(array, dtype="float32"):
    """`array` (plain data from the grader) as a tensor of `dtype`."""
    import numpy as np
    from keras import ops

    return ops.convert_to_tensor(np.asarray(array), dtype=dtype)
