"""A course's handout: `assignment/HANDOUT.md` with only the parts the course assigns, renumbered.

The handout marks what belongs to a part, so that a course that does not
assign it can drop it (markers are HTML comments: invisible when rendered):

- a block of lines (a whole `## Part N: ...` section), between two lines of
  their own, blank lines around them:

      <!-- BEGIN PART vae -->
      ## Part 3: The variational autoencoder
      ...
      <!-- END PART -->

- a single line (an entry of the contents, a row of a table, an item of a
  list), by a comment at its end: `- [Part 3: ...](#part-3-...) <!-- PART vae -->`;

- words within a line: `nothing else<!-- BEGIN PART transposed_conv --> (NumPy
  only)<!-- END PART -->.` (on one line).

A marker may name several parts (`<!-- PART autoencoders cvae -->`): what it
marks is kept when the course assigns every one of them, else dropped with
its markers. Blocks do not nest.

In what is kept, the numbers follow the course's numbering of the parts
(`autograder.course.Course.numbers`): `Part N`, with ` (bonus)` before a
colon as the course says, `TODO N.k`, the anchors `#part-N-...`, and on a
marked line an item `N. ` of a numbered list and a table cell `| N: `. A
`Part N` or `TODO N.k` of a part the course does not assign, left outside
any marker, is an error that names its line. The generated pieces are the
rubric table (between `<!-- BEGIN RUBRIC TABLE -->` and
`<!-- END RUBRIC TABLE -->`, `python -m autograder rubric --markdown`), the
sentence "The assignment is worth ... points", the list "The parts are ..."
and the number of files ("the five files"). For the default course the
handout comes out unchanged.
"""

import re

from autograder.course import topic
from autograder.rubric import ALL_PARTS

RUBRIC_BEGIN = "<!-- BEGIN RUBRIC TABLE -->"
RUBRIC_END = "<!-- END RUBRIC TABLE -->"
_BLOCK_BEGIN = re.compile(r"<!-- BEGIN PART ([\w ]+) -->")
_BLOCK_END = "<!-- END PART -->"
_LINE_MARK = re.compile(r" <!-- PART ([\w ]+) -->$")
_SPAN = re.compile(r"<!-- BEGIN PART ([\w ]+) -->(.*?)<!-- END PART -->")
_PART = re.compile(r"\bPart (\d+)( \(bonus\))?(:?)")
_TODO = re.compile(r"\bTODO (\d+)\.(\d+)")
_ANCHOR = re.compile(r"#part-(\d+)-(bonus-)?")
_LIST_ITEM = re.compile(r"^(\s*)(\d+)\. ")
_TABLE_CELL = re.compile(r"\| (\d+): ")
_TOTAL = re.compile(r"The assignment is worth [\d.]+ points(?:, plus a [\d.]+-point bonus for "
                    r"the [^.]+)?\.")
_PARTS = re.compile(r"The parts are (`\w+`(?:, `\w+`)*(?: and `\w+`)?)\.")
_FILES = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) files\b")
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve")


class HandoutError(ValueError):
    """A handout that cannot be made for a course; the message names the line."""


def _assigned(ids, course, where):
    """Whether `course` assigns every part of the marker's `ids` (a space-separated list)."""
    known = {part.id for part in ALL_PARTS}
    unknown = [part_id for part_id in ids.split() if part_id not in known]
    if unknown:
        raise HandoutError(f"{where}: unknown part {', '.join(unknown)} in a marker; choose "
                           f"from {', '.join(sorted(known))}.")
    return set(ids.split()) <= {part.id for part in course.rubric}


def kept_lines(text, course):
    """`(line number, line, marked)` of the lines of `text` that `course` keeps."""
    kept, block, blank_before = [], None, False
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"line {number}"
        begin = _BLOCK_BEGIN.fullmatch(line.strip())
        if begin:
            if block is not None:
                raise HandoutError(f"{where}: a part block opened inside the block of line "
                                   f"{block[0]}; blocks do not nest.")
            block = (number, _assigned(begin.group(1), course, where))
            if not block[1] and kept and not kept[-1][1].strip():
                kept.pop()  # the blank line before a dropped block goes with it
            if block[1]:
                kept.append((number, line, True))
            continue
        if line.strip() == _BLOCK_END:
            if block is None:
                raise HandoutError(f"{where}: {_BLOCK_END} without a block.")
            if block[1]:
                kept.append((number, line, True))
            block = None
            continue
        if block is not None and not block[1]:
            continue
        mark = _LINE_MARK.search(line)
        if mark and not _assigned(mark.group(1), course, where):
            continue
        line = _SPAN.sub(lambda span: span.group(0) if _assigned(span.group(1), course, where)
                         else "", line)
        kept.append((number, line, block is not None or bool(mark)))
    if block is not None:
        raise HandoutError(f"line {block[0]}: a part block without {_BLOCK_END}.")
    return kept


