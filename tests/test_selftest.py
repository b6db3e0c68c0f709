"""End to end: `python -m autograder selftest` grades the solution and the stencil, twice each.

This is the project's end-to-end test of the autograder: every check of the
rubric runs, in its sandboxed workers, against the reference solution (which
must get every point, bonus included) and against the stencil generated from
it (which must get none), and a second run of each must give the same results.
It takes minutes, not seconds: it is a full grading run, four times.
"""

import re
import subprocess
import sys

from assignment.implementation import REPO_ROOT


def test_selftest_passes():
    finished = subprocess.run([sys.executable, "-m", "autograder", "selftest"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=3600)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "selftest passed" in finished.stdout
    run_lines = re.findall(r"^  (solution|stencil) +run [12]: ", finished.stdout, re.MULTILINE)
    assert sorted(run_lines) == ["solution", "solution", "stencil", "stencil"], finished.stdout
