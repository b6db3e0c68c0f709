"""Course files: the parts a course assigns, their points and bonus, and what follows them.

Three shapes are tested: the default `course.toml` (today's assignment,
unchanged), "autoencoders and the VAE only" and "everything" (every part of
`ALL_PARTS`), both in `docs/courses/`. Text and rubric tests first (fast),
then real grading of the solution and of each course's stencil in the
sandboxed workers, then the student bundle of a course.
"""

import dataclasses
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from assignment.implementation import REPO_ROOT, SOLUTION_DIR
from autograder.cli import main
from autograder.course import (
    COURSE_ENVIRONMENT,
    DATASETS,
    CourseError,
    load_course,
    scaled_points,
)
from autograder.handout import HandoutError, course_handout
from autograder.rubric import ALL_PARTS, RUBRIC, VISIBLE
from autograder.stencil import build_stencil

DEFAULT = REPO_ROOT / "course.toml"
AE_VAE = REPO_ROOT / "docs" / "courses" / "ae_vae_only.toml"
EVERYTHING = REPO_ROOT / "docs" / "courses" / "everything.toml"
DIGITS = REPO_ROOT / "docs" / "courses" / "digits.toml"
HANDOUT = REPO_ROOT / "assignment" / "HANDOUT.md"


def write_course(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


# --- the course file --------------------------------------------------------------------------


def test_the_default_course_is_todays_rubric():
    assert load_course(DEFAULT).rubric == RUBRIC


def test_everything_assigns_every_part_in_rubric_order_with_its_default_points():
    course = load_course(EVERYTHING)
    assert [part.id for part in course.rubric] == [part.id for part in ALL_PARTS]
    assert [part.points for part in course.rubric] == [part.points for part in ALL_PARTS]


def test_ae_vae_only_is_numbered_from_one_and_scaled_to_its_points():
    course = load_course(AE_VAE)
    autoencoders, vae = course.rubric
    assert (autoencoders.title, vae.title) == ("Part 1: autoencoders",
                                               "Part 2: variational autoencoder")
    assert (autoencoders.points, vae.points, autoencoders.bonus, vae.bonus) == (40, 60, False, False)
    default = {check.id: check for part in RUBRIC for check in part.checks}
    for check in vae.checks:
        assert check.points == pytest.approx(default[check.id].points * 60 / 45, abs=0.01)
        assert check.todos == tuple(f"2.{todo.split('.')[1]}" for todo in default[check.id].todos)
    assert course.modules == ("autoencoder", "vae")


def test_scaled_points_keep_their_shares_and_sum_exactly():
    assert scaled_points([4, 3, 7, 1], 20) == [5.33, 4.0, 9.34, 1.33]
    assert sum(scaled_points([4, 3, 7, 1], 20)) == pytest.approx(20, abs=1e-9)
    assert scaled_points([1, 1, 1], 1) == [0.34, 0.33, 0.33]


def test_a_course_can_make_a_part_bonus_or_not(tmp_path):
    course = load_course(write_course(tmp_path, '[[part]]\nid = "transposed_conv"\nbonus = true\n'
                                                '[[part]]\nid = "autoencoders"\n'
                                                '[[part]]\nid = "vqvae"\nbonus = false\n'))
    assert [(part.title, part.bonus) for part in course.rubric] == [
        ("Part 1 (bonus): transposed convolution", True), ("Part 2: autoencoders", False),
        ("Part 3: VQ-VAE", False)]
    assert course.rubric[2].checks[0].todos == ("3.1",)


@pytest.mark.parametrize("text, message", [
    ('[[part]]\nid = "nope"\n', "unknown part 'nope'; choose from transposed_conv, autoencoders"),
    ('[[part]]\nid = "vae"\npoints = 0\n', "points of part vae must be a number above 0, not 0"),
    ('[[part]]\nid = "vae"\npoints = -5\n', "points of part vae must be a number above 0, not -5"),
    ('[[part]]\nid = "vae"\npoints = "ten"\n', "must be a number above 0, not 'ten'"),
    ('[[part]]\nid = "autoencoders"\n[[part]]\nid = "autoencoders"\n',
     "part 'autoencoders' is assigned twice"),
    ('[[part]]\nid = "vae"\n', "part vae uses autoencoder.py, whose TODOs belong to part "
                               "autoencoders: assign autoencoders too"),
    ('[[part]]\nid = "cvae"\nbonus = "yes"\n', "bonus of part cvae must be true or false, not 'yes'"),
    ('[[part]]\nid = "cvae"\npoint = 3\n', "unknown key point in part 'cvae'"),
    ('dataset = "cifar"\n[[part]]\nid = "transposed_conv"\n', "unknown dataset 'cifar'"),
    ('dataset = "fashion_mnist"\n', "no part"),
    ('[[part]\nid = "vae"\n', "is not a valid TOML file"),
])
def test_a_bad_course_file_is_an_error_naming_the_file_and_the_value(tmp_path, text, message):
    path = write_course(tmp_path, text)
    with pytest.raises(CourseError) as error:
        load_course(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_commands_read_the_course_option_then_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(COURSE_ENVIRONMENT, str(AE_VAE))
    assert main(["rubric"]) == 0
    assert capsys.readouterr().out.startswith("Part 1: autoencoders: 40 points")
    assert main(["rubric", "--course", str(DEFAULT)]) == 0
    assert capsys.readouterr().out.startswith("Part 1: transposed convolution: 15 points")
    assert main(["rubric", "--course", str(tmp_path / "missing.toml")]) == 2
    assert f"Cannot read the course file {tmp_path / 'missing.toml'}" in capsys.readouterr().err


def test_grade_names_the_parts_of_the_course(capsys):
    assert main(["grade", "stencil", "--course", str(AE_VAE), "-q", "cvae"]) == 2
    assert "Unknown part cvae; choose from autoencoders, vae." in capsys.readouterr().err


# --- the stencil and the handout of a course ---------------------------------------------------


def test_a_course_stencil_holds_its_modules_with_its_todo_numbers(tmp_path):
    assert build_stencil(SOLUTION_DIR, tmp_path, course=load_course(AE_VAE)) == [
        "autoencoder.py", "vae.py"]
    vae = (tmp_path / "vae.py").read_text()
    assert re.findall(r"# TODO (\d+)\.", vae) == ["2"] * 11
    assert 'raise NotImplementedError("TODO 2.3: Return 0.5 * sum_i' in vae
    default = tmp_path / "default"
    build_stencil(SOLUTION_DIR, default, course=load_course(DEFAULT))
    assert sorted(path.name for path in default.iterdir()) == sorted(
        path.name for path in (REPO_ROOT / "stencil").glob("*.py"))


def test_the_handout_of_a_course_shows_only_its_parts():
    handout = course_handout(HANDOUT.read_text(), load_course(AE_VAE))
    assert "transposed_conv" not in handout and "CVAE" not in handout.split("## Checking")[0]
    assert "## Part 1: Autoencoders" in handout and "(#part-1-autoencoders)" in handout
    assert "*File: `vae.py`. Uses your `Decoder` from Part 1.*" in handout
    assert "The assignment is worth 100 points. Each" in handout
    assert "Upload these two files to Gradescope" in handout
    assert "Part 3" not in handout and "<!-- BEGIN PART cvae -->" not in handout


def test_a_handout_mentioning_a_part_the_course_drops_is_an_error(tmp_path):
    course = load_course(write_course(tmp_path, '[[part]]\nid = "autoencoders"\n'))
    with pytest.raises(HandoutError, match=r"line \d+: TODO 3.3 is not assigned by .*course.toml: mark what mentions it"):
        course_handout(HANDOUT.read_text(), course)
    with pytest.raises(HandoutError, match="unknown part nope in a marker"):
        course_handout("x <!-- PART nope -->\n", course)


# --- grading: the solution gets every point, the course's stencil none ------------------------


@pytest.fixture(scope="module", params=[AE_VAE, EVERYTHING], ids=["ae_vae_only", "everything"])
def course_and_stencil(request, tmp_path_factory):
    course = load_course(request.param)
    stencil = tmp_path_factory.mktemp("stencil")
    build_stencil(SOLUTION_DIR, stencil, course=course)
    return course, stencil


def test_the_stencil_of_a_course_gets_no_point_and_names_its_todos(course_and_stencil):
    from autograder.commands.selftest import wrong_scores
    from autograder.runner import TODO, grade

    course, stencil = course_and_stencil
    report = grade(stencil, include_hidden=True, seed=0, rubric=course.rubric)
    assert wrong_scores("stencil", report, full_marks=False) == []
    assert {item.check.id for item in report.checks} == {
        check.id for part in course.rubric for check in part.checks}
    first = {part.id: f"TODO {number}.1 is not done yet" for number, part in
             enumerate(course.rubric, start=1)}
    for item in report.checks:
        if item.status == TODO and item.check.todos:
            assert any(f"TODO {todo} is not done yet" in item.feedback
                       for todo in item.check.todos), item.feedback
    assert any(first[item.part.id] in item.feedback for item in report.checks)


def test_the_solution_gets_every_visible_point_of_a_course(course_and_stencil):
    from autograder.commands.selftest import wrong_scores
    from autograder.runner import grade

    course, _ = course_and_stencil
    report = grade(SOLUTION_DIR, include_hidden=False, seed=0, rubric=course.rubric)
    assert wrong_scores("solution", report, full_marks=True) == []
    visible = sum(check.points for part in course.rubric if not part.bonus
                  for check in part.checks if check.visibility == VISIBLE)
    assert report.score == pytest.approx(visible)


# --- the data set of a course ---------------------------------------------------------------


def test_pass_lines_name_their_data_sets_and_always_fashion_mnist():
    import autograder.checks  # noqa: F401  (registers the checks)
    from autograder.checks.context import FALLBACK_DATASET, pass_lines
    from autograder.checks.registry import CHECKS

    lines = {(check_id, name): values for check_id, check in CHECKS.items()
             for name, values in pass_lines(check).items()}
    assert len(lines) >= 10
    for (check_id, name), values in lines.items():
        assert FALLBACK_DATASET in values and set(values) <= set(DATASETS), (check_id, name)
        assert all(len(pair) == 2 for pair in values.values()), (check_id, name)
    for check_id, check in CHECKS.items():
        named = {frozenset(values) for (owner, _), values in lines.items() if owner == check_id}
        assert len(named) <= 1, f"{check_id}: its pass lines name different data sets"


def test_a_check_not_calibrated_on_the_course_data_set_is_graded_on_fashion_mnist():
    from autograder.checks.context import GradingContext

    class FashionOnly:
        MSE_LINES = {"fashion_mnist": (0.1, 0.2)}

    class Both:
        MSE_LINES = {"fashion_mnist": (0.1, 0.2), "mnist": (0.1, 0.2)}

    class NoLines:
        pass

    ctx = GradingContext(7, dataset="mnist")
    moved = ctx.for_check(FashionOnly())
    assert (moved.dataset, moved.seed) == ("fashion_mnist", 7)
    assert ctx.for_check(FashionOnly()) is moved
    assert moved.test_data[0].shape == (2000, 28, 28, 1)
    assert ctx.for_check(Both()) is ctx and ctx.for_check(NoLines()) is ctx


def test_the_checks_show_and_train_on_the_course_data_set():
    import autograder.checks  # noqa: F401
    from assignment.datasets import load_dataset
    from autograder.checks.context import GradingContext
    from autograder.checks.registry import CHECKS

    ctx = GradingContext(0, dataset="mnist")
    assert np.array_equal(ctx.test_data[0], load_dataset("mnist", "test", sample=True)[0])
    named = [probe.kwargs["dataset"] for check in CHECKS.values()
             for probe in check.probes(ctx).values() if "dataset" in probe.kwargs]
    assert len(named) >= 10 and set(named) == {"mnist"}


def test_a_digits_course_grades_the_solution_on_digits_at_full_marks(capsys):
    assert load_course(DIGITS).dataset == "mnist"
    assert main(["grade", str(SOLUTION_DIR), "--course", str(DIGITS), "-q", "autoencoders",
                 "--all"]) == 0
    out = capsys.readouterr().out
    assert "Part 2: autoencoders (-q autoencoders): 25 / 25 points" in out, out


# --- the bundles of a course -------------------------------------------------------------------


def test_release_of_a_course_holds_its_stencil_handout_and_file_only(tmp_path):
    out = tmp_path / "bundle"
    assert main(["release", str(out), "--course", str(AE_VAE)]) == 0
    assert sorted(path.name for path in (out / "stencil").iterdir()) == ["autoencoder.py",
                                                                         "vae.py"]
    assert (out / "course.toml").read_bytes() == AE_VAE.read_bytes()
    assert (out / "assignment" / "HANDOUT.md").read_text() == course_handout(
        HANDOUT.read_text(), load_course(AE_VAE))
    assert "upload these two files" in (out / "README.md").read_text()
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", COURSE_ENVIRONMENT)}
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", "stencil", "-q", "vae"],
                            cwd=out, env=environment, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "Part 2: variational autoencoder (-q vae): 0 / " in graded.stdout
    assert "TODO 2.1 is not done yet" in graded.stdout


def test_release_of_a_digits_course_ships_the_digits_and_records_on_them(tmp_path):
    out = tmp_path / "bundle"
    assert main(["release", str(out), "--course", str(DIGITS)]) == 0
    assert (out / "data" / "mnist_sample.npz").read_bytes() == (
        REPO_ROOT / "data" / "mnist_sample.npz").read_bytes()
    from autograder.checks.context import GradingContext

    digits = GradingContext(0, dataset="mnist").test_data[0][:16]  # vqvae.straight_through's
    with np.load(out / "autograder" / "checks" / "expectations.npz") as recorded:
        assert any(np.array_equal(recorded[name], digits) for name in recorded.files)


def test_package_carries_the_course_file_it_was_built_with(tmp_path):
    import zipfile

    archive = tmp_path / "autograder.zip"
    assert main(["package", "--out", str(archive), "--secret", "s", "--course", str(AE_VAE)]) == 0
    with zipfile.ZipFile(archive) as package:
        assert package.read("course.toml") == AE_VAE.read_bytes()
        assert "stencil/vae.py" not in package.namelist()


def test_scaled_course_rubric_keeps_everything_but_points_titles_and_todos():
    course = load_course(AE_VAE)
    default = {part.id: part for part in RUBRIC}
    for part in course.rubric:
        same = dataclasses.replace(part, title=default[part.id].title, checks=default[part.id].checks)
        assert same == default[part.id]
