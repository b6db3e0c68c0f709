"""Signature drift: when a student changed a signature the grader calls, say which.

`stencil_api.json` beside this module holds the stencil's signatures
(`python -m autograder build-stencil` writes it from the solution, whose
signatures the stencil keeps). A student who changed one, e.g.
`encode(self, x, y)` for the stencil's `encode(self, x)` or `Sampling.__init__`
without its `seed`, gets a `TypeError` from the grader's call. The worker
reports the differences (`drift`) when it has loaded the student's modules;
the grading process adds to a failed check's feedback a sentence that names
the signature it calls (`hint`).
"""

import ast
import inspect
import json
from pathlib import Path

STENCIL_API = Path(__file__).with_name("stencil_api.json")


def _parameters(text):
    """`[(name, required)]` of a parameter list as written, e.g. `"self, seed=None, **kw"`."""
    arguments = ast.parse(f"def f({text}): pass").body[0].args
    positional = arguments.posonlyargs + arguments.args
    required = len(positional) - len(arguments.defaults)
    names = [(argument.arg, index < required) for index, argument in enumerate(positional)]
    if arguments.vararg:
        names.append((arguments.vararg.arg, False))
    names += [(argument.arg, default is None)
              for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults)]
    if arguments.kwarg:
        names.append((arguments.kwarg.arg, False))
    return names


def _of(signature):
    """`[(name, required)]` of an `inspect.Signature`."""
    return [(parameter.name, parameter.default is inspect.Parameter.empty
             and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD))
            for parameter in signature.parameters.values()]


def drift(impl, expected=None):
    """The functions and methods of `impl` whose parameters differ from the stencil's.

    Args:
        impl: the student's implementation (a namespace of modules).
        expected: qualified name -> parameter list (default: `STENCIL_API`'s).

    Returns:
        A dict qualified name (e.g. `"VAE.encode"`) -> `(stencil's, student's)`
        parameter lists, for the names the student's modules define.
    """
    if expected is None:
        expected = json.loads(STENCIL_API.read_text()) if STENCIL_API.is_file() else {}
    drifted = {}
    for qualified, text in expected.items():
        module, *path = qualified.split(".")
        target = getattr(impl, module, None)
        for name in path:
            target = vars(target).get(name) if isinstance(target, type) else getattr(
                target, name, None)
        if not callable(target):
            continue
        try:
            theirs = inspect.signature(target)
        except (TypeError, ValueError):
            continue
        if _of(theirs) != _parameters(text):
            drifted[".".join(path)] = (text, str(theirs)[1:-1])
    return drifted


def hint(text, drifted):
    """A sentence naming the stencil's signature behind an error in `text`, or "" when none fits.

    Python names the function in the message of a bad call ("VAE.encode()
    missing 1 required positional argument: 'y'"), and Keras the layer whose
    constructor got an argument it does not take ("Unrecognized keyword
    arguments passed to Sampling: {'seed': 7}"); that message ends up in the
    check's feedback.

    Args:
        text: what a check reported (feedback, values got).
        drifted: what `drift` found: name -> (stencil's, student's) parameters.
    """
    for name, (stencil, theirs) in drifted.items():
        if any(mention in text for mention in _mentions(name)):
            return (f"The grader calls {name}({stencil}) as the stencil defines it; yours is "
                    f"{name}({theirs}): keep the stencil's signature.")
    return ""


def _mentions(name):
    """How an error message names a call of `name` ("VAE.encode" or "Sampling.__init__")."""
    mentions = [f"{name}()"]
    if name.endswith(".__init__"):
        owner = name.removesuffix(".__init__")
        mentions += [f"{owner}()", f"passed to {owner}:"]
    return mentions
