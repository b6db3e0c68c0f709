"""The grader's requirements, pinned to the versions installed where a package is built.

A package is built where `selftest` passed, so it pins the environment that
passed: every package of `requirements.txt` except the test-only ones, as
`name==version`. Their own dependencies are left to pip, which picks the right
builds for the service's platform.
"""

import re
import sys
from pathlib import Path

from assignment.implementation import REPO_ROOT

# Packages of requirements.txt that only the project's own tests need.
TEST_ONLY = ("pytest",)
FILE_NAME = "requirements-pinned.txt"


def requirement_names(path=REPO_ROOT / "requirements.txt"):
    """The package names listed in a requirements file, in order."""
    names = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(re.match(r"[A-Za-z0-9._-]+", line).group())
    return names


def pinned_requirements(names=None):
    """A requirements file pinning `names` (default: the grader's) to the versions installed here.

    Raises:
        importlib.metadata.PackageNotFoundError: for a package not installed here.
    """
    from importlib import metadata

    if names is None:
        names = [name for name in requirement_names() if name not in TEST_ONLY]
    python = ".".join(map(str, sys.version_info[:3]))
    lines = ["# Pinned by `python -m autograder package` from the environment that built this "
             f"package (Python {python}).",
             "# Requires-Python of each: " + ", ".join(
                 f"{name} {metadata.metadata(name)['Requires-Python'] or 'any'}"
                 for name in names)]
    lines += [f"{name}=={metadata.version(name)}" for name in names]
    return "\n".join(lines) + "\n"


def pins(requirements):
    """The `name==version` lines of a pinned requirements file."""
    return [line for line in requirements.splitlines() if line and not line.startswith("#")]
