"""The evaluation classifier: a small CNN whose features measure sample quality.

Generated images are judged by a classifier trained on the real data set, the
way the Inception network is used for natural images (FID, Inception Score),
but small and trained on the same 28x28 images as the models:

- its **features**, the 128 activations of the penultimate `Dense` layer, feed
  the domain Fréchet distance and the precision / recall of generated images;
- its **class probabilities** feed the classifier score and the conditional
  accuracy of a conditional VAE.

`python -m autograder.metrics train-classifier --dataset NAME` trains it with a
fixed seed on the training set (`--sample`: the embedded sample's) and writes
the weights shipped with the autograder,
`autograder/weights/<NAME>_classifier.weights.h5`.
"""

import time
from pathlib import Path

import numpy as np

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
NUM_CLASSES = 10
FEATURE_LAYER = "features"
EPOCHS = 12
BATCH_SIZE = 128
SEED = 0


class MissingWeightsError(FileNotFoundError):
    """The classifier weights of a data set are not in `autograder/weights/`."""


def weights_path(dataset="fashion_mnist"):
    """Where the classifier weights of `dataset` live (the file may not exist)."""
    return WEIGHTS_DIR / f"{dataset}_classifier.weights.h5"


def build_classifier(num_classes=NUM_CLASSES):
    """Builds the (untrained, uncompiled) classifier CNN.

    Three 3x3 `Conv2D` + max-pooling blocks (28 -> 14 -> 7 -> 3), a `Dense(128)`
    feature layer named `"features"` and a softmax layer. About 131 000
    weights: the saved file is about half a megabyte.

    Args:
        num_classes: number of classes.

    Returns:
        A functional `keras.Model` mapping images `(N, 28, 28, 1)` to class
        probabilities `(N, num_classes)`.
    """
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    x = inputs
    for filters in (32, 64, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="evaluation_classifier")


class EvaluationClassifier:
    """The trained classifier, run in NumPy: features and probabilities as arrays.

    The forward pass is written in NumPy (3x3 convolutions as matrix products
    over image patches), so that measuring images needs no TensorFlow: the
    grading process, which scores every submission's samples, never imports
    it (it saves that process about 700 MB), and the features do not depend on
    TensorFlow's version or kernels. The tests check it against the Keras model
    of `build_classifier`.

    Args:
        weights: the arrays of `build_classifier`'s model, in its order
            (`model.get_weights()`): kernel and bias of the three convolutions,
            of the feature layer and of the softmax layer.
        batch_size: images per forward pass; it bounds memory (traced peak
            embedding 1,000 images: 21 MB with 64, 81 MB with 250; 0.23-0.26 s
            with 64, 0.35-0.54 s with 250, one BLAS thread).
    """

    def __init__(self, weights, batch_size=64):
        weights = [np.asarray(array, dtype=np.float32) for array in weights]
        if len(weights) != 10:
            raise ValueError(f"Expected the 10 weight arrays of build_classifier's model, "
                             f"got {len(weights)}.")
        self.convolutions = [tuple(weights[index:index + 2]) for index in (0, 2, 4)]
        self.feature_layer = tuple(weights[6:8])
        self.output_layer = tuple(weights[8:10])
        self.batch_size = batch_size

    @property
    def weights(self):
        """The weight arrays, in `build_classifier`'s order."""
        layers = (*self.convolutions, self.feature_layer, self.output_layer)
        return [array for layer in layers for array in layer]

    @classmethod
    def from_model(cls, model):
        """The classifier of a trained Keras model built by `build_classifier`."""
        return cls(model.get_weights())

    def embed(self, images):
        """Returns `(features, probabilities)` of images.

        Args:
            images: float images in [0, 1], shape `(N, 28, 28, 1)`.

        Returns:
            `features` of shape `(N, 128)` and class `probabilities` of shape
            `(N, num_classes)`, both float64 NumPy arrays.
        """
        images = np.asarray(images, dtype=np.float32)
        features, probabilities = [], []
        for start in range(0, len(images), self.batch_size):
            batch_features, batch_probabilities = self._forward(
                images[start : start + self.batch_size])
            features.append(batch_features.astype(np.float64))
            probabilities.append(batch_probabilities.astype(np.float64))
        if not features:
            return np.zeros((0, self.feature_layer[1].size)), np.zeros((0, NUM_CLASSES))
        return np.concatenate(features), np.concatenate(probabilities)

    def _forward(self, x):
        for kernel, bias in self.convolutions:
            x = _max_pool_2x2(np.maximum(_conv_3x3_same(x, kernel) + bias, 0.0))
        x = x.reshape(len(x), -1)  # Keras's Flatten: row-major over (height, width, channels).
        features = np.maximum(x @ self.feature_layer[0] + self.feature_layer[1], 0.0)
        logits = features @ self.output_layer[0] + self.output_layer[1]
        logits -= logits.max(axis=-1, keepdims=True)
        exponentials = np.exp(logits)
        return features, exponentials / exponentials.sum(axis=-1, keepdims=True)

    def features(self, images):
        """The penultimate-layer features of images, shape `(N, 128)`."""
        return self.embed(images)[0]

    def probabilities(self, images):
        """The class probabilities of images, shape `(N, num_classes)`."""
        return self.embed(images)[1]

    def accuracy(self, images, labels):
        """The fraction of images whose most probable class is their label."""
        predicted = np.argmax(self.probabilities(images), axis=-1)
        return float(np.mean(predicted == np.asarray(labels)))


