"""Tests of the training command line, `python -m assignment.train`.

Most tests call `train.main` in this process, on the first few hundred images
of the embedded sample; one runs the real command in a subprocess. Broken
implementations are copies of the solution, edited in a temporary folder.
"""

import math
import re
import shutil
import subprocess
import sys
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
}
TRAIN_IMAGES, TEST_IMAGES = 256, 200


@pytest.fixture
def few_images(monkeypatch):
    """Cuts the data that the command loads to a few hundred images."""
    load_data = train.load_data

    def load_few(args):
        (x_train, y_train), (x_test, y_test) = load_data(args)
        return (
            (x_train[:TRAIN_IMAGES], y_train[:TRAIN_IMAGES]),
            (x_test[:TEST_IMAGES], y_test[:TEST_IMAGES]),
        )

    monkeypatch.setattr(train, "load_data", load_few)


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
def test_every_model_trains_and_prints_its_test_metrics(model, few_images, capsys):
    assert train.main([model, "--sample", "--epochs", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"Training {model} from ") and "solution" in lines[0]
    assert "epochs 1" in lines[0] and "embedded sample" in lines[0]
    assert lines[-1].startswith(f"Test metrics on {TEST_IMAGES} images: ")
    metrics = metrics_of(lines[-1])
    assert list(metrics) == METRICS[model]
    assert all(math.isfinite(value) for value in metrics.values())
    if "neg_elbo" in metrics:
        assert lines[-1].endswith("(nats per image)")
        expected = metrics["reconstruction"] + metrics["kl"]
        assert metrics["neg_elbo"] == pytest.approx(expected, rel=1e-3)


def test_out_saves_a_model_that_loads_with_its_options(tmp_path, few_images, capsys):
    import keras

    path = tmp_path / "models" / "vae.keras"
    argv = ["vae", "--sample", "--epochs", "1", "--latent-dim", "3", "--beta", "0.5",
            "--batch-size", "64", "--out", str(path)]
    assert train.main(argv) == 0
    out = capsys.readouterr().out
    assert "latent_dim 3, beta 0.5, epochs 1, batch_size 64" in out
    assert f"{TRAIN_IMAGES // 64}/{TRAIN_IMAGES // 64}" in out  # Steps of the progress bar.
    assert f"Saved the trained model to {path}" in out
    load_implementation(SOLUTION_DIR)
    model = keras.models.load_model(path)
    assert type(model).__name__ == "VAE"
    assert (model.latent_dim, model.beta) == (3, 0.5)
    assert tuple(model.decode(np.zeros((2, 3), "float32")).shape) == (2, 28, 28, 1)


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
    path = tmp_path / "ae.keras"
    argv = ["ae", "--impl", str(submission), "--sample", "--epochs", "3", "--out", str(path)]
    assert train.main(argv) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: the training loss became NaN or infinite in epoch 1")
    assert not path.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["gan"], "invalid choice: 'gan'"),
        (["ae", "--beta", "4"], "--beta weights the KL term of vae and cvae"),
        (["vqvae", "--latent-dim", "8"], "--latent-dim does not apply to vqvae"),
        (["ae", "--out", "ae.h5"], "must end with .keras"),
        (["ae", "--impl", "no/such/folder"], "no such directory: no/such/folder"),
        (["vae", "--epochs", "0"], "expected a positive whole number"),
        (["vae", "--beta", "-1"], "expected a number >= 0"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    assert train.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_implementation_without_the_models_file_is_a_bad_argument(tmp_path, capsys):
    assert train.main(["vqvae", "--impl", str(tmp_path)]) == 2
    assert f"vqvae needs {tmp_path / 'vqvae.py'}, which does not exist" in capsys.readouterr().err


def test_a_missing_full_data_set_says_where_it_looked(tmp_path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    sample = datasets.sample_file("fashion_mnist")
    (tmp_path / "data" / sample.name).symlink_to(sample)
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", {"fashion_mnist": tmp_path / "system"})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("ASSIGNMENT_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ASSIGNMENT_NO_DOWNLOAD", "1")
    assert train.main(["vae"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Fashion-MNIST not found. Looked, in order, in:")
    assert str(tmp_path / "empty") in err and str(tmp_path / "system") in err
    assert "--sample" in err and "Traceback" not in err


def test_the_command_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "assignment.train", "ae", "--sample", "--epochs", "1"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("Training ae from assignment/solution")
    assert list(metrics_of(lines[-1])) == ["mse"]
    assert lines[-1].startswith("Test metrics on 2000 images: ")
