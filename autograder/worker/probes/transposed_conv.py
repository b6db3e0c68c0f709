"""Probes of Part 1: the NumPy transposed convolution (`transposed_conv.py`).

They call `conv_transpose_output_length` and `conv2d_transpose` on the
configurations the grading process sends, and report what the student's module
imported. Whether the values are right is decided by
`autograder.checks.transposed_conv`.

This module imports NumPy only: the worker imports it before the student's
module, so whatever TensorFlow or Keras module is loaded afterwards was loaded by
the student's code.
"""

import sys

import numpy as np

from autograder.worker.probes import probe
from assignment.student_errors import exception_text

# Modules loaded before the student's module (the worker imports this module first).
_LOADED_BEFORE_STUDENT = frozenset(sys.modules)


def _pair_or_int(value):
    """JSON turns pairs into lists; students may expect tuples."""
    return tuple(value) if isinstance(value, list) else value


@probe("transposed_conv.output_lengths")
def output_lengths(impl, configs):
    """Calls `conv_transpose_output_length` on each configuration.

    A `NotImplementedError` (an unfinished TODO) ends the probe; any other
    exception is recorded for its configuration only.

    Args:
        configs: list of `[input_length, kernel_size, stride, padding,
            output_padding]`.

    Returns:
        `lengths`: the value returned for each configuration (None where it
        raised), `errors`: the exception of each configuration (or None).
    """
    lengths, errors = [], []
    for n, k, s, padding, output_padding in configs:
        try:
            length = impl.transposed_conv.conv_transpose_output_length(
                n, k, s, padding, output_padding
            )
            lengths.append(int(length))
            errors.append(None)
        except NotImplementedError:
            raise
        except Exception as exception:  # noqa: BLE001  (reported per configuration)
            lengths.append(None)
            errors.append(exception_text(exception))
    return {"lengths": lengths, "errors": errors}


@probe("transposed_conv.outputs")
def outputs(impl, cases):
    """Calls `conv2d_transpose` on each case.

    Args:
        cases: list of dicts with `inputs`, `kernel`, `strides`, `padding`
            and `output_padding`.

    Returns:
        `outputs`: the float64 array returned for each case (None where it
        raised), `errors`: the exception of each case (or None).
    """
    results, errors = [], []
    for case in cases:
        try:
            output = impl.transposed_conv.conv2d_transpose(
                case["inputs"],
                case["kernel"],
                _pair_or_int(case["strides"]),
                case["padding"],
                _pair_or_int(case["output_padding"]),
            )
            results.append(np.asarray(output, dtype=np.float64))
            errors.append(None)
        except NotImplementedError:
            raise
        except Exception as exception:  # noqa: BLE001
            results.append(None)
            errors.append(exception_text(exception))
    return {"outputs": results, "errors": errors}


def _raise_if_not_done(function, *args):
    """Calls `function(*args)`; re-raises only `NotImplementedError` (a TODO not done yet)."""
    try:
        function(*args)
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001  (a wrong answer is graded by the other checks)
        pass


@probe("transposed_conv.imports")
def imports(impl):
    """What `transposed_conv.py` imports, once its two functions are written.

    Both functions are called once first (any values, any error but a TODO's
    `NotImplementedError`), so that what they import when they run counts too
    and an unfinished file is not graded as NumPy-only.

    Returns:
        `source`: the text of the student's file (parsed, never run, by the
        grading process); `imported`: the top-level names of the modules
        loaded after this module, i.e. by the student's code;
        `loaded_before`: those already loaded before it.
    """
    module = impl.transposed_conv
    _raise_if_not_done(module.conv_transpose_output_length, 2, 2, 1, "valid", None)
    _raise_if_not_done(module.conv2d_transpose, np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)))
    with open(module.__file__, encoding="utf-8") as file:
        source = file.read()
    imported = set(sys.modules) - _LOADED_BEFORE_STUDENT
    return {
        "source": source,
        "imported": sorted({name.split(".")[0] for name in imported}),
        "loaded_before": sorted({name.split(".")[0] for name in _LOADED_BEFORE_STUDENT}),
    }
