"""Each single-mistake mutant loses only the points of the checks that grade its TODO.

See `tests/fixtures/fairness.py` for the rule; the README's table of points
lost per mutant is `python -m tests.fixtures.fairness --all`.
"""

import pytest

from tests.fixtures import fairness, mutants


@pytest.mark.parametrize("mistake_id", mutants.mutant_ids())
def test_a_mistake_costs_only_its_own_checks(mistake_id, tmp_path):
    report = fairness.grade_mutant(mistake_id, tmp_path / "submission")
    assert fairness.unfair_losses(mistake_id, report) == []
    assert report.score + report.bonus < report.max_score + report.max_bonus
