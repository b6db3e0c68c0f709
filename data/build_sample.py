"""Builds `data/fashion_mnist_sample.npz`, the embedded stratified sample.

The sample holds 600 training and 200 test images of each of the 10
Fashion-MNIST classes (6000 + 2000 images), drawn without replacement with
a fixed seed from the full data set and kept in the data set's order. It is
stored as `uint8` under the keys `x_train`, `y_train`, `x_test`, `y_test`,
the layout of Keras's `mnist.npz`. The file is byte-for-byte reproducible.

Usage (from the repository root, with the full data set installed):

    python -m data.build_sample [--path DIR] [--out FILE]
"""

import argparse
import io
import pathlib
import zipfile

import numpy as np

from assignment import datasets

NAME = "fashion_mnist"
SEED = 0
PER_CLASS = {"train": 600, "test": 200}
NUM_CLASSES = 10


def stratified_indices(labels, per_class, rng):
    """Picks `per_class` indices of each class, returned in increasing order.

    Args:
        labels: integer labels, shape `(N,)`.
        per_class: how many examples of each class to keep.
        rng: a `numpy.random.Generator`.

    Returns:
        A sorted `int64` array of `NUM_CLASSES * per_class` indices.
    """
    picks = [
        rng.choice(np.flatnonzero(labels == label), per_class, replace=False)
        for label in range(NUM_CLASSES)
    ]
    return np.sort(np.concatenate(picks))


def build_sample(path=None):
    """Draws the sample from the full data set.

    Args:
        path: a folder holding the full IDX files; by default the loader's
            search path (no download).

    Returns:
        A dict of `uint8` arrays: `x_train`, `y_train`, `x_test`, `y_test`.
    """
    rng = np.random.default_rng(SEED)
    arrays = {}
    for split, per_class in PER_CLASS.items():
        images, labels = datasets.load_dataset(NAME, split, path=path, download=False)
        keep = stratified_indices(labels, per_class, rng)
        arrays[f"x_{split}"] = np.rint(images[keep, ..., 0] * 255).astype(np.uint8)
        arrays[f"y_{split}"] = labels[keep].astype(np.uint8)
    return arrays


def save_npz(file, arrays):
    """Writes a compressed `.npz` whose bytes depend only on `arrays`.

    `numpy.savez_compressed` stamps the current time into the archive; this
    writes a fixed timestamp so that rebuilding gives an identical file.
    """
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array))
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", help="folder holding the full IDX files")
    parser.add_argument(
        "--out", default=str(datasets.sample_file(NAME)), help="output .npz file"
    )
    args = parser.parse_args(argv)
    print(f"source: {datasets.describe_source(NAME, path=args.path)}")
    save_npz(args.out, build_sample(args.path))
    out = pathlib.Path(args.out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
