"""Generate the student stencil from the solution's markers.

Every answer in ``assignment/solution/*.py`` sits between two marker lines::

    # BEGIN SOLUTION TODO 3.2: Implement the closed-form KL divergence.
    # STENCIL: kl = None
    ...solution lines...
    # END SOLUTION

In the stencil the block becomes a ``# TODO 3.2: ...`` comment followed by the
block's ``# STENCIL:`` lines (each keeps the indentation of its comment), or,
when there are none, by ``raise NotImplementedError("TODO 3.2: ...")``.
Everything outside the blocks is copied verbatim.
"""

import ast
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from assignment.student_errors import TODO, todo_message

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
STENCIL = "# STENCIL:"
HEADER = (
    "# GENERATED FILE: do not edit. Generated from assignment/solution/{name} "
    "by `python -m autograder build-stencil`.\n"
    "# This is your file: fill in every TODO below.\n"
)

_LOOSE_MARKER = re.compile(r"#\s*(BEGIN|END)\s+SOLUTION", re.IGNORECASE)
_LOOSE_STENCIL = re.compile(r"#\s*STENCIL\s*:")
_CODING = re.compile(r"[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")  # PEP 263


class MarkerError(ValueError):
    """A solution file whose markers cannot be turned into a stencil.

    The message reads ``path:line: what is wrong``.
    """


@dataclass(frozen=True)
class Block:
    """One ``BEGIN SOLUTION`` ... ``END SOLUTION`` block (line numbers start at 1).

    ``stencil_lines`` are the lines the student sees instead of the solution,
    already indented, without line endings.
    """

    todo_id: str
    task: str
    begin_line: int
    end_line: int
    stencil_lines: tuple


def _lines(text):
    """The lines of ``text`` with their endings (only \\n, \\r\\n and \\r end a line)."""
    return io.StringIO(text, newline="").readlines()


def _indent(line):
    """The leading whitespace of ``line``."""
    return line[: len(line) - len(line.lstrip())]


def _parse_begin(stripped, where):
    """Return ``(todo_id, task)`` from a canonical BEGIN marker line."""
    rest = stripped[len(BEGIN):]
    if not rest.strip():
        raise MarkerError(f"{where}: missing TODO: write '{BEGIN} TODO <id>: <what to do>'")
    match = TODO.fullmatch(rest[1:].rstrip()) if rest.startswith(" ") else None
    if match is None:
        raise MarkerError(
            f"{where}: malformed TODO {rest.strip()!r}: write '{BEGIN} TODO <id>: <what to do>' "
            "with an id like 1.2"
        )
    return match.group(1), match.group(2)


def _stencil_line(line, where):
    """The stencil code carried by a ``# STENCIL:`` comment line, indented like the comment."""
    code = line.strip()[len(STENCIL):]
    if not code:
        return ""
    if not code.startswith(" "):
        raise MarkerError(f"{where}: malformed marker {line.strip()!r}: write '{STENCIL} <code>'")
    return _indent(line) + code[1:]


def _check_canonical(stripped, where):
    """Reject marker-like lines that are not spelled exactly as the markers."""
    is_begin = stripped == BEGIN or stripped.startswith(BEGIN + " ")
    if _LOOSE_MARKER.match(stripped) and not is_begin and stripped != END:
        raise MarkerError(
            f"{where}: malformed marker {stripped!r}: write '{BEGIN} TODO <id>: ...' or '{END}'"
        )
    if _LOOSE_STENCIL.match(stripped) and not stripped.startswith(STENCIL):
        raise MarkerError(f"{where}: malformed marker {stripped!r}: write '{STENCIL} <code>'")


