"""Grades a directory of student files against the rubric.

`grade` walks the rubric part by part. For each rubric `Item` it asks the
item's check for its probes, runs them in the part's sandboxed worker
(`autograder.sandbox`), hands the check the plain results, each with the probe
it answers, and scores them here, in the trusted process:

- a check whose dependency (graded in the same run) did not pass fully gets
  0 points and "Not graded: needs <check> to pass first."; its probes never
  run, and a part whose checks are all blocked starts no worker;
- a `ProbeFailed` raised by `require` fails the check with the probe's error:
  status "todo" when the error is an unfinished TODO that the check grades,
  "not graded" (saying which) when it is a TODO of a piece the check runs but
  does not grade;
- when a probe ran with a stand-in for an upstream piece of the student's that
  raised (`Probe.stand_ins`), the feedback says which and why;
- when a check fails on an error that names a function whose signature the
  student changed, the feedback names the stencil's signature the grader
  calls (`worker.signatures`);
- any other exception of a check, a check missing from the registry, or a
  probe failure that is the autograder's own fault gives that check the
  status `ERROR`, 0 points and feedback that starts "Autograder error:"
  (always visible on Gradescope); grading goes on;
- points are `fraction * check.points` with the fraction clipped to [0, 1]
  (NaN counts as 0);
- a check whose pass lines are not calibrated on the course's data set is
  graded on the Fashion-MNIST sample (`GradingContext.for_check`), and its
  feedback says so.

Where the machine has a CPU and the memory of a whole grading to spare for
each (`sandbox.machine.part_lanes`), parts are graded side by side, each in a
thread and workers of its own, sharing the CPUs, with time limits multiplied
by the number of lanes (`time_limits`). The report is the one of the parts
graded one after the other, in the rubric's order: a part whose checks depend
on an earlier part's waits for it.

While the machine's speed benchmark runs, before any part starts, each graded
check's `prepare` loads in this process what its scoring will need (the
quality checks: the evaluation classifier's features of the real images).

Two checks asking for the same probe (same function, arguments and
stand-ins) share one run of it. Each probe runs with a seed derived from
`seed` and its function and arguments, so the same submission gets the same results twice, whatever else is
graded in the same run.
"""

import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import math
import threading
import time
import traceback
import zlib
from pathlib import Path

from assignment.datasets import DISPLAY_NAMES
from assignment.implementation import REPO_ROOT, SOLUTION_DIR
from autograder import plain, time_limits
from autograder.checks.context import GradingContext
from autograder.checks.registry import Outcome, ProbeFailed
from autograder.protocol import Probe
from autograder.rubric import (RUBRIC, VISIBLE, earlier_dependencies, lane_order,
                               parts as rubric_parts)
from autograder.sandbox import Sandbox, choose_isolation, machine, protect
from autograder.worker import signatures

PROBE_MODULE = "autograder.worker.probes.{part}"
# What workers must never read when they run as another user.
# The course's secret, in a package for a grading service (see `course_seed`).
COURSE_SECRET = REPO_ROOT / "autograder" / "course_secret.txt"
SECRETS = (
    REPO_ROOT / "autograder" / "checks",
    REPO_ROOT / "autograder" / "reference",
    COURSE_SECRET,
    SOLUTION_DIR,
)

PASSED = "passed"
PARTIAL = "partial"
FAILED = "failed"
TODO = "todo"
NOT_GRADED = "not graded"
ERROR = "error"


@dataclasses.dataclass(frozen=True)
class CheckReport:
    """How one check went.

    Attributes:
        part: the `rubric.Part` it belongs to.
        check: the check's `rubric.Item`.
        status: `PASSED`, `PARTIAL`, `FAILED`, `TODO`, `NOT_GRADED` or `ERROR`.
        points: points earned.
        seconds: wall time spent on it: its probes (a worker start-up
            included when it needed one) and its scoring.
        expected, got, feedback, diagnosis: from its `Outcome`.
        leaderboard: name -> `(value, order)` from `Outcome.leaderboard`,
            where order is "desc" (higher is better) or "asc".
        details: for `ERROR`, the traceback, for the course staff.
    """

    part: object
    check: object
    status: str
    points: float = 0.0
    seconds: float = 0.0
    expected: str = ""
    got: str = ""
    feedback: str = ""
    diagnosis: str | None = None
    leaderboard: dict = dataclasses.field(default_factory=dict)
    details: str = ""

    @property
    def max_points(self):
        return self.check.points


