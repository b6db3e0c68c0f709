"""What a grading run writes: the table people read, and the results each grading service reads.

Every writer starts from the one internal result, a `runner.GradeReport`.
`terminal.format_table` is the table; each grading service has a module here
(`SERVICES`, by name) that provides:

- `NAME`, and `HIDES_CHECKS`: whether the service itself keeps a check from
  students until the due date (where it cannot, the results leave out the
  checks that the rubric shows after the due date);
- `resolve_destination(results)`: where the results go, `results` (a path,
  or `-` for standard output) or else where the service reads them; raises
  `ValueError` when that is not available here;
- `results(report, upload=None)` and `error(details, seconds, parts)`: the
  bytes to write, for a graded report and for a run in which the grader
  itself failed; both are always valid and within the service's size limit;
- `write(data, destination)`: writes them once, whole.
"""

import importlib

SERVICES = ("gradescope", "prairielearn", "github-classroom", "autolab", "codegrade")


def service(name):
    """The writer module of the grading service `name`.

    Raises:
        ValueError: for a name not in `SERVICES`.
    """
    if name not in SERVICES:
        raise ValueError(f"Unknown format {name}; choose from {', '.join(SERVICES)}.")
    return importlib.import_module(f"autograder.formats.{name.replace('-', '_')}")
