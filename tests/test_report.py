"""Tests of what a grading run shows: the terminal table and the `grade` and `rubric` commands."""

import json
import math
import shutil
from pathlib import Path

import pytest

from autograder import runner
from autograder.cli import main
from autograder.formats import gradescope
from autograder.formats.terminal import format_table
from autograder.rubric import AFTER_DUE_DATE, RUBRIC, max_score
from autograder.sandbox import Isolation
from tests.fixtures.fake_checks import PROBE_MODULE, Doubles, item, part

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
NOTE = "Student code runs as root: test."
DIAGNOSIS = ("Looks like: KL with log sigma instead of log sigma^2. The encoder's second head "
             "is the log-variance log(sigma^2): use it as it is, without doubling it anywhere, "
             "and keep the factor 1/2 in front of the sum over the latent dimensions, which "
             "is where this mistake usually hides in a submission.")
EXPECTED = "k = 1: shape (5,), shape (5,), [6.834, 6.701, 1.577, 0.5488, 2.25, 3.1, 0.75, 8.9]"
GOT = "k = 1: shape (5,), shape (5,), [13.67, 13.4, 3.154, 1.098, 4.5, 6.2, 1.5, 17.8]"

PART = part("a", item("a.kl", 6, todos=("3.3",)), item("a.quality", 5, visibility=AFTER_DUE_DATE),
            item("a.broken", 2), item("a.next", 3, depends=("a.kl",)))
BONUS = part("z", item("z.codes", 4), bonus=True)


def checks():
    """One `CheckReport` of every kind."""
    return (
        runner.CheckReport(PART, PART.checks[0], runner.PARTIAL, 3.0, 1.25, expected=EXPECTED,
                           got=GOT, feedback=DIAGNOSIS, diagnosis="vae_kl_log_sigma"),
        runner.CheckReport(PART, PART.checks[1], runner.PASSED, 5.0, 30.0, feedback="Correct.",
                           leaderboard={"FID": (12.5, "asc"), "accuracy": (math.nan, "desc")}),
        runner.CheckReport(PART, PART.checks[2], runner.ERROR, feedback="Autograder error: boom",
                           details="Traceback (most recent call last):\nKeyError: 'boom'"),
        runner.CheckReport(PART, PART.checks[3], runner.NOT_GRADED,
                           feedback='Not graded: needs "Check a.kl" to pass first.'),
        runner.CheckReport(BONUS, BONUS.checks[0], runner.TODO,
                           feedback="TODO 5.1 is not done yet: Pick the nearest codeword."),
    )


def grade_report(include_hidden=True, items=None, output="hello from the worker\n"):
    parts = (runner.PartReport(PART, 31.5, 3, 2, 640.0, output),
             runner.PartReport(BONUS, 0.5, 1, 1, 80.0, ""))
    return runner.GradeReport("submission", 0, include_hidden, items or checks(), parts, 32.0,
                              (NOTE,))


def under_row(lines, name):
    """The lines printed under the row of the check named `name`."""
    start = next(index for index, line in enumerate(lines) if line.startswith(f"  {name[:10]}"))
    block = []
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line)
    return block


def test_table_rows_and_totals():
    lines = format_table(grade_report(), width=100).splitlines()
    assert lines[0].split() == ["Check", "Points", "Time", "Status", "Feedback"]
    assert "Part a (-q a): 8 / 16 points in 31.5 s" in lines
    row = next(line for line in lines if "Check a.quality" in line)
    assert row.split()[2:] == ["5/5", "30.0s", "passed", "Correct."]
    kl = next(line for line in lines if "Check a.kl" in line)
    assert kl.split()[2:] == ["3/6", "1.2s", "partial"]
    assert "Total: 8 / 16 points + bonus 0 / 4" in lines
    assert not [line for line in lines if "Note" in line or "Traceback" in line]


