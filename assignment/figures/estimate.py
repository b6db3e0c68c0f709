"""About how long training a model takes, from training speeds measured once.

`training_seconds` adds a model's set-up time (building it and tracing its
training step) to its epochs times the training images divided by its speed.
The two tables hold, per model, the median of three runs of

    python -m assignment.figures.estimate

(which trains each model of `training.RECIPES` for 3 epochs on the embedded
sample and prints its speed and set-up time) on a busy 2-core CPU without
GPU, TensorFlow 2.21, Keras 3.15. Between those runs one model's speed varied
by up to 2x, so the estimates are approximate: the figures command prints
them as "about", and after each model it trained scales the rest by how long
the models so far really took.
"""

import argparse
import statistics
import time

# Training images per second of each model's default recipe.
IMAGES_PER_SECOND = {
    "ae": 1153.0,
    "dae": 1079.0,
    "linear-ae": 51750.0,
    "vae": 1038.0,
    "cvae": 974.0,
    "vqvae": 1233.0,
    # Measured with `measure("sparse-ae", sample, epochs=3)` three times on a CPU shared with
    # other training jobs (333.6, 328.8, 905.7 images/s): the median, slower than the AE's
    # although the model is the same but for the penalty.
    "sparse-ae": 333.6,
    # Measured with `measure("masked-ae", sample, epochs=3)` three times, the same way
    # (1154.0, 1095.6, 601.0 images/s; set-up 3.1, 1.2, 0.0 s): the medians.
    "masked-ae": 1095.6,
    # The same way with `measure("gaussian-vae", sample, epochs=3)` (1134.3, 1237.1, 1133.3
    # images/s; set-up 8.4, 4.6, 4.1 s).
    "gaussian-vae": 1134.3,
}
# Seconds of set-up per model: building, compiling and tracing the training step.
SETUP_SECONDS = {
    "ae": 1.7,
    "dae": 2.4,
    "linear-ae": 0.9,
    "vae": 0.6,
    "cvae": 6.1,
    "vqvae": 2.5,
    "sparse-ae": 12.5,
    "masked-ae": 1.2,
    "gaussian-vae": 4.6,
}


def training_seconds(name, epochs, images):
    """About how many seconds training model `name` for `epochs` epochs on `images` images takes."""
    return SETUP_SECONDS[name] + epochs * images / IMAGES_PER_SECOND[name]


def format_duration(seconds):
    """`42.4` -> `"42 s"`, `150` -> `"2.5 min"`, `5400` -> `"1.5 h"`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def measure(name, data, epochs=2):
    """Measures the training speed and set-up time of model `name`'s recipe.

    Args:
        name: one of `training.MODEL_NAMES`.
        data: `(x_train, y_train)`.
        epochs: epochs to train, at least 2 (the first one includes the tracing).

    Returns:
        `(images_per_second, setup_seconds)`: the speed of the median epoch
        after the first, and the rest of the wall time of `train_model`.
    """
    import keras

    from assignment import training
    from assignment.implementation import load_implementation

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    timer = EpochTimer()
    start = time.perf_counter()
    training.train_model(load_implementation(), name, data, epochs=epochs, verbose=0,
                         callbacks=[timer])
    total = time.perf_counter() - start
    speed = len(data[0]) / statistics.median(timer.seconds[1:])
    return speed, max(0.0, total - epochs * len(data[0]) / speed)


def main(argv=None):
    """`python -m assignment.figures.estimate`: measures every model and prints the tables."""
    from assignment import datasets, training

    parser = argparse.ArgumentParser(
        prog="python -m assignment.figures.estimate",
        description="Measure each model's training speed and set-up time on the embedded "
                    "sample, and print them as this module's tables.")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs per model, at least 2 (default: 3)")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch includes the tracing")
    data = datasets.load_dataset(split="train", sample=True)
    results = {}
    for name in training.MODEL_NAMES:
        results[name] = measure(name, data, args.epochs)
        print(f"{name}: {results[name][0]:.0f} images/s, set-up {results[name][1]:.1f} s",
              flush=True)
    print("IMAGES_PER_SECOND = {")
    print("\n".join(f'    "{name}": {speed:.0f}.0,' for name, (speed, _) in results.items()))
    print("}\nSETUP_SECONDS = {")
    print("\n".join(f'    "{name}": {setup:.1f},' for name, (_, setup) in results.items()))
    print("}")
    return 0


if __name__ == "__main__":
    from assignment.quiet import quiet_tensorflow

    quiet_tensorflow()
    raise SystemExit(main())
