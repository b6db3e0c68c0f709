"""The student bundle holds no answer: nothing in it computes a TODO's result.

`python -m autograder release` leaves out the reference values and the
stand-ins; its visible checks read recorded expectations. This test imports
every module of a built bundle, in a process of its own run in the bundle's
folder (whatever the calls write stays there), and calls every function it
finds on the lecture's worked example, a PCA problem and the output-length
rule: none may return a right answer.
"""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from assignment.implementation import REPO_ROOT
from autograder.cli import main
from autograder.reference.pca import pca
from autograder.reference.transposed_conv import conv_transpose, conv_transpose_length

EXAMPLE_INPUT = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 2, 2, 1)
EXAMPLE_KERNEL = np.array([[4.0, 5.0], [6.0, 7.0]]).reshape(2, 2, 1, 1)
PCA_DATA = np.random.default_rng(0).normal(size=(40, 6)) @ np.diag([6.0, 5, 4, 3, 2, 1]) + 2.0
LENGTHS = [(3, 3, 2, "valid", None), (3, 3, 2, "same", None), (4, 3, 3, "same", 1),
           (2, 1, 3, "valid", None), (5, 4, 2, "valid", 1)]

# Runs inside the bundle: imports everything, calls everything, prints what came back as JSON.
PROBE = r'''
import importlib, inspect, json, pathlib, signal, sys
import numpy as np
sys.path.insert(0, ".")
from assignment.implementation import load_implementation

calls = json.loads(sys.argv[1])
# Modules that fork, exit, change user or enter namespaces: no answers, and not to call blindly.
PROCESS_CONTROL = ("zygote", "confinement")
modules = []
for path in sorted(path for package in ("assignment", "autograder")
                   for path in pathlib.Path(package).rglob("*.py")):
    if "solution" in path.parts or path.name == "__main__.py" or path.stem in PROCESS_CONTROL:
        continue
    name = ".".join(path.with_suffix("").parts).removesuffix(".__init__")
    try:
        modules.append(importlib.import_module(name))
    except Exception:
        pass
modules += list(vars(load_implementation("stencil")).values())
functions = []
for module in modules:
    for _, member in inspect.getmembers(module):
        if inspect.isfunction(member):
            functions.append(member)
        elif inspect.isclass(member):
            functions += [value for value in vars(member).values() if isinstance(value, staticmethod)]
returned = []
signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
for function in functions:
    function = getattr(function, "__func__", function)
    for name, args in calls.items():
        signal.alarm(5)
        try:
            value = function(*[np.array(a) if isinstance(a, list) else a for a in args])
        except BaseException:
            continue
        finally:
            signal.alarm(0)
        try:
            value = [np.asarray(item, dtype=float).tolist() for item in
                     (value if isinstance(value, tuple) else (value,))]
        except Exception:
            continue
        returned.append([f"{function.__module__}.{function.__qualname__}", name, value])
print(json.dumps(returned))
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "bundle"
    assert main(["release", str(out)]) == 0
    return out


def right_answers():
    """Call name -> `(arguments, the right answers)` of the worked examples, PCA and lengths."""
    calls = {}
    for strides, padding in ((1, "valid"), (2, "valid"), (1, "same")):
        calls[f"conv {strides} {padding}"] = (
            [EXAMPLE_INPUT.tolist(), EXAMPLE_KERNEL.tolist(), strides, padding],
            [conv_transpose(EXAMPLE_INPUT, EXAMPLE_KERNEL, strides, padding)])
    calls["conv default"] = ([EXAMPLE_INPUT.tolist(), EXAMPLE_KERNEL.tolist()],
                             [conv_transpose(EXAMPLE_INPUT, EXAMPLE_KERNEL)])
    components, _, eigenvalues = pca(PCA_DATA, 3)
    calls["pca"] = ([PCA_DATA.tolist(), 3], [components, eigenvalues[:3] / eigenvalues.sum()])
    for config in LENGTHS:
        calls[f"length {config}"] = (list(config), [conv_transpose_length(*config)])
    return calls


def is_right(value, answers):
    """Whether any array `value` returned equals a right answer (components up to sign)."""
    for got in value:
        got = np.asarray(got)
        for answer in answers:
            answer = np.asarray(answer, dtype=float)
            if got.shape == answer.shape and (np.allclose(got, answer, atol=1e-6)
                                              or np.allclose(np.abs(got), np.abs(answer),
                                                             atol=1e-6)):
                return True
    return False


def right_returns(directory):
    """`(function, call)` of every function under `directory` that returns a right answer."""
    calls = right_answers()
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps({name: args for name, (args, _) in calls.items()})],
        cwd=directory, capture_output=True, text=True, timeout=600,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"})
    assert finished.returncode == 0, finished.stderr[-3000:]
    returned = json.loads(finished.stdout.splitlines()[-1])
    assert returned, "no function could be called at all"
    return [(function, name) for function, name, value in returned
            if is_right(value, calls[name][1])]


def test_no_function_of_the_bundle_returns_a_right_answer(bundle):
    assert right_returns(bundle) == []


def test_a_bundle_with_the_reference_does_return_right_answers(bundle, tmp_path):
    """The test above can fail: put the reference back into a bundle and it finds the answers."""
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    shutil.copytree(REPO_ROOT / "autograder" / "reference", copy / "autograder" / "reference")
    found = {function for function, _ in right_returns(copy)}
    assert "autograder.reference.transposed_conv.conv_transpose" in found
    assert "autograder.reference.transposed_conv.conv_transpose_length" in found
