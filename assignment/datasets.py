"""Fashion-MNIST and MNIST as float images in [0, 1], shape `(N, 28, 28, 1)`.

Every command and test loads its data through `load_dataset`. It reads
the standard IDX `.gz` files and looks for them, in order, in:

1. the `path` argument, or else the folder named by `$ASSIGNMENT_DATA_DIR`
   (the folder itself or its `<name>/` subfolder);
2. `data/<name>/` in this repository;
3. Keras's cache, `$KERAS_HOME/datasets/` (default `~/.keras/datasets/`):
   the `fashion-mnist/` subfolder, or `mnist.npz` for MNIST;
4. `/usr/share/datasets/fashion-mnist`, installed by Debian's
   `dataset-fashion-mnist` package (Fashion-MNIST only);
5. last, a download through `keras.datasets.<name>.load_data()`, unless
   `download=False` or `$ASSIGNMENT_NO_DOWNLOAD` is set.

`load_dataset(..., sample=True)` reads instead the small stratified sample
committed as `data/<name>_sample.npz` (built by `python -m data.build_sample`),
so that everything runs offline on a fresh checkout.

The command-line tools choose between the two with `choose_data`: `--full`
asks for the full set (a download is its last resort), `--sample` for the
embedded sample, and with neither they read the full set when a local copy
exists, else the embedded sample, saying so in one line. That default never
downloads: on a machine without network a download attempt would only add
its error messages to every run.

TensorFlow is imported only for the download step: reading local files
needs NumPy alone.
"""

import gzip
import math
import os
import pathlib
import socket
import zipfile
import zlib

import numpy as np

DATASETS = ("fashion_mnist", "mnist")
SPLITS = ("train", "test")
DISPLAY_NAMES = {"fashion_mnist": "Fashion-MNIST", "mnist": "MNIST"}
CLASS_NAMES = {
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(digit) for digit in range(10)),
}
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
KERAS_MNIST_NPZ = "mnist.npz"

# Module-level so that tests can point them elsewhere.
DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"
SYSTEM_DIRS = {"fashion_mnist": pathlib.Path("/usr/share/datasets/fashion-mnist")}
SYSTEM_PACKAGE = "dataset-fashion-mnist"  # Debian's package that installs SYSTEM_DIRS's copy.

# Seconds any one network operation of a download may take before it fails:
# without a limit, a network that drops packets leaves the download waiting.
DOWNLOAD_TIMEOUT = 60

_IDX_MAGIC = {0x0801: 1, 0x0803: 3}  # unsigned bytes: labels (1-D), images (3-D)
_NO_DOWNLOAD_ENV = "ASSIGNMENT_NO_DOWNLOAD"
_NPZ_ERRORS = (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, zlib.error)


class DatasetNotFoundError(FileNotFoundError):
    """No copy of the data set was found (and the download failed or was off)."""


class CorruptDatasetError(ValueError):
    """A data file exists but is damaged: bad gzip, truncated, wrong format."""


def read_idx(path):
    """Reads an IDX file of unsigned bytes, gzip-compressed or raw.

    Args:
        path: the file, e.g. `train-images-idx3-ubyte.gz`.

    Returns:
        A `uint8` NumPy array with the shape given in the file's header:
        `(N,)` for labels (magic number 0x0801), `(N, rows, cols)` for
        images (0x0803).

    Raises:
        CorruptDatasetError: the gzip stream is damaged, the magic number is
            wrong, or the payload does not match the declared shape. The
            message names the file and what is wrong.
    """
    path = pathlib.Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise CorruptDatasetError(
                f"{path}: damaged gzip file ({error})"
            ) from error
    elif path.suffix == ".gz":
        raise CorruptDatasetError(
            f"{path}: not a gzip file, although its name ends in .gz"
        )
    if len(data) < 8:
        raise CorruptDatasetError(
            f"{path}: truncated: {len(data)} bytes, shorter than an IDX header"
        )
    magic = int.from_bytes(data[:4], "big")
    if magic not in _IDX_MAGIC:
        raise CorruptDatasetError(
            f"{path}: wrong magic number 0x{magic:08x}, expected 0x00000801 "
            "(labels) or 0x00000803 (images); not an IDX file of unsigned bytes"
        )
    header = 4 + 4 * _IDX_MAGIC[magic]
    if len(data) < header:
        raise CorruptDatasetError(f"{path}: truncated inside its header")
    shape = tuple(
        int.from_bytes(data[start : start + 4], "big")
        for start in range(4, header, 4)
    )
    expected, found = math.prod(shape), len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise CorruptDatasetError(
            f"{path}: {problem}: the header declares shape {shape} "
            f"({expected} bytes of data) but the file holds {found}"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape).copy()


