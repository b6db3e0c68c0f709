"""The protocol between the grading process and its sandboxed workers.

A check asks for probes; the sandbox sends each to a worker; the worker runs it
against the student's code and sends back a result. This module is everything
the two sides agree on, used by the worker (`autograder.worker.runtime`), the
sandbox (`autograder.sandbox`) and the tests' in-process double alike:

    grader                                   worker
    ------                                   ------
    writes  requests/worker.json   ------>   reads its configuration, loads the
                                             probe module and the student's modules
            status pipe            <------   {"event": "ready", "drift": {...}}, or
                                             {"event": "load_failed", <a result>}
    writes  requests/request-I.*   ------>
            command pipe {"run": I} ----->   runs probe I
            reads   work/result-I.* <------  writes its result (atomically), then
            status pipe            <------   {"event": "done", "index": I}

Requests and results are plain data (`autograder.plain`: JSON plus a `.npz`
of arrays, never pickles), so reading what an untrusted worker wrote never runs
its code. Importing this module loads no NumPy: a worker that grades a
NumPy-free part stays light.
"""

import dataclasses
import json

from autograder import plain

# Status events, worker -> grader: one JSON object per line.
READY = "ready"
LOAD_FAILED = "load_failed"
DONE = "done"
# The command, grader -> worker: `{"run": index}`, one per line.
RUN = "run"


class ProtocolError(ValueError):
    """A message or a result file does not follow the protocol."""


def request_stem(index):
    """The stem of probe request `index`'s files, in the requests directory."""
    return f"request-{index}"


def result_stem(index):
    """The stem of probe `index`'s result files, in the worker's directory."""
    return f"result-{index}"


@dataclasses.dataclass(frozen=True)
class Probe:
    """A call of worker probe function `function` with keyword arguments `kwargs`.

    Attributes:
        function: name of a function registered with
            `autograder.worker.probes.probe`.
        kwargs: plain arguments: numbers, strings, booleans, lists, dicts of
            those, and NumPy arrays.
        time_limit: seconds this probe may take in the worker.
        stand_ins: ids of the upstream TODOs whose pieces the worker may
            replace by their public formulas when they raise (see
            `autograder.worker.stand_ins`); never the TODOs the check grades.
    """

    function: str
    kwargs: dict = dataclasses.field(default_factory=dict)
    time_limit: float = 30.0
    stand_ins: tuple = ()

    def request(self, seed):
        """The plain data the worker reads: function, arguments, stand-ins, the seed to set first."""
        return {"function": self.function, "kwargs": self.kwargs, "seed": seed,
                "stand_ins": list(self.stand_ins)}


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """What came back from one probe: `value` (a dict of plain data) or `error`.

    Attributes:
        value: what the probe measured, or None when it failed.
        error: a one-line description of what went wrong (an exception of
            student code with its file and line, a time-out, a crash, a memory
            kill), or None.
        todo: the TODO id when the student code raised
            `NotImplementedError("TODO x.y ...")`.
        internal: whether the failure is the autograder's own fault (an
            unknown probe, a probe that did not return a dict), not the
            student's.
        stand_ins: TODO id -> why its piece was replaced by a stand-in for
            this probe (the student's error, in one line).
        probe: the `Probe` this is the result of, attached by the grading
            process (never sent by the worker), so that a check scores the
            inputs its probes were really run with.
    """

    value: dict | None = None
    error: str | None = None
    todo: str | None = None
    internal: bool = False
    stand_ins: dict = dataclasses.field(default_factory=dict)
    probe: Probe | None = dataclasses.field(default=None, compare=False)

    @property
    def ok(self):
        return self.error is None

    @property
    def inputs(self):
        """The keyword arguments the probe was run with."""
        return self.probe.kwargs

    def to_plain(self):
        """The result as the worker sends it: `{value, error, todo, internal, stand_ins}`."""
        return {"value": self.value, "error": self.error, "todo": self.todo,
                "internal": self.internal, "stand_ins": self.stand_ins}

    @classmethod
    def from_plain(cls, data, max_error_length=1000):
        """Reads a result sent by a worker (untrusted): checks every field's type.

        Args:
            data: the decoded plain data.
            max_error_length: longer error messages are cut to this length.

        Raises:
            ProtocolError: for anything but a dict value without error, or an
                error string without value.
        """
        if not isinstance(data, dict):
            raise ProtocolError(f"a result must be a dict, not a {type(data).__name__}")
        value, error, todo = data.get("value"), data.get("error"), data.get("todo")
        stand_ins = data.get("stand_ins") or {}
        if not (isinstance(value, dict) and error is None and todo is None
                or value is None and isinstance(error, str)
                and (todo is None or isinstance(todo, str))):
            raise ProtocolError("unexpected fields")
        if not (isinstance(stand_ins, dict)
                and all(isinstance(item, str) for pair in stand_ins.items() for item in pair)):
            raise ProtocolError("unexpected stand-ins")
        return cls(value=value, error=None if error is None else clip(error, max_error_length),
                   todo=todo, internal=data.get("internal") is True,
                   stand_ins={todo_id: clip(reason, max_error_length)
                              for todo_id, reason in stand_ins.items()})


