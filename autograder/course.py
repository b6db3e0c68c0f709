"""The course file: which parts a course assigns, their points, which are bonus, its data set.

A course file is TOML (`course.toml` at the repository root by default):

```toml
dataset = "fashion_mnist"      # optional: "fashion_mnist" (default) or "mnist", the embedded
                               # sample the checks show the models and train them on

[[part]]                       # one table per assigned part, in the course's order
id = "autoencoders"            # a part of `autograder.rubric.ALL_PARTS`
points = 25                    # optional: the part's total; its checks are scaled to it
bonus = false                  # optional: extra credit on top of the total (default: the part's)
```

- The parts are numbered in the order of the file: the first is Part 1. The
  numbers of the part titles, of the TODO ids in the stencil and of the
  handout's sections follow (`Course.renumber`); the default course keeps
  today's numbers.
- `points` sets a part's total; each of its checks keeps its share of the
  part's points (rounded to hundredths, the rounding remainders going to the
  checks that lost most, so that the part's total is exact).
- `bonus = true` makes a part extra credit, `false` makes it count in the total.
- `dataset = "mnist"` shows the checks' models digits and trains them on the
  embedded MNIST sample (3,000 training digits, twice as many epochs: the
  same number of steps); a check whose pass lines could not be calibrated on
  it (see `GradingContext.for_check`) is graded on the Fashion-MNIST sample
  and says so. `release` ships the course's sample.

Which course file a command reads: its `--course FILE` option, else the
file named by the environment variable `AUTOGRADER_COURSE`, else
`course.toml` at the repository root. `package` and `release` put the course
file they were built with at the root of what they write (as `course.toml`),
where the grader they ship finds it.

A course that assigns a part must also assign the part that owns each module
it imports (the VAE uses the autoencoders' `Decoder`), so that every TODO of
the stencil is graded.
"""

import dataclasses
import os
import re
import tomllib
from pathlib import Path

from assignment.implementation import MODULE_NAMES, REPO_ROOT
from autograder.rubric import ALL_PARTS

COURSE_FILE = REPO_ROOT / "course.toml"
COURSE_ENVIRONMENT = "AUTOGRADER_COURSE"
DATASETS = ("fashion_mnist", "mnist")
PART_KEYS = ("id", "points", "bonus")
TOP_KEYS = ("dataset", "part")
# "Part 5 (bonus): VQ-VAE" -> "VQ-VAE": the topic of a part, without its number.
_TITLE = re.compile(r"Part \d+(?: \(bonus\))?: (.*)")


class CourseError(ValueError):
    """A course file that cannot be read or is not a valid course."""


@dataclasses.dataclass(frozen=True)
class Course:
    """A course's assignment.

    Attributes:
        path: the course file it was read from.
        rubric: its `rubric.Part`s, in course order, numbered, with its
            points and bonus flags.
        numbers: `{number in ALL_PARTS: number in this course}` of the
            assigned parts (a part's number is the first number of its TODO
            ids, e.g. 3 for the VAE).
        dataset: the data set whose embedded sample the checks use; their
            pass lines are calibrated on each of `DATASETS`.
    """

    path: Path
    rubric: tuple
    numbers: dict
    dataset: str = "fashion_mnist"

    @property
    def modules(self):
        """The student modules of its parts, in the order of `student_modules()`."""
        return tuple(name for name in student_modules()
                     if any(name in part.modules for part in self.rubric))

    @property
    def left_out_modules(self):
        """The student modules of `ALL_PARTS` that none of its parts imports."""
        return tuple(name for name in student_modules() if name not in self.modules)

    def renumber(self, todo_id):
        """The course's id of TODO `todo_id` of `ALL_PARTS` (e.g. "3.2" -> "2.2").

        A number that no part of `ALL_PARTS` has is left as it is.

        Raises:
            CourseError: for a TODO of a part the course does not assign.
        """
        number, rest = todo_id.split(".", 1)
        if int(number) not in self.numbers and part_of_number(int(number)) == "?":
            return todo_id
        if int(number) not in self.numbers:
            raise CourseError(f"TODO {todo_id} belongs to part {part_of_number(int(number))}, "
                              f"which {self.path} does not assign.")
        return f"{self.numbers[int(number)]}.{rest}"


def student_modules():
    """Every student module of `ALL_PARTS`: `MODULE_NAMES`, then any other, in rubric order."""
    others = [name for part in ALL_PARTS for name in part.modules if name not in MODULE_NAMES]
    return MODULE_NAMES + tuple(dict.fromkeys(others))


def part_number(part):
    """The number of a part of `ALL_PARTS`: the first number of its TODO ids, or of its title."""
    for check in part.checks:
        for todo in check.todos:
            return int(todo.split(".")[0])
    match = re.match(r"Part (\d+)", part.title)
    return int(match.group(1)) if match else None