def search_path(name, path=None):
    """Lists the folders `load_dataset` searches for the full data set.

    Args:
        name: one of `DATASETS`.
        path: an explicit folder; it replaces `$ASSIGNMENT_DATA_DIR`.

    Returns:
        A list of `(folder, what_it_is)` pairs, in search order. The
        download step, which comes last, is not listed.
    """
    _check_name(name)
    places = []
    custom = path if path is not None else os.environ.get("ASSIGNMENT_DATA_DIR")
    if custom:
        label = "path argument" if path is not None else "$ASSIGNMENT_DATA_DIR"
        custom = pathlib.Path(custom).expanduser()
        places += [(custom / name, label), (custom, label)]
    places.append((DATA_DIR / name, "repository data folder"))
    keras_home = os.environ.get("KERAS_HOME") or pathlib.Path.home() / ".keras"
    cache = pathlib.Path(keras_home) / "datasets"
    if name == "fashion_mnist":
        cache = cache / "fashion-mnist"
    places.append((cache, "Keras cache"))
    if name in SYSTEM_DIRS:
        places.append((SYSTEM_DIRS[name], "Debian package dataset-fashion-mnist"))
    return places


def find_dataset_dir(name, path=None):
    """Finds the first folder of the search path that holds the data set.

    A folder holds it when it has the four IDX `.gz` files or, for MNIST,
    Keras's `mnist.npz`. The download step is not tried.

    Args:
        name: one of `DATASETS`.
        path: an explicit folder; it replaces `$ASSIGNMENT_DATA_DIR`.

    Returns:
        The folder, as a `pathlib.Path`.

    Raises:
        DatasetNotFoundError: no folder holds it; the message lists every
            place searched and how to get the data.
    """
    folder = _first_complete(name, path)
    if folder is None:
        raise DatasetNotFoundError(
            _not_found_message(name, path, "not tried by find_dataset_dir")
        )
    return folder


def sample_file(name):
    """Returns the path of the embedded sample of `name` (it may not exist)."""
    _check_name(name)
    return DATA_DIR / f"{name}_sample.npz"


def load_dataset(
    name="fashion_mnist", split="train", path=None, sample=False, download=True
):
    """Loads one split of a data set as float images and integer labels.

    Args:
        name: `"fashion_mnist"` (default) or `"mnist"`.
        split: `"train"` or `"test"`.
        path: an explicit folder holding the IDX files (directly or in a
            `<name>/` subfolder); searched first, instead of
            `$ASSIGNMENT_DATA_DIR`. The rest of the search path follows.
        sample: if True, read the embedded sample `data/<name>_sample.npz`
            instead of the full data set.
        download: if False, never download. Setting the environment variable
            `ASSIGNMENT_NO_DOWNLOAD=1` does the same.

    Returns:
        `(images, labels)`: images `float32` in [0, 1] of shape
        `(N, 28, 28, 1)`, labels `int64` of shape `(N,)` with values 0-9.

    Raises:
        ValueError: `name` or `split` is not one of the allowed values.
        DatasetNotFoundError: the data is nowhere to be found.
        CorruptDatasetError: a data file is damaged.
    """
    _check_name(name)
    _check_split(split)
    try:
        if sample:
            images, labels, source = _read(_existing_sample(name), split)
        else:
            folder = _first_complete(name, path)
            if folder is not None:
                images, labels, source = _read(folder, split)
            else:
                images, labels = _download(name, path, download)[split]
                source = f"keras.datasets.{name}"
        return _as_float(images, labels, source)
    except CorruptDatasetError as error:
        raise CorruptDatasetError(f"{error}\n{_how_to_get(name)}") from None


