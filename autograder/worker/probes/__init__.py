"""Probe functions: what the sandboxed worker runs against student code.

A probe is a function `probe_fn(impl, **kwargs) -> dict` registered with
`@probe("name")`. `impl` is the student's implementation (a namespace of
modules, see `assignment.implementation.load_implementation`); kwargs and the
returned dict hold plain data only: numbers, strings, booleans, lists, dicts
and NumPy arrays (tensors must be converted with `np.asarray`). Probes measure;
they never decide whether a value is right (the trusted parent does).
"""

PROBES = {}


def probe(name):
    """Function decorator: registers a probe function under `name`."""

    def decorator(function):
        if name in PROBES:
            raise ValueError(f"Probe {name!r} is registered twice.")
        PROBES[name] = function
        return function

    return decorator
