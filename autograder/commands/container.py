"""Will it fit? Grade with the Gradescope zip inside the service's memory, CPU and time limits.

Emulates Gradescope's container (default: 768 MB of memory, half a CPU, a
10-minute timeout) on the machine it runs on, as root:

1. checks that a control group with these limits can be made here (cgroup v2
   or v1 with the memory and cpu controllers), before anything else;
2. builds the zip with `python -m autograder package` (or takes `--package`);
3. installs it as its `setup.sh` would, into scratch folders: a virtual
   environment with its pinned requirements, made once from `--base-python`
   and cached in `--venv-cache` (or the interpreter given with `--python`);
4. for each submission (default: the solution), unpacks the zip into a fresh
   scratch root laid out as `/autograder`, copies the student's files into
   its `submission/`, and runs the zip's `run_autograder` there inside a new
   control group with the limits, killing it at the timeout;
5. prints, per submission: the score from results.json, wall and CPU time, the
   group's peak memory and OOM kills, points and time per part, and a verdict
   against the limits.

Exit status: 0 when every run fits, 1 when one does not, 2 when the emulation
cannot run (no usable control groups, a bad argument, a failed install).
"""

import fcntl
import shutil
import sys
import tempfile
from pathlib import Path

from assignment.implementation import REPO_ROOT, SOLUTION_DIR

DEFAULT_VENV_CACHE = Path("build") / "container"
ZIP_NAME = "gradescope-autograder.zip"


def add_arguments(parser):
    """Declare the options of ``container``."""
    parser.add_argument("submissions", nargs="*", type=Path, metavar="SUBMISSION",
                        help="folders of student files to grade, e.g. stencil "
                             "(default: assignment/solution)")
    parser.add_argument("--memory", default="768M", metavar="SIZE",
                        help="memory limit, page cache included, no swap (default 768M; "
                             "M = 2**20 bytes)")
    parser.add_argument("--cpus", type=float, default=0.5,
                        help="CPU quota in CPUs (default 0.5)")
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="seconds a run may take before it is killed (default 600)")
    parser.add_argument("--package", type=Path, metavar="ZIP",
                        help="grade with this autograder zip instead of building one")
    parser.add_argument("--secret", metavar="TEXT",
                        help="the course's secret for the zip it builds (default: the course's, "
                             "as python -m autograder package takes it)")
    parser.add_argument("--python", type=Path, metavar="PATH",
                        help="grading interpreter that already has the zip's pinned "
                             "requirements (default: a cached virtual environment)")
    parser.add_argument("--base-python", type=Path, metavar="PATH",
                        help="interpreter the virtual environment is made from "
                             "(default /usr/bin/python3, as setup.sh installs it)")
    parser.add_argument("--venv-cache", type=Path, default=DEFAULT_VENV_CACHE, metavar="DIR",
                        help=f"folder of the cached virtual environments "
                             f"(default: {DEFAULT_VENV_CACHE})")
    parser.add_argument("--work", type=Path, metavar="DIR",
                        help="keep the scratch roots here, with each run's output and "
                             "results.json; roots of a previous run are replaced "
                             "(default: a temporary folder, removed)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print what each run_autograder printed")


def _fail(message):
    print(f"container: {message}", file=sys.stderr)
    return 2


def _labels(submissions):
    """A distinct folder name for each submission: its own name, numbered when repeated."""
    labels = []
    for path in submissions:
        name = path.resolve().name or "submission"
        label, number = name, 2
        while label in labels:
            label, number = f"{name}-{number}", number + 1
        labels.append(label)
    return labels


