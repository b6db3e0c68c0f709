"""Build the Gradescope autograder zip: setup.sh, run_autograder, the grader, no solution code.

The zip holds, at its root, `setup.sh` and `run_autograder` (from
`autograder/gradescope/`) and `requirements-pinned.txt`; then the grader
(`autograder/`, with the evaluation classifier's weights), the course code it
runs student modules with (`assignment/` without `solution/`) and the embedded
data sample. No stencil, no solution: the zip is checked for solution code
before it is written (see `autograder.bundle.solution_leaks`).

The requirements are pinned to the versions installed where `package` runs,
the environment in which `selftest` passed: every package of
`requirements.txt` except the test-only ones, as `name==version`. Their own
dependencies are left to pip, which picks the right builds for Gradescope's
platform.
"""

import re
import sys
from pathlib import Path

from assignment.implementation import REPO_ROOT
from autograder.commands import outside_course_repository

DEFAULT_OUT = Path("build") / "gradescope-autograder.zip"
TEMPLATES = "autograder/gradescope"
# Packages of requirements.txt that only the project's own tests need.
TEST_ONLY = ("pytest",)


def add_arguments(parser):
    """Declare the options of ``package``."""
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the zip (default: {DEFAULT_OUT})")


def requirement_names(path=REPO_ROOT / "requirements.txt"):
    """The package names listed in a requirements file, in order."""
    names = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(re.match(r"[A-Za-z0-9._-]+", line).group())
    return names


def pinned_requirements(names):
    """A requirements file pinning `names` to the versions installed here.

    Raises:
        importlib.metadata.PackageNotFoundError: for a package not installed here.
    """
    from importlib import metadata

    python = ".".join(map(str, sys.version_info[:3]))
    lines = ["# Pinned by `python -m autograder package` from the environment that built this "
             f"zip (Python {python}).",
             "# Requires-Python of each: " + ", ".join(
                 f"{name} {metadata.metadata(name)['Requires-Python'] or 'any'}"
                 for name in names)]
    lines += [f"{name}=={metadata.version(name)}" for name in names]
    return "\n".join(lines) + "\n"


def gradescope_bundle(requirements):
    """The `Bundle` of the Gradescope zip, with `requirements` as `requirements-pinned.txt`."""
    from autograder.bundle import Bundle

    bundle = Bundle()
    for script in ("setup.sh", "run_autograder"):
        bundle.add(script, (REPO_ROOT / TEMPLATES / script).read_bytes(), mode=0o755)
    bundle.add("requirements-pinned.txt", requirements)
    bundle.copy_tree("autograder")
    bundle.copy_tree("autograder/weights", pattern="*.weights.h5")
    bundle.copy_tree("assignment", exclude=("assignment/solution",))
    bundle.copy("data/fashion_mnist_sample.npz")
    bundle.copy("data/README.md")
    return bundle


def run(args):
    """Build and check the zip; return 0 when written, 1 when it would hold solution code."""
    from importlib.metadata import PackageNotFoundError

    from autograder.bundle import missing_imports, registered_checks, solution_leaks
    from autograder.rubric import all_checks

    if outside_course_repository("package"):
        return 1
    names = [name for name in requirement_names() if name not in TEST_ONLY]
    try:
        requirements = pinned_requirements(names)
    except PackageNotFoundError as error:
        print(f"package: {error} is not installed here; install requirements.txt first.",
              file=sys.stderr)
        return 1
    bundle = gradescope_bundle(requirements)
    problems = solution_leaks(bundle) + missing_imports(bundle) + [
        f"no check module registers {check_id}"
        for check_id in sorted(set(all_checks()) - registered_checks(bundle))]
    if problems:
        print("package: not written, the zip would be wrong:", *problems, sep="\n  ",
              file=sys.stderr)
        return 1
    bundle.write_zip(args.out)
    pins = [line for line in requirements.splitlines() if not line.startswith("#")]
    print(f"Wrote {args.out}: {len(bundle.files)} files, {bundle.size / 2**20:.1f} MB "
          f"uncompressed; pinned {', '.join(pins)}.")
    print("Upload it as the assignment's autograder (see README.md, Gradescope).")
    return 0
