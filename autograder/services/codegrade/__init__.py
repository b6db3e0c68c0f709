"""The CodeGrade package: `grader.zip` and `setup.sh` for the setup stage, `grade` for the test.

In AutoTest v2's setup stage, upload both files and run `setup.sh` from their
folder: it unpacks the grader into `/opt/autograder` and installs the pinned
requirements. In the tests stage, a Custom Test runs `/opt/autograder/grade`
in the student's folder: it grades the module files found there with the
checks shown at once, prints the table, and reports on the structured output
(file descriptor 3) one `unit-test` message per check and the points.
"""

from pathlib import Path

from autograder.services import template
from autograder.services.grader import grader_bundle, problems

NAME = "codegrade"
DEFAULT_OUT = Path("build") / "codegrade"
FOLDER = True
TEST_COMMAND = "/opt/autograder/grade"


def build(requirements, options):
    """The package's `Bundle`, and what is wrong with it (`options` of `package`: none used)."""
    from autograder.bundle import Bundle

    grader = grader_bundle(requirements, options.secret, options.course)
    zipped = Bundle()
    zipped.include(grader)
    zipped.add("grade", template(NAME, "grade"), mode=0o755)
    package = Bundle()
    package.add("grader.zip", zipped.zip_bytes())
    package.add("setup.sh", template(NAME, "setup.sh"), mode=0o755)
    return package, problems(grader, zipped, options.course)


def write(bundle, out):
    bundle.write_folder(out)


def next_steps(out, options):
    return [f"Setup stage: upload {out}/grader.zip and {out}/setup.sh, then a Script block: "
            "bash setup.sh (from the uploaded files' folder).",
            f"Tests stage: a Custom Test running {TEST_COMMAND} (README.md, CodeGrade)."]
