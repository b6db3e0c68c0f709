"""Checks of Part 1: the NumPy transposed convolution (`transposed_conv.py`).

Expected values come from `autograder.reference.transposed_conv` (through
each check's `expect`, see `GradingContext.expected`), which computes Keras's
`Conv2DTranspose` by zero insertion (a different algorithm than the one the
handout asks for) and is validated against Keras by the tests. Its switches
give the values of the classic mistakes (a flipped kernel, the `"same"` crop
on the wrong side, the kernel's channel axes swapped, the `"valid"` length
without `max(k, s)`), which the feedback names when the student's values
match them.
"""

import ast
import itertools

import numpy as np

from autograder.checks.common import mistake_feedback
from autograder.checks.registry import Check, Outcome, register, require
from autograder.protocol import Probe

# Relative and absolute tolerance: the values are O(1) to O(10); a float32
# implementation is accurate to about 1e-6 of them.
TOLERANCE = 1e-4
FRAMEWORKS = ("tensorflow", "keras", "tf_keras")
PADDINGS = ("valid", "same")
# The classic mistakes of the painting, as switches of `reference.conv_transpose`.
OUTPUT_MISTAKES = {"conv_transpose_flipped_kernel": {"flip_kernel": True},
                   "conv_transpose_same_crop_side": {"crop_more_at_start": True}}

# The lecture's worked example (SPEC section 3): one channel, no bias.
EXAMPLE_INPUT = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 2, 2, 1)
EXAMPLE_KERNEL = np.array([[4.0, 5.0], [6.0, 7.0]]).reshape(2, 2, 1, 1)
EXAMPLES = (
    ("stride 1, 'valid'", 1, "valid"),
    ("stride 2, 'valid'", 2, "valid"),
    ("stride 1, 'same'", 1, "same"),
)


def matches(got, expected):
    """Whether array `got` has the shape and (within tolerance) the values of `expected`."""
    if got is None:
        return False
    got = np.asarray(got)
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE)
    )


def grid(values):
    """An array on one line: `[[0, 4], [8, 28]]`."""
    values = np.asarray(values)
    if values.ndim == 0:
        return f"{values:.4g}"
    return "[" + ", ".join(grid(row) for row in values) + "]"


def call_text(case):
    """`conv2d_transpose(input (1, 2, 2, 1), kernel (2, 2, 1, 1), strides=2, padding='same')`."""
    arguments = [f"input {tuple(case['inputs'].shape)}", f"kernel {tuple(case['kernel'].shape)}",
                 f"strides={case['strides']!r}", f"padding={case['padding']!r}"]
    if case["output_padding"] is not None:
        arguments.append(f"output_padding={case['output_padding']!r}")
    return f"conv2d_transpose({', '.join(arguments)})"


def expected_outputs(cases, mistakes=OUTPUT_MISTAKES):
    """The reference outputs of `cases`, and per mistake of `mistakes` the outputs it gives.

    Returns:
        A dict `"right"` -> list of arrays, and mistake id -> list of arrays
        (None for a case where the mistake cannot be told apart).
    """
    from autograder.reference import transposed_conv as reference

    def output(case, **switch):
        return reference.conv_transpose(case["inputs"], case["kernel"], case["strides"],
                                        case["padding"], case["output_padding"], **switch)

    outputs = {"right": [output(case) for case in cases]}
    for mistake_id, switch in mistakes.items():
        outputs[mistake_id] = [output(case, **switch) if applies(mistake_id, case) else None
                               for case in cases]
    return outputs


def applies(mistake_id, case):
    """Whether `mistake_id` gives its own values on `case` (swapped channels need C_in == C_out)."""
    kernel_shape = np.shape(case["kernel"])
    return mistake_id != "conv_transpose_channel_layout" or kernel_shape[2] == kernel_shape[3]


def difference_text(got, error, expected):
    """What went wrong with one output: the exception, a wrong shape or the largest error."""
    if error is not None:
        return f"raised {error}"
    got = np.asarray(got)
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    return f"largest difference {np.max(np.abs(got - expected)):.3g}"