def _conv_3x3_same(x, kernel):
    """Keras's `Conv2D(f, 3, padding="same")` without bias: `(N, H, W, C) -> (N, H, W, f)`.

    One matrix product of the image patches, laid out as the nine shifted
    copies of the padded images side by side (`(N * H * W, 9 * C)`, in the
    kernel's row-major order), with the kernel as a `(9 * C, f)` matrix.
    Embedding the 2,000 test images of the sample, one BLAS thread: 0.48-0.49 s,
    against 0.64-0.70 s for `np.tensordot` over a sliding-window view of the
    same patches (features equal within 3.4e-6).
    """
    n, height, width, channels = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    patches = np.concatenate([padded[:, row:row + height, column:column + width]
                              for row in range(3) for column in range(3)], axis=-1)
    return (patches.reshape(-1, 9 * channels) @ kernel.reshape(9 * channels, -1)).reshape(
        n, height, width, -1)


def _max_pool_2x2(x):
    """Keras's `MaxPooling2D(2)` (valid: an odd last row or column is dropped)."""
    n, height, width, channels = x.shape
    x = x[:, : height // 2 * 2, : width // 2 * 2]
    return x.reshape(n, height // 2, 2, width // 2, 2, channels).max(axis=(2, 4))


def _read_weights(path):
    """The arrays of a `.weights.h5` file of `build_classifier`'s model, in the model's order.

    Keras stores each layer's variables under `layers/<class name>[_<n>]/vars/<i>`;
    the convolutions and the Dense layers are taken in the order of `<n>`.
    """
    import h5py

    def order(name):
        base, _, number = name.rpartition("_")
        return (base, int(number)) if number.isdigit() and base else (name, 0)

    with h5py.File(path, "r") as file:
        layers = file["layers"]
        names = sorted((name for name in layers if name.startswith(("conv2d", "dense"))),
                       key=order)
        names = ([name for name in names if name.startswith("conv2d")]
                 + [name for name in names if name.startswith("dense")])
        return [layers[name]["vars"][str(index)][()] for name in names for index in range(2)]


def load_classifier(dataset="fashion_mnist", path=None):
    """Loads the shipped evaluation classifier of a data set.

    Args:
        dataset: data set name, e.g. `"fashion_mnist"`.
        path: a `.weights.h5` file to load instead of the shipped one.

    Returns:
        An `EvaluationClassifier`.

    Raises:
        MissingWeightsError: the weights file does not exist; the message says
            which command creates it.
    """
    path = Path(path) if path is not None else weights_path(dataset)
    if not path.is_file():
        raise MissingWeightsError(
            f"No evaluation classifier for {dataset}: {path} does not exist. "
            f"Train it with `python -m autograder.metrics train-classifier --dataset {dataset}` "
            "on the full training set, or add `--sample` to train it on the embedded sample."
        )
    return EvaluationClassifier(_read_weights(path))


def save_classifier(classifier, path):
    """Writes the weights of a classifier, without the optimizer's state.

    Args:
        classifier: an `EvaluationClassifier`.
        path: the file, ending in `.weights.h5`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bare = build_classifier()  # Uncompiled: saves the layers' weights only.
    bare.set_weights(classifier.weights)
    bare.save_weights(path)


def train_classifier(dataset="fashion_mnist", epochs=EPOCHS, seed=SEED, data_path=None,
                     sample=False, verbose=2):
    """Trains the evaluation classifier on a training set, with a fixed seed.

    Adam (learning rate 1e-3), batch size 128, sparse categorical
    cross-entropy, no data augmentation.

    Args:
        dataset: data set name.
        epochs: number of epochs.
        seed: seeds Python, NumPy and TensorFlow.
        data_path: explicit folder of the IDX files (see `load_dataset`).
        sample: train on the embedded sample's training split and measure on
            its test split, instead of the full data set.
        verbose: Keras's `fit` verbosity.

    Returns:
        `(classifier, info)`: an `EvaluationClassifier` and a dict with the
        test accuracy (`"test_accuracy"`), the number of test images it was
        measured on (`"test_images"`) and the training time in seconds
        (`"train_seconds"`).
    """
    import keras

    from assignment.datasets import load_dataset

    x_train, y_train = load_dataset(dataset, "train", path=data_path, sample=sample)
    x_test, y_test = load_dataset(dataset, "test", path=data_path, sample=sample)
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True,
              verbose=verbose)
    seconds = time.perf_counter() - start
    classifier = EvaluationClassifier.from_model(model)
    return classifier, {
        "test_accuracy": classifier.accuracy(x_test, y_test),
        "test_images": len(x_test),
        "train_seconds": seconds,
    }
