"""Tests of `autograder.runner.grade` with fake checks, probes and submissions.

The rubric parts, checks and probes come from `tests/fixtures/fake_checks.py`
and `tests/fixtures/fake_probes.py`; the submissions are the one-module
fixtures of `tests/fixtures/hostile/`. Each hostile submission must fail only
the checks it touches, with a clear message.
"""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder import runner
from autograder.formats.gradescope import results_json
from autograder.rubric import AFTER_DUE_DATE
from autograder.sandbox import Isolation
from autograder.time_limits import TimeScale
from tests.fixtures.fake_checks import (
    PROBE_MODULE,
    Broken,
    Doubles,
    Draws,
    Echoes,
    Fixed,
    item,
    part,
)

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"

# Part "a": the answer, a check that depends on it, a probe-free check and a hidden one;
# part "b" depends on part "a" across parts.
RUBRIC = (
    part("a", item("a.answer", 4, todos=("1.1",)), item("a.echo", 2),
         item("a.again", 1, depends=("a.answer",)), item("a.draw", 1),
         item("a.hidden", 3, visibility=AFTER_DUE_DATE)),
    part("b", item("b.after", 2, depends=("a.answer",)), item("b.draw", 1), bonus=True),
)
CHECKS = {"a.answer": Doubles(), "a.echo": Echoes(), "a.again": Doubles(),
          "a.draw": Draws(), "a.hidden": Doubles(x=5), "b.after": Doubles(x=2),
          "b.draw": Draws()}


def grade(directory, parts=None, include_hidden=True, seed=0, rubric=RUBRIC, checks=CHECKS,
          **options):
    """`runner.grade` on the fake rubric, with workers that keep the test's user."""
    return runner.grade(directory, parts, include_hidden, seed, rubric=rubric, checks=checks,
                        probe_module=PROBE_MODULE, isolation=Isolation(), secrets=(), **options)


def submit(tmp_path, fixture):
    shutil.copy(HOSTILE / f"{fixture}.py", tmp_path / "student.py")
    return tmp_path


def by_id(report):
    return {item.check.id: item for item in report.checks}


def statuses(report):
    return {item.check.id: item.status for item in report.checks}


def test_correct_submission_gets_every_point(tmp_path):
    report = grade(submit(tmp_path, "good"))
    assert set(statuses(report).values()) == {runner.PASSED}
    assert (report.score, report.max_score, report.bonus, report.max_bonus) == (11, 11, 3, 3)
    parts = {usage.part.id: usage for usage in report.parts}
    # a.answer and a.again ask for the same probe: it runs once.
    assert (parts["a"].probes, parts["a"].workers, parts["b"].probes) == (4, 1, 2)
    assert 0 < parts["a"].peak_memory_mb < 300


def test_same_score_twice_and_seeded_probes(tmp_path):
    submit(tmp_path, "good")
    first, again, other = (grade(tmp_path, seed=seed) for seed in (0, 0, 1))

    def draws(report):
        return [item.got for item in report.checks if item.check.id.endswith("draw")]

    assert [i.points for i in first.checks] == [i.points for i in again.checks]
    assert draws(first) == draws(again) != draws(other)
    # The same probe gets the same seed in every part.
    assert draws(first)[0] == draws(first)[1]


def test_visible_checks_and_parts_can_be_selected(tmp_path):
    submit(tmp_path, "good")
    visible = grade(tmp_path, include_hidden=False)
    only_b = grade(tmp_path, parts=["b"])
    assert "a.hidden" not in statuses(visible) and visible.max_score == 8
    assert list(statuses(only_b)) == ["b.after", "b.draw"]
    # a.answer is not graded in this run, so b.after does not wait for it.
    assert by_id(only_b)["b.after"].status == runner.PASSED
    with pytest.raises(ValueError, match="Unknown part c; choose from a, b."):
        grade(tmp_path, parts=["c"])
    with pytest.raises(FileNotFoundError):
        grade(tmp_path / "absent")


def test_failed_dependency_blocks_dependents_without_running_them(tmp_path):
    (tmp_path / "student.py").write_text("def answer(x):\n    return x\n")
    report = grade(tmp_path, include_hidden=False)
    checks = by_id(report)
    assert checks["a.answer"].status == runner.FAILED
    assert (checks["a.answer"].expected, checks["a.answer"].got) == ("42", "21")
    for dependent in ("a.again", "b.after"):
        assert checks[dependent].status == runner.NOT_GRADED
        assert checks[dependent].feedback == 'Not graded: needs "Check a.answer" to pass first.'
    assert checks["a.echo"].status == checks["b.draw"].status == runner.PASSED