def clip(text, length):
    """`text` (from a worker, so untrusted) as a string of at most `length` characters."""
    text = str(text)
    return text if len(text) <= length else text[:length - 3] + "..."


def event_line(name, **fields):
    """One status event as the line the worker writes."""
    return json.dumps({"event": name, **fields}) + "\n"


def parse_event(line):
    """The event of one status line, or None for a line that is not a JSON object."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def drift_of(event):
    """The signature drift of a `READY` event: name -> `(stencil's, student's)` parameters.

    Raises:
        ProtocolError: for fields of the wrong type.
    """
    drift = event.get("drift") or {}
    if not (isinstance(drift, dict) and all(
            isinstance(name, str) and isinstance(pair, list) and len(pair) == 2
            and all(isinstance(text, str) for text in pair) for name, pair in drift.items())):
        raise ProtocolError("malformed signature drift")
    return {name: tuple(clip(text, 300) for text in pair) for name, pair in drift.items()}


def command_line(index):
    """The command line that makes the worker run probe `index`."""
    return json.dumps({RUN: index}).encode() + b"\n"


def parse_command(line):
    """The probe index of a command line.

    Raises:
        ProtocolError: for a line that is not a run command.
    """
    try:
        return int(json.loads(line)[RUN])
    except (ValueError, KeyError, TypeError):
        raise ProtocolError(f"not a run command: {line!r}") from None


def save_request(directory, index, probe, seed):
    """Writes the request files of probe `index` in `directory`; returns their paths."""
    stem = directory / request_stem(index)
    plain.save(stem, probe.request(seed))
    return [path for path in (stem.with_suffix(".json"), stem.with_suffix(".npz"))
            if path.exists()]


def load_request(directory, index):
    """The request `{function, kwargs, seed}` of probe `index`."""
    return plain.load(directory / request_stem(index))


def save_result(directory, index, result):
    """Writes the `ProbeResult` of probe `index` in `directory`, atomically.

    A value that is not plain data (e.g. a Keras model a probe passed on from
    student code) is replaced by an error that says so.
    """
    stem = directory / result_stem(index)
    try:
        plain.save(stem, result.to_plain())
    except plain.PlainDataError as error:
        plain.save(stem, ProbeResult(
            error=f"your code returned what the grader cannot read: {error}").to_plain())


def load_result(index, dir_fd, max_bytes, max_error_length):
    """Reads the `ProbeResult` of probe `index` that a worker wrote (untrusted).

    Args:
        index: the probe's index.
        dir_fd: the worker's directory, opened; links are not followed.
        max_bytes: the largest size of its arrays.
        max_error_length: longer error messages are cut.

    Raises:
        ProtocolError: for malformed, oversized or linked files, or fields of
            the wrong type.
    """
    try:
        data = plain.load(result_stem(index), dir_fd=dir_fd, max_bytes=max_bytes)
    except plain.PlainDataError as error:
        raise ProtocolError(str(error)) from None
    return ProbeResult.from_plain(data, max_error_length)