@register("transposed_conv.output_length")
class OutputLength(Check):
    """`conv_transpose_output_length` against Keras's rule on a grid of configurations.

    The configurations fall into four groups: `"valid"` / `"same"`, without /
    with `output_padding`; each group fully right earns a quarter.
    """

    GROUPS = (("valid", False), ("same", False), ("valid", True), ("same", True))

    @staticmethod
    def configs():
        """Every `[n, k, s, padding, output_padding]` with n <= 6, k <= 5, s <= 3."""
        return [
            [n, k, s, padding, output_padding]
            for n, k, s, padding in itertools.product(
                range(1, 7), range(1, 6), range(1, 4), PADDINGS
            )
            for output_padding in (None, *range(s))
        ]

    def probes(self, ctx):
        return {"lengths": Probe("transposed_conv.output_lengths", {"configs": self.configs()})}

    @staticmethod
    def expect(inputs):
        """Keras's length for every configuration, and the length without `max(k, s)`."""
        from autograder.reference.transposed_conv import conv_transpose_length

        configs = inputs["lengths"]["configs"]
        return {"lengths": [conv_transpose_length(*config) for config in configs],
                "without_max": [conv_transpose_length(*config, keep_stride_gaps=False)
                                for config in configs]}

    def score(self, results, ctx):
        value = require(results, "lengths")
        configs = results["lengths"].inputs["configs"]
        expected_values = ctx.expected(self, results)
        wrong = {group: [] for group in self.GROUPS}
        for config, got, error, expected, without_max in zip(
                configs, value["lengths"], value["errors"], expected_values["lengths"],
                expected_values["without_max"]):
            if got != expected:
                group = (config[3], config[4] is not None)
                wrong[group].append((config, got, error, expected, without_max))
        failed = [item for group in self.GROUPS for item in wrong[group]]
        fraction = sum(not wrong[group] for group in self.GROUPS) / len(self.GROUPS)
        expected = ("Keras's rule for 'valid' and 'same', with and without output_padding, "
                    f"on all {len(configs)} configurations")
        if not failed:
            return Outcome.passed(expected, f"all {len(configs)} lengths right")
        examples = "; ".join(self.describe(*item[:4]) for item in failed[:3])
        groups = ", ".join(
            f"{padding} {'with' if with_op else 'without'} output_padding: "
            f"{len(wrong[(padding, with_op)])} wrong"
            for padding, with_op in self.GROUPS if wrong[(padding, with_op)]
        )
        got = f"{len(failed)} of {len(configs)} lengths wrong ({groups}). {examples}"
        mistake_id = self.diagnose(failed)
        if mistake_id:
            return Outcome(fraction, expected, got, mistake_feedback(mistake_id), mistake_id)
        return Outcome(fraction, expected, got,
                       "Check the formula of each padding against the docstring's rule.")

    @staticmethod
    def describe(config, got, error, expected):
        n, k, s, padding, output_padding = config
        call = f"conv_transpose_output_length({n}, {k}, {s}, {padding!r}, {output_padding})"
        return f"{call} should be {expected}, " + (f"raised {error}" if error else f"got {got}")

    @staticmethod
    def diagnose(failed):
        """The mistake that explains every wrong length, or None.

        Wrong lengths only where `output_padding` is given point at its rule.
        """
        if all(got == without_max for _, got, _, _, without_max in failed):
            return "conv_transpose_valid_length"
        if all(config[4] is not None for config, *_ in failed):
            return "conv_transpose_output_padding_length"
        return None


