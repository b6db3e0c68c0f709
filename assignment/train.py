"""Trains one model of an implementation directory and prints its test metrics.

Examples:

    python -m assignment.train vae --sample --epochs 2    # a quick check
    python -m assignment.train vae                         # the full Fashion-MNIST if found
    python -m assignment.train vae --impl stencil --sample # your own code
    python -m assignment.train cvae --beta 4 --out runs/cvae-beta4

The model is built from the flat student files (`autoencoder.py`, `vae.py`,
...) of `--impl`: the reference solution by default, or the stencil, or any
submission folder.

Data: the full data set when a copy is found on this machine (see
`assignment/datasets.py` for where it is looked for), else the small sample
embedded in the repository, with a one-line note on stderr that says how to
get the full set. `--sample` always takes the sample; `--full` insists on the
full set and, when no copy is found, downloads it through `keras.datasets`
(without `--full`, nothing is downloaded).

Output: the first line says what is trained on which data; Keras's progress
bar follows (one line per epoch when the output is not a terminal); then a
line of test metrics: the mean squared error per pixel for the autoencoders;
the reconstruction loss, the KL divergence and the negative ELBO in nats per
image for the VAEs; the MSE and the fraction of the codebook in use for the
VQ-VAE. The run folder, `runs/MODEL-YYYYmmdd-HHMMSS/` in the working
directory or the folder given to `--out`, receives

    MODEL.keras  the trained model (load it with keras.models.load_model after
                 assignment.implementation.load_implementation of its folder)
    MODEL.png    test images and their reconstructions, and for vae and cvae
                 samples from the prior

and the last two lines give their paths. `--out NAME.keras` names the model
file instead; the picture goes beside it, as `NAME.png`.

A TODO that is not done yet, or an error in the implementation's code, stops
the run with one line that names the file (exit status 1). Bad arguments exit
with status 2.
"""

import argparse
import sys
import time
from pathlib import Path

from assignment import datasets, quiet, training
from assignment.implementation import SOLUTION_DIR, load_implementation
from assignment.student_errors import TODO, first_line, message_of, student_frame

PROG = "python -m assignment.train"
# Where a run writes its model and picture without --out: RUNS_DIR/MODEL-YYYYmmdd-HHMMSS/.
RUNS_DIR = Path("runs")


def build_parser():
    """The argument parser; `--help` shows this module's docstring."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s MODEL [options]",
        description=__doc__,
        epilog=models_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", choices=training.MODEL_NAMES,
                        help="the model to train: " + ", ".join(training.MODEL_NAMES))
    parser.add_argument("--impl", metavar="DIR", type=existing_directory, default=SOLUTION_DIR,
                        help="folder of the student files (default: the reference solution)")
    parser.add_argument("--dataset", metavar="NAME", choices=datasets.DATASETS,
                        default="fashion_mnist", help="fashion_mnist (default) or mnist")
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--sample", action="store_true",
                      help="train on the embedded sample, even when the full data set is here")
    data.add_argument("--full", action="store_true",
                      help="train on the full data set, downloading it when no copy is found "
                           "(default: the full set when found, else the embedded sample)")
    parser.add_argument("--epochs", metavar="N", type=positive_int,
                        help="number of epochs (default: the model's, listed below)")
    parser.add_argument("--latent-dim", metavar="K", type=positive_int,
                        help="size of the code (default: the model's; not for vqvae)")
    parser.add_argument("--beta", metavar="B", type=non_negative_float,
                        help="weight of the KL term, vae and cvae only (default: 1)")
    parser.add_argument("--batch-size", metavar="N", type=positive_int,
                        help="training batch size (default: 128)")
    parser.add_argument("--seed", metavar="S", type=int, default=0,
                        help="seed of the weights, the shuffling and the noise (default: 0)")
    parser.add_argument("--out", metavar="DIR", type=out_option,
                        help="the run folder, which gets MODEL.keras and MODEL.png "
                             f"(default: a new {RUNS_DIR}/MODEL-YYYYmmdd-HHMMSS/), or a "
                             "NAME.keras file for the model, with NAME.png beside it")
    return parser


def models_table():
    """The `--help` epilog: each model with its defaults."""
    lines = ["models (default latent size and epochs):"]
    for name, recipe in training.RECIPES.items():
        latent = "" if recipe.latent_dim is None else f"latent_dim {recipe.latent_dim}, "
        lines.append(f"  {name:<10} {recipe.description}; {latent}{recipe.epochs} epochs")
    return "\n".join(lines)


def existing_directory(value):
    """`--impl`: a folder that exists."""
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {value}")
    return path


def positive_int(value):
    """`--epochs`, `--latent-dim`, `--batch-size`: an int >= 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return number


