"""Tests of the stencil generator and of ``python -m autograder build-stencil``."""

import ast
import difflib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.stencil import (
    HEADER,
    MarkerError,
    build_stencil,
    parse_blocks,
    render_stencil,
    todo_ids,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_SOLUTION = REPO_ROOT / "assignment" / "solution"
REAL_STENCIL = REPO_ROOT / "stencil"

SOLUTION = textwrap.dedent('''\
    """A toy solution module."""

    import math


    def kl(mu, log_var):
        """Closed-form KL divergence."""
        # BEGIN SOLUTION TODO 3.2: Implement the closed-form KL divergence.
        value = 0.5 * (mu * mu + math.exp(log_var) - log_var - 1)
        return value
        # END SOLUTION


    class Sampler:
        def __init__(self, seed=None):
            # BEGIN SOLUTION TODO 3.10: Store the seed.
            # STENCIL: self.seed = None
            # STENCIL: if seed is not None:
            # STENCIL:     pass
            self.seed = seed
            # END SOLUTION

        def draw(self):
            return self.seed  # kept verbatim
''')


def write(directory, name, text):
    """Write ``text`` to ``directory/name`` and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*args, cwd=REPO_ROOT):
    """Run ``python -m autograder ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""},
    )


def check_cli(solution_dir, stencil_dir):
    """Run ``build-stencil --check`` on the given directories."""
    return run_cli("build-stencil", "--check", "--solution", solution_dir, "--stencil", stencil_dir)


# --- rendering ---------------------------------------------------------------


def test_block_without_stencil_lines_becomes_todo_and_raise_at_its_indentation():
    out = render_stencil(SOLUTION, "sol/toy.py")
    assert (
        "    # TODO 3.2: Implement the closed-form KL divergence.\n"
        '    raise NotImplementedError("TODO 3.2: Implement the closed-form KL divergence.")\n'
    ) in out
    assert "math.exp(log_var)" not in out


def test_stencil_lines_replace_the_block_keeping_their_own_indentation():
    out = render_stencil(SOLUTION, "sol/toy.py")
    assert (
        "        # TODO 3.10: Store the seed.\n"
        "        self.seed = None\n"
        "        if seed is not None:\n"
        "            pass\n"
        "\n"
        "    def draw(self):\n"
    ) in out
    assert "self.seed = seed" not in out
    assert "NotImplementedError(\"TODO 3.10" not in out


def test_text_outside_blocks_is_copied_verbatim():
    lines = SOLUTION.splitlines(keepends=True)
    kl_block = (
        "    # TODO 3.2: Implement the closed-form KL divergence.\n"
        '    raise NotImplementedError("TODO 3.2: Implement the closed-form KL divergence.")\n'
    )
    seed_block = (
        "        # TODO 3.10: Store the seed.\n"
        "        self.seed = None\n"
        "        if seed is not None:\n"
        "            pass\n"
    )
    expected = "".join(
        [HEADER.format(name="toy.py"), *lines[:7], kl_block, *lines[11:15], seed_block, *lines[21:]]
    )
    assert render_stencil(SOLUTION, "toy.py") == expected


def test_header_comes_first_and_the_module_docstring_is_kept():
    out = render_stencil(SOLUTION, "some/where/toy.py")
    assert out.startswith(HEADER.format(name="toy.py"))
    assert out.splitlines()[0] == (
        "# GENERATED FILE: do not edit. Generated from assignment/solution/toy.py "
        "by `python -m autograder build-stencil`."
    )
    assert "fill in every TODO" in out.splitlines()[1]
    assert ast.get_docstring(ast.parse(out)) == "A toy solution module."


