"""Tests of the evaluation metrics (autograder/metrics/).

The distance and score functions are tested on feature arrays whose answer is
known in closed form; the likelihood bounds on a toy model whose exact
likelihood is known and on a small, briefly trained VAE of the solution; the
shipped classifiers (Fashion-MNIST and MNIST) on the embedded samples' test
images. Everything is seeded and offline.
"""

import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import metrics
from autograder.metrics import likelihood, reference_points, report
from autograder.metrics.__main__ import build_parser
from autograder.metrics.__main__ import main as metrics_main
from autograder.metrics.frechet import sqrtm_psd, trace_sqrt_product

# ---------------------------------------------------------------- import ----


def test_importing_metrics_loads_no_student_code_nor_tensorflow():
    code = (
        "import sys, autograder.metrics\n"
        "names = ('vae', 'autoencoder', 'cvae', 'vqvae', 'transposed_conv',"
        " 'scipy', 'tensorflow')\n"
        "print(','.join(name for name in names if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.strip() == ""


# --------------------------------------------------------------- Fréchet ----


def random_features(n=400, d=8, shift=0.0, seed=0):
    return np.random.default_rng(seed).normal(shift, 1.0, (n, d))


def test_frechet_distance_of_identical_sets_is_zero():
    features = random_features()
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_is_symmetric():
    a, b = random_features(seed=1), random_features(n=300, shift=0.5, seed=2)
    assert metrics.frechet_distance(a, b) == pytest.approx(metrics.frechet_distance(b, a), rel=1e-9)


def test_frechet_distance_of_diagonal_gaussians_matches_closed_form():
    mu_1, mu_2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    std_1, std_2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 0.5, 0.5])
    exact = np.sum((mu_1 - mu_2) ** 2) + np.sum((std_1 - std_2) ** 2)
    fd = metrics.frechet_distance_from_statistics(mu_1, np.diag(std_1**2), mu_2, np.diag(std_2**2))
    assert fd == pytest.approx(exact, rel=1e-12)


def test_frechet_distance_from_samples_approaches_closed_form():
    rng = np.random.default_rng(0)
    mu_1, mu_2 = np.array([0.0, 1.0, -1.0, 2.0]), np.array([0.5, 0.0, -1.0, 2.0])
    std_1, std_2 = np.array([1.0, 2.0, 0.5, 1.0]), np.array([2.0, 1.0, 0.5, 1.5])
    features_1 = mu_1 + std_1 * rng.standard_normal((50_000, 4))
    features_2 = mu_2 + std_2 * rng.standard_normal((50_000, 4))
    exact = np.sum((mu_1 - mu_2) ** 2) + np.sum((std_1 - std_2) ** 2)  # 3.5
    assert metrics.frechet_distance(features_1, features_2) == pytest.approx(exact, abs=0.1)


def test_trace_sqrt_product_matches_eigenvalues_of_non_symmetric_product():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 6, 6))
    sigma_1, sigma_2 = a @ a.T, b @ b.T
    # The eigenvalues of a product of PSD matrices are real and >= 0.
    direct = np.sum(np.sqrt(np.linalg.eigvals(sigma_1 @ sigma_2).real.clip(0)))
    assert trace_sqrt_product(sigma_1, sigma_2) == pytest.approx(direct, rel=1e-8)
    root = sqrtm_psd(sigma_1)
    np.testing.assert_allclose(root @ root, sigma_1, atol=1e-9)


def test_frechet_distance_handles_singular_covariances():
    fd = metrics.frechet_distance_from_statistics(
        np.zeros(2), np.diag([1.0, 0.0]), np.zeros(2), np.diag([4.0, 0.0])
    )
    assert fd == pytest.approx(1.0, rel=1e-12)
    # Constant sets (all-zero covariances): only the means differ.
    constant_1, constant_2 = np.ones((10, 5)), np.full((10, 5), 3.0)
    assert metrics.frechet_distance(constant_1, constant_2) == pytest.approx(20.0, rel=1e-12)
    # Fewer vectors than dimensions: a rank-deficient covariance, still finite.
    fd = metrics.frechet_distance(random_features(n=5, d=32), random_features(n=7, d=32, seed=1))
    assert np.isfinite(fd) and fd > 0