def choose_data(name="fashion_mnist", *, full=False, sample=False):
    """Decides whether a command reads the full data set or the embedded sample.

    Args:
        name: one of `DATASETS`.
        full: `--full` was given: the full set, wherever `load_dataset` finds
            it, downloaded as a last resort.
        sample: `--sample` was given: the embedded sample. With neither,
            the full set when a local copy exists (no download is tried),
            else the embedded sample.

    Returns:
        `(sample, note)`: `sample` is what to pass as `load_dataset(...,
        sample=sample)`; `note` is None, or, when neither option was given and
        the full set is missing, one line saying that the embedded sample is
        used and how to get the full set.

    Raises:
        ValueError: `name` is not one of `DATASETS`, or both options are given.
        DatasetNotFoundError: neither option is given and there is neither a
            local copy of the full set nor an embedded sample.
    """
    _check_name(name)
    if full and sample:
        raise ValueError("Ask for the full data set or for the embedded sample, not both.")
    if full or sample:
        return sample, None
    if _first_complete(name, None) is not None:
        return False, None
    if not sample_file(name).is_file():
        raise DatasetNotFoundError(_not_found_message(
            name, None, "not tried (--full on the command line tries it)"))
    sizes = split_sizes(name, sample=True)
    ways = "copy its four .gz files" + (" (or Keras's mnist.npz)" if name == "mnist" else "")
    ways += f" into {_shown(DATA_DIR / name)}{os.sep}"
    if name in SYSTEM_DIRS:
        ways = f"apt-get install {SYSTEM_PACKAGE}, {ways}"
    return True, (f"the full {DISPLAY_NAMES[name]} was not found on this machine, so this run "
                  f"uses the embedded sample ({sizes['train']} train / {sizes['test']} test "
                  f"images); to use the full set: {ways}, or add --full to download it")


def describe_source(name="fashion_mnist", sample=False, path=None):
    """Says in one line which data `load_dataset` reads, for logs.

    Args:
        name: one of `DATASETS`.
        sample: describe the embedded sample instead of the full set.
        path: as for `load_dataset`.

    Returns:
        A string such as `"Fashion-MNIST, full (60000 train / 10000 test)
        from /usr/share/datasets/fashion-mnist"`; a folder inside the working
        directory is shown relative to it.

    Raises:
        DatasetNotFoundError: the data is not present locally.
    """
    where = _existing_sample(name) if sample else find_dataset_dir(name, path)
    sizes = _split_sizes(where)
    kind = "embedded sample" if sample else "full"
    return (f"{DISPLAY_NAMES[name]}, {kind} ({sizes['train']} train / {sizes['test']} test) "
            f"from {_shown(where)}")


def split_sizes(name="fashion_mnist", sample=False, path=None):
    """The number of images of each split that `load_dataset` reads (labels only are read).

    Args:
        name: one of `DATASETS`.
        sample: count the embedded sample instead of the full set.
        path: as for `load_dataset`.

    Returns:
        `{"train": n_train, "test": n_test}`.

    Raises:
        DatasetNotFoundError: the data is not present locally.
        CorruptDatasetError: a labels file is damaged.
    """
    return _split_sizes(_existing_sample(name) if sample else find_dataset_dir(name, path))


def _split_sizes(where):
    return {split: len(_read(where, split, labels_only=True)[1]) for split in SPLITS}


def _check_name(name):
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; expected one of {DATASETS}.")


def _check_split(split):
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; expected one of {SPLITS}.")


def _missing_idx(folder):
    return [
        file for pair in IDX_FILES.values() for file in pair
        if not (folder / file).is_file()
    ]


def _status(folder, name):
    """Returns "" when `folder` holds the data set, else why it does not."""
    if not folder.is_dir():
        return "no such folder"
    missing = _missing_idx(folder)
    if not missing or (name == "mnist" and (folder / KERAS_MNIST_NPZ).is_file()):
        return ""
    if len(missing) == 4:
        return "no data files"
    return "incomplete, missing " + ", ".join(missing)


def _first_complete(name, path):
    for folder, _ in search_path(name, path):
        if not _status(folder, name):
            return folder
    return None


def _existing_sample(name):
    file = sample_file(name)
    if not file.is_file():
        have = [other for other in DATASETS if sample_file(other).is_file()]
        raise DatasetNotFoundError(
            f"No embedded sample of {DISPLAY_NAMES[name]}: {file} does not exist. "
            f"Embedded samples exist for: {', '.join(have) or 'none'}; "
            "`python -m data.build_sample` builds the Fashion-MNIST one."
        )
    return file


