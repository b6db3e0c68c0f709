"""Tests of the sandboxed worker: protocol, limits, hostile submissions, privileges.

Every test runs real worker processes on the small fake submissions of
`tests/fixtures/hostile/` with the standard-library probes of
`tests/fixtures/fake_probes.py`, under tight limits, so that each takes well
under a few seconds. The tests marked `root` switch the worker to the user
`nobody` for real; they are skipped when the tests do not run as root.
"""

import dataclasses
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import (
    Isolation,
    Sandbox,
    SandboxError,
    available_namespaces,
    can_read,
    choose_isolation,
    needed_paths,
    protect,
    reveal_plan,
)
from assignment.implementation import REPO_ROOT
from autograder import plain
from autograder.protocol import Probe
from autograder.worker.runtime import describe_exception

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
PROBES = "tests.fixtures.fake_probes"
SAME_USER = Isolation()


def submission(directory, fixture):
    """A submission folder in `directory` whose `student.py` is the hostile fixture `fixture`."""
    directory.mkdir(exist_ok=True)
    shutil.copy(HOSTILE / f"{fixture}.py", directory / "student.py")
    return directory


def sandbox(directory, isolation=SAME_USER, time_limit=20, memory_limit_mb=200, **kwargs):
    return Sandbox(directory, ("student",), PROBES, time_limit=time_limit,
                   memory_limit_mb=memory_limit_mb, isolation=isolation, **kwargs)


def call(box, function, x=21, time_limit=2.0):
    """The `ProbeResult` of `student.<function>(x)`."""
    return box.run(Probe("fake.call", {"name": function, "args": [x]}, time_limit))


