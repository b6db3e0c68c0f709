"""The emulated container's files: the Gradescope zip, unpacked and installed as `setup.sh` would.

Gradescope unpacks the autograder zip into `/autograder/source` and runs its
`setup.sh` once, as root; then, for each submission, it puts the student's
files in `/autograder/submission`, runs `run_autograder` and reads
`/autograder/results/results.json`. Here each submission gets a scratch root
with that layout (`unpack`, `add_submission`), and `run_autograder` is pointed
at it and at the grading interpreter through `AUTOGRADER_ROOT` and
`AUTOGRADER_PYTHON` (`run_autograder_environment`), so nothing is written to the
real `/autograder` or `/opt`.

What `setup.sh` does, and how it is done here:

- install `python3` and `python3-venv` with apt: not done; a base interpreter is
  given instead (default: the system's `/usr/bin/python3`, the one apt
  installs);
- make a virtual environment with `requirements-pinned.txt`:
  `grading_python`, which keeps it in a cache keyed by the pins and the base
  interpreter's version, so that the next run reuses it;
- make the sources readable, but not writable, by the workers' user: `unpack`;
- compile the sources: `compile_sources`.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from assignment.implementation import REPO_ROOT

REQUIREMENTS = "requirements-pinned.txt"
# Written into a cached virtual environment once every pinned package is installed.
INSTALLED_MARKER = "installed-requirements.txt"
SYSTEM_PYTHON = Path("/usr/bin/python3")
# What run_autograder finds in its environment on the service: a plain root shell.
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOG_LINES_SHOWN = 30


class InstallError(RuntimeError):
    """Raised when the zip cannot be built, unpacked or installed."""


def _run(argv, log, **kwargs):
    """Runs `argv` with its output appended to the file `log`.

    Raises:
        InstallError: with the log's last lines, if it fails.
    """
    with open(log, "a") as file:
        file.write("$ " + " ".join(map(str, argv)) + "\n")
        file.flush()
        status = subprocess.run(list(map(str, argv)), stdout=file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, **kwargs).returncode
    if status != 0:
        tail = Path(log).read_text().splitlines()[-LOG_LINES_SHOWN:]
        raise InstallError(f"`{' '.join(map(str, argv))}` failed with status {status}:\n"
                           + "\n".join(tail))


def build_package(zip_path, log, secret=None):
    """Builds the Gradescope zip at `zip_path` with `python -m autograder package`.

    Args:
        zip_path: where to write it.
        log: file that gets what the command printed.
        secret: the course's secret, or None for the course's own (see `package --secret`).
    """
    _run([sys.executable, "-m", "autograder", "package", "--out", zip_path,
          *(("--secret", secret) if secret is not None else ())], log, cwd=REPO_ROOT)


def pinned_requirements(zip_path):
    """The text of the zip's `requirements-pinned.txt`.

    Raises:
        InstallError: if the zip cannot be read or holds no such file.
    """
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return archive.read(REQUIREMENTS).decode()
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        raise InstallError(f"Cannot read {REQUIREMENTS} from {zip_path}: {error}") from None


def _readable_not_writable(mode, is_folder):
    """`chmod u+rwX,go+rX-w` of `mode`: X is x for folders and for files executable by someone."""
    search = 0o111 if is_folder or mode & 0o111 else 0
    return (mode | 0o644 | search | (0o100 if search else 0)) & ~0o022


def unpack(zip_path, root):
    """Makes the scratch root `root`: the zip in `source/`, and empty folders beside it.

    File modes come from the zip (`run_autograder` must be executable), then
    the sources are made readable and not writable for other users, and the
    root enterable, as `setup.sh` does for the workers' user. `tmp/` is the
    run's own temporary folder, writable by all like `/tmp`: a service's
    container starts with an empty one, so nothing a grading keeps there (the
    speed benchmark's time, `time_limits.CACHE_FILE`) carries over to the next.
    `submission/`, `results/` and `home/` are the service's own.

    Returns:
        The `source` folder.
    """
    source = Path(root) / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(source)
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    for folder, folders, files in os.walk(source):
        for name in folders + files:
            path = Path(folder, name)
            mode = modes.get(path.relative_to(source).as_posix(), 0) & 0o777 or 0o644
            path.chmod(_readable_not_writable(mode, path.is_dir()))
    source.chmod(_readable_not_writable(0o755, True))
    for folder in ("submission", "results", "home", "tmp"):
        (Path(root) / folder).mkdir()
    (Path(root) / "tmp").chmod(0o1777)
    Path(root).chmod(0o755)
    return source


def add_submission(folder, root):
    """Copies the student's files of `folder` into `root/submission/`, as the service does."""
    shutil.copytree(folder, Path(root) / "submission", dirs_exist_ok=True, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))


def compile_sources(python, source, log):
    """Byte-compiles the grader with the grading interpreter, as `setup.sh` does."""
    _run([python, "-m", "compileall", "-q", "autograder", "assignment"], log, cwd=source)


def _interpreter_version(python):
    try:
        return subprocess.run([str(python), "-c", "import sys; print(sys.version)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        raise InstallError(f"Cannot run the base interpreter {python}: {error}") from None


def environment_key(requirements, base_version):
    """What names a cached environment: the pins (comments aside) and the base Python."""
    pins = [line.strip() for line in requirements.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    return hashlib.sha256("\n".join([base_version, *pins]).encode()).hexdigest()[:16]


def grading_python(requirements, cache, base_python=SYSTEM_PYTHON):
    """The interpreter of a virtual environment with `requirements` installed, as `setup.sh` makes.

    The environment is made once in `cache/venv-<key>` (see `environment_key`)
    with `base_python -m venv` and pip (output in its `install.log`), then
    reused; concurrent calls wait for the one that installs. A folder left by
    an interrupted or failed install (no `INSTALLED_MARKER`) is made again.
    Its files get the modes of the current umask: with the usual 022 every
    user can read them, as the workers need (the grader says so otherwise).

    Args:
        requirements: the text of `requirements-pinned.txt`.
        cache: the folder of the cached environments.
        base_python: the interpreter the environment is made from.

    Returns:
        `(path of its python, whether it was made now)`.

    Raises:
        InstallError: if venv or pip fail.
    """
    key = environment_key(requirements, _interpreter_version(base_python))
    cache = Path(cache).absolute()
    venv = cache / f"venv-{key}"
    python = venv / "bin" / "python"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"venv-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / INSTALLED_MARKER).exists():
            return python, False
        if venv.exists():
            shutil.rmtree(venv)
        venv.mkdir()
        log = venv / "install.log"
        (venv / REQUIREMENTS).write_text(requirements)
        _run([base_python, "-m", "venv", venv], log)
        _run([python, "-m", "pip", "install", "--no-cache-dir", "-r", venv / REQUIREMENTS], log,
             env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        (venv / INSTALLED_MARKER).write_text(requirements)
    return python, True


def run_autograder_environment(root, python):
    """The environment `run_autograder` gets: a plain shell's, the scratch root, the interpreter.

    `TMPDIR` is the root's own `tmp/` (see `unpack`).
    """
    return {"PATH": SERVICE_PATH, "HOME": str(Path(root) / "home"), "LANG": "C.UTF-8",
            "TMPDIR": str(Path(root) / "tmp"),
            "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(python)}
