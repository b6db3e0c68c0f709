"""Tests of the training command line, `python -m assignment.train`.

Most tests call `train.main` in this process, on the first few hundred images
of the embedded sample, in a temporary working directory (the run folders go
there); one runs the real command in a subprocess. Broken implementations are
copies of the solution, edited in a temporary folder.
"""

import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assignment import datasets, train, training
from assignment.implementation import REPO_ROOT, SOLUTION_DIR, STENCIL_DIR, load_implementation

METRICS = {
    "ae": ["mse"],
    "dae": ["mse"],
    "linear-ae": ["mse"],
    "vae": ["reconstruction", "kl", "neg_elbo"],
    "cvae": ["reconstruction", "kl", "neg_elbo"],
    "vqvae": ["mse", "codebook_usage"],
    "sparse-ae": ["mse"],
    "masked-ae": ["mse"],
    "gaussian-vae": ["reconstruction", "kl", "neg_elbo"],
}
TRAIN_IMAGES, TEST_IMAGES = 256, 200


@pytest.fixture(autouse=True)
def working_directory(tmp_path, monkeypatch):
    """Runs every test in an empty working directory, where `runs/` is made."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def few_images(monkeypatch):
    """Cuts the data that the command loads to a few hundred images (every class in the test part)."""
    load_data = train.load_data

    def load_few(args, sample):
        (x_train, y_train), (x_test, y_test) = load_data(args, sample)
        test = np.concatenate([np.flatnonzero(y_test == label)[:TEST_IMAGES // 10]
                               for label in range(10)])
        return (x_train[:TRAIN_IMAGES], y_train[:TRAIN_IMAGES]), (x_test[test], y_test[test])

    monkeypatch.setattr(train, "load_data", load_few)


@pytest.fixture
def no_full_data_set(tmp_path, monkeypatch):
    """Hides every copy of the full Fashion-MNIST; the embedded sample stays; nothing downloads."""
    (tmp_path / "data").mkdir()
    sample = datasets.sample_file("fashion_mnist")
    (tmp_path / "data" / sample.name).symlink_to(sample)
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", {"fashion_mnist": tmp_path / "system"})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("ASSIGNMENT_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ASSIGNMENT_NO_DOWNLOAD", "1")
    return tmp_path


@pytest.fixture
def submission(tmp_path):
    """A copy of the solution, to be broken by the test."""
    return Path(shutil.copytree(SOLUTION_DIR, tmp_path / "submission"))


def edit(file, anchor, new_text):
    """Replaces the one `anchor` in `file`; returns the line where `new_text` starts."""
    text = file.read_text()
    assert text.count(anchor) == 1, f"{anchor!r} is not unique in {file}"
    start = text.index(anchor)
    file.write_text(text.replace(anchor, new_text))
    return text[:start].count("\n") + 1


def saved_paths(lines, model):
    """The model and picture paths of the last two lines, checked to exist."""
    model_line, picture_line = lines[-2:]
    assert model_line.startswith("Saved the trained model to "), model_line
    assert picture_line.startswith("Saved a picture of its test reconstructions"), picture_line
    model_path = Path(model_line.rsplit(" to ", 1)[1])
    picture_path = Path(picture_line.rsplit(" to ", 1)[1])
    assert model_path.name == f"{model}.keras" and picture_path.name == f"{model}.png"
    assert model_path.parent == picture_path.parent
    assert model_path.stat().st_size > 1000
    assert picture_path.read_bytes()[:4] == b"\x89PNG" and picture_path.stat().st_size > 5000
    return model_path, picture_path


def metrics_of(line):
    """`{"mse": 0.02}` from `Test metrics on 200 images: mse 0.02`."""
    match = re.fullmatch(r"Test metrics on \d+ images: (.+?)( \(nats per image\))?", line)
    assert match, line
    pairs = (item.split(" ") for item in match.group(1).split(", "))
    return {name: float(value) for name, value in pairs}


def one_error_line(capsys):
    """The command's stderr, checked to be one `error: ...` line without a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err.strip()


