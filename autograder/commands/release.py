"""Build the student bundle OUT: stencil, handout, tools, data sample and the visible checks only.

The bundle holds the course's stencil (`--course FILE`, see
`autograder.course`: only the modules of its parts, TODOs numbered as the
course numbers them) as `stencil/`, `assignment/` (the course's handout,
`autograder.handout`, and the tools that load, train and draw a student's
models) without `solution/`, the grader with the visible checks only and the
course file (`course.toml`, which its `grade` and `rubric` follow), the
embedded data sample (and the MNIST one when the course grades on digits),
`requirements.txt` and a short README. The checks graded after the due date live in modules of their
own (`autograder/checks/after_due_date/`), which the bundle leaves out, with
the grader's evaluation metrics and weights that only they use.

Before anything is written the bundle is checked: no solution code
(`autograder.bundle.solution_leaks`), every import satisfied inside it
(`autograder.bundle.missing_imports`), exactly the visible checks registered;
and `stencil/` must be what `build-stencil` generates.
"""

import sys
from pathlib import Path
from autograder.commands import add_course_argument, course_of, outside_course_repository

# Staff-only code: the checks graded after the due date and the evaluation metrics only they
# use; the reference values and the stand-ins for broken pieces, which are answers to TODOs
# (the bundle's visible checks read recorded expectations instead).
STAFF_ONLY = ("autograder/checks/after_due_date", "autograder/metrics", "autograder/reference",
              "autograder/worker/stand_ins.py")

README = """\
# Autoencoders & VAEs in Keras 3: your assignment

- `assignment/HANDOUT.md`: the handout. Read it first: background, every TODO, how it is graded.
- `stencil/`: your files. Fill in every TODO, then upload these {files} files (not a folder, not a
  zip) to Gradescope.
- `assignment/`: the course code that loads, trains and draws your models.
- `autograder/`: the checks shown before the due date, to run on your machine. Gradescope runs
  these and the checks shown after the due date.
- `data/`: a small sample of Fashion-MNIST, so that everything runs offline.

Set-up (Python 3.10 or newer):

```bash
pip install -r requirements.txt
```

Check your work: {visible} of the {total} points (and {bonus_visible} of the {bonus} bonus points)
are checked here.

```bash
python -m autograder grade stencil            # every part
python -m autograder grade stencil -q vae     # one part: {parts}
python -m autograder grade stencil -q vae -v  # with the whole feedback
python -m autograder rubric                   # what is checked, and when it is shown
```

Train your models and look at them:

```bash
python -m assignment.train vae --impl stencil --sample
python -m assignment.figures --impl stencil --sample --out my_figures
```
"""


def add_arguments(parser):
    """Declare the options of ``release``."""
    parser.add_argument("out", type=Path, help="folder to create (it must not exist, or be empty)")
    parser.add_argument("--zip", action="store_true", help="also write OUT.zip")
    add_course_argument(parser)


def student_readme(course):
    """The bundle's README.md, with the visible points of the `Course` `course`."""
    from autograder.handout import NUMBER_WORDS
    from autograder.rubric import VISIBLE

    rubric = course.rubric

    def points(bonus, visible_only):
        return sum(check.points for part in rubric if part.bonus == bonus
                   for check in part.checks if check.visibility == VISIBLE or not visible_only)

    return README.format(visible=f"{points(False, True):g}", total=f"{points(False, False):g}",
                         bonus_visible=f"{points(True, True):g}",
                         bonus=f"{points(True, False):g}",
                         parts=", ".join(part.id for part in rubric),
                         files=NUMBER_WORDS[len(course.modules) - 1])