@dataclasses.dataclass(frozen=True)
class PartReport:
    """What one part cost.

    Attributes:
        part: the `rubric.Part`.
        seconds: wall time spent on its checks.
        probes: distinct probes run.
        workers: worker processes started (a crash, time-out or memory kill
            of a probe costs a restart).
        peak_memory_mb: the largest memory reading of its workers.
        output: what its workers printed (head and tail).
    """

    part: object
    seconds: float
    probes: int
    workers: int
    peak_memory_mb: float
    output: str


@dataclasses.dataclass(frozen=True)
class GradeReport:
    """The result of `grade`.

    Attributes:
        directory: what was graded.
        seed: the base seed.
        include_hidden: whether the checks shown after the due date were graded.
        checks: a `CheckReport` per graded check, in rubric order.
        parts: a `PartReport` per graded part.
        seconds: wall time of the whole run.
        notes: warnings for the course staff (e.g. workers could not switch user).
    """

    directory: str
    seed: int
    include_hidden: bool
    checks: tuple
    parts: tuple
    seconds: float
    notes: tuple = ()

    def _sum(self, bonus, attribute):
        return sum(getattr(report, attribute) for report in self.checks
                   if report.part.bonus == bonus)

    @property
    def score(self):
        """Points earned outside the bonus parts."""
        return self._sum(False, "points")

    @property
    def max_score(self):
        """Points graded in this run outside the bonus parts."""
        return self._sum(False, "max_points")

    @property
    def bonus(self):
        return self._sum(True, "points")

    @property
    def max_bonus(self):
        return self._sum(True, "max_points")


def course_seed(path=COURSE_SECRET):
    """The base seed of a grading run: derived from the course's secret where there is one.

    `python -m autograder package` puts the course's secret into the package,
    so that the probes graded on the service draw inputs that no local run
    shows: a submission that memorised the local probes and their expected
    outputs gets nothing from it there. The same secret gives the same seed,
    so the same submission still gets the same score twice. Without a secret
    (the course repository, the student bundle) the seed is 0.
    """
    if not Path(path).is_file():
        return 0
    return int.from_bytes(hashlib.sha256(Path(path).read_bytes().strip()).digest()[:4], "big")


def probe_seed(seed, key):
    """The seed of the probe with content digest `key` in a run seeded with `seed`."""
    return zlib.crc32(f"{seed}:{key}".encode())