def non_negative_float(value):
    """`--beta`: a float >= 0."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:  # Also rejects NaN.
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value!r}")
    return number


def out_option(value):
    """`--out`: a folder (existing or not), or a file name ending with `.keras`."""
    path = Path(value)
    if path.suffix == ".keras":
        if path.is_dir():
            raise argparse.ArgumentTypeError(
                f"{value} is a folder; a model file name ending with .keras must not be one")
    elif path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value} is a file; --out takes a folder, or a file name ending with .keras")
    return path


def parse_arguments(parser, argv):
    """Parses `argv` and checks the options that depend on the model.

    Raises:
        SystemExit: with status 2 after printing the usage and the error.
    """
    args = parser.parse_args(argv)
    recipe = training.get_recipe(args.model)
    if args.beta is not None and not recipe.is_variational:
        parser.error(f"--beta weights the KL term of vae and cvae; {args.model} has none")
    if args.latent_dim is not None and recipe.latent_dim is None:
        parser.error(f"--latent-dim does not apply to {args.model}: "
                     "its code is a grid of codewords")
    module_file = args.impl / f"{recipe.module}.py"
    if not module_file.is_file():
        parser.error(f"{args.model} needs {module_file}, which does not exist")
    return args


def hyperparameters(args):
    """The run's hyper-parameters, with the model's defaults filled in."""
    recipe = training.get_recipe(args.model)
    params = {}
    if recipe.latent_dim is not None:
        params["latent_dim"] = args.latent_dim or recipe.latent_dim
    if recipe.is_variational:
        params["beta"] = 1.0 if args.beta is None else args.beta
    params["epochs"] = args.epochs or recipe.epochs
    params["batch_size"] = args.batch_size or recipe.batch_size
    params["seed"] = args.seed
    return params


def choose_data(args):
    """Whether to read the embedded sample (see `datasets.choose_data`); prints its note on stderr.

    Raises:
        datasets.DatasetNotFoundError: no full set and no embedded sample.
    """
    sample, note = datasets.choose_data(args.dataset, full=args.full, sample=args.sample)
    if note:
        print(f"note: {note}", file=sys.stderr, flush=True)
    return sample


def load_data(args, sample):
    """Loads `((x_train, y_train), (x_test, y_test))` of the chosen data set."""
    return tuple(
        datasets.load_dataset(args.dataset, split, sample=sample)
        for split in datasets.SPLITS
    )


def train(args, params, data):
    """Imports the implementation, then builds and trains the model.

    Only the module that defines the model is imported (with what it imports
    itself), so that an unfinished later part does not stop an earlier one.

    Returns:
        `(model, history)`, as `training.train_model`.
    """
    import keras  # Here, not at the top: --help and bad arguments answer without TensorFlow.

    module = training.get_recipe(args.model).module
    impl = load_implementation(args.impl, modules=(module,))
    # The live progress bar on a terminal; one line per epoch in a log file.
    verbose = 1 if sys.stdout.isatty() else 2
    return training.train_model(
        impl, args.model, data, verbose=verbose,
        callbacks=[keras.callbacks.TerminateOnNaN()], **params,
    )


def output_paths(args, started):
    """The model file and the picture file of the run, their folder created.

    Args:
        args: the parsed arguments.
        started: `time.struct_time` of the run's start, in the default folder's name.

    Returns:
        `(model_path, picture_path)`: `FOLDER/MODEL.keras` and `FOLDER/MODEL.png`
        in the run folder (`make_run_folder`), or `NAME.keras` and `NAME.png`
        for `--out NAME.keras`.
    """
    if args.out is not None and args.out.suffix == ".keras":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        return args.out, args.out.with_suffix(".png")
    folder = make_run_folder(args, started)
    return folder / f"{args.model}.keras", folder / f"{args.model}.png"


def make_run_folder(args, started):
    """Creates and returns the run folder: `--out`, else a new `RUNS_DIR/MODEL-<started>`.

    Args:
        args: the parsed arguments.
        started: `time.struct_time` of the run's start, in the default folder's name.
    """
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        return args.out
    stem = f"{args.model}-{time.strftime('%Y%m%d-%H%M%S', started)}"
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):  # Two runs started in the same second get -2, -3, ...
        folder = RUNS_DIR / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"{RUNS_DIR / stem}: 999 run folders of that name exist already")


def save_outputs(model, args, params, metrics, data_label, test_data, started):
    """Saves the model and its picture (`output_paths`) and prints their paths.

    Args:
        model: the trained model.
        args: the parsed arguments.
        params: the run's hyper-parameters (`hyperparameters`).
        metrics: its test metrics (`training.evaluate_model`).
        data_label: which data it was trained on, e.g. "Fashion-MNIST, embedded sample".
        test_data: `(x_test, y_test)`.
        started: `time.struct_time` of the run's start.
    """
    from assignment.figures.run_picture import draw_run_picture

    model_path, picture_path = output_paths(args, started)
    model.save(model_path)
    print(f"Saved the trained model to {display_path(model_path)}", flush=True)
    recipe = training.get_recipe(args.model)
    title = (f"{args.model} from {display_path(args.impl)}, trained on {data_label}\n"
             f"{format_settings(params)}\ntest metrics: {training.format_metrics(metrics)}"
             + (" (nats per image)" if recipe.is_variational else ""))
    draw_run_picture(model, args.model, *test_data, datasets.CLASS_NAMES[args.dataset],
                     picture_path, title, seed=args.seed)
    shown = "test reconstructions" + (" and prior samples" if recipe.is_variational else "")
    print(f"Saved a picture of its {shown} to {display_path(picture_path)}")


def format_settings(params):
    """`{"latent_dim": 2, "beta": 1.0}` -> `"latent_dim 2, beta 1"`."""
    return ", ".join(
        f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
        for key, value in params.items()
    )


def display_path(path):
    """`path` relative to the working directory when it lies inside, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def describe_error(error, directory):
    """Says in one line what went wrong in the implementation's code.

    Args:
        error: an exception raised while importing, building, training,
            evaluating or saving the model.
        directory: the implementation directory.

    Returns:
        The line, naming the file (and the function) of the innermost
        traceback frame that lies in `directory`; for a `SyntaxError` in one
        of its files, that file. None when the error did not come from there.
    """
    location = student_frame(error, directory)
    if location is None:
        return None
    filename, line, function = location
    text = error.msg if isinstance(error, SyntaxError) else message_of(error)
    text = first_line(text or "") or "(no message)"
    todo = TODO.match(text)
    if isinstance(error, NotImplementedError) and todo:
        todo_id, task = todo.groups()
        return f"TODO {todo_id} is not done yet in {display_path(filename)} ({function}): {task}"
    where = f"{display_path(filename)}:{line}" + (f" ({function})" if function else "")
    return f"{type(error).__name__} in {where}: {text}"