def parse_blocks(text, path):
    """Return the solution blocks of ``text`` as a list of :class:`Block`.

    ``path`` only names the file in error messages. Raises :class:`MarkerError`
    for unbalanced, nested or misspelled markers, a missing or malformed TODO id,
    a TODO id used twice, or a ``# STENCIL:`` line outside a block.
    """
    blocks, seen = [], {}
    begin = stencil_lines = None  # the open block: (todo_id, task, line) and its STENCIL lines
    for number, line in enumerate(_lines(text), start=1):
        stripped, where = line.strip(), f"{path}:{number}"
        _check_canonical(stripped, where)
        if stripped.startswith(BEGIN):
            if begin is not None:
                raise MarkerError(f"{where}: nested {BEGIN} (block opened at line {begin[2]})")
            todo_id, task = _parse_begin(stripped, where)
            if todo_id in seen:
                raise MarkerError(f"{where}: duplicate TODO {todo_id} (first at line {seen[todo_id]})")
            seen[todo_id] = number
            begin, stencil_lines = (todo_id, task, number), []
        elif stripped == END:
            if begin is None:
                raise MarkerError(f"{where}: {END} without {BEGIN}")
            blocks.append(Block(*begin, end_line=number, stencil_lines=tuple(stencil_lines)))
            begin = stencil_lines = None
        elif stripped.startswith(STENCIL):
            if begin is None:
                raise MarkerError(f"{where}: {STENCIL} line outside a solution block")
            stencil_lines.append(_stencil_line(line, where))
    if begin is not None:
        raise MarkerError(f"{path}:{begin[2]}: {BEGIN} without {END}")
    return blocks


def todo_ids(text, path="<string>"):
    """The TODO ids of ``text``, in file order."""
    return [block.todo_id for block in parse_blocks(text, path)]


def _block_output(block, begin_raw, renumber=None):
    """The stencil lines that replace ``block`` (``begin_raw`` is its BEGIN line).

    ``renumber`` maps the block's TODO id to the one the stencil shows (a
    course's numbering, see ``autograder.course.Course.renumber``).
    """
    indent = _indent(begin_raw)
    newline = begin_raw[len(begin_raw.rstrip("\r\n")):] or "\n"
    todo = todo_message(renumber(block.todo_id) if renumber else block.todo_id, block.task)
    body = block.stencil_lines or (
        f"{indent}raise NotImplementedError({json.dumps(todo, ensure_ascii=False)})",
    )
    return [f"{indent}# {todo}{newline}"] + [line + newline for line in body]


def _preamble_length(lines, blocks):
    """How many leading lines (a shebang, an encoding declaration) must stay first."""
    count = 0
    while count < min(2, len(lines)) and count + 1 not in blocks and (
        (count == 0 and lines[0].startswith("#!")) or _CODING.match(lines[count])
    ):
        count += 1
    return count


def _check_python(source, origins, path):
    """Raise :class:`MarkerError` unless the generated ``source`` parses."""
    try:
        ast.parse(source, filename=str(path))
    except SyntaxError as error:
        line = origins[min(error.lineno or 1, len(origins)) - 1]
        raise MarkerError(f"{path}:{line}: generated stencil is not valid Python: {error.msg}") from None


def render_stencil(text, path, renumber=None):
    """Return the stencil generated from the solution source ``text``.

    ``path`` is the solution file: its name goes into the header and it names
    the file in error messages (the line given is the solution's line).
    ``renumber`` maps each TODO id to the one the stencil shows (default: kept).
    """
    lines = _lines(text)
    blocks = {block.begin_line: block for block in parse_blocks(text, path)}
    number = _preamble_length(lines, blocks) + 1
    output = lines[: number - 1] + [HEADER.format(name=Path(path).name)]
    origins = list(range(1, number)) + [1, 1]  # solution line of each output line
    while number <= len(lines):
        block = blocks.get(number)
        if block is None:
            output.append(lines[number - 1])
            origins.append(number)
            number += 1
        else:
            replacement = _block_output(block, lines[number - 1], renumber)
            output += replacement
            origins += [number] * len(replacement)
            number = block.end_line + 1
    source = "".join(output)
    _check_python(source, origins, path)
    return source


def _read(path):
    """Read a text file keeping its line endings."""
    return path.read_bytes().decode("utf-8")