@pytest.mark.parametrize("fixture", ["good", "todo"])
def test_parts_side_by_side_grade_as_one_after_the_other(tmp_path, fixture):
    submit(tmp_path, fixture)
    progress = []
    one, two = (grade(tmp_path, lanes=lanes, on_part=lambda report: progress.append(
        [usage.part.id for usage in report.parts])) for lanes in (1, 2))

    def verdicts(report):
        return [(i.check.id, i.status, i.points, i.got, i.feedback) for i in report.checks]

    assert verdicts(one) == verdicts(two)
    # b.after waits for a.answer in the other lane: graded when it passes, blocked when not.
    assert by_id(two)["b.after"].status == (runner.PASSED if fixture == "good"
                                            else runner.NOT_GRADED)
    # The reports come in the rubric's order, part after part.
    assert progress == [["a"], ["a", "b"]] * 2
    assert "2 parts at a time" in two.notes[1] and "at a time" not in one.notes[1]


def test_parts_side_by_side_run_at_the_same_time(tmp_path):
    submit(tmp_path, "good")
    rubric = (part("a", item("a.draw")), part("b", item("b.draw")))
    report = grade(tmp_path, rubric=rubric, checks={"a.draw": Draws(), "b.draw": Draws()},
                   lanes=2)
    assert report.seconds < sum(usage.seconds for usage in report.parts)
    with pytest.raises(ValueError, match="lanes=2 differs from the time scale's 1"):
        grade(tmp_path, lanes=2, time_scale=TimeScale())


def test_part_with_every_check_blocked_starts_no_worker(tmp_path):
    (tmp_path / "student.py").write_text("def answer(x):\n    return x\n")
    rubric = (RUBRIC[0], part("b", item("b.after", 2, depends=("a.answer",))))
    report = grade(tmp_path, rubric=rubric)
    assert report.parts[1].workers == 0 and report.parts[1].probes == 0


def test_unfinished_todo_fails_with_status_todo(tmp_path):
    report = grade(submit(tmp_path, "todo"))
    answer = by_id(report)["a.answer"]
    assert (answer.status, answer.points) == (runner.TODO, 0)
    assert answer.feedback == "TODO 1.1 is not done yet: Return twice x."
    assert by_id(report)["a.echo"].status == runner.PASSED


def test_import_error_fails_its_part_with_file_and_line(tmp_path):
    report = grade(submit(tmp_path, "import_error"))
    part_a = [item for item in report.checks if item.part.id == "a"]
    message = "KeyError: 'learning_rate' (student.py, line 9, in <module>)"
    assert {item.feedback for item in part_a if item.status == runner.FAILED} == {message}
    assert by_id(report)["a.again"].status == runner.NOT_GRADED
    assert report.parts[0].workers == 1


@pytest.mark.parametrize("fixture, function, message", [
    ("exits", "polite_exit", "SystemExit: your code called sys.exit(0)"),
    ("exits", "hard_exit", "The process running your code exited with status 3"),
    ("infinite_loop", "answer", "Time limit exceeded: this check may run for 1 s"),
    ("memory_hog", "answer", "Memory limit exceeded: your code used "),
])
def test_hostile_code_fails_only_what_it_touches(tmp_path, fixture, function, message):
    submit(tmp_path, fixture)
    rubric = (part("h", item("h.hostile"), item("h.echo"), item("h.draw"), memory_limit_mb=150),)
    # Only the infinite loop may meet the time limit, however slow the machine.
    time_limit = 1.0 if fixture == "infinite_loop" else 20.0
    checks = {"h.hostile": Doubles(function, time_limit=time_limit), "h.echo": Echoes(),
              "h.draw": Draws()}
    report = grade(tmp_path, rubric=rubric, checks=checks, time_scale=TimeScale())
    hostile, *others = report.checks
    assert hostile.status == runner.FAILED and hostile.feedback.startswith(message)
    assert [other.status for other in others] == [runner.PASSED, runner.PASSED]
    json.dumps(results_json(report), allow_nan=False)


def test_flood_of_prints_and_nan_answers(tmp_path):
    rubric = (part("f", item("f.answer")),)
    (tmp_path / "flood").mkdir()
    flood = grade(submit(tmp_path / "flood", "print_flood"), rubric=rubric,
                  checks={"f.answer": Doubles()})
    nan = grade(submit(tmp_path, "nan"), rubric=rubric, checks={"f.answer": Doubles()})
    assert flood.checks[0].status == runner.PASSED
    assert len(flood.parts[0].output) < 20_000
    (answer,) = nan.checks
    assert (answer.status, answer.got, answer.points) == (runner.FAILED, "nan", 0)
    json.dumps(results_json(nan), allow_nan=False)


