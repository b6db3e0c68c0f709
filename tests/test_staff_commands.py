"""The staff commands: `package` (Gradescope zip), `release` (student bundle) and `batch`.

The zip and the bundle are checked by listing them: no solution code, no
hidden check. Both are also run the way they will be used, on the fast part
(`transposed_conv`): the zip's `run_autograder` on a messy upload, the bundle's
`grade` on the stencil and on a correct file.
"""

import ast
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tokenize
import zipfile

import pytest

from assignment.implementation import MODULE_NAMES, REPO_ROOT, SOLUTION_DIR
from autograder import bundle as bundles
from autograder.cli import main
from autograder.commands.batch import find_submissions
from autograder.services.submission import SubmissionError, collect
from autograder.rubric import ALL_PARTS, RUBRIC, VISIBLE, all_checks

PART_1 = next(part for part in RUBRIC if part.id == "transposed_conv")
HIDDEN = sorted(check_id for check_id, check in all_checks(ALL_PARTS).items()
                if check.visibility != VISIBLE)


def run_python(*args, cwd, env=None):
    """Runs `python ARGS` in `cwd` without this repository on the path; returns the result."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env={**environment, **(env or {})},
                          capture_output=True, text=True, timeout=600)


def has_marker_comment(source):
    """Whether Python `source` has a comment that starts a solution block."""
    return any(token.type == tokenize.COMMENT and "BEGIN SOLUTION" in token.string.upper()
               for token in tokenize.generate_tokens(io.StringIO(source).readline))


def assert_no_solution(files):
    """`files`: name -> bytes of a bundle; none of them may be or hold solution code."""
    solutions = {path.read_bytes() for path in SOLUTION_DIR.glob("*.py")}
    assert not [name for name in files if name.startswith(("assignment/solution", "solution"))]
    assert not [name for name, content in files.items() if content in solutions]
    assert not [name for name, content in files.items()
                if name.endswith(".py") and has_marker_comment(content.decode())]


# --- Finding the module files in an upload ------------------------------------------------------


def test_collect_takes_the_shallowest_module_and_says_what_it_left_out(tmp_path):
    upload = tmp_path / "upload"
    (upload / "hw" / "old").mkdir(parents=True)
    (upload / "__MACOSX").mkdir()
    (upload / "hw" / "vae.py").write_text("NEW = 1\n")
    (upload / "hw" / "old" / "vae.py").write_text("OLD = 1\n")
    (upload / "__MACOSX" / "cvae.py").write_text("junk")
    (upload / "transposed_conv.py").write_text("X = 1\n")
    (upload / "notes.txt").write_text("not a module")
    target = tmp_path / "flat"
    target.mkdir()

    collected = collect(upload, target)

    assert sorted(path.name for path in target.iterdir()) == ["transposed_conv.py", "vae.py"]
    assert (target / "vae.py").read_text() == "NEW = 1\n"
    assert collected.modules == {"transposed_conv": "transposed_conv.py", "vae": "hw/vae.py"}
    assert collected.missing == ("autoencoder", "cvae", "vqvae")
    assert "Graded hw/vae.py; also found hw/old/vae.py (not graded)." in collected.notes
    assert "Missing: autoencoder.py, cvae.py, vqvae.py." in collected.notes


def test_collect_reads_a_zip_and_rejects_a_corrupt_one(tmp_path):
    upload = tmp_path / "upload.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        for name in MODULE_NAMES:
            archive.writestr(f"submission/{name}.py", f"NAME = {name!r}\n")
        archive.writestr("__MACOSX/submission/._vae.py", "junk")
    target = tmp_path / "flat"
    target.mkdir()

    collected = collect(upload, target)

    assert collected.missing == ()
    assert (target / "vae.py").read_text() == "NAME = 'vae'\n"
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(SubmissionError, match="garbage.zip is not a readable zip"):
        collect(garbage, target)


# --- Checks shown before and after the due date ----------------------------------------------

CHECK_MODULE = '''"""Part A."""

from registry import Check, register


@register("a.visible")
class Visible(Check):
    pass


@functools.cache
@register("a.cached")
class Cached(Check):
    pass


@other("a.not_a_check")
class Other:
    pass
'''


def test_registered_ids_reads_the_register_decorators():
    assert bundles.registered_ids(CHECK_MODULE) == ["a.visible", "a.cached"]


def test_visible_check_modules_use_nothing_graded_after_the_due_date():
    """The release leaves `after_due_date/` out: no visible check may need it."""
    checks = REPO_ROOT / "autograder" / "checks"
    for path in checks.glob("*.py"):
        imported = {node.module for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert not [name for name in imported if "after_due_date" in name], path.name
    hidden = {check_id for path in (checks / "after_due_date").glob("*.py")
              for check_id in bundles.registered_ids(path.read_text())}
    assert hidden == set(HIDDEN)


# --- package ------------------------------------------------------------------------------------


def test_solution_leaks_names_solution_files_and_markers_but_not_mentions():
    bundle = bundles.Bundle()
    bundle.copy("autograder/stencil.py")  # mentions the marker in strings only
    assert bundles.solution_leaks(bundle) == []
    bundle.copy("assignment/solution/vae.py")
    bundle.add("vae.py", (SOLUTION_DIR / "vae.py").read_bytes())
    bundle.add("tweaked.py", "def f():\n    # BEGIN SOLUTION TODO 1.1: x\n    return 1\n")
    assert bundles.solution_leaks(bundle) == [
        "assignment/solution/vae.py is a solution file",
        "tweaked.py:2 holds a solution marker",
        "vae.py is a copy of the solution's vae.py",
    ]


@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("package") / "autograder.zip"
    assert main(["package", "--out", str(path), "--secret", "a test course"]) == 0
    return path


def test_package_says_what_to_do_next_in_lines_that_fit_the_terminal(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["package", "--out", str(tmp_path / "autograder.zip"),
                 "--secret", "a test course"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # The zip's path, longer than 60 characters, gets lines of its own, whole.
    assert lines[:2] == ["Wrote", f"  {tmp_path / 'autograder.zip'}:"]
    assert lines[-1] == "  python -m autograder container"
    assert all(len(line) <= 60 or len(line.split()) == 1 for line in lines)


def test_package_zip_holds_the_grader_and_no_solution(gradescope_zip):
    from importlib.metadata import version

    with zipfile.ZipFile(gradescope_zip) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
        modes = {info.filename: info.external_attr >> 16 & 0o777 for info in archive.infolist()}

    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    for script in ("setup.sh", "run_autograder"):
        syntax = subprocess.run(["bash", "-n"], input=files[script], capture_output=True)
        assert syntax.returncode == 0, syntax.stderr
    assert b"-r requirements-pinned.txt" in files["setup.sh"]
    pins = files["requirements-pinned.txt"].decode().splitlines()
    for name in ("tensorflow", "keras", "numpy", "matplotlib"):
        assert f"{name}=={version(name)}" in pins
    assert not [line for line in pins if line.startswith("pytest")]
    for needed in ("autograder/runner.py", "autograder/worker/runtime.py",
                   "autograder/checks/vae.py", "assignment/training.py",
                   "data/fashion_mnist_sample.npz",
                   "autograder/weights/fashion_mnist_classifier.weights.h5"):
        assert needed in files
    assert not [name for name in files if name.startswith(("stencil/", "tests/"))]
    assert_no_solution(files)
    registered = {check_id for name, content in files.items()
                  if name.startswith("autograder/checks/")
                  for check_id in bundles.registered_ids(content.decode())}
    assert registered == set(all_checks(ALL_PARTS))


def test_package_zip_grades_a_messy_upload_like_gradescope(gradescope_zip, tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(gradescope_zip) as archive:
        archive.extractall(root / "source")
    upload = root / "submission" / "my homework"
    upload.mkdir(parents=True)
    shutil.copy(SOLUTION_DIR / "transposed_conv.py", upload)
    (upload / "README.txt").write_text("extra file")
    (root / "results").mkdir()

    finished = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable},
        timeout=600)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Graded my homework/transposed_conv.py (found in a folder)." in finished.stdout
    results = json.loads((root / "results" / "results.json").read_text())
    tests = {test["number"]: test for test in results["tests"]}
    assert set(tests) == set(all_checks(RUBRIC))
    for check in PART_1.checks:
        assert tests[check.id]["status"] == "passed", tests[check.id]["output"]
    assert results["score"] == PART_1.points
    assert "autoencoder.py" in tests["autoencoders.encoder_shapes"]["output"]


# --- release ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "bundle"
    assert main(["release", str(out), "--zip"]) == 0
    return out


def test_release_holds_the_student_files_and_no_solution_nor_hidden_check(release):
    files = {path.relative_to(release).as_posix(): path.read_bytes()
             for path in release.rglob("*") if path.is_file()}
    with zipfile.ZipFile(release.with_name("bundle.zip")) as archive:
        assert sorted(archive.namelist()) == sorted(f"bundle/{name}" for name in files)

    for name in ("README.md", "requirements.txt", "assignment/HANDOUT.md",
                 "assignment/train.py", "data/fashion_mnist_sample.npz",
                 *(f"stencil/{module}.py" for module in MODULE_NAMES)):
        assert name in files
    assert_no_solution(files)
    assert not [name for name in files if name.startswith(("autograder/metrics", "tests/"))
                or name.endswith(".h5")]
    checks = {name: content.decode() for name, content in files.items()
              if name.startswith("autograder/checks/") and name.endswith(".py")}
    registered = {check_id for source in checks.values()
                  for check_id in bundles.registered_ids(source)}
    assert registered == set(all_checks(ALL_PARTS)) - set(HIDDEN)
    for check_id in HIDDEN:
        assert not [name for name, source in checks.items() if f'"{check_id}"' in source]


def test_released_grader_grades_the_stencil_and_a_correct_file(release, tmp_path):
    stencil = run_python("-m", "autograder", "grade", "stencil", "-q", "transposed_conv",
                         cwd=release)
    assert stencil.returncode == 0, stencil.stdout + stencil.stderr
    assert f"Total: 0 / {PART_1.points:g} points" in stencil.stdout
    assert "not done yet" in stencil.stdout

    shutil.copy(SOLUTION_DIR / "transposed_conv.py", tmp_path)
    correct = run_python("-m", "autograder", "grade", str(tmp_path), "-q", "transposed_conv",
                         cwd=release)
    assert correct.returncode == 0, correct.stdout + correct.stderr
    visible = sum(check.points for check in PART_1.checks if check.visibility == VISIBLE)
    assert f"Total: {visible:g} / {visible:g} points" in correct.stdout


# --- batch --------------------------------------------------------------------------------------


def test_batch_grades_each_submission_and_gives_every_one_a_row(tmp_path):
    submissions = tmp_path / "submissions"
    for student in ("correct", "syntax", "empty"):
        (submissions / student).mkdir(parents=True)
    shutil.copy(SOLUTION_DIR / "transposed_conv.py", submissions / "correct")
    (submissions / "syntax" / "transposed_conv.py").write_text("def broken(:\n")
    (submissions / "garbage.zip").write_bytes(b"\x00garbage")
    gradebook = tmp_path / "out" / "grades.csv"

    assert main(["batch", str(submissions), "--csv", str(gradebook), "--jobs", "2",
                 "-q", "transposed_conv"]) == 0

    with open(gradebook, newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    assert list(rows) == ["correct", "empty", "garbage", "syntax"]
    assert list(rows["correct"]) == ["student", "score", "max_score", "transposed_conv",
                                     "status", "notes"]
    points = f"{PART_1.points:g}"
    assert (float(rows["correct"]["score"]), rows["correct"]["status"]) == (PART_1.points, "graded")
    assert float(rows["correct"]["transposed_conv"]) == float(points)
    assert (float(rows["syntax"]["score"]), rows["syntax"]["status"]) == (0, "graded")
    assert (float(rows["empty"]["score"]), rows["empty"]["status"]) == (0, "graded")
    assert rows["empty"]["notes"] == "Missing: transposed_conv.py."
    assert rows["correct"]["notes"] == rows["syntax"]["notes"] == ""
    assert rows["garbage"]["status"] == "error" and "not a readable zip" in rows["garbage"]["notes"]
    assert rows["garbage"]["score"] == ""

    feedback = tmp_path / "out" / "grades-feedback"
    assert sorted(path.name for path in feedback.iterdir()) == [
        "correct.json", "correct.txt", "empty.json", "empty.txt", "garbage.txt",
        "syntax.json", "syntax.txt"]
    assert f"Total: {points} / {points} points" in (feedback / "correct.txt").read_text()
    syntax = (feedback / "syntax.txt").read_text()
    assert "SyntaxError: invalid syntax (transposed_conv.py, line 1)" in syntax
    assert json.loads((feedback / "syntax.json").read_text())["score"] == 0


def test_batch_names_students_after_their_entries(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a submission")
    assert find_submissions(tmp_path) == {"alice": tmp_path / "alice", "bob": tmp_path / "bob.zip"}
    (tmp_path / "alice.zip").write_bytes(b"")
    with pytest.raises(ValueError, match="both name student alice"):
        find_submissions(tmp_path)


def test_package_and_release_checks_find_missing_imports():
    bundle = bundles.Bundle()
    bundle.copy("autograder/__init__.py")
    bundle.add("autograder/user.py", "from autograder.report import format_table\n"
                                     "from autograder import nowhere\n")
    bundle.add("autograder/report.py", "def other():\n    pass\n")
    assert bundles.missing_imports(bundle) == [
        "autograder/user.py:1 imports format_table from autograder.report, which the bundle's "
        "copy does not define",
        "autograder/user.py:2 imports nowhere from autograder, which the bundle's copy does "
        "not define",
    ]
