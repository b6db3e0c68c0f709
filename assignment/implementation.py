"""Loads an implementation: a directory of the flat student modules.

The solution, the stencil and every student submission are directories holding
the same flat files (`autoencoder.py`, `vae.py`, ...) that import each other by
plain module name (`from autoencoder import Decoder`). `load_implementation`
imports such a directory so that those imports resolve inside it.
"""

import importlib
import sys
import types
from pathlib import Path

MODULE_NAMES = ("transposed_conv", "autoencoder", "vae", "cvae", "vqvae")
# The modules of the parts a course may assign besides the default ones
# (`autograder.rubric.EXTRA_PARTS`); a directory may lack them.
EXTRA_MODULE_NAMES = ("sparse_autoencoder", "masked_autoencoder", "gaussian_decoder")
ALL_MODULE_NAMES = MODULE_NAMES + EXTRA_MODULE_NAMES

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = REPO_ROOT / "assignment" / "solution"
STENCIL_DIR = REPO_ROOT / "stencil"


def load_implementation(directory=SOLUTION_DIR, modules=None):
    """Imports the student modules of `directory`.

    Modules of a previously loaded implementation are forgotten first, so that
    several implementations can be loaded one after another in one process
    (the last one loaded owns the Keras registration names).

    Args:
        directory: path of a folder holding the flat student modules.
        modules: names of the modules to import, in dependency order
            (default: `MODULE_NAMES`, then those of `EXTRA_MODULE_NAMES` that
            `directory` holds).

    Returns:
        A namespace with one attribute per module, e.g. `impl.vae.VAE`, and
        `impl.directory`.

    Raises:
        FileNotFoundError: if `directory` or one of the module files is missing.
        Exception: whatever importing a module raises (e.g. a SyntaxError).
    """
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(f"No implementation directory {directory}.")
    if modules is None:
        modules = MODULE_NAMES + tuple(name for name in EXTRA_MODULE_NAMES
                                       if (directory / f"{name}.py").is_file())
    missing = [name for name in modules if not (directory / f"{name}.py").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{directory} lacks {', '.join(f'{name}.py' for name in missing)}."
        )
    for name in ALL_MODULE_NAMES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(directory))
    try:
        loaded = {name: importlib.import_module(name) for name in modules}
    finally:
        sys.path.remove(str(directory))
    return types.SimpleNamespace(directory=directory, **loaded)
