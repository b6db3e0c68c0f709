"""The GitHub Classroom template repository: the student bundle and its autograding workflow.

GitHub Classroom copies a template repository for each student and grades in
the student's repository: the workflow `.github/workflows/classroom.yml`
installs the pinned requirements, runs `python -m autograder grade stencil
--format github-classroom` (its step output `result`), and hands that to the
classroom's reporter action, which posts "Points X/Y". The repository is the
student bundle of `release` (visible checks only: a student can read
everything in it) with the workflow and `requirements-pinned.txt` added, and
a README that says to push rather than upload.
"""

import sys
from pathlib import Path

from autograder.services import template
from autograder.services.requirements import FILE_NAME

NAME = "github-classroom"
DEFAULT_OUT = Path("build") / "github-classroom"
FOLDER = True
WORKFLOW = ".github/workflows/classroom.yml"
PYTHON = ".".join(map(str, sys.version_info[:2]))


def build(requirements, options):
    """The template's `Bundle`, and what is wrong with it (`options` of `package`: none used)."""
    from autograder.commands.release import problems, student_bundle

    bundle, visible = student_bundle(options.course)
    bundle.add("README.md", template(NAME, "README.md").decode().replace("@PYTHON@", PYTHON))
    bundle.add(FILE_NAME, requirements)
    bundle.add(WORKFLOW, template(NAME, "classroom.yml").decode().replace("@PYTHON@", PYTHON))
    return bundle, problems(bundle, visible)


def write(bundle, out):
    bundle.write_folder(out)


def next_steps(out, options):
    return [f"Push {out}/ to a new GitHub repository, mark it as a template, and choose it as "
            "the assignment's starter code in GitHub Classroom (README.md, GitHub Classroom)."]