@pytest.mark.parametrize("model", training.MODEL_NAMES)
def test_every_model_trains_prints_its_test_metrics_and_saves_model_and_picture(
        model, few_images, capsys):
    assert train.main([model, "--sample", "--epochs", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"Training {model} from ") and "solution" in lines[0]
    assert "epochs 1" in lines[0] and "embedded sample" in lines[0]
    assert lines[-3].startswith(f"Test metrics on {TEST_IMAGES} images: ")
    metrics = metrics_of(lines[-3])
    assert list(metrics) == METRICS[model]
    assert all(math.isfinite(value) for value in metrics.values())
    if "neg_elbo" in metrics:
        assert lines[-3].endswith("(nats per image)")
        expected = metrics["reconstruction"] + metrics["kl"]
        assert metrics["neg_elbo"] == pytest.approx(expected, rel=1e-3)
    model_path, _ = saved_paths(lines, model)
    assert re.fullmatch(rf"{model}-\d{{8}}-\d{{6}}", model_path.parent.name)
    assert model_path.parent.parent == Path("runs")
    generative = training.get_recipe(model).is_variational
    assert ("and prior samples" in lines[-1]) is generative


def test_out_names_the_run_folder_and_the_model_loads_with_its_options(
        tmp_path, few_images, capsys):
    import keras

    folder = tmp_path / "my runs" / "vae-small"
    argv = ["vae", "--sample", "--epochs", "1", "--latent-dim", "3", "--beta", "0.5",
            "--batch-size", "64", "--out", str(folder)]
    assert train.main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "latent_dim 3, beta 0.5, epochs 1, batch_size 64" in lines[0]
    assert f"{TRAIN_IMAGES // 64}/{TRAIN_IMAGES // 64}" in "\n".join(lines)  # The progress bar.
    assert saved_paths(lines, "vae") == (folder / "vae.keras", folder / "vae.png")
    assert sorted(os.listdir(folder)) == ["vae.keras", "vae.png"]
    load_implementation(SOLUTION_DIR)
    model = keras.models.load_model(folder / "vae.keras")
    assert type(model).__name__ == "VAE"
    assert (model.latent_dim, model.beta) == (3, 0.5)
    assert tuple(model.decode(np.zeros((2, 3), "float32")).shape) == (2, 28, 28, 1)


def test_out_with_a_keras_file_name_puts_the_picture_beside_it(few_images, capsys):
    assert train.main(["linear-ae", "--sample", "--epochs", "1", "--out", "models/mine.keras"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2:] == ["Saved the trained model to models/mine.keras",
                          "Saved a picture of its test reconstructions to models/mine.png"]
    assert sorted(os.listdir("models")) == ["mine.keras", "mine.png"]
    assert not Path("runs").exists()


def test_runs_started_in_the_same_second_get_folders_of_their_own(working_directory):
    args = train.build_parser().parse_args(["ae"])
    started = time.strptime("2025-01-31 12:00:00", "%Y-%m-%d %H:%M:%S")
    folders = [train.make_run_folder(args, started) for _ in range(3)]
    assert folders == [Path("runs/ae-20250131-120000"), Path("runs/ae-20250131-120000-2"),
                       Path("runs/ae-20250131-120000-3")]
    assert all(folder.is_dir() for folder in folders)


def test_a_picture_that_fails_in_the_students_code_keeps_the_saved_model(
        submission, few_images, capsys):
    file = submission / "vae.py"
    edit(file, "        seed = self.prior_seed_generator if seed is None else seed\n",
         '        raise NotImplementedError("TODO 3.10: Return the prior draws.")\n')
    folder = Path("run")
    assert train.main(["vae", "--impl", str(submission), "--sample", "--epochs", "1",
                       "--out", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == f"Saved the trained model to {folder / 'vae.keras'}"
    assert captured.err.strip() == (f"error: TODO 3.10 is not done yet in {file} "
                                    "(VAE.draw_prior): Return the prior draws.")
    assert sorted(os.listdir(folder)) == ["vae.keras"]


def test_the_stencil_stops_at_a_todo_in_one_line(few_images, capsys):
    assert train.main(["vae", "--impl", str(STENCIL_DIR), "--sample"]) == 1
    error = one_error_line(capsys)
    match = re.fullmatch(r"error: TODO (\S+) is not done yet in (\S+) \((\S+)\): (.+)", error)
    assert match, error
    todo, file, function, task = match.groups()
    assert Path(file).resolve().parent == STENCIL_DIR
    source = Path(file).read_text()
    assert f'raise NotImplementedError("TODO {todo}: {task}")' in source
    assert f"def {function.split('.')[-1]}(" in source


def test_a_syntax_error_names_its_file_and_line(submission, capsys):
    file = submission / "autoencoder.py"
    line = edit(file, "    def call(self, z):\n", "    def call(self, z:\n")
    assert train.main(["ae", "--impl", str(submission), "--sample"]) == 1
    error = one_error_line(capsys)
    assert error.startswith(f"error: SyntaxError in {file}:{line}: ")


def test_an_import_error_names_its_file_and_line(submission, capsys):
    file = submission / "vae.py"
    line = edit(file, "from autoencoder import PACKAGE, Decoder\n",
                "from autoencoder import PACKAGE, Decodr\n")
    assert train.main(["vae", "--impl", str(submission), "--sample"]) == 1
    error = one_error_line(capsys)
    assert error.startswith(f"error: ImportError in {file}:{line} (<module>): "
                            "cannot import name 'Decodr'")


def test_an_exception_in_training_names_its_file_and_function(submission, few_images, capsys):
    file = submission / "autoencoder.py"
    line = edit(file, "    def call(self, z):\n",
                "    def call(self, z):\n        raise RuntimeError('the decoder is broken')\n") + 1
    assert train.main(["vae", "--impl", str(submission), "--sample"]) == 1
    error = one_error_line(capsys)
    assert error == (f"error: RuntimeError in {file}:{line} (Decoder.call): "
                     "the decoder is broken")


def test_a_nan_loss_stops_training_and_saves_nothing(submission, few_images, tmp_path, capsys):
    edit(submission / "autoencoder.py", "        return self.output_conv(x)\n",
         "        return self.output_conv(x) * float('nan')\n")
    folder = tmp_path / "ae-run"
    argv = ["ae", "--impl", str(submission), "--sample", "--epochs", "3", "--out", str(folder)]
    assert train.main(argv) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: the training loss became NaN or infinite in epoch 1")
    assert not folder.exists() and not Path("runs").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["gan"], "invalid choice: 'gan'"),
        (["ae", "--beta", "4"], "--beta weights the KL term of vae and cvae"),
        (["vqvae", "--latent-dim", "8"], "--latent-dim does not apply to vqvae"),
        (["ae", "--out", "notes.txt"], "notes.txt is a file; --out takes a folder, or a file "
                                       "name ending with .keras"),
        (["ae", "--out", "runs.keras"], "runs.keras is a folder; a model file name ending "
                                        "with .keras must not be one"),
        (["ae", "--sample", "--full"], "argument --full: not allowed with argument --sample"),
        (["ae", "--impl", "no/such/folder"], "no such directory: no/such/folder"),
        (["vae", "--epochs", "0"], "expected a positive whole number"),
        (["vae", "--beta", "-1"], "expected a number >= 0"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, monkeypatch, capsys):
    Path("notes.txt").write_text("a file in the working directory\n")
    Path("runs.keras").mkdir()
    monkeypatch.setattr(train, "run", lambda args: pytest.fail("bad arguments were accepted"))
    assert train.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_implementation_without_the_models_file_is_a_bad_argument(tmp_path, capsys):
    assert train.main(["vqvae", "--impl", str(tmp_path)]) == 2
    assert f"vqvae needs {tmp_path / 'vqvae.py'}, which does not exist" in capsys.readouterr().err


def test_without_the_full_data_set_the_default_trains_on_the_sample_and_says_so_once(
        no_full_data_set, few_images, capsys):
    assert train.main(["ae", "--epochs", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("note: the full Fashion-MNIST was not found on this machine, "
                                   "so this run uses the embedded sample (6000 train / 2000 test "
                                   "images); to use the full set: apt-get install "
                                   "dataset-fashion-mnist, copy its four .gz files into ")
    assert captured.err.rstrip().endswith(", or add --full to download it")
    lines = captured.out.strip().splitlines()
    assert "data: Fashion-MNIST, embedded sample" in lines[0]
    saved_paths(lines, "ae")


def test_full_without_the_full_data_set_says_where_it_looked(no_full_data_set, capsys):
    assert train.main(["vae", "--full"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Fashion-MNIST not found. Looked, in order, in:")
    assert str(no_full_data_set / "empty") in err and str(no_full_data_set / "system") in err
    assert "ASSIGNMENT_NO_DOWNLOAD" in err
    assert "--sample" in err and "Traceback" not in err
    assert not Path("runs").exists()


def test_full_reports_a_failed_download_in_one_error(no_full_data_set, monkeypatch, capsys):
    import keras

    def offline():
        raise OSError("Name or service not known")

    monkeypatch.delenv("ASSIGNMENT_NO_DOWNLOAD")
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    assert train.main(["vae", "--full"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Fashion-MNIST not found.")
    assert "download through keras.datasets.fashion_mnist: failed (OSError: Name or service" in err


def test_the_command_runs_as_a_module_without_tensorflow_start_up_noise(working_directory):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "assignment.train", "ae", "--sample", "--epochs", "1"],
        cwd=working_directory, capture_output=True, text=True, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # No note (--sample) and none of TensorFlow's start-up lines.
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"Training ae from {SOLUTION_DIR}")
    assert list(metrics_of(lines[-3])) == ["mse"]
    assert lines[-3].startswith("Test metrics on 2000 images: ")
    model_path, _ = saved_paths(lines, "ae")  # Relative to the working directory.
    assert model_path.parent.parent == Path("runs")
