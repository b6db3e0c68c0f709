"""What a class got wrong: how many students lost points on each check, and on which mistake.

`batch` writes, beside its gradebook, a Markdown report and a figure made from
the feedback files of the graded submissions (Gradescope's results.json, one
per student): for each check, how many students lost points on it; for each
classic mistake the checks recognise (`autograder.diagnosis.MISTAKES`), how
many submissions made it ("KL missing the factor ½: 31 of 120"); both sorted,
most frequent first.
"""

import collections
import dataclasses
import io
import statistics

from autograder.diagnosis import MISTAKES
from autograder.rubric import all_checks


@dataclasses.dataclass(frozen=True)
class ClassReport:
    """The counts of a batch.

    Attributes:
        graded: the number of submissions with results.
        errors: the number of submissions that could not be graded.
        scores: the score of each graded submission (bonus included).
        lost: `(check id, check name, students who lost points on it)`, most first.
        mistakes: `(mistake id, mistake name, ids of the checks that named it, submissions
            that made it)`, most first.
        notes: the notes for the course staff of every run, each once.
    """

    graded: int
    errors: int
    scores: tuple
    lost: tuple
    mistakes: tuple
    notes: tuple


def class_report(results, errors=0):
    """The `ClassReport` of `results`, student -> their results.json (a dict).

    Args:
        results: the graded submissions' results.
        errors: how many other submissions could not be graded.
    """
    names = {check_id: check.name for check_id, check in all_checks().items()}
    lost, mistakes, notes = collections.Counter(), collections.Counter(), []
    mistake_checks = collections.defaultdict(set)
    for student in sorted(results):
        made = set()
        for test in results[student]["tests"]:
            if test["score"] < test["max_score"]:
                lost[test["number"]] += 1
            mistake = test.get("extra_data", {}).get("diagnosis")
            if mistake:
                made.add(mistake)
                mistake_checks[mistake].add(test["number"])
        mistakes.update(made)
        notes += [note for note in results[student].get("extra_data", {}).get("notes", [])
                  if note not in notes]

    def rank(counts, order):
        """The keys of `counts`, most counted first, ties in the order of `order`."""
        position = {key: index for index, key in enumerate(order)}
        return sorted(counts, key=lambda key: (-counts[key], position.get(key, len(order)), key))

    return ClassReport(
        graded=len(results),
        errors=errors,
        scores=tuple(results[student]["score"] for student in sorted(results)),
        lost=tuple((check_id, names.get(check_id, check_id), lost[check_id])
                   for check_id in rank(lost, names)),
        mistakes=tuple((mistake, MISTAKES[mistake].name if mistake in MISTAKES else mistake,
                        tuple(rank({check_id: 0 for check_id in mistake_checks[mistake]}, names)),
                        mistakes[mistake]) for mistake in rank(mistakes, MISTAKES)),
        notes=tuple(notes))


def markdown(report, gradebook, figure=None):
    """The report as Markdown.

    Args:
        report: a `ClassReport`.
        gradebook: the name of the CSV gradebook it describes.
        figure: the file name of its figure (`plot`), shown when given.
    """
    lines = [f"# What the class got wrong: {gradebook}", ""]
    summary = f"{report.graded} submissions graded"
    if report.errors:
        summary += f", {report.errors} could not be"
    if report.scores:
        summary += (f"; score (bonus included): mean {statistics.fmean(report.scores):.1f}, "
                    f"median {statistics.median(report.scores):.1f}")
    lines += [summary + ".", ""]
    if figure:
        lines += [f"![Points lost per check and mistakes made]({figure})", ""]
    lines += ["## Named mistakes", ""]
    if report.mistakes:
        lines += ["| mistake | submissions | named by |", "|---|---:|---|"]
        lines += [f"| {name} | {count} of {report.graded} | "
                  f"{', '.join(f'`{check_id}`' for check_id in check_ids)} |"
                  for _, name, check_ids, count in report.mistakes]
    else:
        lines.append("No check named a mistake.")
    lines += ["", "## Students who lost points, per check", ""]
    if report.lost:
        lines += ["| check | students |", "|---|---:|"]
        lines += [f"| {name} (`{check_id}`) | {count} of {report.graded} |"
                  for check_id, name, count in report.lost]
    else:
        lines.append("No student lost a point.")
    if report.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def plot(report):
    """The two rankings of `report` as horizontal bar charts: the bytes of a PNG image."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    panels = [("Named mistakes: submissions that made each", [
                  (name, count) for _, name, _, count in report.mistakes]),
              ("Students who lost points, per check", [
                  (name, count) for _, name, count in report.lost])]
    rows = [max(1, len(bars)) for _, bars in panels]
    figure, axes = pyplot.subplots(2, 1, figsize=(9, 1.2 + 0.32 * sum(rows) + 1.2),
                                   gridspec_kw={"height_ratios": rows})
    for axis, (title, bars) in zip(axes, panels):
        axis.set_title(title, loc="left", fontsize=11)
        if not bars:
            axis.text(0.5, 0.5, "none", ha="center", va="center", transform=axis.transAxes)
            axis.set_axis_off()
            continue
        labels, counts = zip(*reversed(bars))
        axis.barh(range(len(bars)), counts, color="tab:red" if axis is axes[0] else "tab:blue")
        axis.set_yticks(range(len(bars)), labels, fontsize=8)
        axis.set_xlim(0, max(report.graded, 1))
        axis.set_xlabel(f"of {report.graded} graded submissions")
        for position, count in enumerate(counts):
            axis.text(count, position, f" {count}", va="center", fontsize=8)
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=100)
    pyplot.close(figure)
    return image.getvalue()