@pytest.mark.parametrize("columns", [80, 60])
def test_failed_checks_show_their_whole_feedback_in_narrow_terminals(
        columns, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "grade", lambda *args, **kwargs: grade_report())
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["grade", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()

    table = lines[:lines.index("")]
    assert max(len(line) for line in table if not line.startswith("Part ")) <= columns
    block = under_row(lines, "Check a.kl")
    text = " ".join(" ".join(block).split())
    assert " ".join(DIAGNOSIS.split()) in text
    expected = next(index for index, line in enumerate(block) if "Expected:" in line)
    got = next(index for index, line in enumerate(block) if "Got:" in line)
    value_column = block[expected].index("k = 1")
    assert block[got].index("k = 1") == value_column
    for continuation in block[expected + 1:got] + block[got + 1:]:
        assert len(continuation) - len(continuation.lstrip()) == value_column
    assert " ".join(EXPECTED.split()) in text and " ".join(GOT.split()) in text
    assert 'Not graded: needs "Check a.kl" to pass first.' in " ".join(
        " ".join(under_row(lines, "Check a.next")).split())


def test_the_table_says_what_verbose_adds(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "grade", lambda *args, **kwargs: grade_report())
    assert main(["grade", str(tmp_path)]) == 0
    plain = capsys.readouterr().out
    assert "Run with -v to also see what the code printed, the autograder's tracebacks, " \
           "each part's memory use." in " ".join(plain.split())
    assert "KeyError" not in plain and "hello from the worker" not in plain
    assert main(["grade", str(tmp_path), "-v"]) == 0
    verbose = capsys.readouterr().out
    assert "Run with -v" not in verbose
    assert "      KeyError: 'boom'" in verbose
    assert "  (3 probe(s) in 2 worker(s), peak memory 640 MB)" in verbose
    assert "  | hello from the worker" in verbose


def test_totals_name_only_what_was_graded():
    bonus_only = runner.GradeReport("s", 0, True, (checks()[-1],),
                                    (runner.PartReport(BONUS, 0.5, 1, 1, 80.0, ""),), 1.0)
    assert "Total: bonus 0 / 4 points" in format_table(bonus_only).splitlines()
    graded_only = runner.GradeReport("s", 0, True, checks()[:2],
                                     (runner.PartReport(PART, 1.0, 1, 1, 80.0, ""),), 1.0)
    assert "Total: 8 / 11 points" in format_table(graded_only).splitlines()


@pytest.mark.parametrize("options, shown", [([], False), (["--staff"], True), (["--all"], True)])
def test_notes_are_shown_to_staff_only(options, shown, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "grade", lambda *args, **kwargs: grade_report())
    assert main(["grade", str(tmp_path), *options]) == 0
    assert (f"Note: {NOTE}" in capsys.readouterr().out) is shown


def test_a_real_run_keeps_the_isolation_note_from_students(capsys):
    """On this machine workers cannot drop to `nobody` (Python in root's home): a note, for staff."""
    from assignment.implementation import STENCIL_DIR

    assert main(["grade", str(STENCIL_DIR), "-q", "transposed_conv"]) == 0
    plain = capsys.readouterr().out
    assert main(["grade", str(STENCIL_DIR), "-q", "transposed_conv", "--staff"]) == 0
    staff = capsys.readouterr().out
    assert "Note:" not in plain
    notes = [line for line in staff.splitlines() if line.startswith("Note:")]
    report = runner.grade(STENCIL_DIR, ["transposed_conv"])
    assert len(notes) == len(report.notes)


# -- the grade command --------------------------------------------------------

def test_grade_refuses_a_missing_directory(tmp_path, capsys):
    results = tmp_path / "results.json"
    status = main(["grade", str(tmp_path / "absent"), "--results", str(results)])
    error = capsys.readouterr().err
    assert status == 2
    assert error == f"grade: {tmp_path / 'absent'} is not a directory.\n"
    assert json.loads(results.read_text())["tests"][0]["name"] == "Autograder error"


def test_grade_refuses_an_unknown_part(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "-q", "vae", "nope"]) == 2
    assert capsys.readouterr().err == (
        f"grade: Unknown part nope; choose from {', '.join(p.id for p in RUBRIC)}.\n")


