"""The repository keeps its promises: CI runs the README's test command, build outputs stay out."""

import re
import subprocess

from assignment.implementation import REPO_ROOT


def readme_command(heading):
    """The first fenced command after the line `heading` in README.md."""
    readme = (REPO_ROOT / "README.md").read_text()
    match = re.search(re.escape(heading) + r"[^`]*```bash\n(.+?)\n```", readme, re.S)
    assert match, f"README.md has no command block after {heading!r}"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = readme_command("Tests:")
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_ci_installs_requirements_and_the_full_data_set():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert readme_command("Set-up") in ci.replace("--quiet ", "")
    assert "apt-get install" in ci and "dataset-fashion-mnist" in ci


def test_no_trained_weights_or_figures_are_tracked():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [name for name in tracked if name.endswith(".keras")]
    assert not [name for name in tracked if name.startswith(("build/", "figures/"))]
