"""Trains one model of an implementation directory and prints its test metrics.

Examples:

    python -m assignment.train vae --sample --epochs 2    # a quick check
    python -m assignment.train vae                         # full Fashion-MNIST
    python -m assignment.train vae --impl stencil --sample # your own code
    python -m assignment.train cvae --beta 4 --out cvae.keras

The model is built from the flat student files (`autoencoder.py`, `vae.py`,
...) of `--impl`: the reference solution by default, or the stencil, or any
submission folder. It trains on the full data set (see `assignment/datasets.py`
for where it is looked for) or, with `--sample`, on the small sample embedded
in the repository, then is measured on the test split. The first line printed
says what is trained on which data; Keras's progress bar follows (one line
per epoch when the output is not a terminal); the last line holds the test
metrics: the mean squared error per pixel for the autoencoders; the
reconstruction loss, the KL divergence and the negative ELBO in nats per
image for the VAEs; the MSE and the fraction of the codebook in use for the
VQ-VAE.

A TODO that is not done yet, or an error in the implementation's code, stops
the run with one line that names the file (exit status 1). Bad arguments exit
with status 2.
"""

import argparse
import re
import sys
import traceback
from pathlib import Path

from assignment import datasets, training
from assignment.implementation import SOLUTION_DIR, load_implementation

PROG = "python -m assignment.train"

# What the stencil raises for an unfinished answer: NotImplementedError("TODO 2.3: ...").
TODO_MESSAGE = re.compile(r"TODO (\S+): (.+)")


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
    parser.add_argument("--sample", action="store_true",
                        help="train on the embedded sample instead of the full data set")
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
    parser.add_argument("--out", metavar="FILE.keras", type=keras_file,
                        help="save the trained model there, in Keras's native format")
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


def keras_file(value):
    """`--out`: a file name ending with `.keras`."""
    if not value.endswith(".keras"):
        raise argparse.ArgumentTypeError(
            f"the file name must end with .keras (Keras's native format), got {value!r}"
        )
    return Path(value)


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


def load_data(args):
    """Loads `((x_train, y_train), (x_test, y_test))` of the chosen data set."""
    return tuple(
        datasets.load_dataset(args.dataset, split, sample=args.sample)
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


def save(model, path):
    """Saves `model` to the `.keras` file `path`, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    print(f"Saved the trained model to {path}")


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
    location = error_location(error, Path(directory).resolve())
    if location is None:
        return None
    filename, line, function = location
    error = original_error(error)
    text = error.msg if isinstance(error, SyntaxError) else str(error)
    text = text.strip().splitlines()[0] if text.strip() else "(no message)"
    todo = TODO_MESSAGE.match(text)
    if isinstance(error, NotImplementedError) and todo:
        todo_id, task = todo.groups()
        return f"TODO {todo_id} is not done yet in {display_path(filename)} ({function}): {task}"
    where = f"{display_path(filename)}:{line}" + (f" ({function})" if function else "")
    return f"{type(error).__name__} in {where}: {text}"


def error_location(error, directory):
    """`(filename, line, function)` of the error in `directory`, or None."""
    if isinstance(error, SyntaxError) and in_directory(error.filename, directory):
        return error.filename, error.lineno, None
    frames = [
        (frame.f_code.co_filename, line, frame.f_code.co_qualname)
        for frame, line in traceback.walk_tb(error.__traceback__)
        if in_directory(frame.f_code.co_filename, directory)
    ]
    return frames[-1] if frames else None


def in_directory(filename, directory):
    """Whether the file `filename` lies directly in `directory` (a resolved path)."""
    if not filename or not Path(filename).is_absolute():  # e.g. "<frozen importlib._bootstrap>"
        return False
    return Path(filename).resolve().parent == directory


def original_error(error):
    """The error the student's code raised.

    Keras re-raises an error of a layer's `call` as a new exception whose
    message adds the call's arguments; the original is its context.
    """
    if getattr(error, "_keras_call_info_injected", False) and error.__context__ is not None:
        return error.__context__
    return error


def fail(message):
    """Prints `error: message` on stderr and returns the exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def run(args):
    """Loads the data, trains, evaluates and saves; returns the exit status."""
    params = hyperparameters(args)
    try:
        train_data, test_data = load_data(args)
        source = datasets.describe_source(args.dataset, sample=args.sample)
    except (datasets.DatasetNotFoundError, datasets.CorruptDatasetError) as error:
        return fail(str(error))
    settings = ", ".join(
        f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
        for key, value in params.items()
    )
    print(f"Training {args.model} from {display_path(args.impl)}: {settings}; "
          f"data: {source}", flush=True)
    try:
        model, history = train(args, params, train_data)
        if model.stop_training:  # Only TerminateOnNaN stops the training early.
            return fail(f"the training loss became NaN or infinite in epoch "
                        f"{len(history.epoch)}, so training stopped "
                        "(keras.callbacks.TerminateOnNaN); nothing was saved")
        metrics = training.evaluate_model(model, args.model, test_data, seed=args.seed)
        if args.out:
            save(model, args.out)
    except Exception as error:
        message = describe_error(error, args.impl)
        if message is None:  # Not the implementation's fault: keep the traceback.
            raise
        return fail(message)
    unit = " (nats per image)" if training.get_recipe(args.model).is_variational else ""
    print(f"Test metrics on {len(test_data[0])} images: {training.format_metrics(metrics)}{unit}")
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
    sys.exit(main())
