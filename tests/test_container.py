"""`python -m autograder container`: control groups, the figures they give, and a stencil run.

The cgroup discovery and the cgroup v2 files are checked against fake
`/proc` and cgroupfs trees; groups are also made for real where this machine
allows it (root, memory and cpu controllers), else those tests are skipped
with the reason. The full run on the solution takes minutes at half a CPU and
is run by hand (README, "Will it fit?").
"""

import fcntl
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
import zipfile

import pytest

from assignment.implementation import REPO_ROOT
from autograder.cli import main
from autograder.container import cgroups, install
from autograder.container.cgroups import CgroupError, ControlGroup, Hierarchy, find_hierarchy
from autograder.container.measure import Measurement, run_in_group
from autograder.container.verdict import (GradedRun, Limits, format_run, grader_notes,
                                         part_figures, read_results)

MB = 2**20
LIMITS = Limits(memory=768 * MB, cpus=0.5, timeout=600)


def write_proc(tmp_path, mounts, memberships):
    """Fake `/proc/self/mountinfo` and `/proc/self/cgroup` files; returns their paths."""
    mountinfo, membership = tmp_path / "mountinfo", tmp_path / "cgroup"
    mountinfo.write_text("".join(  # mountinfo writes a space in a path as \040
        f"{30 + index} 23 0:{40 + index} {root} {str(point).replace(' ', chr(92) + '040')} "
        f"rw,relatime - {fstype} cgroup {options}\n"
        for index, (root, point, fstype, options) in enumerate(mounts)))
    membership.write_text("".join(f"{line}\n" for line in memberships))
    return mountinfo, membership


def usable_hierarchy():
    """The real `Hierarchy` when groups can be made here, else skips the test with the reason."""
    try:
        hierarchy = find_hierarchy()
        ControlGroup.create(64 * MB, 1, hierarchy).close()
    except CgroupError as error:
        pytest.skip(str(error))
    return hierarchy


def measurement(**changes):
    fields = dict(exit_status=0, timed_out=False, wall_seconds=250.0, cpu_seconds=120.0,
                  peak_memory=700 * MB, peak_recorded=True, peak_anonymous=600 * MB, oom_kills=0)
    return Measurement(**{**fields, **changes})


def results(*tests):
    """A results.json dict with tests `(number, score, max_score)`."""
    return {"score": sum(test[1] for test in tests), "execution_time": 240.5,
            "tests": [{"name": f"{number}: a check", "number": number, "score": score,
                       "max_score": max_score, "status": "passed" if score == max_score
                       else "failed", "output": ""} for number, score, max_score in tests]}


# --- Sizes and discovery --------------------------------------------------------------------------


def test_sizes_are_read_in_binary_units():
    assert cgroups.parse_size("768M") == 768 * MB
    assert cgroups.parse_size("600MB") == 600 * MB
    assert cgroups.parse_size("1.5G") == 1536 * MB
    assert cgroups.parse_size("64k") == 65536
    assert cgroups.parse_size("65536") == 65536
    with pytest.raises(ValueError, match="not a size"):
        cgroups.parse_size("lots")


def test_v1_groups_go_below_this_process_own_group_of_each_controller(tmp_path):
    memory, cpu = tmp_path / "memory cgroup", tmp_path / "cpu,cpuacct"
    (memory / "jobs" / "job 1").mkdir(parents=True)
    (cpu / "jobs").mkdir(parents=True)
    files = write_proc(tmp_path, [("/", memory, "cgroup", "rw,memory"),
                                  ("/", cpu, "cgroup", "rw,cpu,cpuacct"),
                                  ("/", tmp_path / "unified", "cgroup2", "rw")],
                       ["4:memory:/jobs/job 1", "2:cpu,cpuacct:/jobs", "0::/"])
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("\n")
    assert find_hierarchy(*files) == Hierarchy(1, memory / "jobs" / "job 1", cpu / "jobs")


