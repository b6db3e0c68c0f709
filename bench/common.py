"""What the benchmarks share: the data, a pausable stopwatch, and the quality probe.

Every benchmark measures ours and the keras.io example in the same process, on
the same data, with the same measuring code, so that their ratio does not
depend on how busy the machine was on another day.
"""

import time

import numpy as np

from assignment.datasets import DatasetNotFoundError, describe_source, load_dataset

QUALITY_SAMPLES = 5000


def load_benchmark_data(sample=False):
    """`(x_train, x_test)` of Fashion-MNIST: the full set, or the embedded sample.

    Raises:
        SystemExit: the full data set is not installed; the message says how
            to install it, or to pass `--sample` for a quick, non-comparable run.
    """
    try:
        x_train, _ = load_dataset("fashion_mnist", "train", sample=sample, download=False)
        x_test, _ = load_dataset("fashion_mnist", "test", sample=sample, download=False)
    except DatasetNotFoundError as error:
        raise SystemExit(
            f"{error}\nThe benchmarks need the full Fashion-MNIST (`apt-get install "
            "dataset-fashion-mnist`, or see data/README.md). `--sample` runs them on the "
            "embedded sample instead, for a quick try whose figures are not comparable."
        ) from None
    print(f"Data: {describe_source('fashion_mnist', sample=sample)}.")
    return x_train, x_test


class Stopwatch:
    """Wall time that can be paused, so that measuring a model does not count as training it."""

    def __init__(self):
        self.elapsed = 0.0
        self.started = None

    def start(self):
        self.started = time.perf_counter()

    def pause(self):
        self.elapsed += time.perf_counter() - self.started
        self.started = None

    @property
    def seconds(self):
        running = 0.0 if self.started is None else time.perf_counter() - self.started
        return self.elapsed + running


class QualityProbe:
    """Measures a VAE on fixed inputs: test negative ELBO and domain Fréchet distance.

    - The test negative ELBO (nats per image) is the example's loss on the test
      images, `sum BCE(x, decode(z)) + KL`, with one draw of `z` per image from
      a fixed seed (`autograder.metrics.negative_elbo`).
    - The Fréchet distance is measured in the evaluation classifier's feature
      space between `QUALITY_SAMPLES` images decoded from fixed prior codes and
      as many test images (`autograder.metrics.frechet_distance`).

    Args:
        x_test: the test images.
        latent_dim: size of the codes.
        seed: seed of the ELBO's draws and of the prior codes.
    """

    def __init__(self, x_test, latent_dim=2, seed=0):
        from autograder.metrics import load_classifier

        self.x_test = x_test
        self.seed = seed
        self.classifier = load_classifier("fashion_mnist")
        count = min(QUALITY_SAMPLES, len(x_test))
        self.reference = self.classifier.features(x_test[:count])
        self.codes = np.random.default_rng(seed).standard_normal((count, latent_dim))
        self.codes = self.codes.astype(np.float32)

    def measure(self, model):
        """`{"neg_elbo": float, "fd": float}` of a model with `encode` and `decode`."""
        from autograder.metrics import frechet_distance, negative_elbo

        samples = np.concatenate([
            np.asarray(model.decode(self.codes[start:start + 1000]))
            for start in range(0, len(self.codes), 1000)
        ])
        return {
            "neg_elbo": float(np.mean(negative_elbo(model, self.x_test, seed=self.seed))),
            "fd": frechet_distance(self.reference, self.classifier.features(samples)),
        }