@register("transposed_conv.worked_examples")
class WorkedExamples(Check):
    """The lecture's worked example: stride 1 and 2 with `"valid"`, stride 1 with `"same"`."""

    @staticmethod
    def cases():
        return [
            {"inputs": EXAMPLE_INPUT, "kernel": EXAMPLE_KERNEL, "strides": strides,
             "padding": padding, "output_padding": None}
            for _, strides, padding in EXAMPLES
        ]

    def probes(self, ctx):
        return {"examples": Probe("transposed_conv.outputs", {"cases": self.cases()},
                                  stand_ins=("1.1",))}

    @staticmethod
    def expect(inputs):
        return expected_outputs(inputs["examples"]["cases"])

    def score(self, results, ctx):
        value = require(results, "examples")
        outputs = ctx.expected(self, results)
        rows, wrong = [], []
        for index, ((title, _, _), got, error) in enumerate(zip(EXAMPLES, value["outputs"],
                                                                value["errors"])):
            expected = outputs["right"][index]
            if matches(got, expected):
                continue
            shown = f"raised {error}" if error else grid(np.asarray(got).squeeze())
            rows.append((f"{title}: {grid(expected[0, :, :, 0])}", f"{title}: {shown}"))
            wrong.append((index, got))
        fraction = 1 - len(wrong) / len(EXAMPLES)
        if not wrong:
            return Outcome.passed("the three worked examples", "all three right")
        expected_text, got_text = ("; ".join(texts) for texts in zip(*rows))
        for mistake_id in OUTPUT_MISTAKES:
            if all(matches(got, outputs[mistake_id][index]) for index, got in wrong):
                return Outcome(fraction, expected_text, got_text, mistake_feedback(mistake_id),
                               mistake_id)
        return Outcome(fraction, expected_text, got_text,
                       "Each input cell (i, j) adds x[i, j] * kernel at rows i*s..i*s+kh-1 and "
                       "columns j*s..j*s+kw-1 of the painted array; 'same' then crops it.")


@register("transposed_conv.keras_equivalence")
class KerasEquivalence(Check):
    """`conv2d_transpose` against Keras's `Conv2DTranspose` on random configurations.

    Strides (an int or a pair, 1 to 3), both paddings, `output_padding`,
    rectangular inputs and kernels, 1 to 3 channels each way, batches of 1 to 3.
    Configurations that Keras itself refuses are not drawn. The fraction of the
    points is the fraction of configurations right.
    """

    COUNT = 40

    def cases(self, ctx):
        """`COUNT` seeded random cases; every third has as many output as input channels."""
        from autograder.reference.transposed_conv import keras_accepts

        rng = ctx.rng(self.id)
        cases = []
        while len(cases) < self.COUNT:
            stride_pair = rng.random() < 0.5
            strides = tuple(int(s) for s in rng.integers(1, 4, size=2))
            if not stride_pair:
                strides = (strides[0], strides[0])
            output_padding = None
            if rng.random() < 0.6:
                output_padding = tuple(int(rng.integers(0, s)) for s in strides)
                if not stride_pair:
                    output_padding = (output_padding[0], output_padding[0])
            padding = str(rng.choice(PADDINGS))
            size = rng.integers(1, 6, size=2)
            kernel_size = rng.integers(1, 5, size=2)
            if not all(keras_accepts(int(n), int(k), s, padding, op)
                       for n, k, s, op in zip(size, kernel_size, strides,
                                              output_padding or (None, None))):
                continue
            channels_in = int(rng.integers(1, 4))
            channels_out = channels_in if len(cases) % 3 == 0 else int(rng.integers(1, 4))
            batch = int(rng.integers(1, 4))
            cases.append({
                "inputs": rng.normal(size=(batch, *size, channels_in)),
                "kernel": rng.normal(size=(*kernel_size, channels_out, channels_in)),
                "strides": list(strides) if stride_pair else strides[0],
                "padding": padding,
                "output_padding": (None if output_padding is None else
                                   list(output_padding) if stride_pair else output_padding[0]),
            })
        return cases

    def probes(self, ctx):
        return {"random": Probe("transposed_conv.outputs", {"cases": self.cases(ctx)})}

    @staticmethod
    def expect(inputs):
        return expected_outputs(inputs["random"]["cases"],
                                {**OUTPUT_MISTAKES,
                                 "conv_transpose_channel_layout": {"swap_channel_axes": True}})

    def score(self, results, ctx):
        value = require(results, "random")
        cases = results["random"].inputs["cases"]
        outputs = ctx.expected(self, results)
        wrong = []
        for index, (case, got, error) in enumerate(zip(cases, value["outputs"], value["errors"])):
            expected = outputs["right"][index]
            if not matches(got, expected):
                wrong.append((index, case, got, error, expected))
        expected_text = (f"all {len(cases)} outputs equal to Keras's Conv2DTranspose "
                         f"(tolerance {TOLERANCE:g})")
        if not wrong:
            return Outcome.passed(expected_text, f"all {len(cases)} right")
        fraction = 1 - len(wrong) / len(cases)
        _, case, got, error, expected = wrong[0]
        got_text = (f"{len(wrong)} of {len(cases)} wrong; first: {call_text(case)}: "
                    f"{difference_text(got, error, expected)}")
        mistake_id = self.diagnose(wrong, outputs)
        if mistake_id:
            return Outcome(fraction, expected_text, got_text, mistake_feedback(mistake_id),
                           mistake_id)
        shapes_wrong = any(error is None and np.shape(got) != expected.shape
                           for _, _, got, error, expected in wrong)
        hint = (" Some output shapes are wrong: check conv_transpose_output_length and how the "
                "painted array is cut or extended." if shapes_wrong else "")
        return Outcome(fraction, expected_text, got_text,
                       "Some configurations differ from Keras." + hint)

    @staticmethod
    def diagnose(wrong, outputs):
        """The mistake that explains every wrong case, or None.

        A swapped channel layout can only be recognised where `C_in == C_out`;
        elsewhere it raises, or broadcasts into wrong values where a channel
        count is 1, so any wrong result there is consistent with it.
        """
        for mistake_id in OUTPUT_MISTAKES:
            if all(matches(got, outputs[mistake_id][index]) for index, _, got, _, _ in wrong):
                return mistake_id
        square = [(index, got) for index, case, got, _, _ in wrong
                  if applies("conv_transpose_channel_layout", case)]
        if square and all(matches(got, outputs["conv_transpose_channel_layout"][index])
                          for index, got in square):
            return "conv_transpose_channel_layout"
        return None