def _renumber_line(line, marked, course, bonus, number):
    def assigned(match, unassigned):
        """The course's number of the part `match` names; else `unassigned` is the error."""
        new = course.numbers.get(int(match.group(1)))
        if new is None:
            raise HandoutError(f"line {number}: {unassigned}")
        return new

    def part(match):
        new = assigned(match, f"Part {match.group(1)} is not assigned by {course.path}: mark "
                              "what mentions it with its part.")
        flag = (" (bonus)" if bonus[new] else "") if match.group(3) else (match.group(2) or "")
        return f"Part {new}{flag}{match.group(3)}"

    def todo(match):
        new = assigned(match, f"TODO {match.group(1)}.{match.group(2)} is not assigned by "
                              f"{course.path}: mark what mentions it with its part.")
        return f"TODO {new}.{match.group(2)}"

    def anchor(match):
        new = assigned(match, f"a link to Part {match.group(1)}, which {course.path} does not "
                              "assign.")
        return f"#part-{new}-{'bonus-' if bonus[new] else ''}"

    def listed(match):
        new = course.numbers.get(int(match.group(2)), int(match.group(2)))
        return f"{match.group(1)}{new}. "

    line = _TODO.sub(todo, _ANCHOR.sub(anchor, _PART.sub(part, line)))
    if marked:
        line = _LIST_ITEM.sub(listed, line, count=1)
        line = _TABLE_CELL.sub(
            lambda match: f"| {course.numbers.get(int(match.group(1)), match.group(1))}: ", line)
    return line


def total_sentence(rubric):
    """"The assignment is worth 100 points, plus a 10-point bonus for the VQ-VAE."."""
    points = sum(part.points for part in rubric if not part.bonus)
    bonus = [part for part in rubric if part.bonus]
    sentence = f"The assignment is worth {points:g} points"
    if bonus:
        sentence += (f", plus a {sum(part.points for part in bonus):g}-point bonus for the "
                     + " and the ".join(topic(part) for part in bonus))
    return sentence + "."


def parts_sentence(rubric):
    """"The parts are `a`, `b` and `c`."."""
    ids = [f"`{part.id}`" for part in rubric]
    listed = ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"
    return f"The part{'s are' if len(ids) > 1 else ' is'} {listed}."


def course_handout(text, course):
    """The handout `text` (Markdown with part markers) for `course`.

    Raises:
        HandoutError: for markers that do not pair, a marker naming an
            unknown part, a reference to a part the course does not assign
            left outside the markers, or a generated piece not found.
    """
    from autograder.commands.rubric import format_markdown

    bonus = {index: part.bonus for index, part in enumerate(course.rubric, start=1)}
    lines, table = [], False
    for number, line, marked in kept_lines(text, course):
        table = (table or line == RUBRIC_BEGIN) and line != RUBRIC_END
        lines.append(line if table else _renumber_line(line, marked, course, bonus, number))
    handout = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    if handout.count(RUBRIC_BEGIN) != 1 or handout.count(RUBRIC_END) != 1:
        raise HandoutError(f"the handout needs one {RUBRIC_BEGIN} and one {RUBRIC_END}.")
    head, rest = handout.split(RUBRIC_BEGIN)
    tail = rest.split(RUBRIC_END)[1]
    handout = f"{head}{RUBRIC_BEGIN}\n{format_markdown(course.rubric)}\n{RUBRIC_END}{tail}"
    for pattern, replacement in ((_TOTAL, total_sentence(course.rubric)),
                                 (_PARTS, parts_sentence(course.rubric))):
        if not pattern.search(handout):
            raise HandoutError(f"the handout has no sentence {pattern.pattern!r} to adapt.")
        handout = pattern.sub(lambda _: replacement, handout)
    files = NUMBER_WORDS[len(course.modules) - 1]
    return _FILES.sub(f"{files} files", handout)
