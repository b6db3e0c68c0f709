"""Time limits scale with the grading machine's speed and fit a service's default timeout."""

import pytest

from autograder import time_limits
from autograder.rubric import RUBRIC, Part
from autograder.sandbox import Isolation, Sandbox


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
