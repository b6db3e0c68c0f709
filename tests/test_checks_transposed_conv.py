"""The checks of Part 1 (transposed convolution) grade what they should.

The reference they compare with agrees with Keras; the solution and a second,
differently written implementation pass every check; the stencil scores
nothing; each classic mistake (a mutant of the solution) fails its check with
feedback that names it; and the checks work through the real sandbox.
"""

import itertools
import shutil

import keras
import numpy as np
import pytest

import autograder.checks.transposed_conv as checks
import autograder.worker.probes.transposed_conv  # noqa: F401  (registers the probes)
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, STENCIL_DIR, load_implementation
from autograder import diagnosis, rubric, runner
from autograder.reference import transposed_conv as reference
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from tests.fixtures import in_process, mutants

PART = "transposed_conv"
ALT_DIR = REPO_ROOT / "tests" / "fixtures" / "alt_impl"
MUTANTS = [mistake for mistake in mutants.mutant_ids()
           if mutants.load(mistake).CHECK.startswith(f"{PART}.")]
# oneDNN's refusal of a configuration (see `reference.keras_accepts`).
KERAS_REJECTS = "could not create a primitive descriptor"


def keras_output(case):
    """Keras's `Conv2DTranspose(use_bias=False)` with the case's kernel, on the case's input."""
    kernel = case["kernel"]
    layer = keras.layers.Conv2DTranspose(
        kernel.shape[2], kernel.shape[:2], strides=case["strides"], padding=case["padding"],
        output_padding=case["output_padding"], use_bias=False,
    )
    layer.build((None, None, None, kernel.shape[3]))
    layer.kernel.assign(kernel.astype("float32"))
    return keras.ops.convert_to_numpy(layer(case["inputs"].astype("float32")))


def grade(directory):
    return in_process.grade_part(load_implementation(directory, modules=(PART,)), PART,
                                 GradingContext(0))


def test_reference_gives_the_lecture_examples():
    x, kernel = checks.EXAMPLE_INPUT, checks.EXAMPLE_KERNEL
    np.testing.assert_array_equal(reference.conv_transpose(x, kernel, 1)[0, :, :, 0],
                                  [[0, 4, 5], [8, 28, 22], [12, 32, 21]])
    np.testing.assert_array_equal(
        reference.conv_transpose(x, kernel, 2)[0, :, :, 0],
        [[0, 0, 4, 5], [0, 0, 6, 7], [8, 10, 12, 15], [12, 14, 18, 21]],
    )
    np.testing.assert_array_equal(reference.conv_transpose(x, kernel, 1, "same")[0, :, :, 0],
                                  [[0, 4], [8, 28]])


@pytest.mark.parametrize("seed", [0, 1])
def test_reference_equals_keras_on_the_graded_configurations(seed):
    cases = CHECKS["transposed_conv.keras_equivalence"].cases(GradingContext(seed))
    for case in cases:
        np.testing.assert_allclose(reference.conv_transpose(**case), keras_output(case),
                                   rtol=1e-4, atol=1e-4, err_msg=checks.call_text(case))
    kernels = [case["kernel"].shape for case in cases]
    assert any(shape[2] == shape[3] > 1 for shape in kernels)
    assert any(case["padding"] == "same" and case["kernel"].shape[0] % 2 == 0 for case in cases)
    assert any(case["output_padding"] is not None for case in cases)
    assert any(isinstance(case["strides"], list) for case in cases)


def test_reference_length_rule_equals_keras():
    for n, k, s, padding in itertools.product(range(1, 7), range(1, 6), range(1, 4),
                                              reference.PADDINGS):
        for output_padding in (None, *range(s)):
            layer = keras.layers.Conv2DTranspose(
                1, (k, 1), strides=(s, 1), padding=padding,
                output_padding=None if output_padding is None else (output_padding, 0),
            )
            expected = layer.compute_output_shape((1, n, 1, 1))[1]
            assert reference.conv_transpose_length(n, k, s, padding, output_padding) == expected


