"""The command line lists every command with its one-line summary, and refuses bad options."""

import sys
import types

import pytest

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