def alive(pid):
    """Whether `pid` is a live (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_probe_results_come_back_as_plain_data(tmp_path):
    data = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "n": [1, 2.5, None, "s"],
            "nested": {"flag": True, "labels": np.array([3, 1])}}
    with sandbox(submission(tmp_path, "good")) as box:
        assert call(box, "answer").value == {"value": 42}
        echoed = box.run(Probe("fake.echo", data, 2.0)).value
    assert echoed["x"].dtype == np.float32 and np.array_equal(echoed["x"], data["x"])
    assert echoed["n"] == [1, 2.5, None, "s"]
    assert echoed["nested"]["flag"] is True
    assert np.array_equal(echoed["nested"]["labels"], [3, 1])
    assert box.starts == 1


def test_worker_has_none_of_the_graders_code(tmp_path):
    names = ["autograder.checks", "autograder.reference", "autograder.sandbox"]
    with sandbox(submission(tmp_path, "good")) as box:
        loaded = box.run(Probe("fake.loaded", {"names": names}, 2.0)).value
    assert loaded == dict.fromkeys(names, False)


def test_worker_seeds_each_probe_from_the_given_seed(tmp_path):
    with sandbox(submission(tmp_path, "good")) as box:
        first, again, other = (box.run(Probe("fake.draw", {}, 2.0), seed=seed).value["value"]
                               for seed in (7, 7, 8))
    assert first == again != other


def test_import_error_fails_every_probe_with_file_and_line(tmp_path):
    with sandbox(submission(tmp_path, "import_error")) as box:
        runs = [call(box, "answer"), call(box, "answer")]
    assert {run.error for run in runs} == {
        "KeyError: 'learning_rate' (student.py, line 9, in <module>)"}
    assert box.starts == 1


def test_syntax_error_names_file_and_line(tmp_path):
    (tmp_path / "student.py").write_text("def answer(x):\n    return 2 *\n")
    with sandbox(tmp_path) as box:
        error = call(box, "answer").error
    assert error.startswith("SyntaxError: ") and error.endswith("(student.py, line 2)")


def test_unfinished_todo_is_recognised(tmp_path):
    with sandbox(submission(tmp_path, "todo")) as box:
        result = call(box, "answer")
    assert result.error == "TODO 1.1 is not done yet: Return twice x."
    assert result.todo == "1.1"


def test_missing_module_and_links_are_not_graded(tmp_path):
    (tmp_path / "secret.py").write_text("def answer(x):\n    return 2 * x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "student.py").symlink_to(tmp_path / "secret.py")
    with sandbox(tmp_path) as box:
        first = call(box, "answer").error
    with sandbox(tmp_path / "sub") as box:
        linked = call(box, "answer").error
    assert first == linked
    assert first.startswith("Your submission lacks student.py")
    assert box.starts == 0


def test_sys_exit_fails_the_probe_and_the_worker_goes_on(tmp_path):
    with sandbox(submission(tmp_path, "exits")) as box:
        exited = call(box, "polite_exit").error
        after = call(box, "answer").value
    assert exited == ("SystemExit: your code called sys.exit(0) "
                      "(student.py, line 13, in polite_exit)")
    assert after == {"value": 42} and box.starts == 1


@pytest.mark.parametrize("function, message", [
    ("hard_exit", "The process running your code exited with status 3 "
                  "(do not call os._exit or sys.exit)."),
    ("crash", "The process running your code crashed with SIGSEGV "
              "(student.py, line 22, in crash)."),
])
def test_process_end_fails_the_probe_and_a_fresh_worker_goes_on(tmp_path, function, message):
    with sandbox(submission(tmp_path, "exits")) as box:
        ended = call(box, function).error
        after = call(box, "answer").value
    assert ended == message
    assert after == {"value": 42} and box.starts == 2


def test_infinite_loop_hits_the_probe_time_limit(tmp_path):
    with sandbox(submission(tmp_path, "infinite_loop")) as box:
        started = time.monotonic()
        run = call(box, "answer", time_limit=1.0)
        seconds = time.monotonic() - started
        after = box.run(Probe("fake.echo", {"ok": 1}, 2.0)).value
    assert run.error == (
        "Time limit exceeded: this check may run for 1 s (an infinite loop?).")
    assert 1.0 <= seconds < 5.0
    assert after == {"ok": 1} and box.starts == 2


def test_part_time_limit_bounds_all_probes(tmp_path):
    with sandbox(submission(tmp_path, "infinite_loop"), time_limit=1.5) as box:
        first = call(box, "answer", time_limit=10.0).error
        second = call(box, "answer", time_limit=10.0).error
    assert first.startswith("Time limit exceeded: this part may run for 1.5 s in all")
    assert second == "Not run: this part used up its time limit of 1.5 s."
    assert 1.5 <= box.used < 3.5


def test_memory_hog_is_killed_over_the_limit(tmp_path):
    with sandbox(submission(tmp_path, "memory_hog"), memory_limit_mb=150) as box:
        error = call(box, "answer", time_limit=10.0).error
        after = box.run(Probe("fake.echo", {"ok": 1}, 2.0)).value
    assert error.startswith("Memory limit exceeded: your code used ")
    assert error.endswith("more than the 150 MB allowed.")
    assert box.peak_memory_mb > 150 and after == {"ok": 1}


def test_flood_of_prints_is_kept_short(tmp_path):
    with sandbox(submission(tmp_path, "print_flood")) as box:
        value = call(box, "answer", time_limit=10.0).value
    text = box.output.text()
    assert value == {"value": 42}
    assert len(text) < 20_000 and "bytes not shown" in text
    assert text.startswith("spam spam")


@pytest.mark.parametrize("function", ["answer", "escape"])
def test_no_process_survives_the_sandbox(tmp_path, function):
    with sandbox(submission(tmp_path, "leaves_process")) as box:
        pid = call(box, function).value["value"]
        assert alive(pid)
    deadline = time.monotonic() + 2
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(pid)


def test_worker_sees_no_grader_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TOKEN", "secret")
    (tmp_path / "student.py").write_text(
        "import os\n\ndef answer(x):\n    return [dict(os.environ), os.getcwd()]\n")
    with sandbox(tmp_path) as box:
        environment, cwd = call(box, "answer").value["value"]
    assert "GRADER_TOKEN" not in environment
    assert environment["HOME"] == cwd and environment["PYTHONHASHSEED"] == "0"
    assert not cwd.startswith(str(tmp_path))


def test_result_files_are_not_followed_through_links(tmp_path):
    forged = tmp_path / "forged.json"
    forged.write_text('{"value": {"value": 42}, "error": null, "todo": null, "internal": false}')
    with sandbox(submission(tmp_path / "submission", "snoop")) as box:
        run = box.run(Probe("fake.call", {"name": "link_result", "args": [str(forged)]}, 5.0))
    assert run.value is None
    assert run.error.startswith(
        "The values to grade could not be read (cannot open result-0")


def test_autograder_faults_are_marked_internal(tmp_path):
    with sandbox(submission(tmp_path, "good")) as box:
        unknown = box.run(Probe("fake.no_such_probe", {}, 2.0))
        not_a_dict = box.run(Probe("fake.not_a_dict", {}, 2.0))
        student = call(box, "no_such_function")
    assert unknown.internal
    assert unknown.error == "unknown probe function 'fake.no_such_probe'"
    assert not_a_dict.internal and "returned a list, not a dict" in not_a_dict.error
    assert not student.internal
    assert student.error == (
        "AttributeError: module 'student' has no attribute 'no_such_function'")


def test_missing_probe_module_is_an_internal_error(tmp_path):
    box = Sandbox(submission(tmp_path, "good"), ("student",), "tests.fixtures.no_such_probes",
                  time_limit=20, memory_limit_mb=200, isolation=SAME_USER)
    with box:
        run = call(box, "answer")
    assert run.internal
    assert run.error.startswith(
        "cannot import the probe module tests.fixtures.no_such_probes")


def test_plain_data_refuses_hostile_files(tmp_path):
    plain.save(tmp_path / "ok", {"a": np.ones(3)})
    assert np.array_equal(plain.load(tmp_path / "ok")["a"], np.ones(3))
    (tmp_path / "link.json").symlink_to(tmp_path / "ok.json")
    np.savez(tmp_path / "pickled.npz", a0=np.array([{"x": 1}], dtype=object))
    (tmp_path / "pickled.json").write_text('{"__array__": "a0"}')
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a0.npy", b"\0" * (2 << 20))
    (tmp_path / "bomb.json").write_text('{"__array__": "a0"}')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "missing.json").write_text('{"__array__": "a7"}')
    for stem in ("link", "pickled", "bomb", "deep", "missing", "absent"):
        with pytest.raises(plain.PlainDataError):
            plain.load(tmp_path / stem, max_bytes=1 << 20)
    with pytest.raises(plain.PlainDataError, match="a value of type object"):
        plain.encode({"model": object()})


def test_describe_exception_unwraps_keras_messages(tmp_path):
    error = ValueError("Exception encountered when calling Sampling.call().\n\n"
                       "\x1b[1mTODO 3.2: Draw eps.\x1b[0m\n\nArguments received by Sampling.call()")
    assert describe_exception(error, tmp_path) == ("ValueError: TODO 3.2: Draw eps.", None)
    wrapped = NotImplementedError(error.args[0])
    assert describe_exception(wrapped, tmp_path) == ("TODO 3.2 is not done yet: Draw eps.", "3.2")


# -- permissions: pure logic, runs as any user --------------------------------

@pytest.fixture
def shared_dir():
    """A directory every user can enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_can_read_follows_the_permission_bits(shared_dir):
    folder = shared_dir / "folder"
    folder.mkdir()
    secret = folder / "file"
    secret.write_text("x")
    uid, gid = os.getuid() + 1, os.getgid() + 1
    folder.chmod(0o755)
    secret.chmod(0o644)
    readable = can_read(secret, uid, {gid})
    secret.chmod(0o600)
    private_file = can_read(secret, uid, {gid})
    secret.chmod(0o644)
    folder.chmod(0o700)
    private_folder = can_read(secret, uid, {gid})
    folder.chmod(0o750)
    shared_group = can_read(secret, uid, {os.stat(folder).st_gid})
    assert (readable, private_file, private_folder, shared_group) == (True, False, False, True)