def test_keras_accepts_exactly_what_keras_computes():
    # Only "same" with output_padding can be refused; the rest always is computed.
    assert all(reference.keras_accepts(n, k, s, padding, output_padding)
               for n, k, s, output_padding, padding in itertools.product(
                   range(1, 5), range(1, 6), range(2, 4), (None, 1), reference.PADDINGS)
               if padding == "valid" or output_padding is None)
    for n, k, s in itertools.product(range(1, 5), range(1, 6), range(1, 4)):
        for output_padding in range(s):
            layer = keras.layers.Conv2DTranspose(
                1, (k, 1), strides=(s, 1), padding="same", use_bias=False,
                output_padding=(output_padding, 0),
            )
            try:
                computed = layer(np.ones((1, n, 1, 1), "float32")).shape[1] > 0
            except Exception as error:  # TensorFlow raises its own error types.
                assert KERAS_REJECTS in str(error)
                computed = False
            assert reference.keras_accepts(n, k, s, "same", output_padding) == computed


@pytest.mark.parametrize("directory", [SOLUTION_DIR, ALT_DIR], ids=["solution", "alt_impl"])
def test_correct_implementations_get_full_marks(directory):
    outcomes = grade(directory)
    assert set(outcomes) == {check.id for check in rubric.parts([PART])[0].checks}
    assert {check_id: outcome.fraction for check_id, outcome in outcomes.items()} == {
        check_id: 1.0 for check_id in outcomes}


def test_stencil_scores_nothing():
    outcomes = grade(STENCIL_DIR)
    assert all(outcome.fraction == 0 for outcome in outcomes.values())
    assert "TODO 1.1 is not done yet" in outcomes["transposed_conv.output_length"].feedback
    assert "TODO 1.1 is not done yet" in outcomes["transposed_conv.numpy_only"].feedback


@pytest.mark.parametrize("mistake", MUTANTS)
def test_mutant_fails_its_check_and_names_the_mistake(mistake, tmp_path):
    check_id = mutants.load(mistake).CHECK
    impl = load_implementation(mutants.build(mistake, tmp_path), modules=(PART,))
    ctx = GradingContext(0)
    outcome = in_process.score(check_id, in_process.probe_results(impl, check_id, ctx), ctx)
    assert outcome.fraction < 1
    assert outcome.diagnosis == mistake
    assert diagnosis.MISTAKES[mistake].name in outcome.feedback


def numpy_only(source, imported=(), loaded_before=()):
    value = {"source": source, "imported": list(imported), "loaded_before": list(loaded_before)}
    ctx = GradingContext(0)
    return CHECKS["transposed_conv.numpy_only"].score(
        in_process.answered("transposed_conv.numpy_only", {"imports": value}, ctx), ctx)


def test_numpy_only_finds_direct_imports_in_the_source():
    source = (
        "import numpy as np\n"
        "import tensorflow.experimental.numpy as tnp\n"
        "from keras import ops\n"
        "def f():\n"
        "    return __import__('tf_keras')\n"
    )
    outcome = numpy_only(source)
    assert outcome.fraction == 0
    assert outcome.got == ("line 2 imports tensorflow; line 3 imports keras; "
                           "line 5 imports tf_keras")
    assert numpy_only("import numpy as np\nimport itertools\n").fraction == 1


def test_numpy_only_counts_frameworks_loaded_by_the_import():
    assert numpy_only("import helper\n", imported=["helper", "keras", "numpy"]).got == (
        "importing transposed_conv loaded keras")
    # Loaded before the student's module: not the student's doing, nothing to see.
    assert numpy_only("import numpy\n", imported=[], loaded_before=["keras"]).fraction == 1


def test_graded_through_the_sandbox(tmp_path):
    solution = runner.grade(SOLUTION_DIR, parts=[PART], include_hidden=True, checks=CHECKS)
    assert [report.status for report in solution.checks] == [runner.PASSED] * 4

    for source in SOLUTION_DIR.glob("*.py"):
        shutil.copy(source, tmp_path / source.name)
    module = tmp_path / "transposed_conv.py"
    module.write_text(module.read_text().replace(
        "import numpy as np\n", "import numpy as np\nfrom autoencoder import IMAGE_SHAPE\n", 1))
    indirect = runner.grade(tmp_path, parts=[PART], include_hidden=True, checks=CHECKS)
    report = {report.check.id: report for report in indirect.checks}["transposed_conv.numpy_only"]
    assert report.status == runner.FAILED
    assert "importing transposed_conv loaded tensorflow, keras" in report.got