def test_frechet_distance_rejects_nan_features():
    features = random_features()
    features[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metrics.frechet_distance(features, random_features())


# ------------------------------------------------ classifier-based tests ----


DATASETS = ("fashion_mnist", "mnist")
# Accuracy of the shipped classifiers on their sample's 2,000 test images, with a margin below
# the measured 0.928 (Fashion-MNIST) and 0.976 (MNIST).
SAMPLE_ACCURACY_BARS = {"fashion_mnist": 0.90, "mnist": 0.95}


@functools.cache
def shipped_classifier(dataset):
    return metrics.load_classifier(dataset)


@functools.cache
def sample_test_set(dataset):
    from assignment.datasets import load_dataset

    return load_dataset(dataset, "test", sample=True)


@pytest.fixture(scope="module")
def classifier():
    return shipped_classifier("fashion_mnist")


@pytest.fixture(scope="module")
def sample_test():
    return sample_test_set("fashion_mnist")


@pytest.mark.parametrize("dataset", DATASETS)
def test_shipped_classifier_is_accurate_on_the_sample_test_images(dataset):
    classifier, (images, labels) = shipped_classifier(dataset), sample_test_set(dataset)
    assert classifier.accuracy(images, labels) >= SAMPLE_ACCURACY_BARS[dataset]
    features, probabilities = classifier.embed(images[:10])
    assert features.shape == (10, 128) and probabilities.shape == (10, 10)


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_numpy_forward_pass_equals_the_keras_model(dataset):
    import keras

    model = metrics.build_classifier()
    model.load_weights(metrics.weights_path(dataset))
    features_model = keras.Model(model.input, [model.get_layer("features").output, model.output])
    classifier, images = shipped_classifier(dataset), sample_test_set(dataset)[0][:300]
    keras_features, keras_probabilities = (np.asarray(t) for t in features_model(images))
    features, probabilities = classifier.embed(images)
    np.testing.assert_allclose(features, keras_features, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(probabilities, keras_probabilities, rtol=1e-4, atol=1e-6)


def test_the_classifier_round_trips_through_a_keras_model(classifier, tmp_path):
    path = tmp_path / "copy.weights.h5"
    metrics.classifier.save_classifier(classifier, path)
    copy = metrics.load_classifier(path=path)
    for saved, loaded in zip(classifier.weights, copy.weights, strict=True):
        np.testing.assert_array_equal(saved, loaded)


def test_measuring_images_does_not_import_tensorflow():
    code = ("import sys, numpy as np; from autograder.metrics import load_classifier; "
            "load_classifier('fashion_mnist').embed(np.zeros((3, 28, 28, 1))); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_missing_classifier_weights_name_the_command(tmp_path):
    with pytest.raises(metrics.MissingWeightsError, match="train-classifier --dataset mnist"):
        metrics.load_classifier("mnist", path=tmp_path / "absent.weights.h5")


# Images per set: a 0.5 px blur barely changes thin digit strokes, and with 200 MNIST digits
# its FD (14.2) falls below the floor's finite-sample bias (14.3); with 500 it is 7.5 against 4.3.
@pytest.mark.parametrize("dataset, n", [("fashion_mnist", 200), ("mnist", 500)])
def test_frechet_distance_grows_with_blur_and_noise(dataset, n):
    classifier, images = shipped_classifier(dataset), sample_test_set(dataset)[0]
    reference, other = classifier.features(images[:n]), images[n : 2 * n]
    floor = metrics.frechet_distance(reference, classifier.features(other))
    for degrade, levels in (
        (reference_points.gaussian_blur, reference_points.BLUR_SIGMAS),
        (reference_points.add_gaussian_noise, reference_points.NOISE_STDDEVS),
    ):
        distances = [
            metrics.frechet_distance(reference, classifier.features(degrade(other, level)))
            for level in levels
        ]
        assert floor < distances[0] < distances[1] < distances[2], (degrade, floor, distances)


def test_reference_sets_are_disjoint_and_the_right_size():
    x_test = np.arange(10, dtype=np.float32).reshape(10, 1)
    x_train = np.arange(100, 110, dtype=np.float32).reshape(10, 1)
    reference, other, train = reference_points.split_test_set(x_test, x_train, n=4)
    assert len(reference) == len(other) == len(train) == 4
    assert not set(reference.ravel()) & set(other.ravel())
    with pytest.raises(ValueError, match="needs 12 test"):
        reference_points.split_test_set(x_test, x_train, n=6)


def test_gaussian_blur_keeps_the_mass_of_an_inner_dot():
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 14, 14, 0] = 1.0
    blurred = reference_points.gaussian_blur(image, 1.0)
    assert blurred.sum() == pytest.approx(1.0, rel=1e-5)
    assert blurred[0, 14, 14, 0] < 0.2 and blurred[0, 13, 14, 0] == blurred[0, 14, 13, 0]


# ---------------------------------------------------------------- scores ----


def test_classifier_score_is_one_for_a_constant_prediction():
    soft = np.tile([0.7, 0.2, 0.1], (50, 1))
    assert metrics.classifier_score(soft) == pytest.approx(1.0)
    assert metrics.classifier_score(np.eye(4)[np.zeros(50, int)]) == pytest.approx(1.0)


def test_classifier_score_is_k_for_confident_balanced_predictions():
    confident = np.eye(10)[np.arange(200) % 10]
    assert metrics.classifier_score(confident) == pytest.approx(10.0, rel=1e-6)
    unsure = np.full((200, 10), 0.1)
    assert metrics.classifier_score(unsure) == pytest.approx(1.0)


def test_conditional_accuracy_counts_matching_predictions():
    probabilities = np.eye(3)[[0, 1, 2, 2]]
    assert metrics.conditional_accuracy(probabilities, [0, 1, 2, 0]) == 0.75


# ------------------------------------------------------ precision/recall ----


def test_precision_recall_of_identical_sets_is_one():
    features = random_features(n=200)
    assert metrics.precision_recall(features, features) == (1.0, 1.0)


def test_precision_recall_of_far_apart_sets_is_zero():
    real, generated = random_features(n=200), random_features(n=200, shift=100.0, seed=1)
    assert metrics.precision_recall(real, generated) == (0.0, 0.0)


def test_precision_and_recall_separate_fidelity_from_coverage():
    real = random_features(n=400)
    half_far = np.concatenate([real[:200], real[200:] + 100.0])
    precision, _ = metrics.precision_recall(real, half_far)
    assert precision == pytest.approx(0.5)
    # One collapsed mode: every sample is real-looking, little variety is covered.
    collapsed = np.repeat(real[:1], 400, axis=0)
    precision, recall = metrics.precision_recall(real, collapsed)
    assert precision == 1.0 and recall < 0.05


# ------------------------------------------------------------ likelihood ----


class ConstantDecoderModel:
    """A VAE-shaped toy: q(z | x) = N(mean, exp(log_var)), p(x | z) = Bernoulli(p), whatever z.

    Its exact likelihood is the Bernoulli one, and KL(q || p(z)) is known, so
    both bounds have closed forms: -ELBO = -log p(x) + KL, and the IWAE bound
    lies between -log p(x) and -ELBO.
    """

    def __init__(self, p, mean, log_var):
        self.p, self.mean, self.log_var = p, np.asarray(mean), np.asarray(log_var)

    def encode(self, x):
        shape = (len(x), len(self.mean))
        return np.broadcast_to(self.mean, shape), np.broadcast_to(self.log_var, shape)

    def decode(self, z):
        return np.full((len(z), 28, 28, 1), self.p)


@pytest.fixture(scope="module")
def binary_images():
    images = np.random.default_rng(0).random((20, 28, 28, 1))
    return likelihood.binarize(images, seed=1)


def exact_negative_log_likelihood(x, p):
    ones = x.reshape(len(x), -1).sum(axis=1)
    return -(ones * np.log(p) + (784 - ones) * np.log(1 - p))


def test_bounds_are_exact_when_the_posterior_is_the_prior(binary_images):
    model = ConstantDecoderModel(0.3, mean=[0.0, 0.0], log_var=[0.0, 0.0])
    exact = exact_negative_log_likelihood(binary_images, 0.3)
    np.testing.assert_allclose(metrics.negative_elbo(model, binary_images), exact, rtol=1e-10)
    for k in (1, 10):
        np.testing.assert_allclose(
            metrics.importance_weighted_bound(model, binary_images, k=k), exact, rtol=1e-10
        )


def test_negative_elbo_adds_the_closed_form_kl_and_iwae_closes_the_gap(binary_images):
    # Posterior std 1.2 and 0.8: the importance weights p(z) / q(z) have finite variance.
    mean, log_var = np.array([1.0, -0.5]), np.log([1.2**2, 0.8**2])
    model = ConstantDecoderModel(0.6, mean=mean, log_var=log_var)
    kl = 0.5 * np.sum(mean**2 + np.exp(log_var) - log_var - 1)
    exact = exact_negative_log_likelihood(binary_images, 0.6)
    np.testing.assert_allclose(metrics.negative_elbo(model, binary_images), exact + kl, rtol=1e-10)
    # k = 1: an unbiased estimate of the -ELBO.
    gap = metrics.importance_weighted_bound(model, binary_images, k=1) - exact
    assert abs(gap.mean() - kl) < 4 * gap.std() / np.sqrt(len(gap))
    # k = 1000: within a fraction of the KL of the exact value, for every image.
    gap = metrics.importance_weighted_bound(model, binary_images, k=1000) - exact
    assert np.all(np.abs(gap) < 0.25 * kl), gap


class MeanPixelEncoderModel(ConstantDecoderModel):
    """The toy above whose posterior mean is the image's mean pixel (one latent dimension)."""

    def encode(self, x):
        mean = np.asarray(x).reshape(len(x), -1).mean(axis=1, keepdims=True)
        return mean, np.zeros_like(mean)


def test_encoder_inputs_replace_what_the_encoder_sees(binary_images):
    model = MeanPixelEncoderModel(0.4, mean=[0.0], log_var=[0.0])
    exact = exact_negative_log_likelihood(binary_images, 0.4)
    grey = np.full_like(binary_images, 0.5)
    np.testing.assert_allclose(
        metrics.negative_elbo(model, binary_images, encoder_inputs=grey), exact + 0.5 * 0.5**2
    )
    own_mean = binary_images.reshape(len(binary_images), -1).mean(axis=1)
    np.testing.assert_allclose(
        metrics.negative_elbo(model, binary_images), exact + 0.5 * own_mean**2
    )
    with pytest.raises(ValueError, match="encoder_inputs"):
        metrics.negative_elbo(model, binary_images, encoder_inputs=grey[:3])


def test_binarize_is_seeded_and_keeps_the_grey_level():
    images = np.random.default_rng(0).random((100, 28, 28, 1)).astype(np.float32)
    binary = likelihood.binarize(images, seed=3)
    assert set(np.unique(binary)) <= {0.0, 1.0}
    np.testing.assert_array_equal(binary, likelihood.binarize(images, seed=3))
    assert binary.mean() == pytest.approx(images.mean(), abs=0.01)


def test_bits_per_dim_converts_nats():
    assert metrics.bits_per_dim(784 * np.log(2)) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def trained_vae(solution, sample_data):
    """A latent-2 VAE of the solution after one seeded epoch on 1,000 sample images."""
    import keras

    keras.utils.set_random_seed(0)
    model = solution.vae.VAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(sample_data[0][:1000], epochs=1, batch_size=100, verbose=0)
    return model


@pytest.fixture(scope="module")
def vae_bounds(trained_vae, sample_test):
    x = likelihood.binarize(sample_test[0][:50], seed=0)
    return {
        "x": x,
        "elbo": metrics.negative_elbo(trained_vae, x, seed=0),
        **{k: metrics.importance_weighted_bound(trained_vae, x, k=k, seed=0) for k in (1, 10, 100)},
    }


def test_iwae_bound_tightens_with_k(vae_bounds):
    means = [vae_bounds[k].mean() for k in (1, 10, 100)]
    assert means[0] > means[1] + 0.5 and means[1] > means[2] + 0.2, means
    assert means[2] < vae_bounds["elbo"].mean() - 0.5


def test_iwae_with_one_sample_is_the_elbo_in_expectation(vae_bounds):
    # Same draws: the two differ only by the Monte Carlo noise of the KL term.
    difference = vae_bounds[1] - vae_bounds["elbo"]
    standard_error = difference.std() / np.sqrt(len(difference))
    assert abs(difference.mean()) < 4 * standard_error + 1e-9


def test_likelihood_bounds_are_deterministic_and_batch_independent(trained_vae, vae_bounds):
    x = vae_bounds["x"]
    again = metrics.importance_weighted_bound(trained_vae, x, k=10, seed=0, batch_size=30)
    np.testing.assert_allclose(again, vae_bounds[10], rtol=1e-5)
    other_seed = metrics.importance_weighted_bound(trained_vae, x, k=10, seed=1)
    assert not np.allclose(other_seed, vae_bounds[10])


# ---------------------------------------------------------------- report ----


def test_report_table_marks_missing_metrics():
    table = report.format_table([("ae", {"mse": 0.01234}), ("vae", {"mse": 0.02, "fd": 3.456})])
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| model | test MSE |")
    assert lines[2].startswith("| ae | 0.0123 | — |")
    assert "| 3.46 |" in lines[3]


# ---------------------------------------------------------- command line ----


def test_reference_points_run_on_the_mnist_sample(capsys):
    assert metrics_main(["reference-points", "--dataset", "mnist", "--sample", "--n", "100"]) == 0
    output = capsys.readouterr().out
    assert "data: MNIST, embedded sample (3000 train / 2000 test)" in output
    rows = [line for line in output.splitlines() if line.startswith("| ") and "|---" not in line]
    assert len(rows) == 1 + 10  # The header and one row per reference set.


def test_train_classifier_on_the_mnist_sample_writes_its_weights(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(metrics.classifier, "WEIGHTS_DIR", tmp_path)
    status = metrics_main(["train-classifier", "--dataset", "mnist", "--sample", "--epochs", "1"])
    output = capsys.readouterr().out
    assert status == 0 and "on the 2000 test images" in output
    assert "data: MNIST, embedded sample (3000 train / 2000 test)" in output
    accuracy = float(output.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.5  # Far above chance after one epoch.
    assert len(metrics.load_classifier(path=tmp_path / "mnist_classifier.weights.h5").weights) == 10


def test_train_classifier_takes_either_the_sample_or_a_data_path(capsys):
    assert build_parser().parse_args(["train-classifier", "--sample"]).sample
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train-classifier", "--sample", "--data-path", "somewhere"])
    assert "not allowed with argument" in capsys.readouterr().err