def fail(message):
    """Prints `error: message` on stderr and returns the exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def run(args):
    """Loads the data, trains, evaluates and saves; returns the exit status."""
    started = time.localtime()
    params = hyperparameters(args)
    try:
        sample = choose_data(args)
        train_data, test_data = load_data(args, sample)
        source = datasets.describe_source(args.dataset, sample=sample)
    except (datasets.DatasetNotFoundError, datasets.CorruptDatasetError) as error:
        return fail(str(error))
    print(f"Training {args.model} from {display_path(args.impl)}: {format_settings(params)}; "
          f"data: {source}", flush=True)
    try:
        model, history = train(args, params, train_data)
        if model.stop_training:  # Only TerminateOnNaN stops the training early.
            return fail(f"the training loss became NaN or infinite in epoch "
                        f"{len(history.epoch)}, so training stopped "
                        "(keras.callbacks.TerminateOnNaN); nothing was saved")
        metrics = training.evaluate_model(model, args.model, test_data, seed=args.seed)
        unit = " (nats per image)" if training.get_recipe(args.model).is_variational else ""
        print(f"Test metrics on {len(test_data[0])} images: "
              f"{training.format_metrics(metrics)}{unit}", flush=True)
        data_label = (f"{datasets.DISPLAY_NAMES[args.dataset]}, "
                      f"{'embedded sample' if sample else 'full set'}")
        save_outputs(model, args, params, metrics, data_label, test_data, started)
    except Exception as error:
        message = describe_error(error, args.impl)
        if message is None:  # Not the implementation's fault: keep the traceback.
            raise
        return fail(message)
    return 0


def main(argv=None):
    """Runs the command line `argv` (default: `sys.argv[1:]`).

    Returns:
        The exit status: 0 on success, 1 when the data is missing or the
        implementation fails, 2 for bad arguments, 130 when interrupted.
    """
    parser = build_parser()
    try:
        args = parse_arguments(parser, argv)
    except SystemExit as exit:  # argparse's way out, after --help or a bad argument.
        return exit.code
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    quiet.quiet_tensorflow()
    sys.exit(main())
