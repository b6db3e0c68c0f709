"""Time to quality: how soon our reference VAE reaches the keras.io example's final test loss.

Trains, in the same process and on the full Fashion-MNIST, the keras.io
"Variational AutoEncoder" example (`bench/keras_io_vae.py`: its architecture,
optimizer, batch size and 30 epochs) and our reference VAE (latent 2, trained
by its recipe in `assignment/training.py`, as `python -m assignment.train vae`
trains it). After every epoch it pauses the clock and measures both the same
way (`bench.common.QualityProbe`): the test negative ELBO in nats per image and
the domain Fréchet distance (FD) of prior samples.

It prints each model's curve, then:

- the target: the example's test negative ELBO after its last epoch;
- the training wall time each model needed to reach the target (the first
  epoch whose test loss is at or below it) and their ratio, example / ours
  (SPEC §8 asks for at least 3);
- the FD of both at equal wall time: ours when it reached the target, the
  example at its last epoch finished by then.

Usage (from the repository root, with the full data set installed):

    python -m bench.time_to_quality
    python -m bench.time_to_quality --sample --example-epochs 2 --epochs 2  # a quick try
"""

import argparse

from bench.common import QualityProbe, Stopwatch, load_benchmark_data

TARGET_BAR = 3.0


def make_measuring_callback(label, probe, stopwatch, curve):
    """A Keras callback that, after each epoch, pauses `stopwatch` and measures the model."""
    import keras

    class MeasureEachEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stopwatch.pause()
            metrics = probe.measure(self.model)
            curve.append({"epoch": epoch + 1, "seconds": stopwatch.seconds, **metrics})
            print(f"  {label:<8} epoch {epoch + 1:>3}  {stopwatch.seconds:7.1f} s  "
                  f"test -ELBO {metrics['neg_elbo']:7.2f}  FD {metrics['fd']:7.2f}", flush=True)
            stopwatch.start()

    return MeasureEachEpoch()


def train_measured(label, train, probe):
    """Runs `train(callbacks)` with the clock running only while it trains; returns the curve."""
    stopwatch, curve = Stopwatch(), []
    stopwatch.start()
    train([make_measuring_callback(label, probe, stopwatch, curve)])
    stopwatch.pause()
    return curve


def first_reaching(curve, target):
    """The first point of `curve` whose test negative ELBO is at most `target`, or None."""
    return next((point for point in curve if point["neg_elbo"] <= target), None)


def last_before(curve, seconds):
    """The last point of `curve` measured at or before `seconds` of training, or None."""
    points = [point for point in curve if point["seconds"] <= seconds]
    return points[-1] if points else None


def summarize(example, ours):
    """The closing lines: target, times, ratio and FD at equal wall time."""
    target = example[-1]["neg_elbo"]
    example_hit, ours_hit = first_reaching(example, target), first_reaching(ours, target)
    lines = [f"Target: the example's test -ELBO after {example[-1]['epoch']} epochs, "
             f"{target:.2f} nats."]
    lines.append(f"Example reaches it after {example_hit['seconds']:.0f} s "
                 f"(epoch {example_hit['epoch']}).")
    if ours_hit is None:
        best = min(ours, key=lambda point: point["neg_elbo"])
        lines.append(f"Ours never reaches it in {ours[-1]['epoch']} epochs "
                     f"({ours[-1]['seconds']:.0f} s); its best is {best['neg_elbo']:.2f} nats "
                     f"(epoch {best['epoch']}).")
        lines.append(f"SUMMARY time-to-quality: ours did not reach {target:.2f} nats; "
                     f"bar {TARGET_BAR:g}x not met")
        return lines
    ratio = example_hit["seconds"] / ours_hit["seconds"]
    lines.append(f"Ours reaches it after {ours_hit['seconds']:.0f} s (epoch {ours_hit['epoch']}).")
    example_then = last_before(example, ours_hit["seconds"])
    example_fd = "no epoch finished yet" if example_then is None else (
        f"{example_then['fd']:.2f} (epoch {example_then['epoch']})")
    lines.append(f"FD at {ours_hit['seconds']:.0f} s of training: example {example_fd}, "
                 f"ours {ours_hit['fd']:.2f}.")
    verdict = "met" if ratio >= TARGET_BAR else "NOT met"
    lines.append(f"SUMMARY time-to-quality: ours {ratio:.2f}x sooner "
                 f"({ours_hit['seconds']:.0f} s vs {example_hit['seconds']:.0f} s to "
                 f"{target:.2f} nats; bar {TARGET_BAR:g}x {verdict}); FD at equal time: "
                 f"example {example_fd}, ours {ours_hit['fd']:.2f}")
    return lines


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.time_to_quality",
        description="Wall time of our reference VAE and of the keras.io example to the "
                    "example's final test loss, on the full Fashion-MNIST.")
    parser.add_argument("--example-epochs", type=int, default=None,
                        help="epochs of the keras.io example (default: its 30)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of ours (default: its recipe's)")
    parser.add_argument("--sample", action="store_true",
                        help="use the embedded sample (a quick try; figures not comparable)")
    parser.add_argument("--seed", type=int, default=0, help="seed of both runs (default 0)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    x_train, x_test = load_benchmark_data(args.sample)

    import keras

    from assignment import training
    from assignment.implementation import load_implementation
    from bench import keras_io_vae

    probe = QualityProbe(x_test, latent_dim=keras_io_vae.LATENT_DIM, seed=args.seed)
    example_epochs = args.example_epochs or keras_io_vae.EPOCHS
    impl = load_implementation()

    print(f"Ours: the reference VAE, latent {keras_io_vae.LATENT_DIM}, "
          f"{training.describe_recipe('vae', epochs=args.epochs)}.")
    ours = train_measured("ours", lambda callbacks: training.train_model(
        impl, "vae", (x_train, None), epochs=args.epochs,
        latent_dim=keras_io_vae.LATENT_DIM, seed=args.seed, verbose=0, callbacks=callbacks,
    ), probe)

    print(f"Example: keras.io VAE, {example_epochs} epochs, Adam 1e-3, batch "
          f"{keras_io_vae.BATCH_SIZE}, NumPy arrays.")
    keras.utils.set_random_seed(args.seed)
    example = train_measured("example", lambda callbacks: keras_io_vae.train_keras_io_vae(
        x_train, epochs=example_epochs, callbacks=callbacks,
    ), probe)

    print("\n".join(summarize(example, ours)))


if __name__ == "__main__":
    from assignment.quiet import quiet_tensorflow

    quiet_tensorflow()
    main()
