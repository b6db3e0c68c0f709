"""What a check is made of, and the registry that maps check ids to checks.

A check never runs student code itself. It runs in two halves:

1. `probes(ctx)` says what to run in the sandboxed worker: a dict of named
   `protocol.Probe`s, each a call of a worker probe function
   (`autograder.worker.probes`) with plain arguments (numbers, strings, lists,
   NumPy arrays).
2. The worker runs the probes against the student's modules and sends back
   plain data only (numbers, strings, NumPy arrays) -- one
   `protocol.ProbeResult` each, which the runner hands back with the probe it
   answers, so that `results[name].inputs` are the arguments really sent.
3. `score(results, ctx)`, in the trusted grading process, compares those values
   with what is expected (`autograder.reference`) and returns an `Outcome`:
   the fraction of the points, what was expected, what was got, and feedback
   that names a classic mistake when the values match a known wrong variant
   (`autograder.diagnosis`).

Register a check class with `@register("part.name")`; the id must be listed in
`autograder.rubric`.
"""

import dataclasses

CHECKS = {}


def register(check_id):
    """Class decorator: registers an instance of the class as check `check_id`.

    The instance's `id` is `check_id`: a check seeds its inputs with
    `ctx.rng(self.id)`, never with its id typed again.
    """

    def decorator(cls):
        if check_id in CHECKS:
            raise ValueError(f"Check {check_id!r} is registered twice.")
        check = cls()
        check.id = check_id
        CHECKS[check_id] = check
        return cls

    return decorator


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
    """Base class of checks: override `probes` and `score` (and `prepare`, if useful).

    Attributes:
        id: the rubric id it was registered as (None for an unregistered check).
    """

    id = None

    def prepare(self, ctx):
        """Loads in advance, in the grading process, what `score` will need (default: nothing).

        The runner calls it before any part starts, while the machine's speed
        benchmark runs, so that this work is off the parts' clocks. What it
        loads must be cached where `score` finds it; an error here is left
        for `score` to meet again and report.
        """

    def probes(self, ctx):
        """Returns a dict name -> `Probe` of what to run in the worker."""
        raise NotImplementedError

    def score(self, results, ctx):
        """Returns an `Outcome` from a dict name -> `ProbeResult`.

        Each result carries the inputs its probe was run with
        (`results[name].inputs`): score those, never inputs drawn again.
        """
        raise NotImplementedError
