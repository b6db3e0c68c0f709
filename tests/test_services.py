"""Each grading service's harness, emulated: its folders, its entry point, its schema.

For every platform the package of `python -m autograder package --platform`
is laid out as the service lays it out, its entry point is run as the service
runs it (here as root, as Gradescope and PrairieLearn run it; the others run
it as an unprivileged user, which this machine's interpreter in root's home
does not allow), and what it leaves is checked against the service's contract
(`tests.fixtures.service_contracts`). Steps that install packages are left
out: `AUTOGRADER_PYTHON` points the scripts at this interpreter.

Each platform grades three uploads of Part 1 (`transposed_conv.py` only; the
other parts then fail at once for their missing modules): the solution's
(every point of Part 1), the stencil's (none), and `hostile/forger.py`, which
tries to forge every service's results: the results must be the grader's, the
points it gives the forger graded directly. (The solution's full marks on
every part are `tests/test_selftest.py`'s.)
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assignment.implementation import MODULE_NAMES, REPO_ROOT, SOLUTION_DIR, STENCIL_DIR
from autograder.bundle import solution_markers
from autograder import runner
from autograder.cli import main
from autograder.formats import files
from autograder.rubric import RUBRIC, VISIBLE
from autograder.sandbox import choose_isolation
from autograder.supervisor import PROGRESS_VARIABLE
from tests.fixtures import service_contracts as contracts

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
PART_1 = next(part for part in RUBRIC if part.id == "transposed_conv")
PART_1_IDS = {check.id for check in PART_1.checks}
UPLOADS = {"solution": SOLUTION_DIR / "transposed_conv.py",
           "stencil": STENCIL_DIR / "transposed_conv.py",
           "forger": HOSTILE / "forger.py"}
EARNED = {"solution": PART_1.points, "stencil": 0}
VISIBLE_POINTS = sum(check.points for part in RUBRIC if not part.bonus for check in part.checks
                     if check.visibility == VISIBLE)


def environment(**extra):
    """This process's environment without this repository on the path, plus `extra`.

    Without the test's progress file either: the service's grading is supervised, as on the service.
    """
    kept = {key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", PROGRESS_VARIABLE)}
    return {**kept, "AUTOGRADER_PYTHON": sys.executable, **extra}


def run(command, cwd, **extra):
    return subprocess.run(command, cwd=cwd, env=environment(**extra), capture_output=True,
                          timeout=600)


@pytest.fixture(scope="module", autouse=True)
def forger_points(tmp_path_factory):
    """What the grader itself gives the forger on Part 1 (it imports no TensorFlow, for one)."""
    folder = tmp_path_factory.mktemp("forger")
    upload(folder, "forger")
    EARNED["forger"] = runner.grade(folder, ["transposed_conv"]).score
    assert EARNED["forger"] < PART_1.points


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """platform -> the path of its package, built once."""
    built = {}

    def build(platform):
        if platform not in built:
            out = tmp_path_factory.mktemp(platform) / ("package.zip" if platform == "gradescope"
                                                       else "package")
            assert main(["package", "--platform", platform, "--out", str(out),
                         "--secret", "a test course"]) == 0
            built[platform] = out
        return built[platform]

    return build


def upload(folder, name):
    """Puts the upload `name` (see `UPLOADS`) into `folder` as `transposed_conv.py`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(UPLOADS[name], folder / "transposed_conv.py")


def part_1_points(tests, points, check_id):
    return sum(points(test) for test in tests if check_id(test) in PART_1_IDS)


def test_the_forger_attacks_its_own_grader_and_gains_nothing(tmp_path):
    upload(tmp_path / "upload", "forger")
    results = tmp_path / "results" / "results.json"
    graded = run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "upload"), "-v",
                  "-q", "transposed_conv", "--results", str(results)], REPO_ROOT)
    assert graded.returncode == 0, graded.stderr.decode()
    if choose_isolation().namespaces:  # its own /proc shows no grader: it finds no file
        assert "| forging" not in graded.stdout.decode()
    else:  # it found the file, and tried to write it
        assert f"| forging {results}" in graded.stdout.decode()
    written = contracts.check_gradescope(results.read_text())
    assert written["score"] == EARNED["forger"] and len(written["tests"]) == len(PART_1.checks)


# --- Gradescope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["stencil", "forger"])
def test_gradescope_run_autograder(packages, tmp_path, name):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(packages("gradescope")) as archive:
        archive.extractall(root / "source")
    upload(root / "submission", name)
    (root / "results").mkdir()

    finished = run(["bash", str(root / "source" / "run_autograder")], tmp_path,
                   AUTOGRADER_ROOT=str(root))

    assert finished.returncode == 0, finished.stderr.decode()
    results = contracts.check_gradescope((root / "results" / "results.json").read_text())
    assert results["score"] == EARNED[name]
    assert part_1_points(results["tests"], lambda test: test["score"],
                         lambda test: test["number"]) == EARNED[name]


# --- PrairieLearn -------------------------------------------------------------------------------


