"""What the quality checks measure generated images and likelihoods with.

The evaluation classifier shipped with the autograder (`autograder.metrics`)
gives the features of the domain Fréchet distance and the class of a sample;
the real-image reference is the embedded sample's test split. Used by the
checks of the VAE and the conditional VAE graded after the due date.
"""

import functools

import numpy as np

from autograder.checks.common import IMAGE_SHAPE
from autograder.checks.registry import Check
from autograder.reference.vae import mean_negative_elbo


@functools.lru_cache(maxsize=2)
def evaluation_classifier(dataset):
    """The evaluation classifier shipped for `dataset` (loaded once per grading process)."""
    from autograder.metrics import load_classifier

    return load_classifier(dataset)


@functools.lru_cache(maxsize=2)
def reference_features(dataset):
    """Classifier features of the embedded sample's 2,000 test images, the real-image reference."""
    from assignment.datasets import load_dataset

    return evaluation_classifier(dataset).features(load_dataset(dataset, "test", sample=True)[0])


class SampleMeasuringCheck(Check):
    """A check that scores generated images with `measure_samples`."""

    def prepare(self, ctx):
        """Loads the evaluation classifier and embeds the real-image reference (once a process)."""
        reference_features(ctx.dataset)


def quality_inputs(ctx, key, count, latent_dim):
    """Binarized test images `(count, 28, 28, 1)`, their labels, and noise `(count, latent_dim)`.

    The test negative ELBO is measured on stochastically binarized images (see
    `autograder.metrics.binarize`), with `z = mu + sigma * eps` drawn from the
    grader's noise `eps`.
    """
    from autograder.metrics import binarize

    images, labels = ctx.test_data
    rng = ctx.rng(key)
    index = np.sort(rng.choice(len(images), count, replace=False))
    return (binarize(images[index], seed=ctx.seed), labels[index],
            np.float32(rng.standard_normal((count, latent_dim))))


def measure_samples(samples, dataset, labels=None):
    """Domain Fréchet distance of generated images to the test reference, and their accuracy.

    Args:
        samples: generated images `(N, 28, 28, 1)`.
        dataset: the data set they imitate; its classifier and test images measure them.
        labels: for a conditional model, the labels the images were generated for.

    Returns:
        A dict with `"fd"` and, with `labels`, `"conditional_accuracy"`.
    """
    from autograder.metrics import conditional_accuracy, frechet_distance

    classifier = evaluation_classifier(dataset)
    features, probabilities = classifier.embed(np.clip(np.float32(samples), 0, 1))
    metrics = {"fd": frechet_distance(reference_features(dataset), features)}
    if labels is not None:
        metrics["conditional_accuracy"] = conditional_accuracy(probabilities, labels)
    return metrics


def check_samples(samples, count):
    """None when `samples` are `count` finite images, else what is wrong with them.

    Pixels outside [0, 1] are the decoder's output layer's business (graded
    by the decoder's own check): `measure_samples` measures them clipped.
    """
    samples = np.float32(samples)
    if samples.shape != (count, *IMAGE_SHAPE):
        return f"shape {samples.shape} instead of {(count, *IMAGE_SHAPE)}"
    if not np.all(np.isfinite(samples)):
        return "NaN or infinite pixels"
    return None


def posterior_negative_elbo(value, x_eval):
    """Mean test negative ELBO (nats per image) from a quality probe's posterior of `x_eval`.

    Args:
        value: a probe's `z_mean`, `z_log_var` and `x_hat`, the decoding of
            one draw of z per image with the grader's noise.
        x_eval: the (binarized) images that were encoded.
    """
    return mean_negative_elbo(x_eval, value["x_hat"], value["z_mean"], value["z_log_var"])
