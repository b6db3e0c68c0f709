"""Graded inputs are not the local ones: the course secret seeds the probes of the service.

A submission that memorised the local probes' inputs and their expected
outputs (a lookup table, as one could build from the student bundle's
recorded expectations) gets the points locally, with seed 0, and loses them
under a course secret; the same secret gives the same score twice.
"""

import hashlib

import numpy as np

from autograder import runner
from autograder.checks.context import GradingContext
from autograder.checks.registry import CHECKS
from autograder.reference.transposed_conv import conv_transpose
from autograder.rubric import all_checks

CHECK = "transposed_conv.keras_equivalence"

LOOKUP_TABLE = '''"""A transposed convolution that only knows the answers it memorised."""

import hashlib

import numpy as np

TABLE = {table!r}


def conv_transpose_output_length(input_length, kernel_size, stride=1, padding="valid",
                                 output_padding=None):
    return 1


def conv2d_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None):
    key = hashlib.sha256(np.asarray(inputs, dtype=np.float64).tobytes()).hexdigest()
    if key in TABLE:
        return np.array(TABLE[key])
    return np.zeros((1, 1, 1, 1))
'''


def digest(array):
    return hashlib.sha256(np.asarray(array, dtype=np.float64).tobytes()).hexdigest()


def lookup_table_submission(directory):
    """A submission whose `conv2d_transpose` answers the local (seed 0) probes from a table."""
    cases = CHECKS[CHECK].cases(GradingContext(0))
    table = {digest(case["inputs"]): conv_transpose(case["inputs"], case["kernel"],
                                                    case["strides"], case["padding"],
                                                    case["output_padding"]).tolist()
             for case in cases}
    directory.mkdir()
    (directory / "transposed_conv.py").write_text(LOOKUP_TABLE.format(table=table))
    return directory


def equivalence_points(report):
    return next(item.points for item in report.checks if item.check.id == CHECK)


def test_a_lookup_table_loses_the_points_under_the_course_secret(tmp_path):
    submission = lookup_table_submission(tmp_path / "submission")
    secret = tmp_path / "course_secret.txt"
    secret.write_text("a course's secret\n")

    local = runner.grade(submission, ["transposed_conv"], seed=0, secrets=())
    graded = [runner.grade(submission, ["transposed_conv"], seed=runner.course_seed(secret),
                           secrets=()) for _ in range(2)]

    assert equivalence_points(local) == all_checks()[CHECK].points
    assert equivalence_points(graded[0]) == 0
    assert [equivalence_points(report) for report in graded] == [0, 0]
    assert runner.course_seed(secret) == runner.course_seed(secret) != 0


def test_without_a_secret_the_seed_is_zero(tmp_path):
    assert runner.course_seed(tmp_path / "no_such_file") == 0
