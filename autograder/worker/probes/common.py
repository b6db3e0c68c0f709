"""Helpers shared by the probe modules.

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


def one_line_error(exception):
    """`"TypeError: message"`, on one line."""
    message = " ".join(str(exception).split())
    return f"{type(exception).__name__}: {message}" if message else type(exception).__name__
