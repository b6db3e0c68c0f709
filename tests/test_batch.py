"""Tests of `batch` across machines (`--shard`, `batch merge`) and of its class report.

The batch is the solution, the stencil and the five Part-1 mutants
(`tests/fixtures/mutants/`), graded on Part 1 (no TensorFlow, about a second
each) in two shards that are then merged: the report must count each mutant's
mistake once, and the points lost on each check.
"""

import csv
import shutil

import pytest

from assignment.implementation import SOLUTION_DIR, STENCIL_DIR
from autograder.cli import main
from autograder.commands.batch import shard
from autograder.diagnosis import MISTAKES
from autograder.rubric import RUBRIC
from tests.fixtures import mutants

PART_1 = next(part for part in RUBRIC if part.id == "transposed_conv")
PART_1_MUTANTS = [mistake for mistake in mutants.mutant_ids()
                  if mutants.load(mistake).CHECK.startswith("transposed_conv.")]


def test_shards_split_the_students_in_order_and_whole():
    submissions = {f"student{index:02}": index for index in range(10)}
    slices = [shard(submissions, f"{index}/3") for index in (1, 2, 3)]
    assert [list(part) for part in slices] == [
        [f"student{index:02}" for index in range(0, 3)],
        [f"student{index:02}" for index in range(3, 6)],
        [f"student{index:02}" for index in range(6, 10)]]
    assert shard(submissions, "1/1") == submissions
    for bad in ("0/3", "4/3", "3", "a/b", "1/0"):
        with pytest.raises(ValueError, match="is not I/N"):
            shard(submissions, bad)


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """The batch of the solution, the stencil and the Part-1 mutants, in two shards, merged."""
    root = tmp_path_factory.mktemp("batch")
    submissions = root / "submissions"
    for mistake in PART_1_MUTANTS:
        mutants.build(mistake, submissions / mistake)
    for name, folder in (("solution", SOLUTION_DIR), ("stencil", STENCIL_DIR)):
        (submissions / name).mkdir()
        shutil.copy(folder / "transposed_conv.py", submissions / name)
    for index in (1, 2):
        assert main(["batch", str(submissions), "--shard", f"{index}/2", "-q", "transposed_conv",
                     "--jobs", "2", "--csv", str(root / "shards" / f"grades-{index}.csv")]) == 0
    assert main(["batch", "merge", str(root / "shards" / "grades-1.csv"),
                 str(root / "shards" / "grades-2.csv"), "--csv", str(root / "grades.csv")]) == 0
    return root


def test_merge_joins_the_shards_rows_and_feedback(merged):
    with open(merged / "grades.csv", newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    students = sorted([*PART_1_MUTANTS, "solution", "stencil"])
    assert list(rows) == students
    shard_rows = [row["student"] for index in (1, 2)
                  for row in csv.DictReader(open(merged / "shards" / f"grades-{index}.csv"))]
    assert shard_rows == students  # each student in one shard, in order
    assert float(rows["solution"]["score"]) == PART_1.points
    assert float(rows["stencil"]["score"]) == 0
    assert all(rows[mistake]["status"] == "graded" and float(rows[mistake]["score"]) < 15
               for mistake in PART_1_MUTANTS)
    feedback = sorted(path.name for path in (merged / "grades-feedback").iterdir())
    assert feedback == sorted(f"{student}.{kind}" for student in students
                              for kind in ("json", "txt"))


def test_the_class_report_counts_each_mistake_and_the_points_lost(merged):
    report = (merged / "grades-report.md").read_text()
    graded = len(PART_1_MUTANTS) + 2
    for mistake in PART_1_MUTANTS:
        assert f"| {MISTAKES[mistake].name} | 1 of {graded} |" in report
    checks = [mutants.load(mistake).CHECK for mistake in PART_1_MUTANTS]
    lost = {check.id: f"| {check.name} (`{check.id}`) |" for check in PART_1.checks}
    for check_id in set(checks):
        line = next(line for line in report.splitlines() if line.startswith(lost[check_id]))
        # Every mutant of a check, the stencil, and those whose mistake blocks this check.
        assert int(line.split("|")[2].split(" of ")[0]) >= checks.count(check_id) + 1
    assert "![Points lost per check and mistakes made](grades-mistakes.png)" in report
    assert (merged / "grades-mistakes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_merge_refuses_shards_that_do_not_fit(tmp_path, capsys):
    one, other = tmp_path / "one.csv", tmp_path / "other.csv"
    one.write_text("student,score,max_score,vae,status,notes\nalice,1,2,1,graded,\n")
    other.write_text("student,score,max_score,cvae,status,notes\nbob,1,2,1,graded,\n")
    assert main(["batch", "merge", str(one), str(other), "--csv", str(tmp_path / "g.csv")]) == 2
    assert "grade every shard with the same parts" in capsys.readouterr().err
    other.write_text("student,score,max_score,vae,status,notes\nalice,1,2,1,graded,\n")
    assert main(["batch", "merge", str(one), str(other), "--csv", str(tmp_path / "g.csv")]) == 2
    assert "alice is in both" in capsys.readouterr().err
    assert main(["batch", "merge", str(tmp_path / "absent.csv")]) == 2


def test_a_grading_process_that_died_still_gets_its_row_with_what_was_graded(tmp_path,
                                                                           monkeypatch):
    """The supervisor wrote the results of Part 1 before the grading process was killed."""
    import json
    import subprocess

    from autograder.commands import batch

    def killed_grading(command, **kwargs):
        results = command[command.index("--results") + 1]
        json.dump({"score": 15.0, "tests": [
            {"number": "transposed_conv.output_length", "score": 15.0, "max_score": 15.0}]},
            open(results, "w"))
        return subprocess.CompletedProcess(command, 1, "", "grade: The grading was cut short: "
                                           "the grading process was killed (SIGKILL).\n")

    monkeypatch.setattr(batch.subprocess, "run", killed_grading)
    feedback = tmp_path / "feedback"
    feedback.mkdir()
    row = batch.grade_submission("ada", SOLUTION_DIR, feedback, [], [PART_1])
    assert row["status"] == batch.ERROR
    assert row["score"] == 15.0 and row["transposed_conv"] == 15.0
    assert "grader failed: grade: The grading was cut short" in row["notes"]


@pytest.mark.parametrize("jobs, one_lane", [("1", False), ("2", True)])
def test_submissions_graded_at_once_grade_their_parts_one_after_the_other(
        tmp_path, monkeypatch, jobs, one_lane):
    from autograder.commands import batch

    (tmp_path / "ada").mkdir()
    seen = []
    monkeypatch.setattr(batch, "grade_submission", lambda student, path, feedback, options, parts:
                        seen.append(options) or {"student": student, "status": "error",
                                                 "notes": "not graded in this test"})
    main(["batch", str(tmp_path), "--jobs", jobs, "--csv", str(tmp_path / "grades.csv")])
    (options,) = seen
    assert ("--lanes 1" in " ".join(options)) == one_lane