def part_of_number(number):
    """The id of the part of `ALL_PARTS` numbered `number`, or "?"."""
    return next((part.id for part in ALL_PARTS if part_number(part) == number), "?")


def topic(part):
    """What a part is about, from its title: "Part 5 (bonus): VQ-VAE" -> "VQ-VAE"."""
    match = _TITLE.fullmatch(part.title)
    return match.group(1) if match else part.title


def module_owner(module):
    """The part of `ALL_PARTS` whose TODOs a module holds: the first part that imports it."""
    return next(part for part in ALL_PARTS if module in part.modules)


def scaled_points(points, total):
    """`points` (a list) scaled to sum to `total`, in hundredths, the sum exact."""
    exact = [value * total / sum(points) for value in points]
    cents = [int(value * 100 + 1e-9) for value in exact]
    remainders = sorted(range(len(exact)), key=lambda index: cents[index] - exact[index] * 100)
    for index in remainders[:round(total * 100) - sum(cents)]:
        cents[index] += 1
    return [cent / 100 for cent in cents]


def _points(part, value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise CourseError(f"{where}: points of part {part.id} must be a number above 0, "
                          f"not {value!r}.")
    if value == part.points:
        return part.checks
    scaled = scaled_points([check.points for check in part.checks], value)
    return tuple(dataclasses.replace(check, points=points)
                 for check, points in zip(part.checks, scaled))


def _unknown_keys(table, known, where, what):
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise CourseError(f"{where}: unknown key {', '.join(unknown)} in {what}; the keys are "
                          f"{', '.join(known)}.")


def parse_course(data, path):
    """The `Course` of the parsed TOML `data` of the course file `path`.

    Raises:
        CourseError: naming the file and the value that is wrong.
    """
    where = str(path)
    _unknown_keys(data, TOP_KEYS, where, "the course")
    dataset = data.get("dataset", "fashion_mnist")
    if dataset not in DATASETS:
        raise CourseError(f"{where}: unknown dataset {dataset!r}; choose from "
                          f"{', '.join(DATASETS)}.")
    entries = data.get("part")
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{where}: no part: add one [[part]] table with an id per assigned "
                          "part.")
    known = {part.id: part for part in ALL_PARTS}
    chosen, seen = [], set()
    for entry in entries:
        if not isinstance(entry, dict) or "id" not in entry:
            raise CourseError(f"{where}: a [[part]] table without an id: {entry!r}.")
        _unknown_keys(entry, PART_KEYS, where, f"part {entry['id']!r}")
        part = known.get(entry["id"])
        if part is None:
            raise CourseError(f"{where}: unknown part {entry['id']!r}; choose from "
                              f"{', '.join(known)}.")
        if part.id in seen:
            raise CourseError(f"{where}: part {part.id!r} is assigned twice.")
        seen.add(part.id)
        bonus = entry.get("bonus", part.bonus)
        if not isinstance(bonus, bool):
            raise CourseError(f"{where}: bonus of part {part.id} must be true or false, "
                              f"not {bonus!r}.")
        checks = _points(part, entry["points"], where) if "points" in entry else part.checks
        chosen.append((part, checks, bonus))
    for part, _, _ in chosen:
        for module in part.modules:
            owner = module_owner(module)
            if owner.id not in seen:
                raise CourseError(f"{where}: part {part.id} uses {module}.py, whose TODOs belong "
                                  f"to part {owner.id}: assign {owner.id} too.")
    numbers = {part_number(part): index for index, (part, _, _) in enumerate(chosen, start=1)
               if part_number(part) is not None}
    course = Course(Path(path), (), numbers, dataset)
    rubric = tuple(dataclasses.replace(
        part, bonus=bonus,
        title=f"Part {index}{' (bonus)' if bonus else ''}: {topic(part)}",
        checks=tuple(dataclasses.replace(
            check, todos=tuple(course.renumber(todo) for todo in check.todos))
            for check in checks))
        for index, (part, checks, bonus) in enumerate(chosen, start=1))
    return dataclasses.replace(course, rubric=rubric)


def course_path(path=None):
    """The course file to read: `path`, else `$AUTOGRADER_COURSE`, else `course.toml`."""
    return Path(path or os.environ.get(COURSE_ENVIRONMENT) or COURSE_FILE)


def load_course(path=None):
    """The `Course` of the course file `course_path(path)`.

    Raises:
        CourseError: when the file is missing, is not TOML or is not a valid
            course; the message names the file.
    """
    path = course_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CourseError(f"Cannot read the course file {path}: "
                          f"{error.strerror or error}.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CourseError(f"{path} is not a valid TOML file: {error}.") from None
    return parse_course(data, path)