def _grade(label, submission, root, *, zip_path, python, limits, hierarchy, verbose):
    """Grades one submission in a fresh scratch root and control group; returns its `GradedRun`."""
    from autograder.container import install
    from autograder.container.cgroups import ControlGroup
    from autograder.container.measure import run_in_group
    from autograder.container.verdict import GradedRun, read_results

    shutil.rmtree(root, ignore_errors=True)
    source = install.unpack(zip_path, root)
    install.add_submission(submission, root)
    install.compile_sources(python, source, root / "install.log")
    output_path = root / "output.txt"
    with ControlGroup.create(limits.memory, limits.cpus, hierarchy) as group, \
            open(output_path, "w") as output:
        measurement = run_in_group([str(source / "run_autograder")], group, cwd=source,
                                   env=install.run_autograder_environment(root, python),
                                   output=output, timeout=limits.timeout)
    grader_output = output_path.read_text(errors="replace")
    if verbose:
        print(grader_output)
    results, problem = read_results(root / "results" / "results.json")
    return GradedRun(label, measurement, results, problem, grader_output,
                     expect_full_marks=submission.resolve() == SOLUTION_DIR.resolve())


def _grading_python(args, zip_path):
    """The grading interpreter: `--python`, else the cached virtual environment (made if needed)."""
    from autograder.container import install
    from autograder.formats.terminal import wrapped

    if args.python:
        return args.python.absolute()
    base = args.base_python or install.SYSTEM_PYTHON
    venv_cache = args.venv_cache if args.venv_cache.is_absolute() else REPO_ROOT / args.venv_cache
    print(wrapped(f"Grading interpreter: a virtual environment of {base} with the zip's "
                  f"{install.REQUIREMENTS}, cached in {venv_cache} (the first time, pip takes "
                  "about a minute)."), flush=True)
    python, made = install.grading_python(install.pinned_requirements(zip_path), venv_cache, base)
    print(f"  {'made' if made else 'reused'} {python}", flush=True)
    return python


def _run_all(args, limits, hierarchy, work):
    """Builds (or takes) the zip and the interpreter, grades each submission; the exit status."""
    from autograder.container import install
    from autograder.container.verdict import format_run
    from autograder.formats.terminal import wrapped

    zip_path = args.package
    if zip_path is None:
        zip_path = work / ZIP_NAME
        print("Building the autograder zip: python -m autograder package", flush=True)
        install.build_package(zip_path, work / "package.log", args.secret)
    python = _grading_python(args, zip_path)
    submissions = args.submissions or [SOLUTION_DIR]
    print(wrapped(f"Container: {limits.memory / 2**20:.0f} MB (no swap), {limits.cpus:g} CPU, "
                  f"timeout {limits.timeout:g} s; {hierarchy.describe()}."), flush=True)
    fits = True
    for label, submission in zip(_labels(submissions), submissions):
        print(f"Grading {submission} ...", flush=True)
        run = _grade(label, submission, work / label, zip_path=zip_path, python=python,
                     limits=limits, hierarchy=hierarchy, verbose=args.verbose)
        print(format_run(run, limits), flush=True)
        fits = fits and not run.misfits(limits)
    return 0 if fits else 1


def run(args):
    """Emulate the container and grade each submission in it; return the exit status."""
    from autograder.container.cgroups import CgroupError, ControlGroup, find_hierarchy, parse_size
    from autograder.container.install import InstallError
    from autograder.container.verdict import Limits

    try:
        limits = Limits(parse_size(args.memory), args.cpus, args.timeout)
    except ValueError as error:
        return _fail(f"--memory: {error}.")
    if limits.cpus <= 0 or limits.timeout <= 0 or limits.memory <= 0:
        return _fail("--memory, --cpus and --timeout must be positive.")
    missing = [str(path) for path in args.submissions if not path.is_dir()]
    if missing:
        return _fail(f"not a folder of student files: {', '.join(missing)}.")
    if args.package and not args.package.is_file():
        return _fail(f"no zip {args.package}.")
    try:
        hierarchy = find_hierarchy()
        ControlGroup.create(limits.memory, limits.cpus, hierarchy).close()
    except CgroupError as error:
        return _fail(f"cannot emulate the container's limits here. {error}")
    work = args.work.absolute() if args.work else Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        work.chmod(work.stat().st_mode | 0o711)  # the workers' user must reach the roots
        with open(work / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return _fail(f"another container command is using {work}.")
            return _run_all(args, limits, hierarchy, work)
    except (InstallError, CgroupError) as error:
        return _fail(str(error))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
