"""Time limits scale with the grading machine's speed and fit a service's default timeout."""

import pytest

from autograder import time_limits
from autograder.rubric import RUBRIC, Item, Part, lane_order
from autograder.sandbox import Isolation, Sandbox, machine
from tests.fixtures import in_process, slow_impl


def parts(*limits):
    return tuple(Part(f"p{index}", "", (), limit, 100, ()) for index, limit in enumerate(limits))


def test_the_rubric_limits_fit_the_service_budget_on_the_reference_machine():
    assert sum(part.time_limit for part in RUBRIC) <= time_limits.SERVICE_BUDGET_SECONDS


@pytest.mark.parametrize("seconds, factor", [(0.5, 1.0), (1.0, 1.0), (2.5, 2.5)])
def test_a_slower_machine_gets_proportionally_longer_limits(seconds, factor):
    scale = time_limits.scale_for(parts(10, 20), seconds * time_limits.REFERENCE_BENCHMARK_SECONDS)
    assert scale.factor == pytest.approx(factor)
    assert scale.part_limit(parts(10)[0]) == pytest.approx(10 * factor)
    assert scale.note == ""


def test_limits_are_cut_to_the_budget_with_a_note_for_the_staff():
    budget = time_limits.SERVICE_BUDGET_SECONDS
    scale = time_limits.scale_for(parts(budget / 2, budget / 4),
                                  4 * time_limits.REFERENCE_BENCHMARK_SECONDS)
    assert scale.factor == pytest.approx(4 / 3)
    assert "4.0 times slower than the reference" in scale.note
    assert "give the grader more CPU" in scale.describe()


def test_parts_side_by_side_get_limits_times_the_lanes_and_fit_the_budget_together():
    scale = time_limits.scale_for(parts(100, 200, 100), time_limits.REFERENCE_BENCHMARK_SECONDS,
                                  lanes=2)
    assert scale.factor == pytest.approx(2.0) and scale.lanes == 2
    assert "2 parts at a time, each on a share of the CPUs" in scale.describe()
    # In two lanes: 100 then 100 in the first, 200 in the second.
    assert time_limits.longest_grading([100, 200, 100], 2) == 200
    assert time_limits.longest_grading([100, 200, 100], 1) == 400
    budget = time_limits.SERVICE_BUDGET_SECONDS
    # Their sum is 1.5 budgets, yet side by side twice as long fits: no cut.
    assert time_limits.scale_for(parts(budget / 4, budget / 2, budget / 4),
                                 time_limits.REFERENCE_BENCHMARK_SECONDS, lanes=2).note == ""
    fits = time_limits.scale_for(parts(budget / 2, budget / 2),
                                 time_limits.REFERENCE_BENCHMARK_SECONDS, lanes=2)
    assert fits.factor == pytest.approx(2.0) and fits.note == ""
    slow = time_limits.scale_for(parts(budget / 2, budget / 2),
                                 2 * time_limits.REFERENCE_BENCHMARK_SECONDS, lanes=2)
    assert slow.factor == pytest.approx(2.0) and "cut to x 2.00" in slow.note


def test_parts_side_by_side_start_longest_first_and_after_what_they_depend_on():
    # The rubric's limits: in its order the lanes take 10 + 130 + 60 and 60 + 90; longest first,
    # 130 + 60 and 90 + 60 + 10.
    rubric = parts(10, 60, 130, 90, 60)
    ordered = lane_order(rubric)
    assert [part.time_limit for part in ordered] == [130, 90, 60, 60, 10]
    assert ordered[2:4] == rubric[1::3]  # equal limits keep the rubric's order
    assert time_limits.longest_grading([part.time_limit for part in rubric], 2) == 200
    assert time_limits.longest_grading([part.time_limit for part in ordered], 2) == 190
    first = Part("first", "", (), 10, 100, (Item("first.check", "", 1),))
    after = Part("after", "", (), 100, 100, (Item("after.check", "", 1, depends=("first.check",)),))
    assert lane_order((first, after, rubric[2])) == (rubric[2], first, after)


@pytest.mark.parametrize("quota, headroom, lanes", [
    (0.5, 700, 1), (1.0, None, 1), (2.0, None, 2), (2.0, 1000, 1), (2.0, 1600, 2),
    (8.0, None, 3), (8.0, 2400, 3), (8.0, 2000, 2), (2.0, 100, 1)])
def test_one_lane_per_cpu_as_memory_allows(monkeypatch, quota, headroom, lanes):
    monkeypatch.setattr(machine, "cpu_quota", lambda: quota)
    monkeypatch.setattr(machine, "memory_headroom_mb", lambda: headroom)
    assert machine.part_lanes(3) == lanes


def test_the_benchmark_runs_in_a_worker_once_per_machine(monkeypatch, tmp_path):
    monkeypatch.setattr(time_limits, "CACHE_FILE", tmp_path / "speed.json")
    time_limits._benchmark.cache_clear()
    first = time_limits.measure(parts(10), Isolation(), Sandbox)
    assert first.benchmark_seconds > 0 and first.factor >= 1.0
    assert "ran the speed benchmark in" in first.describe()
    time_limits._benchmark.cache_clear()  # as a new grading process would
    run = Sandbox.run
    monkeypatch.setattr(Sandbox, "run", lambda *args: pytest.fail("measured twice"))
    assert time_limits.measure(parts(10), Isolation(), Sandbox) == first
    (tmp_path / "speed.json").chmod(0o644)  # a record others could have written is not trusted
    time_limits._benchmark.cache_clear()
    monkeypatch.setattr(Sandbox, "run", run)
    assert time_limits.measure(parts(10), Isolation(), Sandbox).benchmark_seconds > 0
    time_limits._benchmark.cache_clear()


def test_the_slow_implementation_that_limits_are_tried_on_is_correct(tmp_path):
    directory = slow_impl.write_slow_implementation(tmp_path / "slow")
    assert f"[t] * {slow_impl.NOISE_DRAWS}" in (directory / "vae.py").read_text()
    # The conditional VAE inherits the slow train_step, with (images, labels) as inputs.
    report = in_process.grade(directory, ["vae", "cvae"], include_hidden=False)
    assert report.score == report.max_score, [item.feedback for item in report.checks
                                              if item.points < item.max_points]