def student_bundle(course):
    """The student `Bundle` of the `Course` `course`, and the ids of the checks it must register.

    Raises:
        autograder.handout.HandoutError: when the handout cannot be made for the course.
    """
    from assignment.implementation import REPO_ROOT, SOLUTION_DIR
    from autograder.bundle import Bundle
    from autograder.handout import course_handout
    from autograder.rubric import ALL_PARTS, VISIBLE
    from autograder.stencil import render_all

    rubric = course.rubric
    bundle = Bundle()
    bundle.add("README.md", student_readme(course))
    bundle.copy("requirements.txt")
    for name, text in render_all(SOLUTION_DIR, course.left_out_modules, course.renumber).items():
        bundle.add(f"stencil/{name}", text)
    bundle.copy_tree("assignment", exclude=("assignment/solution",))
    handout = (REPO_ROOT / "assignment" / "HANDOUT.md").read_text(encoding="utf-8")
    bundle.add("assignment/HANDOUT.md", course_handout(handout, course))
    bundle.add("course.toml", course.path.read_bytes())
    bundle.copy_tree("autograder", exclude=STAFF_ONLY)
    bundle.copy("autograder/worker/stencil_api.json")
    visible = {check.id for part in ALL_PARTS for check in part.checks
               if check.visibility == VISIBLE}
    for path, content in recorded_expectations(visible, course.dataset).items():
        bundle.add(path, content)
    copy_data(bundle, course)
    return bundle, visible


def copy_data(bundle, course):
    """Adds the embedded data samples a course's tools and checks read, and their README."""
    for name in dict.fromkeys(("fashion_mnist", course.dataset)):
        bundle.copy(f"data/{name}_sample.npz")
    bundle.copy("data/README.md")


def recorded_expectations(visible, dataset):
    """The files of the visible checks' expectations, recorded with seed 0 on `dataset`'s sample.

    Returns:
        A dict path in the bundle -> bytes.
    """
    import tempfile

    import autograder.checks  # noqa: F401  (registers the checks)
    from autograder.checks import expectations
    from autograder.checks.context import GradingContext
    from autograder.checks.registry import CHECKS

    with tempfile.TemporaryDirectory() as directory:
        data = expectations.record([CHECKS[check_id] for check_id in sorted(visible)],
                                   GradingContext(0, dataset=dataset))
        return {f"autograder/checks/{path.name}": path.read_bytes()
                for path in expectations.save(directory, data)}


def problems(bundle, visible):
    """Everything wrong with the student bundle, one line each (empty when it is right).

    Args:
        bundle: the student `Bundle`.
        visible: the ids of the course's visible checks, which it must register
            (it may register the visible checks of other parts, never a hidden one).
    """
    from autograder.bundle import missing_imports, registered_checks, solution_leaks
    from autograder.rubric import VISIBLE, all_checks

    registered = registered_checks(bundle)
    shown = {check_id for check_id, check in all_checks().items() if check.visibility == VISIBLE}
    return (solution_leaks(bundle) + missing_imports(bundle, left_out=STAFF_ONLY)
            + [f"the bundle holds the hidden check {check_id}"
               for check_id in sorted(registered - shown)]
            + [f"the bundle lacks the visible check {check_id}"
               for check_id in sorted(visible - registered)])


def run(args):
    """Build and check the bundle; return 0 when written, 1 when it would be wrong."""
    from assignment.implementation import SOLUTION_DIR, STENCIL_DIR
    from autograder.course import CourseError, load_course
    from autograder.handout import HandoutError
    from autograder.stencil import build_stencil
    from autograder.worker.signatures import STENCIL_API

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        print(f"release: {args.out} exists and is not an empty folder.", file=sys.stderr)
        return 2
    course = course_of(args, "release")
    if course is None:
        return 2
    if outside_course_repository("release"):
        return 1
    try:
        stale = build_stencil(SOLUTION_DIR, STENCIL_DIR, check=True, api_path=STENCIL_API,
                              course=load_course())
    except CourseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    if stale:
        print("release: stencil/ is out of date: run python -m autograder build-stencil.",
              file=sys.stderr)
        return 1
    try:
        bundle, visible = student_bundle(course)
    except (CourseError, HandoutError) as error:
        print(f"release: not written: {error}", file=sys.stderr)
        return 1
    wrong = problems(bundle, visible)
    if wrong:
        print("release: not written, the bundle would be wrong:", *wrong, sep="\n  ",
              file=sys.stderr)
        return 1
    bundle.write_folder(args.out)
    print(f"Wrote {args.out}/: {len(bundle.files)} files, {bundle.size / 2**20:.1f} MB, "
          f"with {len(visible)} visible checks.")
    if args.zip:
        archive = args.out.with_name(args.out.name + ".zip")
        bundle.write_zip(archive, prefix=f"{args.out.name}/")
        print(f"Wrote {archive}.")
    return 0