def prairielearn_job(packages, tmp_path, modules):
    """Runs the grading image's entry point on a job laid out as PrairieLearn lays it out."""
    image = tmp_path / "grader"
    shutil.copytree(packages("prairielearn") / "graderImage", image)  # the Dockerfile's COPY
    grade = tmp_path / "grade"
    (grade / "data").mkdir(parents=True)
    (grade / "data" / "data.json").write_text('{"params": {}, "submitted_answers": {}}')
    (grade / "student").mkdir()
    for source in modules:
        shutil.copy(source, grade / "student" / source.name)
    finished = run([str(image / "run")], tmp_path, GRADE_ROOT=str(grade))
    assert finished.returncode == 0, finished.stderr.decode()
    return contracts.check_prairielearn((grade / "results" / "results.json").read_bytes())


@pytest.mark.parametrize("name", ["solution", "stencil", "forger"])
def test_prairielearn_entrypoint(packages, tmp_path, name):
    upload(tmp_path / "upload", name)
    results = prairielearn_job(packages, tmp_path, [tmp_path / "upload" / "transposed_conv.py"])

    assert results["gradable"] is True
    assert part_1_points(results["tests"], lambda test: test["points"],
                         lambda test: test["name"].split(":")[0]) == EARNED[name]
    assert results["score"] == pytest.approx(EARNED[name] / VISIBLE_POINTS, abs=1e-6)
    assert all(check.visibility == VISIBLE for part in RUBRIC for check in part.checks
               if any(test["name"].startswith(check.id + ":") for test in results["tests"]))


