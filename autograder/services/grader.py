"""The grader that every grading package holds, and the checks it must pass.

The grader is `autograder/` (with the evaluation classifier's weights and the
course's secret, see `course_secret`), the course file it grades
(`course.toml`, see `autograder.course`), the course code it runs student
modules with (`assignment/` without `solution/`), the embedded data samples
the course uses, and the pinned requirements: no stencil, no solution. A
package is checked before it is written (`problems`): no solution code, every
import satisfied inside the grader, every check of the course's rubric
registered.
"""

import secrets

from assignment.implementation import REPO_ROOT
from autograder.runner import COURSE_SECRET
from autograder.services.requirements import FILE_NAME


def course_secret(secret=None):
    """The course's secret, and a line to print when it was drawn now (else "").

    The secret seeds the probes graded on the service (`runner.course_seed`),
    so that they differ from the local ones. It is `secret` when given, else
    the one kept in `autograder/course_secret.txt`, else a new one, drawn and
    kept there: keep that file (in the course's private repository) so that
    every package, and every regrade, draws the same inputs.
    """
    if secret is not None:
        return secret, ""
    if COURSE_SECRET.is_file():
        return COURSE_SECRET.read_text().strip(), ""
    secret = secrets.token_hex(16)
    COURSE_SECRET.write_text(secret + "\n")
    COURSE_SECRET.chmod(0o600)
    return secret, (f"Drew the course's secret into {COURSE_SECRET.relative_to(REPO_ROOT)}: keep "
                    "it (in your private course repository), so that every package and regrade "
                    "draws the same graded inputs.")


def grader_bundle(requirements, secret, course):
    """The `Bundle` of the grader, with `requirements` as `requirements-pinned.txt`.

    Args:
        requirements: the pinned requirements' text.
        secret: the course's secret (see `course_secret`), kept in the grader
            as `autograder/course_secret.txt`, where only the grader reads it.
        course: the `autograder.course.Course` to grade; its file goes in as
            `course.toml`, which the grader's commands read.
    """
    from autograder.bundle import Bundle
    from autograder.commands.release import copy_data

    bundle = Bundle()
    bundle.add(FILE_NAME, requirements)
    bundle.copy_tree("autograder")
    bundle.copy_tree("autograder/weights", pattern="*.weights.h5")
    bundle.copy("autograder/worker/stencil_api.json")
    bundle.add(COURSE_SECRET.relative_to(REPO_ROOT).as_posix(), secret + "\n", mode=0o600)
    bundle.add("course.toml", course.path.read_bytes())
    bundle.copy_tree("assignment", exclude=("assignment/solution",))
    copy_data(bundle, course)
    return bundle


def problems(grader, package, course):
    """Everything wrong with a package, one line each (empty when it is right).

    Args:
        grader: the grader's `Bundle`, as `grader_bundle` made it (imports are
            resolved from its root).
        package: the whole package's `Bundle`, which holds the grader.
        course: the `autograder.course.Course` it grades.
    """
    from autograder.bundle import missing_imports, registered_checks, solution_leaks
    from autograder.rubric import all_checks

    return solution_leaks(package) + missing_imports(grader) + [
        f"no check module registers {check_id}"
        for check_id in sorted(set(all_checks(course.rubric)) - registered_checks(grader))]
