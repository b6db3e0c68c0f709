"""Tests of the terminal table, results.json, and the `grade` and `rubric` commands."""

import functools
import json
import math
import shutil
import stat
from pathlib import Path

import pytest

from autograder import report, runner
from autograder.cli import main
from autograder.rubric import AFTER_DUE_DATE, RUBRIC, max_score
from autograder.sandbox import Isolation
from tests.fixtures.fake_checks import PROBE_MODULE, Doubles, item, part

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"

PART = part("a", item("a.kl", 6, todos=("3.3",)), item("a.quality", 5, visibility=AFTER_DUE_DATE),
            item("a.broken", 2), item("a.next", 3, depends=("a.kl",)))
BONUS = part("z", item("z.codes", 4), bonus=True)


def checks():
    """One `CheckReport` of every kind."""
    return (
        runner.CheckReport(PART, PART.checks[0], runner.PARTIAL, 3.0, 1.25, expected="0.5",
                           got="0.25", feedback="KL with log sigma instead of log sigma^2: "
                           "use the log-variance as it is, without doubling it anywhere."),
        runner.CheckReport(PART, PART.checks[1], runner.PASSED, 5.0, 30.0, feedback="Correct.",
                           leaderboard={"FID": (12.5, "asc"), "accuracy": (math.nan, "desc")}),
        runner.CheckReport(PART, PART.checks[2], runner.ERROR, feedback="Autograder error: boom",
                           details="Traceback (most recent call last):\nKeyError: 'boom'"),
        runner.CheckReport(PART, PART.checks[3], runner.NOT_GRADED,
                           feedback='Not graded: needs "Check a.kl" to pass first.'),
        runner.CheckReport(BONUS, BONUS.checks[0], runner.TODO,
                           feedback="TODO 5.1 is not done yet: Pick the nearest codeword."),
    )


def grade_report(include_hidden=True):
    parts = (runner.PartReport(PART, 31.5, 3, 2, 640.0, "hello from the worker\n"),
             runner.PartReport(BONUS, 0.5, 1, 1, 80.0, ""))
    return runner.GradeReport("submission", 0, include_hidden, checks(), parts, 32.0,
                              ("Student code runs as root: test.",))


def test_table_shows_every_column_and_the_totals():
    text = report.format_table(grade_report(), width=100)
    lines = text.splitlines()
    assert lines[0].split() == ["Check", "Points", "Time", "Status", "Feedback"]
    assert "Part a (-q a): 8 / 16 points in 31.5 s" in lines
    row = next(line for line in lines if "Check a.kl" in line)
    assert row.split()[2:6] == ["3/6", "1.2s", "partial", "KL"]
    assert len(row) == 100 and row.endswith("...")
    assert "Total: 8 / 16 points + bonus 0 / 4" in lines
    assert "Note: Student code runs as root: test." in lines
    assert "Traceback" not in text


def test_verbose_table_shows_details_and_worker_output():
    text = report.format_table(grade_report(), verbose=True, width=100)
    assert "    Expected: 0.5" in text and "    Got: 0.25" in text
    assert "    KL with log sigma instead of log sigma^2: use the log-variance" in text
    assert "anywhere." in text.split("Expected: 0.5")[0]
    assert "    KeyError: 'boom'" in text
    assert "  (3 probe(s) in 2 worker(s), peak memory 640 MB)" in text
    assert "  | hello from the worker" in text


def test_results_json_follows_the_gradescope_schema():
    results = report.results_json(grade_report())
    json.dumps(results, allow_nan=False)
    assert results["score"] == 8.0 and results["execution_time"] == 32.0
    assert results["stdout_visibility"] == "hidden"
    assert "Note" not in results["output"]
    tests = results["tests"]
    assert [test["status"] for test in tests] == ["failed", "passed", "failed", "failed", "failed"]
    assert [test["visibility"] for test in tests] == [
        "visible", "after_due_date", "visible", "visible", "visible"]
    first = tests[0]
    assert first["name"] == "a.kl: Check a.kl" and first["number"] == "a.kl"
    assert (first["score"], first["max_score"], first["tags"]) == (3.0, 6, ["3.3"])
    assert first["output"].splitlines()[1:] == ["Expected: 0.5", "Got: 0.25"]
    assert results["leaderboard"] == [{"name": "FID", "value": 12.5, "order": "asc"}]


def test_error_results_have_a_visible_autograder_error_test():
    results = report.error_results("Traceback: it broke", seconds=1.234)
    json.dumps(results, allow_nan=False)
    (test,) = results["tests"]
    assert (test["name"], test["status"], test["visibility"]) == (
        "Autograder error", "failed", "visible")
    assert test["output"] == "Traceback: it broke" and results["execution_time"] == 1.23


def test_write_results_is_atomic_and_refuses_invalid_json(tmp_path):
    path = tmp_path / "out" / "results.json"
    report.write_results(path, {"score": 1.0})
    assert json.loads(path.read_text()) == {"score": 1.0}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    with pytest.raises(ValueError):
        report.write_results(path, {"score": math.nan})
    assert json.loads(path.read_text()) == {"score": 1.0}
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


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


def test_grade_prints_the_table_and_writes_results(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_grade(directory, parts, include_hidden, seed, secrets):
        calls.append((Path(directory), parts, include_hidden, seed, secrets[-1]))
        return grade_report()

    monkeypatch.setattr(runner, "grade", fake_grade)
    results = tmp_path / "out" / "results.json"
    status = main(["grade", str(tmp_path), "-q", "vae", "-q", "cvae", "--all", "--seed", "3",
                   "--results", str(results)])
    assert status == 0
    assert calls == [(tmp_path, ["vae", "cvae"], True, 3, results.parent.absolute())]
    assert "Total: 8 / 16 points + bonus 0 / 4" in capsys.readouterr().out
    assert json.loads(results.read_text()) == report.results_json(grade_report())


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
    rubric = (part("s", item("s.write", 4)),)
    forge = Doubles("write", x=str(results))
    monkeypatch.setattr(runner, "grade", functools.partial(
        runner.grade, rubric=rubric, checks={"s.write": forge}, probe_module=PROBE_MODULE,
        isolation=Isolation()))
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
