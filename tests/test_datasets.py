"""Tests of the data loader and of the embedded sample.

Every test builds tiny IDX files in a temporary folder; the search path is
pointed there, so neither the system copy nor Keras's cache is read and
nothing is downloaded.
"""

import gzip
import os
import socket
import sys
import types

import numpy as np
import pytest

from assignment import datasets
from data import build_sample

REAL_DATA_DIR = datasets.DATA_DIR


def idx_bytes(array):
    """The IDX encoding of a uint8 array of 1 or 3 dimensions."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_set(folder, n_train=6, n_test=4, label=0):
    """Writes the four IDX .gz files; every label is `label`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        images_file, labels_file = datasets.IDX_FILES[split]
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        (folder / images_file).write_bytes(gzip.compress(idx_bytes(images)))
        labels = np.full(n, label, np.uint8)
        (folder / labels_file).write_bytes(gzip.compress(idx_bytes(labels)))
    return folder


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Points every place of the search path into tmp_path (all empty)."""
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path / "repo_data")
    monkeypatch.setattr(
        datasets, "SYSTEM_DIRS", {"fashion_mnist": tmp_path / "system"}
    )
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ASSIGNMENT_DATA_DIR", raising=False)
    monkeypatch.delenv("ASSIGNMENT_NO_DOWNLOAD", raising=False)
    return types.SimpleNamespace(
        root=tmp_path,
        repo=tmp_path / "repo_data" / "fashion_mnist",
        keras=tmp_path / "keras_home" / "datasets" / "fashion-mnist",
        system=tmp_path / "system",
        custom=tmp_path / "custom",
    )


# read_idx


@pytest.mark.parametrize("compress", [gzip.compress, lambda data: data])
def test_read_idx_round_trip(tmp_path, compress):
    images = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28) % 256
    labels = np.array([3, 9, 0], np.uint8)
    suffix = ".gz" if compress is gzip.compress else ""
    for name, array in (("images", images), ("labels", labels)):
        file = tmp_path / (name + suffix)
        file.write_bytes(compress(idx_bytes(array)))
        read = datasets.read_idx(file)
        assert read.dtype == np.uint8
        np.testing.assert_array_equal(read, array)


def test_read_idx_truncated(tmp_path):
    file = tmp_path / "train-images-idx3-ubyte.gz"
    data = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    file.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(datasets.CorruptDatasetError, match="truncated") as info:
        datasets.read_idx(file)
    assert str(file) in str(info.value)


def test_read_idx_empty_file(tmp_path):
    file = tmp_path / "train-labels-idx1-ubyte"
    file.write_bytes(b"")
    with pytest.raises(datasets.CorruptDatasetError, match="truncated"):
        datasets.read_idx(file)


def test_read_idx_trailing_bytes(tmp_path):
    file = tmp_path / "t10k-labels-idx1-ubyte"
    file.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(datasets.CorruptDatasetError, match="trailing bytes"):
        datasets.read_idx(file)


def test_read_idx_wrong_magic(tmp_path):
    file = tmp_path / "labels.gz"
    file.write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + b"\x00" * 12))
    with pytest.raises(datasets.CorruptDatasetError, match="magic") as info:
        datasets.read_idx(file)
    assert str(file) in str(info.value)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"this is not gzip at all",
        lambda data: data[: len(data) // 2],  # cut-off download
        lambda data: data[:20] + bytes(b ^ 0xFF for b in data[20:40]) + data[40:],
    ],
    ids=["not-gzip", "cut-off", "bit-flips"],
)
def test_read_idx_bad_gzip(tmp_path, damage):
    file = tmp_path / "train-labels-idx1-ubyte.gz"
    rng = np.random.default_rng(1)
    data = gzip.compress(idx_bytes(rng.integers(0, 10, 5000, dtype=np.uint8)))
    file.write_bytes(damage(data))
    with pytest.raises(datasets.CorruptDatasetError, match="gzip") as info:
        datasets.read_idx(file)
    assert str(file) in str(info.value)


# load_dataset


def test_load_scales_and_shapes(places):
    write_idx_set(places.custom, n_train=6, n_test=4, label=7)
    for split, n in (("train", 6), ("test", 4)):
        images, labels = datasets.load_dataset(
            split=split, path=places.custom, download=False
        )
        assert images.shape == (n, 28, 28, 1) and images.dtype == np.float32
        assert images.min() == 0.0 and images.max() == 1.0
        assert labels.shape == (n,) and labels.dtype == np.int64
        assert set(labels) == {7}


def test_pixel_values_are_divided_by_255(places):
    write_idx_set(places.custom)
    images, _ = datasets.load_dataset(path=places.custom, download=False)
    raw = datasets.read_idx(places.custom / "train-images-idx3-ubyte.gz")
    np.testing.assert_allclose(images[..., 0], raw / 255.0, rtol=1e-6)


def test_explicit_path_may_hold_a_subfolder_per_data_set(places):
    write_idx_set(places.custom / "fashion_mnist", label=4)
    _, labels = datasets.load_dataset(path=places.custom, download=False)
    assert set(labels) == {4}


def test_env_var(places, monkeypatch):
    write_idx_set(places.custom, label=5)
    monkeypatch.setenv("ASSIGNMENT_DATA_DIR", str(places.custom))
    _, labels = datasets.load_dataset(download=False)
    assert set(labels) == {5}
    assert datasets.find_dataset_dir("fashion_mnist") == places.custom


def test_priority_order(places, monkeypatch):
    """path argument > $ASSIGNMENT_DATA_DIR > data/<name>/ > Keras cache > system."""
    order = [
        places.root / "argument",
        places.root / "env",
        places.repo,
        places.keras,
        places.system,
    ]
    for label, folder in enumerate(order):
        write_idx_set(folder, label=label)
    monkeypatch.setenv("ASSIGNMENT_DATA_DIR", str(order[1]))
    _, labels = datasets.load_dataset(path=order[0], download=False)
    assert set(labels) == {0}
    for label, folder in enumerate(order[1:], start=1):
        _, labels = datasets.load_dataset(download=False)
        assert set(labels) == {label}
        assert datasets.find_dataset_dir("fashion_mnist") == folder
        for file in folder.iterdir():
            file.unlink()
        if label == 1:
            monkeypatch.delenv("ASSIGNMENT_DATA_DIR")


def test_incomplete_folder_is_skipped(places):
    write_idx_set(places.repo, label=1)
    (places.repo / "t10k-labels-idx1-ubyte.gz").unlink()
    write_idx_set(places.system, label=2)
    _, labels = datasets.load_dataset(download=False)
    assert set(labels) == {2}


def test_not_found_lists_every_place(places, monkeypatch):
    monkeypatch.setenv("ASSIGNMENT_DATA_DIR", str(places.custom))
    places.repo.mkdir(parents=True)
    (places.repo / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.load_dataset(download=False)
    message = str(info.value)
    for folder, _ in datasets.search_path("fashion_mnist"):
        assert str(folder) in message
    for folder in (places.custom, places.repo, places.keras, places.system):
        assert str(folder) in message
    assert "missing train-labels-idx1-ubyte.gz" in message
    assert "download" in message and "download=False" in message
    assert "apt-get install -y dataset-fashion-mnist" in message
    assert "ASSIGNMENT_DATA_DIR" in message
    assert isinstance(info.value, FileNotFoundError)


def test_not_found_says_when_env_var_is_unset(places):
    message = r"ASSIGNMENT_DATA_DIR: not set"
    with pytest.raises(datasets.DatasetNotFoundError, match=message):
        datasets.find_dataset_dir("fashion_mnist")


def test_no_download_env_var(places, monkeypatch):
    monkeypatch.setenv("ASSIGNMENT_NO_DOWNLOAD", "1")
    monkeypatch.setitem(sys.modules, "keras", None)  # importing it would fail
    with pytest.raises(datasets.DatasetNotFoundError, match="ASSIGNMENT_NO_DOWNLOAD"):
        datasets.load_dataset()


def fake_keras(monkeypatch, load_data):
    dataset = types.SimpleNamespace(load_data=load_data)
    keras = types.SimpleNamespace(
        datasets=types.SimpleNamespace(fashion_mnist=dataset, mnist=dataset)
    )
    monkeypatch.setitem(sys.modules, "keras", keras)


def test_download_failure_is_one_clear_error(places, monkeypatch):
    def offline():
        raise OSError("Name or service not known")

    fake_keras(monkeypatch, offline)
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.load_dataset("mnist")
    message = str(info.value)
    assert "failed (OSError: Name or service not known)" in message
    assert str(places.root / "keras_home" / "datasets") in message


def test_download_is_the_last_resort(places, monkeypatch):
    x = np.full((3, 28, 28), 255, np.uint8)
    y = np.array([1, 2, 3], np.uint8)
    fake_keras(monkeypatch, lambda: ((x, y), (x[:1], y[:1])))
    images, labels = datasets.load_dataset("mnist", "test")
    assert images.shape == (1, 28, 28, 1) and images.max() == 1.0
    assert labels.tolist() == [1]


def test_keras_cache_mnist_npz(places):
    cache = places.root / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(
        cache / "mnist.npz",
        x_train=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        y_train=np.arange(5, dtype=np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.array([8, 9], np.uint8),
    )
    assert datasets.find_dataset_dir("mnist") == cache
    images, labels = datasets.load_dataset("mnist", "train", download=False)
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.float32
    assert labels.tolist() == [0, 1, 2, 3, 4] and labels.dtype == np.int64
    _, labels = datasets.load_dataset("mnist", "test", download=False)
    assert labels.tolist() == [8, 9]
    assert "MNIST, full (5 train / 2 test)" in datasets.describe_source("mnist")


def test_corrupt_npz(places):
    cache = places.root / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(datasets.CorruptDatasetError, match="mnist.npz"):
        datasets.load_dataset("mnist", download=False)


def test_corrupt_file_is_reported_not_skipped(places):
    write_idx_set(places.repo)
    write_idx_set(places.system)
    images_file = places.repo / "train-images-idx3-ubyte.gz"
    images_file.write_bytes(images_file.read_bytes()[:-30])
    with pytest.raises(datasets.CorruptDatasetError) as info:
        datasets.load_dataset(download=False)
    message = str(info.value)
    assert str(images_file) in message
    assert "apt-get install -y dataset-fashion-mnist" in message


def test_count_mismatch(places):
    write_idx_set(places.custom)
    labels_file = places.custom / "train-labels-idx1-ubyte.gz"
    labels_file.write_bytes(gzip.compress(idx_bytes(np.zeros(5, np.uint8))))
    with pytest.raises(datasets.CorruptDatasetError, match="6 images") as info:
        datasets.load_dataset(path=places.custom, download=False)
    assert str(labels_file) in str(info.value)


def test_labels_out_of_range(places):
    write_idx_set(places.custom, label=10)
    with pytest.raises(datasets.CorruptDatasetError, match="labels outside 0-9"):
        datasets.load_dataset(path=places.custom, download=False)


def test_bad_name_and_split():
    with pytest.raises(ValueError, match="fashion_mnist.*mnist"):
        datasets.load_dataset("cifar10")
    with pytest.raises(ValueError, match="train.*test"):
        datasets.load_dataset(split="validation")
    with pytest.raises(ValueError, match="fashion_mnist"):
        datasets.find_dataset_dir("emnist")


def test_class_names():
    assert set(datasets.CLASS_NAMES) == set(datasets.DATASETS)
    assert all(len(names) == 10 for names in datasets.CLASS_NAMES.values())
    assert datasets.CLASS_NAMES["fashion_mnist"][9] == "Ankle boot"


def test_describe_source(places):
    write_idx_set(places.system, n_train=6, n_test=4)
    assert datasets.describe_source() == (
        f"Fashion-MNIST, full (6 train / 4 test) from {places.system}"
    )


# The embedded sample


def test_embedded_sample_is_stratified():
    sizes = {"train": 6000, "test": 2000}
    for split, size in sizes.items():
        images, labels = datasets.load_dataset(split=split, sample=True)
        assert images.shape == (size, 28, 28, 1) and images.dtype == np.float32
        assert 0.0 <= images.min() and images.max() <= 1.0
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(labels), [size // 10] * 10)
    assert datasets.describe_source(sample=True).startswith(
        "Fashion-MNIST, embedded sample (6000 train / 2000 test)"
    )


def test_embedded_sample_file_layout():
    with np.load(REAL_DATA_DIR / "fashion_mnist_sample.npz") as arrays:
        assert sorted(arrays.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert all(arrays[key].dtype == np.uint8 for key in arrays.files)


def test_a_missing_embedded_sample_says_which_exist(places):
    write_sample(places.root / "repo_data")
    with pytest.raises(datasets.DatasetNotFoundError, match="exist for: fashion_mnist;"):
        datasets.load_dataset("mnist", sample=True)


# choose_data: what a command reads without --full or --sample


def write_sample(folder, n_train=30, n_test=20):
    """Writes a small `fashion_mnist_sample.npz` into `folder` (the repository's data folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.savez(folder / "fashion_mnist_sample.npz",
             x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=np.arange(n_train, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=np.arange(n_test, dtype=np.uint8) % 10)


@pytest.fixture
def no_keras(monkeypatch):
    """Makes importing keras fail: a download attempt would raise instead of going online."""
    monkeypatch.setitem(sys.modules, "keras", None)


def test_the_default_reads_a_local_full_set(places, no_keras):
    write_sample(places.root / "repo_data")
    write_idx_set(places.system)
    assert datasets.choose_data() == (False, None)


def test_the_default_falls_back_to_the_sample_with_one_line_on_how_to_get_the_full_set(
        places, no_keras, monkeypatch):
    write_sample(places.root / "repo_data")
    monkeypatch.chdir(places.root)
    sample, note = datasets.choose_data()
    assert sample is True
    assert "\n" not in note
    assert note.startswith("the full Fashion-MNIST was not found on this machine, so this run "
                           "uses the embedded sample (30 train / 20 test images)")
    assert "apt-get install dataset-fashion-mnist" in note
    # The folder to copy the files into, relative to the working directory.
    assert f"copy its four .gz files into {os.path.join('repo_data', 'fashion_mnist')}{os.sep}," in note
    assert note.endswith("or add --full to download it")
    images, _ = datasets.load_dataset(split="test", sample=sample)
    assert images.shape == (20, 28, 28, 1)


def test_a_corrupt_local_full_set_is_an_error_not_a_fallback(places, no_keras):
    write_sample(places.root / "repo_data")
    write_idx_set(places.repo)
    labels_file = places.repo / "train-labels-idx1-ubyte.gz"
    labels_file.write_bytes(labels_file.read_bytes()[:10])
    sample, note = datasets.choose_data()
    assert (sample, note) == (False, None)
    with pytest.raises(datasets.CorruptDatasetError, match="train-labels-idx1-ubyte.gz"):
        datasets.load_dataset(sample=sample)


def test_without_a_full_set_or_a_sample_the_default_is_an_error_that_names_full(
        places, no_keras):
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.choose_data()
    message = str(info.value)
    assert message.startswith("Fashion-MNIST not found. Looked, in order, in:")
    assert "not tried (--full on the command line tries it)" in message


def test_full_and_sample_are_taken_as_asked(places, no_keras):
    assert datasets.choose_data(full=True) == (False, None)  # Even with no copy: load_dataset says.
    assert datasets.choose_data(sample=True) == (True, None)
    with pytest.raises(ValueError, match="not both"):
        datasets.choose_data(full=True, sample=True)
    with pytest.raises(ValueError, match="Unknown data set"):
        datasets.choose_data("cifar10")


def test_the_download_has_a_time_limit_per_network_operation(places, monkeypatch):
    seen = []

    def load_data():
        seen.append(socket.getdefaulttimeout())
        raise OSError("timed out")

    fake_keras(monkeypatch, load_data)
    before = socket.getdefaulttimeout()
    with pytest.raises(datasets.DatasetNotFoundError, match="failed .OSError: timed out."):
        datasets.load_dataset()
    assert seen == [datasets.DOWNLOAD_TIMEOUT]
    assert socket.getdefaulttimeout() == before


def test_split_sizes(places):
    write_idx_set(places.system, n_train=6, n_test=4)
    write_sample(places.root / "repo_data", n_train=30, n_test=20)
    assert datasets.split_sizes() == {"train": 6, "test": 4}
    assert datasets.split_sizes(sample=True) == {"train": 30, "test": 20}


def test_sample_builder_is_deterministic_and_stratified(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    picks = [
        build_sample.stratified_indices(labels, 20, np.random.default_rng(3))
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*picks)
    assert np.all(np.diff(picks[0]) > 0)
    np.testing.assert_array_equal(np.bincount(labels[picks[0]]), [20] * 10)

    arrays = {"x_train": np.ones((2, 28, 28), np.uint8), "y_train": np.arange(2)}
    build_sample.save_npz(tmp_path / "a.npz", arrays)
    build_sample.save_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as read:
        np.testing.assert_array_equal(read["x_train"], arrays["x_train"])