def _read(where, split, labels_only=False):
    """Reads uint8 `(images, labels, source)` of one split.

    `where` is a folder of IDX files, a folder holding Keras's `mnist.npz`,
    or an `.npz` file. `images` is None when `labels_only`.
    """
    if where.is_dir() and not _missing_idx(where):
        images_file, labels_file = (where / file for file in IDX_FILES[split])
        labels = read_idx(labels_file)
        images = None if labels_only else read_idx(images_file)
        return images, labels, f"{images_file} and {labels_file}"
    file = where / KERAS_MNIST_NPZ if where.is_dir() else where
    keys = [f"y_{split}"] if labels_only else [f"x_{split}", f"y_{split}"]
    try:
        with np.load(file, allow_pickle=False) as arrays:
            values = [arrays[key] for key in keys]
    except _NPZ_ERRORS as error:
        raise CorruptDatasetError(
            f"{file}: cannot read {' and '.join(keys)} "
            f"({type(error).__name__}: {error})"
        ) from error
    return (None if labels_only else values[0]), values[-1], str(file)


def _as_float(images, labels, source):
    """Checks uint8 images and labels, returns float32 (N, 28, 28, 1) and int64."""
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
        raise CorruptDatasetError(
            f"{source}: images are {images.dtype} of shape {images.shape}, "
            "expected uint8 of shape (N, 28, 28)"
        )
    if labels.shape != (len(images),):
        raise CorruptDatasetError(
            f"{source}: {len(images)} images but labels of shape {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise CorruptDatasetError(f"{source}: labels outside 0-9")
    floats = images[..., np.newaxis].astype(np.float32)
    floats /= 255.0
    return floats, labels.astype(np.int64)


def _download(name, path, download):
    """Returns `{split: (uint8 images, labels)}` from `keras.datasets`."""
    if not download:
        raise DatasetNotFoundError(
            _not_found_message(name, path, "off (download=False)")
        )
    if os.environ.get(_NO_DOWNLOAD_ENV, "") not in ("", "0"):
        raise DatasetNotFoundError(
            _not_found_message(name, path, f"off (${_NO_DOWNLOAD_ENV} is set)")
        )
    timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        import keras  # Imported here: only the download needs it.

        train, test = getattr(keras.datasets, name).load_data()
    except Exception as error:  # No network, proxy, disk full, ...
        raise DatasetNotFoundError(
            _not_found_message(name, path, f"failed ({type(error).__name__}: {error})")
        ) from error
    finally:
        socket.setdefaulttimeout(timeout)
    return {"train": train, "test": test}


def _not_found_message(name, path, download_status):
    lines = [f"{DISPLAY_NAMES[name]} not found. Looked, in order, in:"]
    if path is None and not os.environ.get("ASSIGNMENT_DATA_DIR"):
        lines.append("  - $ASSIGNMENT_DATA_DIR: not set")
    for folder, label in search_path(name, path):
        lines.append(f"  - {folder} ({label}): {_status(folder, name)}")
    lines.append(f"  - download through keras.datasets.{name}: {download_status}")
    return "\n".join(lines) + "\n" + _how_to_get(name)


def _shown(path):
    """`path` relative to the working directory when it lies inside, else as it is."""
    try:
        return str(path.relative_to(pathlib.Path.cwd()))
    except ValueError:
        return str(path)


def _how_to_get(name):
    files = ", ".join(file for pair in IDX_FILES.values() for file in pair)
    if name == "mnist":
        files += " (or Keras's mnist.npz)"
    lines = ["To get the data, do one of:"]
    if name in SYSTEM_DIRS:
        lines.append(
            f"  - install Debian's package: apt-get install -y {SYSTEM_PACKAGE}"
            f" (it puts the files in {SYSTEM_DIRS[name]})"
        )
    lines += [
        f"  - copy the four files {files} into {DATA_DIR / name}, "
        "or into a folder named by $ASSIGNMENT_DATA_DIR",
        f"  - run once with network access: --full on the command line, or "
        f"keras.datasets.{name}.load_data() in Python, downloads them into Keras's cache",
    ]
    if sample_file(name).is_file():
        lines.append(
            "  - or use the small embedded sample: --sample on the command line, "
            "load_dataset(..., sample=True) in Python"
        )
    return "\n".join(lines)