def test_grade_refuses_a_service_destination_that_is_not_there(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert main(["grade", str(tmp_path), "--format", "github-classroom"]) == 2
    assert "GITHUB_OUTPUT is not set" in capsys.readouterr().err


def test_grade_prints_the_table_and_writes_results(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_grade(directory, parts, include_hidden, seed, rubric, secrets, on_part, dataset,
                   lanes):
        calls.append((Path(directory), parts, include_hidden, seed, rubric, secrets[-1], dataset,
                      lanes))
        return grade_report()

    monkeypatch.setattr(runner, "grade", fake_grade)
    results = tmp_path / "out" / "results.json"
    status = main(["grade", str(tmp_path), "-q", "vae", "-q", "cvae", "--all", "--seed", "3",
                   "--lanes", "2", "--results", str(results)])
    assert status == 0
    assert calls == [(tmp_path, ["vae", "cvae"], True, 3, RUBRIC, results.parent.absolute(),
                      "fashion_mnist", 2)]
    assert "Total: 8 / 16 points + bonus 0 / 4" in capsys.readouterr().out
    assert json.loads(results.read_text()) == gradescope.results_json(grade_report())


def test_results_to_standard_output_leave_the_table_out(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(runner, "grade", lambda *args, **kwargs: grade_report())
    assert main(["grade", str(tmp_path), "--results", "-"]) == 0
    assert json.loads(capfd.readouterr().out) == gradescope.results_json(grade_report())


def test_grade_collects_an_upload_and_says_what_it_found(tmp_path, capsys):
    from assignment.implementation import SOLUTION_DIR

    upload = tmp_path / "upload" / "my work"
    upload.mkdir(parents=True)
    shutil.copy(SOLUTION_DIR / "transposed_conv.py", upload)
    results = tmp_path / "results.json"
    assert main(["grade", str(tmp_path / "upload"), "--collect", "-q", "transposed_conv",
                 "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Graded my work/transposed_conv.py (found in a folder)."
    assert f"Graded {tmp_path / 'upload'} in" in out
    written = json.loads(results.read_text())
    assert written["score"] == 15
    assert written["output"].startswith("Graded my work/transposed_conv.py (found in a folder).")


def test_grade_collects_a_corrupt_zip_as_nothing_found(tmp_path, capsys):
    (tmp_path / "upload.zip").write_bytes(b"not a zip")
    results = tmp_path / "results.json"
    assert main(["grade", str(tmp_path / "upload.zip"), "--collect", "-q", "transposed_conv",
                 "--format", "prairielearn", "--results", str(results)]) == 0
    written = json.loads(results.read_text())
    assert written["gradable"] is False
    assert "upload.zip is not a readable zip file" in written["format_errors"][0]


def test_grader_crash_still_writes_valid_results(tmp_path, monkeypatch, capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(runner, "grade", crash)
    results = tmp_path / "results.json"
    assert main(["grade", str(tmp_path), "--results", str(results)]) == 1
    assert "RuntimeError: the grader broke" in capsys.readouterr().err
    (test,) = json.loads(results.read_text())["tests"]
    assert test["name"] == "Autograder error" and test["visibility"] == "visible"
    assert "Traceback" in test["output"] and "RuntimeError: the grader broke" in test["output"]


def test_student_code_cannot_forge_the_results(tmp_path, monkeypatch):
    """Even workers that can write the results file (no user switch) cannot forge it."""
    results = tmp_path / "results.json"
    (tmp_path / "submission").mkdir()
    shutil.copy(HOSTILE / "snoop.py", tmp_path / "submission" / "student.py")
    fake = (part("s", item("s.write", 4)),)
    forge = Doubles("write", x=str(results))
    grade = runner.grade
    monkeypatch.setattr(runner, "grade", lambda *args, rubric, **kwargs: grade(
        *args, rubric=fake, checks={"s.write": forge}, probe_module=PROBE_MODULE,
        isolation=Isolation(), **kwargs))
    assert main(["grade", str(tmp_path / "submission"), "--results", str(results)]) == 0
    written = json.loads(results.read_text())
    assert written["score"] == 0.0 and written["tests"][0]["status"] == "failed"
    assert written["tests"][0]["output"].endswith(f"Got: {results}")


# -- the rubric command -------------------------------------------------------

def test_rubric_lists_every_check_and_the_totals(capsys):
    assert main(["rubric"]) == 0
    text = capsys.readouterr().out
    for rubric_part in RUBRIC:
        assert f"-q {rubric_part.id}" in text
        for check in rubric_part.checks:
            assert f"{check.id}: {check.name}" in text
    hidden = sum(c.points for p in RUBRIC for c in p.checks if c.visibility != "visible")
    assert text.rstrip().endswith(
        f"Total: {max_score():g} points + {max_score(True) - max_score():g} bonus points; "
        f"checks worth {hidden:g} of them are graded with --all and shown after the due date.")


def test_rubric_markdown_is_the_points_table(capsys):
    assert main(["rubric", "--markdown"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    checks = [row for row in rows if row.startswith("| | ")]
    assert rows[0].startswith("| Part | What is checked |")
    assert len(checks) == sum(len(p.checks) for p in RUBRIC)
    assert sum(float(row.split("|")[4]) for row in checks) == max_score(include_bonus=True)
    assert rows[-1] == "| **Total** | | | **100 points + 10 bonus points** | |"
