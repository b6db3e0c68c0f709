"""Plain data between the grading process and its workers: JSON plus a `.npz`.

Probe arguments and probe results cross the process boundary as plain data
only: `None`, booleans, numbers, strings, lists, dicts with string keys and
NumPy arrays. A value is saved as two files: `<stem>.json` holds the structure,
with every array replaced by a reference `{"__array__": "a0"}`, and
`<stem>.npz` holds the arrays. The `.npz` is read with `allow_pickle=False`, so
reading what an untrusted worker wrote never runs its code.

NumPy is imported only when a value holds arrays, which keeps workers that need
no NumPy light.
"""

import json
import os
import stat
import sys
import zipfile

ARRAY_KEY = "__array__"
MAX_DEPTH = 64


class PlainDataError(ValueError):
    """Raised for a value that is not plain data, or for unreadable files."""


def _numpy():
    import numpy

    return numpy


def encode(value):
    """Splits `value` into a JSON-able structure and its arrays.

    Tuples become lists; NumPy scalars and 0-d results stay numbers; tensors
    and anything else with `__array__` become NumPy arrays.

    Args:
        value: plain data (see the module docstring).

    Returns:
        `(structure, arrays)`: the structure with array references, and a dict
        name -> NumPy array.

    Raises:
        PlainDataError: if `value` holds something else (e.g. a Keras model).
    """
    arrays = {}

    def walk(item, depth):
        if depth > MAX_DEPTH:
            raise PlainDataError(f"data nested deeper than {MAX_DEPTH} levels")
        if item is None or isinstance(item, (bool, int, float, str)):
            return item
        if isinstance(item, (list, tuple)):
            return [walk(element, depth + 1) for element in item]
        if isinstance(item, dict):
            if any(not isinstance(key, str) for key in item):
                raise PlainDataError("a dict with keys that are not strings")
            if ARRAY_KEY in item:
                raise PlainDataError(f"a dict with the reserved key {ARRAY_KEY!r}")
            return {key: walk(element, depth + 1) for key, element in item.items()}
        if "numpy" in sys.modules:
            numpy = sys.modules["numpy"]
            if isinstance(item, numpy.generic):
                return walk(item.item(), depth)
        if hasattr(item, "__array__"):
            array = _numpy().asarray(item)
            if array.dtype.kind in "OV":
                raise PlainDataError(f"an array of dtype {array.dtype} (objects)")
            name = f"a{len(arrays)}"
            arrays[name] = array
            return {ARRAY_KEY: name}
        raise PlainDataError(f"a value of type {type(item).__name__}")

    return walk(value, 0), arrays


def decode(structure, arrays):
    """Inverse of `encode`: puts the arrays back in place of their references."""

    def walk(item):
        if isinstance(item, list):
            return [walk(element) for element in item]
        if isinstance(item, dict):
            if set(item) == {ARRAY_KEY}:
                try:
                    return arrays[item[ARRAY_KEY]]
                except (KeyError, TypeError):
                    raise PlainDataError(f"a reference to a missing array {item[ARRAY_KEY]!r}")
            return {key: walk(element) for key, element in item.items()}
        return item

    return walk(structure)


def _write_atomically(path, write):
    """Calls `write(file)` on a temporary file, then renames it to `path`."""
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as file:
        write(file)
    os.replace(temporary, path)


def save(stem, value):
    """Writes `value` to `<stem>.npz` (when it holds arrays) and then `<stem>.json`.

    Each file appears atomically (written under a temporary name, then
    renamed) and the `.json` comes last, so a reader that finds the `.json`
    finds the complete value.
    """
    structure, arrays = encode(value)
    if arrays:
        _write_atomically(f"{stem}.npz", lambda file: _numpy().savez(file, **arrays))
    text = json.dumps(structure).encode()
    _write_atomically(f"{stem}.json", lambda file: file.write(text))


def _open_regular(path, dir_fd, max_bytes):
    """Opens `path` for reading without following a symbolic link; checks its size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as error:
        raise PlainDataError(f"cannot open {path}: {error.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        raise PlainDataError(f"{path} is not a regular file of at most {max_bytes} bytes")
    return os.fdopen(fd, "rb")


def load(stem, dir_fd=None, max_bytes=1 << 30, max_json_bytes=16 << 20):
    """Reads what `save(stem, value)` wrote and returns `value`.

    The files may come from untrusted code, so every way they can be wrong
    raises `PlainDataError`: links, oversized files (arrays may not expand to
    more than `max_bytes`), malformed or deeply nested JSON, pickled objects.

    Args:
        stem: path of the files without their suffix.
        dir_fd: when given, `stem` is relative to this open directory, so that
            a renamed or replaced directory cannot redirect the read.
        max_bytes: the largest size of the arrays, stored and unpacked.
        max_json_bytes: the largest size of the `.json` file.
    """
    try:
        with _open_regular(f"{stem}.json", dir_fd, max_json_bytes) as file:
            structure = json.load(file)
        arrays = _load_arrays(stem, dir_fd, max_bytes) if _references(structure) else {}
        return decode(structure, arrays)
    except (ValueError, RecursionError, MemoryError, OSError, EOFError,
            zipfile.BadZipFile) as error:
        if isinstance(error, PlainDataError):
            raise
        raise PlainDataError(f"malformed {os.path.basename(stem)}: {error}") from None


def _load_arrays(stem, dir_fd, max_bytes):
    """The arrays of `<stem>.npz`, refusing archives that unpack to more than `max_bytes`."""
    with _open_regular(f"{stem}.npz", dir_fd, max_bytes) as file:
        with zipfile.ZipFile(file) as archive:
            if sum(member.file_size for member in archive.infolist()) > max_bytes:
                raise PlainDataError(f"{stem}.npz unpacks to more than {max_bytes} bytes")
        file.seek(0)
        with _numpy().load(file, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}


def _references(structure):
    """Whether `structure` holds an array reference."""
    if isinstance(structure, list):
        return any(_references(item) for item in structure)
    if isinstance(structure, dict):
        return ARRAY_KEY in structure or any(_references(item) for item in structure.values())
    return False
