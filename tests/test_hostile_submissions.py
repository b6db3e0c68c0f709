"""Hostile submissions graded end to end: the results are always written, the rest is graded.

Each submission is the solution with a few hostile lines added to the top of
`transposed_conv.py` (Part 1), graded with `python -m autograder grade
--results FILE` for Parts 1 and 2, exactly as a grading service runs it.
Each must end with a valid results file, Part 2 at full marks, and no process
of the workers' left running. (A kill of every process, `kill(-1)`, is never
tried: as root outside a namespace it would end the machine's processes.)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assignment.implementation import REPO_ROOT, SOLUTION_DIR
from autograder.sandbox import choose_isolation
from autograder.supervisor import PROGRESS_VARIABLE

HOSTILE_LINES = {
    "kills_its_parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "signals_the_graders_group": (
        "import os, signal\nos.killpg(os.getpgid(os.getppid()), signal.SIGTERM)\n"),
    "fork_flood": (
        "import os, time\n"
        "for _ in range(300):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(600)\n"
        "        os._exit(0)\n"),
    "writes_into_the_graders_folders": (
        "import pathlib, tempfile\n"
        "for folder in [pathlib.Path.cwd().parent, pathlib.Path.cwd().parent / 'requests',\n"
        "               *pathlib.Path(tempfile.gettempdir()).parent.glob('autograder-*/*'),\n"
        "               *pathlib.Path('/tmp').glob('autograder-*/*')]:\n"
        "    try:\n"
        "        (folder / 'planted.json').write_text('{}')\n"
        "    except OSError:\n"
        "        pass\n"),
}
PARTS = ("transposed_conv", "autoencoders")


def _submission(tmp_path, lines):
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTION_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    module = folder / "transposed_conv.py"
    module.write_text(lines + module.read_text())
    return folder


def _grade(submission, results):
    """`grade --results` as a service runs it: supervised."""
    env = {key: value for key, value in os.environ.items() if key != PROGRESS_VARIABLE}
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(submission), "-q", *PARTS,
         "--results", str(results)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _part_scores(results):
    data = json.loads(results.read_text())
    scores = {}
    for test in data["tests"]:
        part = test["number"].split(".")[0]
        earned, most = scores.get(part, (0.0, 0.0))
        scores[part] = (earned + test["score"], most + test["max_score"])
    return data, scores


def _worker_processes(since):
    """Processes of the workers' user started since `since` (boot ticks), that are not zombies."""
    uid = choose_isolation().uid
    if uid is None:
        pytest.skip("workers run as the grader's own user here: their processes cannot be told")
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            owner = os.stat(f"/proc/{name}").st_uid
        except OSError:
            continue
        if owner == uid and stat[0] != "Z" and int(stat[19]) >= since:
            found.append(int(name))
    return found


def _boot_ticks():
    return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))


@pytest.mark.parametrize("hostile", sorted(HOSTILE_LINES))
def test_hostile_submission_leaves_valid_results_and_the_rest_graded(tmp_path, hostile):
    since = _boot_ticks()
    results = tmp_path / "results" / "results.json"
    grading = _grade(_submission(tmp_path, HOSTILE_LINES[hostile]), results)
    out, err = grading.communicate(timeout=600)
    assert grading.returncode == 0, err
    data, scores = _part_scores(results)
    earned, most = scores["autoencoders"]
    assert most > 0 and earned == most, out
    assert "transposed_conv" in scores
    assert not list(tmp_path.rglob("planted.json"))
    deadline = time.monotonic() + 5
    while _worker_processes(since) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _worker_processes(since)


def _children(pid):
    try:
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_results_outlive_a_killed_grading_process(tmp_path):
    results = tmp_path / "results" / "results.json"
    supervisor = _grade(_submission(tmp_path, ""), results)
    progress = results.with_name(".results.json.progress.json")
    deadline = time.monotonic() + 300
    while not progress.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert progress.exists(), "the grading process never reported Part 1"
    (grading,) = [child for child in _children(supervisor.pid)]
    os.kill(grading, signal.SIGKILL)
    out, err = supervisor.communicate(timeout=60)
    assert supervisor.returncode == 1
    assert "the grading process was killed (SIGKILL)" in err
    data, scores = _part_scores(results)
    assert scores["transposed_conv"] == (15.0, 15.0)
    part_2 = [test for test in data["tests"] if test["number"].startswith("autoencoders.")]
    assert part_2 and all(test["score"] == 0 and "Autograder error: the grading process was "
                          "killed (SIGKILL)" in test["output"] for test in part_2)
    assert not progress.exists()