def test_v2_groups_go_below_the_nearest_ancestor_that_hands_both_controllers_down(tmp_path):
    top = tmp_path / "unified"
    slice_ = top / "user.slice"
    (slice_ / "session").mkdir(parents=True)
    (top / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (slice_ / "cgroup.subtree_control").write_text("memory pids\n")
    files = write_proc(tmp_path, [("/", top, "cgroup2", "rw,nsdelegate")],
                       ["0::/user.slice/session"])
    assert find_hierarchy(*files) == Hierarchy(2, top, top)
    (slice_ / "cgroup.subtree_control").write_text("cpu memory pids\n")
    assert find_hierarchy(*files) == Hierarchy(2, slice_, slice_)


def test_a_group_outside_the_mounted_subtree_goes_to_the_mount_top(tmp_path):
    top = tmp_path / "unified"
    top.mkdir()
    (top / "cgroup.controllers").write_text("memory cpu\n")
    files = write_proc(tmp_path, [("/container", top, "cgroup2", "rw")], ["0::/elsewhere"])
    assert find_hierarchy(*files).memory_parent == top


def test_no_hierarchy_with_both_controllers_is_a_clear_error(tmp_path):
    top = tmp_path / "unified"
    top.mkdir()
    (top / "cgroup.controllers").write_text("hugetlb\n")
    (tmp_path / "memory").mkdir()
    files = write_proc(tmp_path, [("/", top, "cgroup2", "rw"),
                                  ("/", tmp_path / "memory", "cgroup", "rw,memory")],
                       ["4:memory:/", "0::/"])
    with pytest.raises(CgroupError) as error:
        find_hierarchy(*files)
    assert str(error.value) == (
        f"No cgroup here offers both the memory and the cpu controller: cgroup v2 ({top}) "
        "has the controllers hugetlb; cgroup v1 has no cpu controller mounted.")


def test_v2_limits_and_records_are_its_files(tmp_path):
    parent = tmp_path / "unified"
    parent.mkdir()
    (parent / "cgroup.subtree_control").write_text("io\n")
    group = ControlGroup.create(600 * MB, 0.5, Hierarchy(2, parent, parent))
    (directory,) = group.directories
    assert directory.parent == parent and directory.name.startswith(cgroups.NAME_PREFIX)
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +cpu\n"
    assert (directory / "memory.max").read_text() == f"{600 * MB}\n"
    assert (directory / "cpu.max").read_text() == "50000 100000\n"
    (directory / "memory.peak").write_text(f"{500 * MB}\n")
    (directory / "memory.current").write_text(f"{300 * MB}\n")
    (directory / "memory.stat").write_text(f"anon {200 * MB}\nfile {100 * MB}\n")
    (directory / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 2\n")
    assert (group.memory_peak(), group.memory_current(), group.anonymous_memory(),
            group.oom_kills()) == (500 * MB, 300 * MB, 200 * MB, 2)
    assert group.command(["run_autograder"])[-3:] == [str(directory / "cgroup.procs"), "--",
                                                      "run_autograder"]


def test_a_read_only_cgroup_file_system_is_a_clear_error(tmp_path):
    """In a mount namespace of its own, a read-only file system stands in for the cgroupfs."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare to mount a read-only file system")
    parent = tmp_path / "read-only"
    parent.mkdir()
    code = ("from pathlib import Path\n"
            "from autograder.container.cgroups import ControlGroup, CgroupError, Hierarchy\n"
            f"parent = Path({str(parent)!r})\n"
            "try:\n    ControlGroup.create(1 << 26, 1, Hierarchy(2, parent, parent))\n"
            "except CgroupError as error:\n    print(error)\n")
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"',
         str(parent), sys.executable, "-c", code],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a read-only file system here: {result.stderr.strip()}")
    assert result.stdout == (f"Cannot make a control group in {parent}: the cgroup file system "
                             "is mounted read-only.\n")


# --- Real control groups --------------------------------------------------------------------------


def python_command(code):
    return [sys.executable, "-c", code]


def run_in_new_group(tmp_path, code, memory, cpus=1.0, timeout=60):
    hierarchy = usable_hierarchy()
    with ControlGroup.create(memory, cpus, hierarchy) as group, \
            open(tmp_path / "output.txt", "w") as output:
        result = run_in_group(python_command(code), group, cwd=tmp_path, env=dict(os.environ),
                              output=output, timeout=timeout)
        directories = group.directories
    assert not any(directory.exists() for directory in directories)
    return result


def test_a_memory_hog_in_a_small_group_shows_an_oom_kill_in_the_figures(tmp_path):
    hog = run_in_new_group(tmp_path, "import time; block = b'1' * (256 << 20); time.sleep(1)",
                           memory=48 * MB)
    assert hog.exit_status == -9 and hog.oom_kills >= 1
    assert 16 * MB < hog.peak_memory <= 48 * MB
    run = GradedRun("hog", hog, None, "no results.json was written", "")
    assert "process(es) killed for memory (OOM) at 48 MB" in run.verdict(Limits(48 * MB, 1, 60))
    assert f"  OOM kills    {hog.oom_kills}\n" in format_run(run, Limits(48 * MB, 1, 60),
                                                                width=120)


def test_a_process_within_the_limit_is_measured_and_not_killed(tmp_path):
    fine = run_in_new_group(tmp_path, "import time; block = b'1' * (64 << 20); time.sleep(0.5)",
                            memory=256 * MB)
    assert fine.exit_status == 0 and fine.oom_kills == 0 and not fine.timed_out
    assert 64 * MB <= fine.peak_anonymous <= fine.peak_memory <= 256 * MB


def test_the_cpu_quota_holds(tmp_path):
    busy = run_in_new_group(
        tmp_path, "import time\nstart = time.time()\nwhile time.time() - start < 1.5: pass",
        memory=256 * MB, cpus=0.2)
    assert busy.wall_seconds >= 1.5
    assert busy.cpu_seconds < 0.25 * busy.wall_seconds + 0.1


def test_the_timeout_kills_everything_in_the_group(tmp_path):
    started = time.monotonic()
    slow = run_in_new_group(
        tmp_path, "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)",
        memory=256 * MB, timeout=1)
    assert slow.timed_out and slow.exit_status == -9
    assert time.monotonic() - started < 20
    run = GradedRun("slow", slow, None, "no results.json was written", "")
    assert "still running at the 1 s timeout" in run.verdict(Limits(256 * MB, 1, 1))


def nobody_python():
    """An interpreter the user `nobody` can run with this repository on its path, or skips."""
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")
    if os.geteuid() != 0:
        pytest.skip("not root: cannot run a command as nobody")
    for python in (sys.executable, "/usr/bin/python3"):
        try:
            probe = subprocess.run([python, "-c", "import autograder.container.cgroups"],
                                   cwd=REPO_ROOT, user=nobody.pw_uid, group=nobody.pw_gid,
                                   extra_groups=[], capture_output=True, timeout=60)
        except (PermissionError, FileNotFoundError):
            continue
        if probe.returncode == 0:
            return python, nobody
    pytest.skip("user nobody cannot run Python with this repository here")


def test_a_user_without_the_right_to_make_groups_gets_a_clear_message():
    usable_hierarchy()
    python, nobody = nobody_python()
    code = ("from autograder.container.cgroups import ControlGroup, CgroupError\n"
            "try:\n    ControlGroup.create(1 << 26, 1).close()\n"
            "except CgroupError as error:\n    print(error)\n")
    result = subprocess.run([python, "-c", code], cwd=REPO_ROOT, user=nobody.pw_uid,
                            group=nobody.pw_gid, extra_groups=[], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.startswith("Cannot make a control group in ")
    assert "permission denied (making control groups needs root)" in result.stdout


# --- Figures and verdict --------------------------------------------------------------------------

GRADER_OUTPUT = """\
  Check                                          Points    Time  Status  Feedback
Part 1: transposed convolution (-q transposed_conv): 15 / 15 points in 0.6 s
  Output length rule of Conv2DTranspose             4/4    0.1s  passed  Correct.
Part 5 (bonus): VQ-VAE (-q vqvae): 7 / 10 bonus points in 40.2 s
  Quantizer picks the nearest codeword              3/3    3.7s  passed  Correct.

Total: 15 / 15 points + bonus 7 / 10
Graded /tmp/tmp.x in 41.0 s (seed 0).
Note: Student code runs as root: user nobody cannot read /opt/python.
"""


def test_the_figures_per_part_come_from_results_json_and_the_grader_table():
    graded = results(("transposed_conv.output_length", 4, 4), ("transposed_conv.worked", 11, 11),
                     ("vqvae.nearest", 3, 3), ("vqvae.quality", 4, 7))
    parts = part_figures(graded, GRADER_OUTPUT)
    assert [(part.id, part.title, part.points, part.max_points, part.passed, part.checks,
             part.seconds) for part in parts] == [
        ("transposed_conv", "Part 1: transposed convolution", 15, 15, 2, 2, 0.6),
        ("vqvae", "Part 5 (bonus): VQ-VAE", 7, 10, 1, 2, 40.2)]
    assert part_figures(graded, "")[0].title == "transposed_conv"
    assert part_figures(graded, "")[0].seconds is None
    noted = {**graded, "extra_data": {"notes": ["Student code runs as root: user nobody "
                                                 "cannot read /opt/python."]}}
    assert grader_notes(noted) == [
        "Student code runs as root: user nobody cannot read /opt/python."]
    assert grader_notes(graded) == []


def test_results_json_is_read_as_the_service_reads_it(tmp_path):
    path = tmp_path / "results.json"
    assert read_results(path) == (None, "no results.json was written")
    path.write_text('{"score": NaN, "tests": []}')
    assert read_results(path)[1] == "results.json is not valid JSON (NaN is not valid JSON)"
    path.write_text("Epoch 1/3\n{}")
    assert read_results(path)[1].startswith("results.json is not valid JSON")
    path.write_text('{"tests": []}')
    assert read_results(path) == (None, "results.json has no score or no tests")
    path.write_text(json.dumps(results(("vae.kl", 6, 6))))
    assert read_results(path) == (results(("vae.kl", 6, 6)), "")


def test_a_run_that_fits_gets_its_margins():
    noted = {**results(("vae.kl", 6, 6)),
             "extra_data": {"notes": ["Student code runs as root: user nobody cannot read it."]}}
    run = GradedRun("solution", measurement(), noted, "", GRADER_OUTPUT, expect_full_marks=True)
    assert run.misfits(LIMITS) == []
    assert run.verdict(LIMITS) == (
        "verdict: FITS: 250 s of the 600 s timeout (350 s to spare), anonymous memory 600 of "
        "768 MB (168 MB to spare; peak 700 MB with the page cache), no OOM kill.")
    text = format_run(run, LIMITS, width=120)
    assert "  score        6 / 6 (results.json: 1 tests, grader's execution_time 240.5 s)" in text
    assert "  CPU time     120.0 s (0.48 CPU on average, limit 0.5)" in text
    assert "  note: Student code runs as root" in text


def test_a_run_reads_on_an_80_column_terminal():
    note = ("Time limits: the rubric's x 1.54 (this machine ran the speed benchmark in 2.10 s, "
            "the reference machine in 1.00 s).")
    noted = {**results(("vae.kl", 6, 6)), "extra_data": {"notes": [note]}}
    run = GradedRun("solution", measurement(), noted, "", GRADER_OUTPUT, expect_full_marks=True)
    lines = format_run(run, LIMITS, width=80).splitlines()
    assert max(map(len, lines)) <= 80
    start = lines.index("  note: Time limits: the rubric's x 1.54 (this machine ran the speed "
                        "benchmark")
    assert lines[start + 1] == "    in 2.10 s, the reference machine in 1.00 s)."
    assert lines[-3:] == [
        "  verdict: FITS: 250 s of the 600 s timeout (350 s to spare), anonymous memory",
        "    600 of 768 MB (168 MB to spare; peak 700 MB with the page cache), no OOM",
        "    kill."]


def test_what_does_not_fit_is_named():
    lost = GradedRun("solution", measurement(oom_kills=2),
                     results(("vae.kl", 6, 6), ("vae.sample_quality", 0, 5)), "", "",
                     expect_full_marks=True)
    assert lost.misfits(LIMITS) == [
        "2 process(es) killed for memory (OOM) at 768 MB",
        "the solution scored 6 of 11 (lost points in vae.sample_quality)"]
    assert lost.verdict(LIMITS).startswith("verdict: DOES NOT FIT: 2 process(es) killed")
    student = GradedRun("alice", measurement(), results(("vae.kl", 0, 6)), "", "")
    assert student.misfits(LIMITS) == []
    broken = GradedRun("bob", measurement(), {"score": 0, "tests": [
        {"name": "Autograder error", "number": "0", "score": 0, "max_score": 0}]}, "", "")
    assert broken.misfits(LIMITS) == ["1 autograder error(s)"]
    broken.results["tests"][0]["output"] = "Traceback (most recent call last):\nTypeError: sum"
    assert "  autograder error in Autograder error: TypeError: sum" in format_run(
        broken, LIMITS, width=120)
    assert part_figures(broken.results, "") == []
    silent = GradedRun("carol", measurement(exit_status=1), None, "no results.json was written",
                       "")
    assert silent.misfits(LIMITS) == [
        "no results.json was written (the service then reports that the autograder failed to "
        "execute)"]
    assert "  score        none: no results.json was written" in format_run(silent, LIMITS,
                                                                           width=120)


# --- The command ----------------------------------------------------------------------------------


def test_the_command_stops_with_a_clear_message_where_groups_cannot_be_made(monkeypatch, capsys):
    def refuse():
        raise CgroupError("No cgroup here offers both the memory and the cpu controller: test.")

    monkeypatch.setattr(cgroups, "find_hierarchy", refuse)
    assert main(["container", "stencil"]) == 2
    assert capsys.readouterr().err == (
        "container: cannot emulate the container's limits here. No cgroup here offers both the "
        "memory and the cpu controller: test.\n")


def test_the_command_refuses_bad_arguments(capsys):
    assert main(["container", "--memory", "lots"]) == 2
    assert "--memory: 'lots' is not a size" in capsys.readouterr().err
    assert main(["container", "no-such-folder"]) == 2
    assert "not a folder of student files: no-such-folder" in capsys.readouterr().err


def test_two_commands_cannot_share_a_work_folder(tmp_path, capsys):
    usable_hierarchy()
    with open(tmp_path / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert main(["container", "stencil", "--work", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"container: another container command is using {tmp_path}.\n"


def test_the_stencil_fits_the_default_container(tmp_path):
    """The whole path on the stencil: zip, scratch root, run_autograder in 768 MB and half a CPU."""
    usable_hierarchy()
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "container", "stencil", "--memory", "768M",
         "--cpus", "0.5", "--python", sys.executable, "--work", str(tmp_path),
         "--secret", "a test course"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    graded = json.loads((tmp_path / "stencil" / "results" / "results.json").read_text())
    assert graded["score"] == 0 and graded["tests"]
    # The speed benchmark was measured in this run and kept in its own temporary folder.
    assert list((tmp_path / "stencil" / "tmp").glob("autograder-speed-*.json"))
    lines = result.stdout.splitlines()
    assert f"  score        0 / {sum(test['max_score'] for test in graded['tests']):g} " in \
        "\n".join(lines)
    assert "  OOM kills    0" in lines
    assert any(line.startswith("  verdict: FITS: ") for line in lines)
    assert [line for line in lines if line.startswith("  Part 1: transposed convolution")]


# --- The scratch root and the cached environment ----------------------------------------------


def test_the_scratch_root_is_laid_out_and_readable_as_setup_sh_leaves_it(tmp_path):
    archive_path = tmp_path / "autograder.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for name, mode in (("run_autograder", 0o700), ("autograder/cli.py", 0o600)):
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, "#\n")
    root = tmp_path / "root"
    source = install.unpack(archive_path, root)
    assert source == root / "source"
    assert sorted(path.name for path in root.iterdir()) == ["home", "results", "source",
                                                            "submission", "tmp"]
    modes = {path.relative_to(root).as_posix(): stat.S_IMODE(path.stat().st_mode)
             for path in [root, *root.rglob("*")]}
    assert modes["source/run_autograder"] == 0o755
    assert modes["source/autograder/cli.py"] == 0o644
    assert modes["source/autograder"] == modes["source"] == modes["."] == 0o755
    assert modes["tmp"] == 0o1777
    install.add_submission(REPO_ROOT / "stencil", root)
    assert (root / "submission" / "vae.py").read_bytes() == \
        (REPO_ROOT / "stencil" / "vae.py").read_bytes()


def test_a_cached_environment_is_named_by_its_pins_and_reused(tmp_path):
    pins = "# Pinned\ntensorflow==2.21.0\nkeras==3.15.1\n"
    key = install.environment_key(pins, "3.11.2")
    assert install.environment_key("# Pinned elsewhere\n" + pins, "3.11.2") == key
    assert install.environment_key(pins.replace("3.15.1", "3.15.0"), "3.11.2") != key
    assert install.environment_key(pins, "3.12.1") != key
    version = subprocess.run([sys.executable, "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    venv = tmp_path / f"venv-{install.environment_key(pins, version)}"
    venv.mkdir()
    (venv / install.INSTALLED_MARKER).write_text(pins)
    assert install.grading_python(pins, tmp_path, sys.executable) == (venv / "bin" / "python",
                                                                       False)
