"""Training throughput: images per second of our reference VAE and of the keras.io example.

Builds both in the same process and trains them on the same slice of
Fashion-MNIST: one warm-up epoch each (it traces the training function), then
`--rounds` rounds of one timed epoch of ours followed by one of the example.
Taking turns exposes both to the same changes of machine load; the medians
over the rounds and their ratio are printed. The example trains as keras.io
does (`fit` on NumPy arrays, batch 128), ours by its recipe
(`assignment/training.py`). The recipe's settings can be overridden to measure
what each one is worth:

    python -m bench.throughput                            # the recipe as shipped
    python -m bench.throughput --steps-per-execution 1    # without steps_per_execution
    python -m bench.throughput --pipeline tf.data         # a tf.data pipeline
    python -m bench.throughput --batch-size 256 --jit-compile

Usage (from the repository root, with the full data set installed; `--sample`
uses the embedded sample):

    python -m bench.throughput [--images 12800] [--rounds 5]
"""

import argparse
import dataclasses
import statistics
import time

from bench.common import load_benchmark_data


def timed_epoch(fit):
    """Runs `fit()`, one epoch; returns its wall time in seconds."""
    started = time.perf_counter()
    fit()
    return time.perf_counter() - started


def recipe_overrides(args):
    """The recipe fields set on the command line."""
    overrides = {
        "batch_size": args.batch_size,
        "steps_per_execution": args.steps_per_execution,
        "input_pipeline": args.pipeline,
        "jit_compile": args.jit_compile,
    }
    return {key: value for key, value in overrides.items() if value is not None}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput",
        description="Training images per second of our reference VAE and of the keras.io "
                    "example, same run, taking turns.")
    parser.add_argument("--images", type=int, default=12800,
                        help="training images per timed epoch (default 12800)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="timed epochs of each model, taking turns (default 5)")
    parser.add_argument("--sample", action="store_true", help="use the embedded sample")
    group = parser.add_argument_group("overrides of our recipe")
    group.add_argument("--batch-size", type=int)
    group.add_argument("--steps-per-execution", type=int)
    group.add_argument("--pipeline", choices=("numpy", "tf.data"))
    group.add_argument("--jit-compile", action=argparse.BooleanOptionalAction, default=None)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    x_train, _ = load_benchmark_data(args.sample)
    x_train = x_train[:args.images]

    import keras

    from assignment import training
    from assignment.implementation import load_implementation
    from bench import keras_io_vae

    recipe = dataclasses.replace(training.get_recipe("vae"), **recipe_overrides(args))
    keras.utils.set_random_seed(0)
    ours = training.build_model(load_implementation(), "vae", seed=0, recipe=recipe,
                                total_steps=1000)
    ours_input = training.training_input(recipe, x_train, None, recipe.batch_size, seed=0)
    example = keras_io_vae.build_keras_io_vae()
    fits = {
        "ours": lambda: ours.fit(**ours_input, epochs=1, verbose=0),
        "example": lambda: example.fit(x_train, epochs=1, batch_size=keras_io_vae.BATCH_SIZE,
                                       verbose=0),
    }
    for fit in fits.values():  # warm-up: traces the training functions
        fit()
    rates = {name: [] for name in fits}
    for round_number in range(1, args.rounds + 1):
        for name, fit in fits.items():
            rates[name].append(len(x_train) / timed_epoch(fit))
        print(f"round {round_number}: " + ", ".join(
            f"{name} {values[-1]:.0f} images/s" for name, values in rates.items()), flush=True)
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"ours:    {training.describe_recipe('vae', recipe=recipe)}")
    print(f"example: keras.io, NumPy arrays, batch {keras_io_vae.BATCH_SIZE}")
    print(f"SUMMARY throughput: ours {median['ours']:.0f} images/s, example "
          f"{median['example']:.0f} images/s (medians of {args.rounds} rounds of "
          f"{len(x_train)} images), ratio {median['ours'] / median['example']:.2f}x")


if __name__ == "__main__":
    from assignment.quiet import quiet_tensorflow

    quiet_tensorflow()
    main()