def render_all(solution_dir, left_out=(), renumber=None):
    """Map each solution module's file name to its stencil, checking ids are unique.

    ``left_out``: module names not to render; ``renumber``: see ``render_stencil``.
    """
    sources = sorted(path for path in Path(solution_dir).glob("*.py") if path.is_file()
                     and path.stem not in left_out)
    if not sources:
        raise FileNotFoundError(f"{solution_dir}: no solution modules (*.py) found")
    rendered, first_seen = {}, {}
    for path in sources:
        text = _read(path)
        for block in parse_blocks(text, path):
            if block.todo_id in first_seen:
                raise MarkerError(
                    f"{path}:{block.begin_line}: duplicate TODO {block.todo_id} "
                    f"(first at {first_seen[block.todo_id]})"
                )
            first_seen[block.todo_id] = f"{path}:{block.begin_line}"
        rendered[path.name] = render_stencil(text, path, renumber)
    return rendered


def api_signatures(solution_dir):
    """The parameters of every function and method of the stencil, by qualified name.

    The keys are `"<module>.<function>"` and `"<module>.<Class>.<method>"` (public
    methods, `__init__` and `call`; not properties), the values their
    parameter lists as written, e.g. `{"vae.VAE.encode": "self, x"}`. The
    stencil keeps the solution's signatures, so they are read from it.
    """
    signatures = {}
    for path in sorted(Path(solution_dir).glob("*.py")):
        for node in ast.parse(_read(path)).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                signatures[f"{path.stem}.{node.name}"] = ast.unparse(node.args)
            elif isinstance(node, ast.ClassDef):
                for method in node.body:
                    if (isinstance(method, ast.FunctionDef) and not method.decorator_list
                            and (method.name == "__init__" or not method.name.startswith("_"))):
                        signatures[f"{path.stem}.{node.name}.{method.name}"] = ast.unparse(
                            method.args)
    return signatures


def api_text(solution_dir):
    """The content of the stencil's API file (`STENCIL_API`): `api_signatures` as JSON."""
    return json.dumps(api_signatures(solution_dir), indent=1, sort_keys=True) + "\n"


def build_stencil(solution_dir, stencil_dir, check=False, api_path=None, course=None):
    """Regenerate ``stencil_dir`` from the ``*.py`` modules of ``solution_dir``.

    Returns the sorted file names that differ: stencil files to (re)write and
    stale ``*.py`` files without a solution counterpart (removed), and the
    name of ``api_path`` when given and out of date (the stencil's signatures
    as data, see ``api_text``). Every solution file is validated before
    anything is written; with ``check=True`` nothing is written at all.

    With a ``course`` (an ``autograder.course.Course``) the stencil leaves out
    the student modules of the parts the course does not assign, and shows the
    TODO ids in the course's numbering; the API file always covers every
    solution module.

    Raises:
        MarkerError: for markers that cannot be turned into a stencil.
        autograder.course.CourseError: for a TODO of a part the course does
            not assign, in one of its modules.
    """
    stencil_dir = Path(stencil_dir)
    rendered = (render_all(solution_dir) if course is None
                else render_all(solution_dir, course.left_out_modules, course.renumber))
    existing = {path.name: path for path in stencil_dir.glob("*.py") if path.is_file()}
    to_write = [
        name for name, text in rendered.items()
        if name not in existing or _read(existing[name]) != text
    ]
    to_remove = [name for name in existing if name not in rendered]
    api = api_text(solution_dir) if api_path else None
    api_stale = api_path is not None and (not Path(api_path).is_file()
                                          or _read(Path(api_path)) != api)
    if not check:
        stencil_dir.mkdir(parents=True, exist_ok=True)
        for name in to_write:
            (stencil_dir / name).write_text(rendered[name], encoding="utf-8", newline="")
        for name in to_remove:
            existing[name].unlink()
        if api_stale:
            Path(api_path).write_text(api, encoding="utf-8")
    if api_stale:
        to_write.append(Path(api_path).name)
    return sorted(to_write + to_remove)