def test_protect_locks_secrets_but_not_what_workers_need(tmp_path):
    secret_dir, secret_file, code = tmp_path / "checks", tmp_path / "solution.py", tmp_path / "code"
    for folder in (secret_dir, code):
        folder.mkdir(mode=0o755)
    secret_file.write_text("x")
    secret_file.chmod(0o644)
    sticky = tmp_path / "shared"
    sticky.mkdir()
    sticky.chmod(0o1777)
    other_user = Isolation(uid=os.getuid() + 1, gid=os.getgid() + 1, user="worker")
    protected = protect([secret_dir, secret_file, tmp_path, sticky, tmp_path / "absent"],
                        other_user, needed=[code])
    assert protected == [secret_dir, secret_file]
    assert stat.S_IMODE(secret_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(sticky.stat().st_mode) == 0o1777
    assert protect([code], SAME_USER) == []


def test_choose_isolation(monkeypatch, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    (locked / "python").write_text("")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert choose_isolation() == Isolation(sys.executable)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.delenv("AUTOGRADER_WORKER_USER", raising=False)
    fallback = choose_isolation(python=locked / "python")
    assert not fallback.drops_privileges
    assert fallback.note.startswith("Student code runs as root: user nobody cannot read ")
    with pytest.raises(SandboxError, match="Cannot run workers as nobody"):
        choose_isolation(user="nobody", python=locked / "python")
    with pytest.raises(SandboxError, match="no user no-such-user"):
        choose_isolation(user="no-such-user")


def test_a_temporary_folder_the_workers_user_cannot_enter_is_named(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.delenv("AUTOGRADER_WORKER_USER", raising=False)
    closed = Path(tempfile.mkdtemp(dir="/tmp"))  # mode 0700, in a folder every user can enter
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(closed))
        fallback = choose_isolation()
        assert not fallback.drops_privileges
        assert fallback.note == (
            f"Student code runs as root: user nobody cannot enter the temporary folder {closed}, "
            "where each worker's files are made (mode 0700); give it mode 1777, as /tmp has, or "
            "point TMPDIR to a folder that user can enter. Or name a user in "
            "$AUTOGRADER_WORKER_USER.")
        with pytest.raises(SandboxError, match="cannot enter the temporary folder"):
            choose_isolation(user="nobody")
        inside = closed / "open"
        inside.mkdir()
        inside.chmod(0o1777)
        monkeypatch.setattr(tempfile, "tempdir", str(inside))
        assert choose_isolation().note == (
            f"Student code runs as root: user nobody cannot enter the temporary folder {inside}, "
            f"where each worker's files are made (the folder {closed} on its way has mode "
            f"0700); let every user enter that folder (chmod o+x {closed}), or point TMPDIR to "
            "a folder that user can enter. Or name a user in $AUTOGRADER_WORKER_USER.")
    finally:
        shutil.rmtree(closed)
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert "temporary folder" not in choose_isolation().note


# -- privileges: for real, as root --------------------------------------------

def _nobody_python():
    """A Python that `nobody` can run (this one, revealed in a namespace, or the system's), or None."""
    nobody = pwd.getpwnam("nobody")
    for python in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(python):
            continue
        needed = needed_paths(python)
        if all(can_read(path, nobody.pw_uid, {nobody.pw_gid}) for path in needed) or (
                available_namespaces() and reveal_plan(needed, nobody.pw_uid, {nobody.pw_gid})):
            return python
    return None


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


@pytest.fixture
def as_nobody():
    """Isolation as user nobody, with a Python that nobody can run."""
    python = _nobody_python()
    if python is None:
        pytest.skip("no Python that user nobody can run")
    isolation = choose_isolation(user="nobody", python=python)
    assert isolation.drops_privileges
    if isolation.reveal:  # the fake probes of these tests live in tests/, which workers never need
        nobody = pwd.getpwnam("nobody")
        isolation = dataclasses.replace(isolation, reveal=reveal_plan(
            [*needed_paths(python), REPO_ROOT / "tests"], nobody.pw_uid, {nobody.pw_gid}))
    return isolation


@root_only
def test_worker_runs_as_nobody(tmp_path, as_nobody):
    (tmp_path / "student.py").write_text(
        "import os\n\ndef answer(x):\n    return [os.getuid(), os.geteuid(), os.getgid(), "
        "os.getgroups()]\n")
    with sandbox(tmp_path, isolation=as_nobody) as box:
        ids = call(box, "answer").value["value"]
    assert ids == [as_nobody.uid, as_nobody.uid, as_nobody.gid, []]


@root_only
def test_nobody_cannot_read_secrets_or_write_results(tmp_path, as_nobody, shared_dir):
    readable = shared_dir / "public.txt"
    readable.write_text("public")
    readable.chmod(0o644)
    private = shared_dir / "private.txt"
    private.write_text("private")
    private.chmod(0o600)
    checks = shared_dir / "checks"
    checks.mkdir(mode=0o755)
    (checks / "hidden.py").write_text("threshold = 1")
    (checks / "hidden.py").chmod(0o644)
    results = shared_dir / "results"
    results.mkdir(mode=0o755)
    submission(tmp_path, "snoop")
    source = (HOSTILE / "snoop.py").read_text().splitlines()
    lines = {"read": source.index("    with open(path) as file:") + 1,
             "write": source.index('    with open(path, "w") as file:') + 1}

    def attempt(function, path):
        with sandbox(tmp_path, isolation=as_nobody) as box:
            return box.run(Probe("fake.call", {"name": function, "args": [str(path)]}, 2.0))

    assert attempt("read", readable).value == {"value": "public"}
    assert attempt("read", checks / "hidden.py").value == {"value": "threshold = 1"}
    assert protect([checks, results], as_nobody) == [checks, results]
    for function, path in [("read", private), ("read", checks / "hidden.py"),
                           ("write", results / "results.json"), ("write", shared_dir / "x.json")]:
        error = attempt(function, path).error
        assert error.startswith("PermissionError: [Errno 13] Permission denied"), error
        assert error.endswith(f"(student.py, line {lines[function]}, in {function})")
    assert not (results / "results.json").exists()


@root_only
@pytest.mark.parametrize("function", ["answer", "escape"])
def test_no_process_of_nobody_survives(tmp_path, as_nobody, function):
    def processes_of_nobody():  # seen from the grader: pids in the workers' namespaces differ
        return {pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                if alive(pid) and _owner(pid) == as_nobody.uid}

    before = processes_of_nobody()
    with sandbox(submission(tmp_path, "leaves_process"), isolation=as_nobody) as box:
        assert call(box, function).value["value"] > 0
        assert len(processes_of_nobody() - before) >= 2  # the worker and what it left
    deadline = time.monotonic() + 2
    while processes_of_nobody() - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not processes_of_nobody() - before


def _owner(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


NOT_ROOT_GRADER = """
import sys, tempfile
sys.path[:0] = [{repo!r}]
from autograder.protocol import Probe
from autograder.sandbox import Sandbox, choose_isolation
isolation = choose_isolation()
folder = tempfile.mkdtemp()
with open(folder + "/student.py", "w") as file:
    file.write("import os\\ndef answer(x):\\n"
               "    return [os.getpid(), os.getppid(), os.getuid()]\\n")
with Sandbox(folder, ("student",), "tests.fixtures.fake_probes", time_limit=20,
             memory_limit_mb=200, isolation=isolation) as box:
    print(isolation.namespaces, box.run(Probe("fake.call", {{"name": "answer", "args": [1]}},
                                                5)).value["value"])
"""


@root_only
def test_a_grader_that_is_not_root_gives_workers_a_user_namespace():
    """Run as nobody with the system's Python (which nobody can read), where the kernel allows."""
    nobody = pwd.getpwnam("nobody")
    python = "/usr/bin/python3"
    if not os.path.exists(python) or not all(
            can_read(path, nobody.pw_uid, {nobody.pw_gid})
            for path in (python, REPO_ROOT / "autograder", REPO_ROOT / "tests")):
        pytest.skip("nobody cannot run the system's Python on this repository here")
    ran = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                          "--clear-groups", python, "-c",
                          NOT_ROOT_GRADER.format(repo=str(REPO_ROOT))],
                         cwd="/", capture_output=True, text=True, timeout=120, env={"PATH": os.defpath, "HOME": "/tmp"})
    assert ran.returncode == 0, ran.stderr[-2000:]
    kind, ids = ran.stdout.strip().splitlines()[-1].split(" ", 1)
    pid, parent, uid = json.loads(ids)
    if kind == "None":
        pytest.skip("the kernel gives unprivileged users no user namespaces here")
    assert (kind, pid, parent, uid) == ("user", 1, 0, nobody.pw_uid)


def test_packages_hidden_while_the_zygote_imports_stay_importable_afterwards(tmp_path,
                                                                            monkeypatch):
    import importlib

    from autograder.worker import zygote

    (tmp_path / "optional_extra.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with zygote.hidden(("optional_extra", "json")):
        with pytest.raises(ImportError):
            importlib.import_module("optional_extra")
        assert importlib.import_module("json") is json  # imported before: left alone
    assert importlib.import_module("optional_extra").VALUE == 42
    monkeypatch.delitem(sys.modules, "optional_extra")
