"""Which checks a grading service may show: all of them, or only the ones shown at once.

Gradescope hides a test until the due date by itself. PrairieLearn, GitHub
Classroom, Autolab and CodeGrade show students everything they are sent, so
their results leave out the checks that the rubric shows after the due date:
their points and totals count the checks shown at once only.
"""

import dataclasses

from autograder.rubric import VISIBLE


def shown_checks(report, hides_checks):
    """`report` restricted to what a service may show.

    Args:
        report: a `runner.GradeReport`.
        hides_checks: whether the service hides a check until the due date itself.

    Returns:
        `report` itself when the service hides checks, else a copy that holds
        only the checks shown at once (and says that it graded only those).
    """
    if hides_checks:
        return report
    checks = tuple(item for item in report.checks if item.check.visibility == VISIBLE)
    return dataclasses.replace(report, checks=checks, include_hidden=False)
