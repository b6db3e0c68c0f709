"""The command line lists every command with its one-line summary, refuses bad options, and
sets up NumPy's BLAS threads before anything imports NumPy."""

import os
import subprocess
import sys
import types

import pytest

from assignment.implementation import REPO_ROOT
from autograder import cli


def test_a_percent_sign_in_a_summary_does_not_break_help(monkeypatch, capsys):
    command = types.ModuleType("percent_command")
    command.__doc__ = "Check that the solution gets 100 % of the points."
    command.add_arguments = lambda parser: None
    command.run = lambda args: 0
    monkeypatch.setitem(sys.modules, "percent_command", command)
    monkeypatch.setattr(cli, "COMMANDS", (("percent", "percent_command"),))

    cli.build_parser().print_help()

    assert "100 % of the points" in capsys.readouterr().out


def test_every_registered_command_has_a_summary():
    for name, module_name in cli.COMMANDS:
        module = __import__(module_name, fromlist=["run"])
        assert (module.__doc__ or "").strip(), f"{name} has no docstring summary"


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_lanes_must_be_a_whole_number_of_at_least_one(capsys, bad):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["grade", "stencil", "--lanes", bad])
    assert stopped.value.code == 2
    assert f"--lanes: expected a positive whole number, got '{bad}'" in capsys.readouterr().err


# Records the BLAS thread count NumPy would read, at NumPy's first import, then runs the command.
FIRST_NUMPY_IMPORT = """\
import builtins, os, runpy, sys
seen, real_import = [], builtins.__import__

def spy(name, *args, **kwargs):
    if name == "numpy" and not seen:
        seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
    return real_import(name, *args, **kwargs)

builtins.__import__ = spy
sys.argv = ["autograder", "rubric"]
try:
    runpy.run_module("autograder", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print(seen, file=sys.stderr)
"""


@pytest.mark.parametrize("preset, expected", [(None, "1"), ("3", "3")])
def test_the_grading_process_imports_numpy_with_one_blas_thread_unless_told(preset, expected):
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    env.update({"OPENBLAS_NUM_THREADS": preset} if preset else {}, PYTHONPATH=str(REPO_ROOT))
    finished = subprocess.run([sys.executable, "-c", FIRST_NUMPY_IMPORT], capture_output=True,
                              text=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr.splitlines()[-1] == repr([expected])