def grade(directory, parts=None, include_hidden=False, seed=None, *, rubric=RUBRIC, checks=None,
          probe_module=PROBE_MODULE, isolation=None, secrets=SECRETS, sandbox=Sandbox,
          on_part=None, time_scale=None, dataset="fashion_mnist", lanes=None):
    """Grades the student files in `directory`.

    Args:
        directory: folder of the student's flat modules.
        parts: ids of the parts to grade (default: all).
        include_hidden: also grade the checks shown after the due date.
        seed: base seed of every probe and of the `GradingContext` (default:
            `course_seed()`).
        rubric: the parts to grade from (default: `autograder.rubric.RUBRIC`).
        checks: dict check id -> check object (default: the registry filled
            by importing `autograder.checks`).
        probe_module: module the worker imports to register its probes;
            `{part}` is replaced by the part's id.
        isolation: a `sandbox.Isolation` (default: `sandbox.choose_isolation()`).
        secrets: paths workers must not read; made unreadable for the workers'
            user when they run as another user (see `sandbox.protect`).
        sandbox: the class that runs a part's probes (`sandbox.Sandbox`; the
            tests pass a double that runs them in this process).
        on_part: called with the `GradeReport` so far after each part.
        time_scale: a `time_limits.TimeScale` (default: measured on this
            machine for `lanes` when grading with `sandbox.Sandbox`, else the
            rubric's limits times `lanes`); its `lanes` parts are graded side by side.
        dataset: the data set whose embedded sample the checks use (a course
            file's `dataset`, see `autograder.course`).
        lanes: how many parts to grade side by side, when `time_scale` is
            not given (default: what this machine's CPUs and memory allow,
            `sandbox.machine.part_lanes`, with `sandbox.Sandbox`; else 1).

    Returns:
        A `GradeReport`.

    Raises:
        FileNotFoundError: if `directory` is not a directory.
        ValueError: for an unknown part id, or `lanes` other than `time_scale`'s.
    """
    started = time.monotonic()
    if not Path(directory).is_dir():
        raise FileNotFoundError(f"No directory {directory}.")
    seed = course_seed() if seed is None else seed
    selected = rubric_parts(parts, rubric)
    if checks is None:
        checks = _registered_checks()
    isolation = isolation or choose_isolation()
    protect(secrets, isolation)
    ctx = GradingContext(seed, dataset=dataset)
    graded_checks = [checks[item.id] for part in selected for item in part.checks
                     if _included(item, include_hidden) and item.id in checks]
    preparing = threading.Thread(target=_prepare, args=(graded_checks, ctx), daemon=True)
    preparing.start()
    if time_scale is None:
        lanes = lanes or (machine.part_lanes(len(selected)) if sandbox is Sandbox else 1)
        time_scale = (time_limits.measure(selected, isolation, sandbox, lanes)
                      if sandbox is Sandbox else time_limits.TimeScale(float(lanes), lanes=lanes))
    elif lanes not in (None, time_scale.lanes):
        raise ValueError(f"lanes={lanes!r} differs from the time scale's {time_scale.lanes}.")
    notes = (isolation.summary, time_scale.describe())
    preparing.join()

    def so_far():
        return GradeReport(str(directory), seed, include_hidden, tuple(reports.values()),
                           tuple(part_reports), time.monotonic() - started, notes)

    reports = {}
    part_reports = []

    def grade_part(part, earlier):
        """`(check id -> CheckReport, PartReport)` of `part`; `earlier()`: what it may need."""
        part_started = time.monotonic()
        known = dict(earlier())
        probes = _PartProbes(part, directory, probe_module, isolation, seed, sandbox, time_scale)
        graded = {}
        try:
            for item in part.checks:
                if _included(item, include_hidden):
                    graded[item.id] = known[item.id] = _grade_check(
                        part, item, checks.get(item.id), ctx, probes, known)
        finally:
            probes.close()
        return graded, PartReport(part, time.monotonic() - part_started, *probes.usage())

    for graded, part_report in _in_lanes(selected, grade_part, time_scale.lanes,
                                         lambda: reports):
        reports.update(graded)
        part_reports.append(part_report)
        if on_part is not None:
            on_part(so_far())
    return so_far()


def _included(item, include_hidden):
    """Whether rubric `item` is graded: always when visible, else with `include_hidden`."""
    return include_hidden or item.visibility == VISIBLE


def _prepare(checks, ctx):
    """Runs each check's `prepare` in the context it is graded in; errors are left to `score`."""
    for check in checks:
        try:
            check.prepare(ctx.for_check(check))
        except Exception:  # noqa: BLE001  (score meets it again and reports it)
            pass


def _in_lanes(parts, grade_part, lanes, graded_so_far):
    """The results of `grade_part(part, earlier)` for each of `parts`, in their order.

    With one lane, one part after the other, each seeing `graded_so_far()`.
    With more, `lanes` parts at a time in threads of their own (each drives
    its own worker processes), started in `rubric.lane_order`; a part whose
    checks depend on checks of earlier parts first waits for those parts and
    sees their reports, as it would have one after the other.
    """
    if lanes == 1:
        for part in parts:
            yield grade_part(part, graded_so_far)
        return
    futures = {}

    def needs(part):
        needed = [futures[parts[earlier]]
                  for earlier in earlier_dependencies(parts, parts.index(part))]
        return lambda: {check_id: report for future in needed
                        for check_id, report in future.result()[0].items()}

    with concurrent.futures.ThreadPoolExecutor(lanes, thread_name_prefix="part") as pool:
        for part in lane_order(parts):
            futures[part] = pool.submit(grade_part, part, needs(part))
        for part in parts:
            yield futures[part].result()


