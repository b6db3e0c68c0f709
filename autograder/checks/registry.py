"""What a check is made of, and the registry that maps check ids to checks.

A check never runs student code itself. It runs in two halves:

1. `probes(ctx)` says what to run in the sandboxed worker: a dict of named
   `Probe`s, each a call of a worker probe function (`autograder.worker.probes`)
   with plain arguments (numbers, strings, lists, NumPy arrays).
2. The worker runs the probes against the student's modules and sends back
   plain data only (numbers, strings, NumPy arrays) -- one `ProbeResult` each.
3. `score(results, ctx)`, in the trusted grading process, compares those values
   with what is expected and returns an `Outcome`: the fraction of the points,
   what was expected, what was got, and feedback that names a classic mistake
   when the values match a known wrong variant (`autograder.diagnosis`).

Register a check class with `@register("part.name")`; the id must be listed in
`autograder.rubric`.
"""

import dataclasses

CHECKS = {}


def register(check_id):
    """Class decorator: registers an instance of the class as check `check_id`."""

    def decorator(cls):
        if check_id in CHECKS:
            raise ValueError(f"Check {check_id!r} is registered twice.")
        CHECKS[check_id] = cls()
        return cls

    return decorator


@dataclasses.dataclass(frozen=True)
class Probe:
    """A call of worker probe function `function` with keyword arguments `kwargs`.

    Attributes:
        function: name of a function registered with
            `autograder.worker.probes.probe`.
        kwargs: plain arguments: numbers, strings, booleans, lists, dicts of
            those, and NumPy arrays.
        time_limit: seconds this probe may take in the worker.
    """

    function: str
    kwargs: dict = dataclasses.field(default_factory=dict)
    time_limit: float = 30.0


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """What came back from one probe: `value` (a dict of plain data) or `error`.

    `error` is a one-line description of what went wrong in student code (an
    exception with its file and line, a time-out, a crash, a memory kill);
    `todo` is the TODO id when the student code raised
    `NotImplementedError("TODO x.y ...")`.
    """

    value: dict | None = None
    error: str | None = None
    todo: str | None = None

    @property
    def ok(self):
        return self.error is None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The verdict of one check.

    Attributes:
        fraction: share of the check's points earned, in [0, 1].
        expected: what a correct implementation gives (short, human-readable).
        got: what this implementation gave.
        feedback: one or two sentences for the student; names the mistake
            when one was recognised.
        diagnosis: id of the recognised classic mistake (see
            `autograder.diagnosis`), or None.
        leaderboard: optional metrics (name -> float) for Gradescope's
            leaderboard.
    """

    fraction: float
    expected: str = ""
    got: str = ""
    feedback: str = ""
    diagnosis: str | None = None
    leaderboard: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def passed(cls, expected="", got="", feedback="Correct.", **kwargs):
        return cls(1.0, expected, got, feedback, **kwargs)

    @classmethod
    def failed(cls, expected="", got="", feedback="", **kwargs):
        return cls(0.0, expected, got, feedback, **kwargs)


class ProbeFailed(Exception):
    """Raised by `require` when a probe the check needs did not return a value."""

    def __init__(self, name, result):
        super().__init__(f"{name}: {result.error}")
        self.name = name
        self.result = result


def require(results, name):
    """The value of probe `name`, or raises `ProbeFailed` (the runner reports it)."""
    result = results[name]
    if not result.ok:
        raise ProbeFailed(name, result)
    return result.value


class Check:
    """Base class of checks: override `probes` and `score`."""

    def probes(self, ctx):
        """Returns a dict name -> `Probe` of what to run in the worker."""
        raise NotImplementedError

    def score(self, results, ctx):
        """Returns an `Outcome` from a dict name -> `ProbeResult`."""
        raise NotImplementedError