def test_monkeypatching_comparisons_in_the_worker_gains_nothing(tmp_path):
    report = grade(submit(tmp_path, "cheat"), parts=["a"])
    assert by_id(report)["a.answer"].status == runner.FAILED
    assert by_id(report)["a.answer"].got == "-1"
    assert not np.allclose(-1, 42) and abs(-3) == 3


def test_fractions_are_clipped_and_nan_scores_nothing(tmp_path):
    fractions = {"p.over": 1.5, "p.under": -0.5, "p.nan": math.nan, "p.half": 0.5}
    rubric = (part("p", *(item(check_id, 4) for check_id in fractions)),)
    report = grade(submit(tmp_path, "good"), rubric=rubric,
                   checks={check_id: Fixed(value) for check_id, value in fractions.items()})
    assert [(i.status, i.points) for i in report.checks] == [
        (runner.PASSED, 4), (runner.FAILED, 0), (runner.FAILED, 0), (runner.PARTIAL, 2)]
    assert report.parts[0].workers == 0


def test_autograder_bugs_are_reported_per_check(tmp_path):
    bugs = ("probes", "unknown probe", "score", "outcome", "leaderboard")
    rubric = (part("e", *(item(f"e.{i}") for i in range(len(bugs))), item("e.missing"),
                   item("e.answer")),)
    checks = {f"e.{i}": Broken(where) for i, where in enumerate(bugs)}
    checks["e.answer"] = Doubles()
    report = grade(submit(tmp_path, "good"), rubric=rubric, checks=checks)
    *errors, answer = report.checks
    assert [i.status for i in errors] == [runner.ERROR] * 6 and answer.status == runner.PASSED
    assert [i.feedback for i in errors] == [
        "Autograder error: RuntimeError: bug in probes()",
        "Autograder error: unknown probe function 'fake.no_such_probe'",
        "Autograder error: KeyError: 'missing key'",
        "Autograder error: TypeError: score() returned a float, not an Outcome",
        "Autograder error: ValueError: leaderboard order 'up' of 'metric' is not 'asc' or 'desc'",
        "Autograder error: no check is registered as e.missing.",
    ]
    assert "bug in probes()" in errors[0].details


def test_leaderboard_values_are_normalised(tmp_path):
    report = grade(submit(tmp_path, "good"), parts=["b"])
    draw = by_id(report)["b.draw"]
    value = float(draw.got)
    assert draw.leaderboard == {"draw": (value, "desc"), "cost": (value, "asc")}


class Prepared(Doubles):
    """`Doubles` that logs its `prepare` (with the context's seed) and `probes` calls."""

    def __init__(self, log, fails=False):
        super().__init__()
        self.log = log
        self.fails = fails

    def prepare(self, ctx):
        self.log.append((self.id, "prepare", ctx.seed))
        if self.fails:
            raise RuntimeError("weights missing")

    def probes(self, ctx):
        self.log.append((self.id, "probes", ctx.seed))
        return super().probes(ctx)


def test_checks_prepare_before_any_part_starts_and_only_when_graded(tmp_path):
    submit(tmp_path, "good")
    log = []
    checks = {check_id: Prepared(log, fails=check_id == "p.failing")
              for check_id in ("p.shown", "p.hidden", "p.failing")}
    for check_id, check in checks.items():
        check.id = check_id
    rubric = (part("p", item("p.shown"), item("p.hidden", visibility=AFTER_DUE_DATE),
                   item("p.failing")), part("q", item("q.draw")))
    checks["q.draw"] = Draws()
    visible_only = grade(tmp_path, rubric=rubric, checks=checks, include_hidden=False, seed=3)
    assert log == [("p.shown", "prepare", 3), ("p.failing", "prepare", 3),
                   ("p.shown", "probes", 3), ("p.failing", "probes", 3)]
    log.clear()
    every_check = grade(tmp_path, rubric=rubric, checks=checks, seed=4)
    assert [entry[:2] for entry in log] == [
        ("p.shown", "prepare"), ("p.hidden", "prepare"), ("p.failing", "prepare"),
        ("p.shown", "probes"), ("p.hidden", "probes"), ("p.failing", "probes")]
    # A failing prepare is left to the check's scoring, which here does not need it.
    assert set(statuses(visible_only).values()) == set(statuses(every_check).values()) == {
        runner.PASSED}
