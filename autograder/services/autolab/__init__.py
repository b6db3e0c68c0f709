"""The Autolab package: `autograde-Makefile`, `autograde.tar`, and an autograding image to build.

For each submission Autolab copies the handin (named as the assessment says:
`handin.zip` here), `autograde.tar` and `autograde-Makefile` (as `Makefile`)
into a fresh folder of its autograding image and runs `make` as the
unprivileged user `autograde`. The Makefile unpacks the grader (`grader/` in
the tar) and grades the module files found in the handin with the checks
shown at once; the feedback is the table, and its last line the autoresult
with one problem per part. The assessment must define those problems
(`problems_to_define`), and its image must have Python and the pinned requirements
(`Dockerfile`: Tango's image recipe on a Python image).
"""

import sys
from pathlib import Path

from autograder.services import template
from autograder.services.grader import grader_bundle, problems as grader_problems

NAME = "autolab"
DEFAULT_OUT = Path("build") / "autolab"
FOLDER = True
GRADER_FOLDER = "grader/"
PYTHON = ".".join(map(str, sys.version_info[:2]))


def problems_to_define(rubric):
    """`(problem name, max points, optional)` per part of `rubric`: its checks shown at once."""
    from autograder.rubric import VISIBLE

    return [(part.id, sum(check.points for check in part.checks if check.visibility == VISIBLE),
             part.bonus) for part in rubric]


def build(requirements, options):
    """The package's `Bundle`, and what is wrong with it (`options` of `package`: none used)."""
    from autograder.bundle import Bundle

    grader = grader_bundle(requirements, options.secret, options.course)
    tar = Bundle()
    tar.include(grader, GRADER_FOLDER)
    package = Bundle()
    package.add("autograde-Makefile", template(NAME, "autograde-Makefile"))
    package.add("autograde.tar", tar.tar_bytes())
    package.add("Dockerfile", template(NAME, "Dockerfile").decode().replace("@PYTHON@", PYTHON))
    package.add("requirements-pinned.txt", requirements)
    return package, grader_problems(grader, tar, options.course)


def write(bundle, out):
    bundle.write_folder(out)


def next_steps(out, options):
    problems = ", ".join(f"{name} ({points:g} points{', optional' if bonus else ''})"
                         for name, points, bonus in problems_to_define(options.course.rubric))
    return [f"Build the autograding image: docker build -t {options.image} {out}/ "
            "(Tango must know it).",
            f"In the assessment: handin file handin.zip; problems {problems}; autograder image "
            f"{options.image}, time-out 600 s; upload {out}/autograde-Makefile and "
            f"{out}/autograde.tar (README.md, Autolab)."]
