"""Expected values as data, for the grader of the student bundle.

The student bundle (`python -m autograder release`) must hold no answer, so it
ships neither `autograder.reference` nor any other implementation of a TODO.
Its visible checks read instead what the reference gave for their probes'
inputs, recorded when the bundle is built: for each check that computes
expected values (`Check.expect`), its probes and its expectations (the
expected outputs and the outputs of each named mistake), for one seed, in
`expectations.json` + `.npz` beside this module (plain data, see
`autograder.plain`).

In the course repository and in the packages for grading services the
reference is there and the checks compute their expectations live, for any
seed (see `GradingContext`).
"""

from pathlib import Path

from autograder import plain
from autograder.protocol import Probe

STEM = Path(__file__).with_name("expectations")


class ExpectationsMissing(LookupError):
    """The recorded expectations do not cover what a grading run asks for."""


def record(checks, ctx):
    """The plain data of the expectations of `checks` (those with `expect`) under `ctx`."""
    recorded = {}
    for check in checks:
        if not hasattr(check, "expect"):
            continue
        probes = check.probes(ctx)
        recorded[check.id] = {
            "probes": {name: {"function": probe.function, "kwargs": probe.kwargs,
                              "time_limit": probe.time_limit, "stand_ins": list(probe.stand_ins)}
                       for name, probe in probes.items()},
            "expected": check.expect({name: probe.kwargs for name, probe in probes.items()}),
        }
    return {"seed": ctx.seed, "checks": recorded}


def save(directory, data):
    """Writes recorded expectations in `directory`; returns the paths written."""
    stem = Path(directory) / STEM.name
    plain.save(stem, data)
    return [path for path in (stem.with_suffix(".json"), stem.with_suffix(".npz"))
            if path.exists()]


class Recorded:
    """Expectations recorded for one seed, read from `STEM`'s files.

    Args:
        seed: the seed of the grading run; it must be the recorded one.

    Raises:
        ExpectationsMissing: when the seed is not the recorded one.
    """

    def __init__(self, seed, stem=STEM):
        self.data = plain.load(stem)
        if seed != self.data["seed"]:
            raise ExpectationsMissing(
                f"The checks of this bundle come with the expected values for seed "
                f"{self.data['seed']} only; grade with --seed {self.data['seed']}.")

    def _entry(self, check):
        try:
            return self.data["checks"][check.id]
        except KeyError:
            raise ExpectationsMissing(f"no expected values for {check.id}") from None

    def probes(self, check):
        """The probes `check` was recorded with, as `Probe`s."""
        return {name: Probe(probe["function"], probe["kwargs"], probe["time_limit"],
                            tuple(probe["stand_ins"]))
                for name, probe in self._entry(check)["probes"].items()}

    def expected(self, check):
        """What `check.expect` returned for those probes."""
        return self._entry(check)["expected"]


def available():
    """Whether this installation ships recorded expectations."""
    return STEM.with_suffix(".json").is_file()