def test_generated_code_parses_and_raises_the_named_todo():
    namespace = {}
    exec(compile(render_stencil(SOLUTION, "toy.py"), "toy.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"^TODO 3\.2: Implement the closed-form KL"):
        namespace["kl"](0.0, 0.0)
    assert namespace["Sampler"](seed=3).draw() is None


def test_task_text_with_quotes_and_backslashes_is_escaped():
    task = """Use "x" and 'y' \\ and σ² here."""
    source = f"def f():\n    # BEGIN SOLUTION TODO 1.1: {task}\n    return 1\n    # END SOLUTION\n"
    namespace = {}
    exec(render_stencil(source, "q.py"), namespace)
    with pytest.raises(NotImplementedError) as raised:
        namespace["f"]()
    assert str(raised.value) == f"TODO 1.1: {task}"


def test_shebang_and_future_import_stay_valid():
    source = (
        "#!/usr/bin/env python\n"
        "# -*- coding: utf-8 -*-\n"
        '"""Doc."""\n'
        "from __future__ import annotations\n"
        "def f():\n"
        "    # BEGIN SOLUTION TODO 1.1: Return one.\n"
        "    return 1\n"
        "    # END SOLUTION\n"
    )
    out = render_stencil(source, "s.py")
    lines = out.splitlines()
    assert lines[0] == "#!/usr/bin/env python"
    assert lines[1] == "# -*- coding: utf-8 -*-"
    assert lines[2].startswith("# GENERATED FILE")
    tree = ast.parse(out)
    assert ast.get_docstring(tree) == "Doc."
    compile(out, "s.py", "exec")  # a misplaced __future__ import fails only here


def test_parse_blocks_and_todo_ids():
    blocks = parse_blocks(SOLUTION, "toy.py")
    assert [(b.todo_id, b.begin_line, b.end_line) for b in blocks] == [("3.2", 8, 11), ("3.10", 16, 21)]
    assert blocks[0].task == "Implement the closed-form KL divergence."
    assert blocks[0].stencil_lines == ()
    assert blocks[1].stencil_lines == ("        self.seed = None", "        if seed is not None:", "            pass")
    assert todo_ids(SOLUTION) == ["3.2", "3.10"]


def test_editing_one_block_changes_only_that_block_of_the_stencil():
    before = render_stencil(SOLUTION, "toy.py").splitlines()
    edited = SOLUTION.replace(
        "# BEGIN SOLUTION TODO 3.2: Implement the closed-form KL divergence.",
        "# BEGIN SOLUTION TODO 3.2: Return the KL.\n    # STENCIL: return 0.0",
    ).replace("return value", "return value + 0.0")
    after = render_stencil(edited, "toy.py").splitlines()
    changed = [line for line in difflib.unified_diff(before, after, n=0, lineterm="")
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        "-    # TODO 3.2: Implement the closed-form KL divergence.",
        '-    raise NotImplementedError("TODO 3.2: Implement the closed-form KL divergence.")',
        "+    # TODO 3.2: Return the KL.",
        "+    return 0.0",
    ]


def test_crlf_line_endings_are_kept():
    source = "def f():\r\n    # BEGIN SOLUTION TODO 1.1: Return one.\r\n    return 1\r\n    # END SOLUTION\r\nX = 1\r\n"
    out = render_stencil(source, "crlf.py")
    assert out.endswith("def f():\r\n    # TODO 1.1: Return one.\r\n"
                        '    raise NotImplementedError("TODO 1.1: Return one.")\r\nX = 1\r\n')


# --- marker errors -----------------------------------------------------------


def block(begin="# BEGIN SOLUTION TODO 1.1: Do it.", body="return 1", end="# END SOLUTION"):
    """A function whose body is one solution block (BEGIN on line 2)."""
    return f"def f():\n    {begin}\n    {body}\n    {end}\n"


ERRORS = {
    "nested BEGIN": (block(body="# BEGIN SOLUTION TODO 1.2: Inner."), 3, "nested"),
    "END without BEGIN": ("x = 1\n# END SOLUTION\n", 2, "without"),
    "BEGIN without END": (block(end="return 2"), 2, "without # END SOLUTION"),
    "missing TODO id": (block(begin="# BEGIN SOLUTION"), 2, "missing TODO"),
    "missing id after TODO": (block(begin="# BEGIN SOLUTION TODO: Do it."), 2, "malformed TODO"),
    "id without dot": (block(begin="# BEGIN SOLUTION TODO 3: Do it."), 2, "malformed TODO"),
    "missing task": (block(begin="# BEGIN SOLUTION TODO 1.1:"), 2, "malformed TODO"),
    "no colon": (block(begin="# BEGIN SOLUTION TODO 1.1 Do it."), 2, "malformed TODO"),
    "no space after #": (block(begin="#BEGIN SOLUTION TODO 1.1: Do it."), 2, "malformed marker"),
    "lower case BEGIN": (block(begin="# begin solution TODO 1.1: Do it."), 2, "malformed marker"),
    "double space END": (block(end="#  END SOLUTION"), 4, "malformed marker"),
    "title case END": (block(end="# End Solution"), 4, "malformed marker"),
    "text after END": (block(end="# END SOLUTION 1.1"), 4, "malformed marker"),
    "STENCIL outside a block": ("x = 1\n    # STENCIL: x = 2\n", 2, "outside"),
    "STENCIL without space": (block(body="# STENCIL:return 0"), 3, "malformed marker"),
    "misspelled STENCIL": (block(body="#STENCIL: return 0"), 3, "malformed marker"),
    "duplicate id in a file": (block() + block(), 6, "duplicate TODO 1.1"),
    "stencil line that is not Python": (block(body="# STENCIL: return (("), 2, "not valid Python"),
}


@pytest.mark.parametrize("source, line, message", ERRORS.values(), ids=ERRORS.keys())
def test_marker_errors_name_the_file_and_line(source, line, message):
    with pytest.raises(MarkerError) as raised:
        render_stencil(source, "solution/bad.py")
    assert str(raised.value).startswith(f"solution/bad.py:{line}: ")
    assert message in str(raised.value)


def test_duplicate_ids_across_files_are_rejected_before_writing(tmp_path):
    write(tmp_path / "sol", "a.py", block())
    second = write(tmp_path / "sol", "b.py", "X = 1\n" + block())
    with pytest.raises(MarkerError, match=rf"^{second}:3: duplicate TODO 1\.1 \(first at .*a\.py:2\)"):
        build_stencil(tmp_path / "sol", tmp_path / "stencil")
    assert not (tmp_path / "stencil").exists()


# --- building and checking a directory ---------------------------------------


@pytest.fixture
def dirs(tmp_path):
    """A solution directory with two modules and a not-yet-built stencil directory."""
    solution = tmp_path / "solution"
    write(solution, "toy.py", SOLUTION)
    write(solution, "other.py", block(begin="# BEGIN SOLUTION TODO 2.1: Other."))
    write(solution, "notes.txt", "not a module\n")
    return solution, tmp_path / "stencil"


def test_build_writes_every_module_then_reports_nothing_to_do(dirs):
    solution, stencil = dirs
    assert build_stencil(solution, stencil) == ["other.py", "toy.py"]
    assert sorted(p.name for p in stencil.iterdir()) == ["other.py", "toy.py"]
    assert (stencil / "toy.py").read_text() == render_stencil(SOLUTION, solution / "toy.py")
    assert build_stencil(solution, stencil) == []


def test_build_removes_stale_modules_only(dirs):
    solution, stencil = dirs
    write(stencil, "gone.py", "x = 1\n")
    write(stencil, "README.md", "kept\n")
    assert build_stencil(solution, stencil) == ["gone.py", "other.py", "toy.py"]
    assert sorted(p.name for p in stencil.iterdir()) == ["README.md", "other.py", "toy.py"]


def test_check_mode_writes_nothing(dirs):
    solution, stencil = dirs
    assert build_stencil(solution, stencil, check=True) == ["other.py", "toy.py"]
    assert not stencil.exists()


def test_empty_solution_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no solution modules"):
        build_stencil(tmp_path, tmp_path / "stencil")


def test_cli_check_passes_when_in_sync(dirs):
    solution, stencil = dirs
    build_stencil(solution, stencil)
    result = check_cli(solution, stencil)
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout


@pytest.mark.parametrize("problem", ["stale", "missing", "extra"])
def test_cli_check_fails_on_a_stale_missing_or_extra_file(dirs, problem):
    solution, stencil = dirs
    build_stencil(solution, stencil)
    if problem == "stale":
        write(solution, "toy.py", SOLUTION.replace("Store the seed.", "Keep the seed."))
        expected = "toy.py is out of date: run python -m autograder build-stencil"
    elif problem == "missing":
        (stencil / "toy.py").unlink()
        expected = "toy.py is missing: run python -m autograder build-stencil"
    else:
        write(stencil, "extra.py", "x = 1\n")
        expected = "extra.py has no solution counterpart: run python -m autograder build-stencil"
    before = {p.name: p.read_text() for p in stencil.iterdir()}
    result = check_cli(solution, stencil)
    assert result.returncode == 1
    assert expected in result.stderr
    assert {p.name: p.read_text() for p in stencil.iterdir()} == before


def test_cli_builds_then_reports_up_to_date(dirs):
    solution, stencil = dirs
    args = ("build-stencil", "--solution", solution, "--stencil", stencil)
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert "wrote" in first.stdout and "toy.py" in first.stdout
    second = run_cli(*args)
    assert second.returncode == 0 and "is up to date" in second.stdout


def test_cli_marker_error_exits_2_with_one_line(dirs):
    solution, stencil = dirs
    bad = write(solution, "bad.py", "x = 1\n# END SOLUTION\n")
    result = check_cli(solution, stencil)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"{bad}:2: # END SOLUTION without # BEGIN SOLUTION"]


def test_build_stencil_command_does_not_import_tensorflow(dirs):
    solution, stencil = dirs
    probe = (
        "import sys\n"
        "from autograder.cli import main\n"
        f"main(['build-stencil', '--solution', {str(solution)!r}, '--stencil', {str(stencil)!r}])\n"
        "heavy = sorted({'tensorflow', 'keras', 'torch', 'jax'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the real repository -----------------------------------------------------

real_solution_modules = sorted(REAL_SOLUTION.glob("*.py"))
needs_real_solution = pytest.mark.skipif(
    not real_solution_modules, reason="assignment/solution/ has no solution modules yet"
)


@needs_real_solution
def test_real_stencil_is_in_sync_with_the_solution(tmp_path):
    # Run from another directory: the default paths come from the package, not the cwd.
    result = run_cli("build-stencil", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_real_solution
@pytest.mark.parametrize("path", real_solution_modules, ids=lambda path: path.name)
def test_real_solution_markers_are_balanced(path):
    text = path.read_text(encoding="utf-8")
    blocks = parse_blocks(text, path)
    assert blocks, f"{path.name} has no solution block"
    lines = [line.strip() for line in text.splitlines()]
    assert sum(line.startswith("# BEGIN SOLUTION") for line in lines) == len(blocks)
    assert lines.count("# END SOLUTION") == len(blocks)
    ast.parse(render_stencil(text, path), filename=str(path))
