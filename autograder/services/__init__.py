"""What each grading service needs from the course: what `python -m autograder package` builds.

Every platform has a module here (`PLATFORMS`, by name; the folder of a
platform also holds the scripts and templates it ships) that provides:

- `NAME`, `DEFAULT_OUT` (a path under `build/`), and `FOLDER`: whether the
  package is a folder (which must not exist yet, or be empty) rather than
  one file;
- `build(requirements, options)`: the package's `Bundle` and the list of
  what is wrong with it (empty when it may be written), `requirements` being
  the text of `requirements-pinned.txt` and `options` those of `package`
  (`options.course`: the `autograder.course.Course` to grade);
- `write(bundle, out)`, and `next_steps(out, options)`: what to do with it,
  one line each.

Each service reads the results written by the format of the same name
(`autograder.formats`). `submission` finds a student's module files in an
upload, as every service's entry script needs.
"""

import importlib
from pathlib import Path

PLATFORMS = ("gradescope", "prairielearn", "github-classroom", "autolab", "codegrade")
HERE = Path(__file__).resolve().parent


def platform(name):
    """The packaging module of the grading service `name`.

    Raises:
        ValueError: for a name not in `PLATFORMS`.
    """
    if name not in PLATFORMS:
        raise ValueError(f"Unknown platform {name}; choose from {', '.join(PLATFORMS)}.")
    return importlib.import_module(f"autograder.services.{name.replace('-', '_')}")


def template(platform_name, file_name):
    """The bytes of a file that the platform's package ships (from its folder here)."""
    return (HERE / platform_name.replace("-", "_") / file_name).read_bytes()
