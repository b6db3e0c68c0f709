"""The table a person reads after a grading run.

One row per check: its name, points, time and status, and for a check that
passed, its feedback when it fits the row. Every other check gets its whole
feedback under its row, wrapped to the terminal's width, with what was
expected and what was got one under the other; nothing a student needs is cut
off, however narrow the terminal. Then the totals, and the notes for the
course staff when asked for.
"""

import shutil
import textwrap

from autograder.formats.text import check_details, points, total
from autograder.runner import PASSED

# Check names longer than this are cut in their row.
NAME_WIDTH = 44
# Narrow terminals cut names to no fewer characters than this.
MIN_NAME_WIDTH = 16
# Room kept for the feedback of a check that passed ("Correct.").
MIN_FEEDBACK_WIDTH = 8
# Where the text under a row starts, and the narrowest it is wrapped to.
INDENT = " " * 6
MIN_WRAP_WIDTH = 20


def terminal_width():
    """The terminal's width in columns (`$COLUMNS` first; 120 where there is no terminal)."""
    return shutil.get_terminal_size((120, 24)).columns


def wrapped(text, width=None):
    """`text` wrapped to `width` (default: `terminal_width()`).

    Its first line keeps the spaces `text` starts with; the later ones are
    indented two further. Words are never broken, at hyphens or anywhere, so
    that a path or a command stays whole (a word wider than `width` gets a
    line of its own).
    """
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    return "\n".join(_wrap(body, width or terminal_width(), indent, indent + "  ",
                           break_on_hyphens=False, break_long_words=False))


def _cut(text, width):
    """The first line of `text`, cut to `width` characters."""
    line = " ".join(text.strip().split("\n", 1)[0].split()) if text else ""
    return line if len(line) <= width else line[: max(width - 3, 0)] + "..."


def _wrap(text, width, first, rest, **options):
    """`text` wrapped to `width`, paragraph by paragraph, the first line after `first`.

    `options` go to `textwrap.wrap`.
    """
    lines = []
    for paragraph in text.split("\n"):
        prefix = first if not lines else rest
        lines += textwrap.wrap(paragraph, max(MIN_WRAP_WIDTH, width - len(rest)) + len(rest),
                               initial_indent=prefix, subsequent_indent=rest,
                               **options) or [prefix.rstrip()]
    return lines


def _under_row(item, width, name_width, verbose):
    """What goes under a check's row: its name if the row cut it, feedback, expected and got.

    With `verbose`, also the traceback of an autograder error.
    """
    lines = []
    if len(item.check.name) > name_width:
        lines += _wrap(item.check.name + ":", width, INDENT, INDENT)
    if item.feedback:
        lines += _wrap(item.feedback, width, INDENT, INDENT)
    details = check_details(item)
    label_width = max((len(label) for label, _ in details), default=0) + 2
    for label, text in details:
        lines += _wrap(text, width, INDENT + f"{label}:".ljust(label_width),
                       INDENT + " " * label_width)
    if verbose:
        lines += [INDENT + line for line in item.details.rstrip().splitlines()]
    return lines


def _part_usage(part):
    """A part's resources, and what its workers printed (head and tail)."""
    lines = [f"  ({part.probes} probe(s) in {part.workers} worker(s), "
             f"peak memory {part.peak_memory_mb:.0f} MB)"]
    if part.output.strip():
        lines += ["  | " + line for line in part.output.rstrip().splitlines()]
    return lines


def _verbose_hint(report):
    """What `-v` would add to this table, as a sentence."""
    extras = []
    if any(part.output.strip() for part in report.parts):
        extras.append("what the code printed")
    if any(item.details for item in report.checks):
        extras.append("the autograder's tracebacks")
    extras.append("each part's memory use")
    return f"Run with -v to also see {', '.join(extras)}."


def _totals(report, command_hints):
    lines = [total(report)]
    if not report.include_hidden:
        lines.append("Only the checks shown before the due date were graded"
                     + (" (--all grades the others too)." if command_hints else "."))
    lines.append(f"Graded {report.directory} in {report.seconds:.1f} s (seed {report.seed}).")
    return lines


def format_table(report, verbose=False, width=None, notes=False, upload=None,
                 command_hints=False):
    """The table of a grading run: per part, each check's points, time, status and feedback.

    Args:
        report: a `runner.GradeReport`.
        verbose: add the tracebacks of autograder errors, and per part the
            workers' resources and what they printed.
        width: line width (default: the terminal's, `$COLUMNS` first).
        notes: add the report's notes for the course staff.
        upload: the `services.submission.Collected` of the upload that was
            graded, whose notes open the table; None when a folder of module
            files was graded as it is.
        command_hints: name the options of `grade` that show more (`-v`, `--all`).

    Returns:
        The text, lines joined by newlines.
    """
    width = width or terminal_width()
    status_width = max([6, *(len(item.status) for item in report.checks)])
    fixed = 2 + 2 + 7 + 2 + 6 + 2 + status_width + 2
    longest = max([5, *(len(item.check.name) for item in report.checks)])
    name_width = min(NAME_WIDTH, longest,
                     max(MIN_NAME_WIDTH, width - fixed - MIN_FEEDBACK_WIDTH))
    feedback_width = width - fixed - name_width
    lines = [line for note in (upload.notes if upload is not None else ())
             for line in _wrap(note, width, "", "  ")]
    lines.append(f"  {'Check':<{name_width}}  {'Points':>7}  {'Time':>6}  "
                 f"{'Status':<{status_width}}  Feedback")
    for part in report.parts:
        items = [item for item in report.checks if item.part is part.part]
        if not items:
            continue
        earned = sum(item.points for item in items)
        available = sum(item.max_points for item in items)
        bonus = "bonus " if part.part.bonus else ""
        lines.append(f"{part.part.title} (-q {part.part.id}): {points(earned)} / "
                     f"{points(available)} {bonus}points in {part.seconds:.1f} s")
        for item in items:
            row = (f"  {_cut(item.check.name, name_width):<{name_width}}  "
                   f"{points(item.points) + '/' + points(item.max_points):>7}  "
                   f"{item.seconds:>5.1f}s  {item.status:<{status_width}}  ")
            in_row = (item.status == PASSED and "\n" not in item.feedback
                      and len(item.feedback) <= feedback_width)
            lines.append((row + item.feedback) if in_row else row.rstrip())
            if not in_row:
                lines += _under_row(item, width, name_width, verbose)
        if verbose:
            lines += _part_usage(part)
    trailer = _totals(report, command_hints)
    if command_hints and not verbose:
        trailer.append(_verbose_hint(report))
    if notes:
        trailer += [f"Note: {note}" for note in report.notes]
    lines.append("")
    for line in trailer:
        lines += _wrap(line, width, "", "  ")
    return "\n".join(lines)