class _PartProbes:
    """Runs the probes of one part in a sandbox started on first use, once per distinct probe."""

    def __init__(self, part, directory, probe_module, isolation, seed, sandbox_class, time_scale):
        self.part = part
        self.directory = directory
        self.probe_module = probe_module.format(part=part.id)
        self.isolation = isolation
        self.seed = seed
        self.sandbox_class = sandbox_class
        self.time_scale = time_scale
        self.sandbox = None
        self.runs = {}

    def run(self, probe):
        """The `ProbeResult` of `probe`: from the sandbox, or from an earlier identical request.

        The result carries `probe`, so that the check scores the inputs really sent.
        """
        key = _digest(probe)
        if (key, probe.stand_ins) in self.runs:
            return self.runs[key, probe.stand_ins]
        if self.sandbox is None:
            self.sandbox = self.sandbox_class(
                self.directory, self.part.modules, self.probe_module,
                time_limit=self.time_scale.part_limit(self.part),
                memory_limit_mb=self.part.memory_limit_mb, isolation=self.isolation,
                probe_time_scale=self.time_scale.factor)
        result = self.sandbox.run(probe, seed=probe_seed(self.seed, key))
        self.runs[key, probe.stand_ins] = dataclasses.replace(result, probe=probe)
        return self.runs[key, probe.stand_ins]

    @property
    def drift(self):
        """The student's signatures that differ from the stencil's (see `worker.signatures`)."""
        return self.sandbox.drift if self.sandbox is not None else {}

    def usage(self):
        """`(probes run, workers started, peak memory in MB, worker output)`."""
        if self.sandbox is None:
            return 0, 0, 0.0, ""
        sandbox = self.sandbox
        return len(self.runs), sandbox.starts, sandbox.peak_memory_mb, sandbox.output.text()

    def close(self):
        if self.sandbox is not None:
            self.sandbox.close()


def _registered_checks():
    """The registry of real checks, filled by importing every check module."""
    import autograder.checks

    return autograder.checks.registry.CHECKS


def _digest(probe):
    """A content key of a probe call: same function and arguments, same key."""
    structure, arrays = plain.encode(probe.kwargs)
    hasher = hashlib.sha256(json.dumps([probe.function, structure], sort_keys=True).encode())
    for name in sorted(arrays):
        array = arrays[name]
        hasher.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()


def blocking_dependency(item, verdicts):
    """The first dependency of rubric `item` graded in this run that did not pass fully, or None.

    Args:
        item: a `rubric.Item`.
        verdicts: dict check id -> whether that check passed fully, for the
            checks graded so far.
    """
    return next((dependency for dependency in item.depends
                 if dependency in verdicts and not verdicts[dependency]), None)


