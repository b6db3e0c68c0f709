"""The Gradescope autograder zip: `setup.sh` and `run_autograder` at its root, then the grader.

Gradescope unpacks the zip into `/autograder/source` and runs, as root:

- `setup.sh` once, when the zip is uploaded: installs Python and the pinned
  requirements in a virtual environment and checks that student code will run
  as an unprivileged user;
- `run_autograder` for every submission: grades the module files found in
  `/autograder/submission` with every check (Gradescope hides those shown
  after the due date itself) and writes `/autograder/results/results.json`.
"""

from pathlib import Path

from autograder.services import template
from autograder.services.grader import grader_bundle, problems

NAME = "gradescope"
DEFAULT_OUT = Path("build") / "gradescope-autograder.zip"
FOLDER = False
SCRIPTS = ("setup.sh", "run_autograder")


def build(requirements, options):
    """The zip's `Bundle`, and what is wrong with it (`options` of `package`: none used)."""
    from autograder.bundle import Bundle

    grader = grader_bundle(requirements, options.secret, options.course)
    package = Bundle()
    package.include(grader)
    for script in SCRIPTS:
        package.add(script, template(NAME, script), mode=0o755)
    return package, problems(grader, package, options.course)


def write(bundle, out):
    bundle.write_zip(out)


def next_steps(out, options):
    return [f"Upload {out} as the assignment's autograder (README.md, Gradescope: an image "
            "whose python3 satisfies the pins; the default container, 768 MB and half a CPU, "
            "is enough).",
            "Check that it fits before uploading, as root:", "  python -m autograder container"]
