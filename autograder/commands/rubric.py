"""Print the rubric: parts, checks, points, visibility, TODOs and dependencies."""

from autograder.commands import add_course_argument, course_of
from autograder.rubric import RUBRIC, VISIBLE

SHOWN = {VISIBLE: "at once"}


def add_arguments(parser):
    """Declare the options of ``rubric``."""
    parser.add_argument("--markdown", action="store_true",
                        help="print the handout's points table in Markdown instead")
    add_course_argument(parser)


def _shown(check):
    return SHOWN.get(check.visibility, check.visibility.replace("_", " "))


def _total(rubric):
    """`"100 points + 10 bonus points"`, from the parts of `rubric`."""
    points = sum(part.points for part in rubric if not part.bonus)
    bonus = sum(part.points for part in rubric if part.bonus)
    return f"{points:g} points" + (f" + {bonus:g} bonus points" if bonus else "")


def format_rubric(rubric=RUBRIC):
    """The rubric as plain text: one block per part, one line per check."""
    lines = []
    for part in rubric:
        bonus = "bonus " if part.bonus else ""
        lines += [f"{part.title}: {part.points:g} {bonus}points   -q {part.id}   "
                  f"modules {', '.join(part.modules)}; limits {part.time_limit:g} s, "
                  f"{part.memory_limit_mb} MB",
                  f"  {'Points':>6}  {'Shown':<14}  {'TODOs':<15}  Check"]
        for check in part.checks:
            lines.append(f"  {check.points:>6g}  {_shown(check):<14}  "
                         f"{' '.join(check.todos) or '-':<15}  {check.id}: {check.name}")
            if check.depends:
                lines.append(f"{'':<43}needs {', '.join(check.depends)}")
        lines.append("")
    hidden = sum(check.points for part in rubric for check in part.checks
                 if check.visibility != VISIBLE)
    lines.append(f"Total: {_total(rubric)}; checks worth {hidden:g} of them are graded "
                 "with --all and shown after the due date.")
    return "\n".join(lines)


def format_markdown(rubric=RUBRIC):
    """The handout's points table: a row per check under a row per part, and the total."""
    lines = ["| Part | What is checked | TODOs | Points | Feedback shown |",
             "|---|---|---|---:|---|"]
    for part in rubric:
        bonus = " bonus" if part.bonus else ""
        lines.append(f"| **{part.title}** | | | **{part.points:g}{bonus}** | |")
        for check in part.checks:
            lines.append(f"| | {check.name} | {', '.join(check.todos)} | {check.points:g} "
                         f"| {_shown(check)} |")
    lines.append(f"| **Total** | | | **{_total(rubric)}** | |")
    return "\n".join(lines)


def run(args):
    """Print the course's rubric; return 0 (2 for a course file that cannot be read)."""
    course = course_of(args, "rubric")
    if course is None:
        return 2
    print(format_markdown(course.rubric) if args.markdown else format_rubric(course.rubric))
    return 0