@register("transposed_conv.numpy_only")
class NumpyOnly(Check):
    """`transposed_conv.py` imports neither TensorFlow nor Keras.

    Two views: the grading process parses the student's file (without running
    it) for direct imports, and the worker reports which modules got loaded
    when the student's module was imported (indirect imports too).
    """

    def probes(self, ctx):
        return {"imports": Probe("transposed_conv.imports")}

    def score(self, results, ctx):
        value = require(results, "imports")
        direct = self.direct_imports(value["source"])
        loaded = [name for name in FRAMEWORKS
                  if name in value["imported"] and name not in value["loaded_before"]]
        expected = "no import of TensorFlow or Keras, direct or indirect"
        if not direct and not loaded:
            return Outcome.passed(expected, "NumPy only")
        found = [f"line {line} imports {name}" for line, name in direct]
        indirect = [name for name in loaded if name not in {name for _, name in direct}]
        if indirect:
            found.append(f"importing transposed_conv loaded {', '.join(indirect)}")
        return Outcome.failed(
            expected, "; ".join(found),
            "Part 1 asks you to compute the transposed convolution yourself, with NumPy only: "
            "remove these imports from transposed_conv.py, and do not import modules that "
            "import TensorFlow or Keras themselves.",
        )

    @staticmethod
    def direct_imports(source):
        """`(line, module)` of every import of a framework in `source`, parsed, not run."""
        found = []
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and node.args
                  and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)
                  and getattr(node.func, "id", getattr(node.func, "attr", None))
                  in ("__import__", "import_module")):
                names = [node.args[0].value]
            found += [(node.lineno, name.split(".")[0]) for name in names
                      if name.split(".")[0] in FRAMEWORKS]
        return sorted(set(found))