def test_prairielearn_course_files(packages):
    import json

    package = packages("prairielearn")
    (question,) = (package / "questions").iterdir()
    info = json.loads((question / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert {"uuid", "type", "title", "topic"} <= set(info) and info["gradingMethod"] == "External"
    assert options["entrypoint"] == "/grader/run" and 0 < options["timeout"] <= 600
    assert options["image"] == "autoencoder-grader"
    html = (question / "question.html").read_text()
    assert all(f"{name}.py" in html for name in MODULE_NAMES)
    dockerfile = (package / "graderImage" / "Dockerfile").read_text()
    assert "-r /grader/requirements-pinned.txt" in dockerfile and "COPY . /grader" in dockerfile
    assert os.access(package / "graderImage" / "run", os.X_OK)


def test_prairielearn_nothing_found_is_not_gradable(packages, tmp_path):
    results = prairielearn_job(packages, tmp_path, [])
    assert results["gradable"] is False and "Missing: transposed_conv.py" in " ".join(
        results["format_errors"])


# --- GitHub Classroom ---------------------------------------------------------------------------


def run_workflow(repository, tmp_path):
    """Runs the template's workflow as GitHub Actions would; returns (grade step, notice)."""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((repository / ".github/workflows/classroom.yml").read_text())
    (job,) = workflow["jobs"].values()
    outputs, notice, graded = {}, None, None
    for step in job["steps"]:
        if "run" in step and "pip install" not in step["run"]:  # the installing step is skipped
            output_file = tmp_path / f"output-{step['id']}"
            output_file.touch()
            graded = run(["bash", "-e", "-c", step["run"]], repository,
                         GITHUB_OUTPUT=str(output_file))
            outputs[step["id"]] = contracts.step_outputs(output_file.read_text())
        elif step.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"):
            env = {name: value.replace("${{ steps.autograder.outputs.result }}",
                                       outputs["autograder"]["result"])
                   for name, value in step["env"].items()}
            notice = contracts.classroom_reporter(step["with"]["runners"], env)
    return graded, outputs["autograder"]["result"], notice


@pytest.mark.parametrize("name", ["solution", "stencil", "forger"])
def test_github_classroom_workflow(packages, tmp_path, name):
    repository = tmp_path / "repository"
    shutil.copytree(packages("github-classroom"), repository)  # actions/checkout
    for module in MODULE_NAMES:
        (repository / "stencil" / f"{module}.py").unlink()
    upload(repository / "stencil", name)

    graded, encoded, notice = run_workflow(repository, tmp_path)

    assert graded.returncode == 0, graded.stderr.decode()
    result = contracts.check_classroom(encoded)
    assert result["max_score"] == VISIBLE_POINTS
    assert notice == f"Points {EARNED[name]:g}/{VISIBLE_POINTS:g}"
    assert {test["name"].split(":")[0] for test in result["tests"]} <= {
        check.id for part in RUBRIC for check in part.checks if check.visibility == VISIBLE}


def test_github_classroom_template_is_the_student_bundle(packages):
    repository = packages("github-classroom")
    assert (repository / ".github/workflows/classroom.yml").is_file()
    assert (repository / "requirements-pinned.txt").is_file()
    assert not (repository / "assignment" / "solution").exists()
    assert all((repository / "stencil" / f"{name}.py").is_file() for name in MODULE_NAMES)


# --- Autolab ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["solution", "stencil", "forger"])
def test_autolab_make(packages, tmp_path, name):
    job = tmp_path / "job"
    job.mkdir()
    package = packages("autolab")
    shutil.copy(package / "autograde-Makefile", job / "Makefile")
    shutil.copy(package / "autograde.tar", job / "autograde.tar")
    upload(tmp_path / "files", name)
    with zipfile.ZipFile(job / "handin.zip", "w") as archive:
        archive.write(tmp_path / "files" / "transposed_conv.py", "transposed_conv.py")

    finished = subprocess.run(["make"], cwd=job, env=environment(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=600)  # Tango keeps both, merged

    assert finished.returncode == 0, finished.stdout.decode()[-3000:]
    autoresult, presentation = contracts.check_autolab(finished.stdout)
    assert autoresult["scores"]["transposed_conv"] == EARNED[name]
    assert set(autoresult["scores"]) == {part.id for part in RUBRIC}
    assert PART_1.title in presentation["stages"]
    assert "Output length rule of Conv2DTranspose" in finished.stdout.decode()


# --- CodeGrade ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["solution", "stencil", "forger"])
def test_codegrade_custom_test(packages, tmp_path, name):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(packages("codegrade"), fixtures)
    home = tmp_path / "opt" / "autograder"
    setup = run(["bash", str(fixtures / "setup.sh")], tmp_path, AUTOGRADER_HOME=str(home))
    assert setup.returncode == 0, setup.stderr.decode()
    student = tmp_path / "student"
    upload(student, name)
    channel = tmp_path / "structured-output"

    # CodeGrade's Custom Test: the command in the student's folder, the channel on fd 3.
    finished = run(["bash", "-c", 'exec 3>"$0" && exec "$1"', str(channel), str(home / "grade")],
                   student)

    assert finished.returncode == 0, finished.stderr.decode()
    messages = contracts.check_codegrade(channel.read_bytes())
    cases = [case for message in messages[:-1] for suite in message["results"]
             for case in suite["testCases"]]
    assert len(cases) == sum(check.visibility == VISIBLE for part in RUBRIC
                             for check in part.checks)
    part_1 = [case for case in cases if case["description"].split(":")[0] in PART_1_IDS]
    assert sum(case["weight"] for case in part_1 if case["status"] == "success") == EARNED[name]
    earned, maximum = map(int, messages[-1]["points"].split("/"))
    assert earned / maximum == pytest.approx(EARNED[name] / VISIBLE_POINTS)
    assert b"Output length rule of Conv2DTranspose" in finished.stdout


# --- Every package ------------------------------------------------------------------------------


def package_files(path):
    """name -> bytes of every file of a package, zips and tars inside it opened too."""
    import io
    import tarfile

    found = {}
    if path.is_file():
        with zipfile.ZipFile(path) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}
    for item in path.rglob("*"):
        if item.suffix == ".zip":
            found.update(package_files(item))
        elif item.suffix == ".tar":
            with tarfile.open(fileobj=io.BytesIO(item.read_bytes())) as archive:
                found.update({member.name: archive.extractfile(member).read()
                              for member in archive.getmembers() if member.isfile()})
        elif item.is_file():
            found[str(item.relative_to(path))] = item.read_bytes()
    return found


@pytest.mark.parametrize("platform", ["gradescope", "prairielearn", "github-classroom",
                                      "autolab", "codegrade"])
def test_no_package_holds_solution_code(packages, platform):
    found = package_files(packages(platform))
    solutions = {path.read_bytes() for path in SOLUTION_DIR.glob("*.py")}
    assert [name for name in found if name.endswith("autograder/runner.py")]
    assert not [name for name in found if "assignment/solution" in name]
    assert not [name for name, content in found.items() if content in solutions]
    assert not [name for name, content in found.items()
                if name.endswith(".py") and solution_markers(content.decode())]


# --- What keeps students' processes away from the grader's streams ----------------------------


def test_a_private_grader_keeps_its_streams_from_its_own_user(tmp_path):
    """Two processes of one unprivileged user: the other can open this one's fd 1 only if allowed."""
    import ctypes
    import pwd

    if os.geteuid() != 0:
        pytest.skip("switching to another user needs root")
    nobody = pwd.getpwnam("nobody")

    def attempt(private):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the grader, as nobody
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.dup2(os.pipe()[1], 1)  # its results stream, a pipe of its own
            if private:
                files.keep_streams_private()
            else:  # as after exec: changing user made it private
                ctypes.CDLL(None).prctl(files.PR_SET_DUMPABLE, 1, 0, 0, 0)
            grader = os.getpid()
            if os.fork() == 0:  # a student's process, as nobody too
                try:
                    os.close(os.open(f"/proc/{grader}/fd/1", os.O_WRONLY))
                    os.write(write, b"opened")
                except OSError:
                    os.write(write, b"refused")
                os._exit(0)
            os.wait()
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as answer:
            return answer.read()

    assert attempt(private=False) == b"opened"
    assert attempt(private=True) == b"refused"