def _grade_check(part, item, check, ctx, probes, reports):
    """The `CheckReport` of rubric `item`, graded by `check`; never raises for a faulty check."""
    report = functools.partial(CheckReport, part, item)
    blocked = blocking_dependency(item, {check_id: report.status == PASSED
                                         for check_id, report in reports.items()})
    if blocked:
        return report(NOT_GRADED, feedback=(
            f'Not graded: needs "{reports[blocked].check.name}" to pass first.'))
    if check is None:
        return report(ERROR, feedback=f"Autograder error: no check is registered as {item.id}.")
    started = time.monotonic()
    graded_on = ctx.for_check(check)
    moved = graded_on.dataset != ctx.dataset and (
        f"Graded on the {DISPLAY_NAMES[graded_on.dataset]} sample: this check's pass lines "
        f"could not be calibrated on the {DISPLAY_NAMES[ctx.dataset]} one.")
    ctx = graded_on
    try:
        requested = ctx.probes_of(check)
        if not all(isinstance(probe, Probe) for probe in requested.values()):
            raise TypeError("probes() must return a dict name -> Probe")
        results = {name: probes.run(probe) for name, probe in requested.items()}
        internal = [result.error for result in results.values() if result.internal]
        if internal:
            return report(ERROR, seconds=time.monotonic() - started,
                          feedback=f"Autograder error: {internal[0]}")
        note = stand_in_note(results.values())
        try:
            outcome = check.score(results, ctx)
        except ProbeFailed as failure:
            status, feedback = failure_status(item, failure.result)
            return report(status, seconds=time.monotonic() - started,
                          feedback=_with_hint(feedback, "", probes.drift))
        if not isinstance(outcome, Outcome):
            raise TypeError(f"score() returned a {type(outcome).__name__}, not an Outcome")
        fraction = float(outcome.fraction)
        leaderboard = _leaderboard(outcome.leaderboard)
    except Exception as error:  # noqa: BLE001  (a bug of the check: reported, grading goes on)
        return report(ERROR, seconds=time.monotonic() - started, details=traceback.format_exc(),
                      feedback=f"Autograder error: {type(error).__name__}: {error}")
    fraction = 0.0 if math.isnan(fraction) else min(1.0, max(0.0, fraction))
    status = PASSED if fraction == 1.0 else PARTIAL if fraction > 0 else FAILED
    feedback = " ".join(filter(None, (str(outcome.feedback), note, moved)))
    if status != PASSED:
        feedback = _with_hint(feedback, str(outcome.got), probes.drift)
    return report(status, points=fraction * item.points, seconds=time.monotonic() - started,
                  expected=str(outcome.expected), got=str(outcome.got), feedback=feedback,
                  diagnosis=outcome.diagnosis, leaderboard=leaderboard)


def _with_hint(feedback, got, drift):
    """`feedback`, and the signature the grader calls when an error in it came from drift."""
    return " ".join(filter(None, (feedback, signatures.hint(f"{feedback} {got}", drift))))


def failure_status(item, result):
    """`(status, feedback)` of a check whose probe failed with `result`.

    An unfinished TODO that the check grades makes it "todo"; an unfinished
    TODO of another piece, which the check runs but does not grade (and which
    has no stand-in), makes it "not graded", saying which piece it needs.
    """
    note = stand_in_note([result])
    if result.todo and result.todo in item.todos:
        return TODO, " ".join(filter(None, (result.error, note)))
    if result.todo:
        task = result.error.partition("is not done yet: ")[2]
        return NOT_GRADED, " ".join(filter(None, (
            f"Not graded: this check runs your TODO {result.todo}, which it does not grade and "
            f"which is not done yet" + (f" ({task.rstrip('.')})." if task else "."), note)))
    return FAILED, " ".join(filter(None, (result.error, note)))


def stand_in_note(results):
    """The feedback sentence naming the stand-ins the probes of `results` used, or ""."""
    used = {}
    for result in results:
        used.update(result.stand_ins)
    if not used:
        return ""
    pieces = "; ".join(f"TODO {todo_id} ({reason})" for todo_id, reason in sorted(used.items()))
    return (f"Graded with the handout's formula standing in for code of yours that raised, "
            f"which this check does not grade: {pieces}.")


def _leaderboard(metrics):
    """`Outcome.leaderboard` as name -> (float, order); a bare value means higher is better.

    Raises:
        ValueError: for a value that is not a number or an order other than
            "asc" or "desc".
    """
    entries = {}
    for name, value in metrics.items():
        value, order = value if isinstance(value, (tuple, list)) else (value, "desc")
        if order not in ("asc", "desc"):
            raise ValueError(f"leaderboard order {order!r} of {name!r} is not 'asc' or 'desc'")
        entries[str(name)] = (float(value), order)
    return entries
