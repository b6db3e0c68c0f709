"""Probes of Part 1: the NumPy transposed convolution (`transposed_conv.py`).

They call `conv_transpose_output_length` and `conv2d_transpose` on the
configurations the grading process sends, and report what the student's module
imported. Whether the values are right is decided by
`autograder.checks.transposed_conv`.

Workers are forked from a zygote that has imported TensorFlow already, so what
the student's module imports is measured in a fresh interpreter
(`IMPORT_SCRIPT`), which loads nothing but the student's module and what it
loads.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from autograder.worker.probes import probe
from assignment.student_errors import exception_text

# Run by a fresh interpreter in the folder of the student's files: imports transposed_conv,
# calls its two functions once (any error ignored: what they import when they run counts
# too), prints the top-level modules loaded before and by it.
IMPORT_SCRIPT = """
import json, sys
import numpy
before = set(sys.modules)
sys.path.insert(0, ".")
try:
    import transposed_conv
    for call in (lambda: transposed_conv.conv_transpose_output_length(2, 2, 1, "valid", None),
                 lambda: transposed_conv.conv2d_transpose(numpy.ones((1, 2, 2, 1)),
                                                          numpy.ones((2, 2, 1, 1)))):
        try:
            call()
        except BaseException:
            pass
except BaseException:
    pass
top = lambda names: sorted({name.split(".")[0] for name in names})
print(json.dumps({"imported": top(set(sys.modules) - before), "loaded_before": top(before)}))
"""
IMPORT_TIMEOUT = 60


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
    `NotImplementedError`), so that an unfinished file is not graded as
    NumPy-only; then a fresh interpreter imports the file and calls them
    (`IMPORT_SCRIPT`).

    Returns:
        `source`: the text of the student's file (parsed, never run, by the
        grading process); `imported`: the top-level names of the modules
        loaded by the student's code; `loaded_before`: those the fresh
        interpreter had loaded before it.
    """
    module = impl.transposed_conv
    _raise_if_not_done(module.conv_transpose_output_length, 2, 2, 1, "valid", None)
    _raise_if_not_done(module.conv2d_transpose, np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)))
    with open(module.__file__, encoding="utf-8") as file:
        source = file.read()
    measured = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT],
                              cwd=Path(module.__file__).parent,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=IMPORT_TIMEOUT, check=True)
    return {"source": source, **json.loads(measured.stdout.strip().splitlines()[-1])}
