"""The metrics of the reference models after their default training, as a table.

`python -m autograder.metrics report` loads (or trains once, through
`assignment.model_cache`) each reference model of the solution with its
default recipe, and measures on the test set:

- **test MSE**: mean squared error per pixel of the deterministic
  reconstruction (VAEs decode the posterior mean `z_mean`);
- **-ELBO** and **IWAE bound** (k = 100) in nats per image, and the IWAE bound in
  bits per dimension, on the first 2000 test images, stochastically binarized
  (VAEs only; for the conditional VAE they bound `-log p(x | y)`); the
  encoder proposes codes from the grey-level images (see `likelihood.py`). The IWAE
  bound decodes `k` codes per image: 2000 images keep it to minutes on a CPU;
- for `n` images generated from the prior (the conditional VAE: `n / 10` per
  class), against the same `n` real test images as the reference points:
  **domain FD**, **classifier score**, **precision / recall** and, for the
  conditional VAE, the **conditional accuracy**.

A first row measures `n` real training images the same way: the best any model
can do.
"""

import numpy as np

from autograder.metrics import likelihood
from autograder.metrics.classifier import load_classifier
from autograder.metrics.quality import sample_quality
from autograder.metrics.reference_points import split_test_set

MODELS = ("linear-ae", "ae", "dae", "vae", "cvae", "vqvae")
COLUMNS = (
    ("mse", "test MSE", "{:.4f}"),
    ("neg_elbo", "−ELBO (nats)", "{:.1f}"),
    ("iwae", "IWAE bound (nats)", "{:.1f}"),
    ("iwae_bits_per_dim", "IWAE (bits/dim)", "{:.3f}"),
    ("fd", "domain FD", "{:.2f}"),
    ("classifier_score", "classifier score", "{:.2f}"),
    ("precision", "precision", "{:.3f}"),
    ("recall", "recall", "{:.3f}"),
    ("conditional_accuracy", "conditional accuracy", "{:.3f}"),
)


def reconstruct(model, name, x, y, batch_size=500):
    """Deterministic reconstructions of `x` (labels `y` are used by the CVAE only)."""
    parts = []
    for start in range(0, len(x), batch_size):
        images, labels = x[start : start + batch_size], y[start : start + batch_size]
        if name == "vae":
            output = model.decode(model.encode(images)[0])
        elif name == "cvae":
            output = model.decode((model.encode((images, labels))[0], labels))
        else:
            output = model(images, training=False)
        parts.append(np.asarray(output))
    return np.concatenate(parts)


def generate(model, name, n, seed=0):
    """`n` images from the prior and their labels (None except for the CVAE)."""
    if name == "cvae":
        labels = np.arange(n) % 10
        return np.asarray(model.sample(labels, seed=seed)), labels
    return np.asarray(model.sample(n, seed=seed)), None


def measure_model(model, name, test, binary_test, classifier, reference_features, iwae_k=100,
                  seed=0):
    """The row of one model: a dict of column key to float (missing keys: not applicable).

    Args:
        model: the trained model.
        name: its model name.
        test: `(x_test, y_test)`, for the reconstruction error.
        binary_test: the first `len(binary_test)` images of `x_test`,
            binarized, for the likelihood bounds.
        classifier: an `EvaluationClassifier`.
        reference_features: features of the real images the samples are
            compared with; as many samples are generated.
        iwae_k: importance samples of the IWAE bound.
        seed: seed of the likelihood draws and of the generated images.
    """
    x_test, y_test = test
    row = {"mse": float(np.mean(np.square(reconstruct(model, name, x_test, y_test) - x_test)))}
    if name in ("vae", "cvae"):
        m = len(binary_test)
        bound_arguments = dict(
            seed=seed, labels=y_test[:m] if name == "cvae" else None, encoder_inputs=x_test[:m]
        )
        row["neg_elbo"] = float(np.mean(
            likelihood.negative_elbo(model, binary_test, **bound_arguments)
        ))
        row["iwae"] = float(np.mean(
            likelihood.importance_weighted_bound(model, binary_test, k=iwae_k, **bound_arguments)
        ))
        row["iwae_bits_per_dim"] = likelihood.bits_per_dim(row["iwae"])
        images, labels = generate(model, name, len(reference_features), seed)
        row.update(sample_quality(classifier, images, reference_features, labels))
    return row


def build_report(models=MODELS, dataset="fashion_mnist", sample=None, n=5000, iwae_k=100,
                 likelihood_images=2000, seed=0, log=print):
    """Measures the reference models; trains those not cached yet.

    Args:
        models: model names (see `assignment.training.MODEL_NAMES`).
        dataset: data set name.
        sample: as for `cached_model`: None uses the full data set when it is
            installed, else the embedded sample (then `n` must be at most 1000).
        n: number of generated and of real images for FD, classifier score,
            precision and recall.
        iwae_k: importance samples of the IWAE bound.
        likelihood_images: how many test images (the first ones) the
            likelihood bounds are measured on.
        seed: seed of the binarization, the draws and the generated images.
        log: function that prints one line of progress.

    Returns:
        A list of `(row name, {column key: float})`.
    """
    from assignment import datasets, model_cache

    if sample is None:
        sample = not model_cache.full_data_available(dataset)
    log(f"data: {datasets.describe_source(dataset, sample=sample)}")
    test = datasets.load_dataset(dataset, "test", sample=sample)
    x_train, _ = datasets.load_dataset(dataset, "train", sample=sample)
    classifier = load_classifier(dataset)
    reference, _, train = split_test_set(test[0], x_train, n, seed)
    reference_features = classifier.features(reference)
    rows = [("real training images", sample_quality(classifier, train, reference_features))]
    binary_test = likelihood.binarize(test[0][:likelihood_images], seed)
    for name in models:
        model = model_cache.cached_model(name, dataset=dataset, sample=sample, log=log)
        log(f"measuring {name} ...")
        rows.append((name, measure_model(
            model, name, test, binary_test, classifier, reference_features, iwae_k, seed
        )))
    return rows


def format_table(rows):
    """A Markdown table of `build_report`'s rows; "—" where a metric does not apply."""
    lines = [
        "| model | " + " | ".join(title for _, title, _ in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for name, row in rows:
        cells = [form.format(row[key]) if key in row else "—" for key, _, form in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
