"""The evaluation classifier: a small CNN whose features measure sample quality.

Generated images are judged by a classifier trained on the real data set, the
way the Inception network is used for natural images (FID, Inception Score),
but small and trained on the same 28x28 images as the models:

- its **features**, the 128 activations of the penultimate `Dense` layer, feed
  the domain Fréchet distance and the precision / recall of generated images;
- its **class probabilities** feed the classifier score and the conditional
  accuracy of a conditional VAE.

`python -m autograder.metrics train-classifier --dataset NAME` trains it with a
fixed seed on the full training set and writes the weights shipped with the
autograder, `autograder/weights/<NAME>_classifier.weights.h5`.
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
    """A trained classifier, with its features and probabilities as NumPy arrays.

    Args:
        model: a model built by `build_classifier`, with trained weights.
        batch_size: images per forward pass (bounds memory).
    """

    def __init__(self, model, batch_size=1000):
        import keras

        self.model = model
        self.batch_size = batch_size
        self.embedding_model = keras.Model(
            model.input, [model.get_layer(FEATURE_LAYER).output, model.output]
        )

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
            batch = images[start : start + self.batch_size]
            batch_features, batch_probabilities = self.embedding_model(batch, training=False)
            features.append(np.asarray(batch_features, dtype=np.float64))
            probabilities.append(np.asarray(batch_probabilities, dtype=np.float64))
        return np.concatenate(features), np.concatenate(probabilities)

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
            "(it needs the full training set of that data set)."
        )
    model = build_classifier()
    model.load_weights(path)
    return EvaluationClassifier(model)


def save_classifier(classifier, path):
    """Writes the weights of a classifier, without the optimizer's state.

    Args:
        classifier: an `EvaluationClassifier`.
        path: the file, ending in `.weights.h5`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bare = build_classifier()  # Uncompiled: saves the layers' weights only.
    bare.set_weights(classifier.model.get_weights())
    bare.save_weights(path)


def train_classifier(dataset="fashion_mnist", epochs=EPOCHS, seed=SEED, data_path=None,
                     verbose=2):
    """Trains the evaluation classifier on the full training set, with a fixed seed.

    Adam (learning rate 1e-3), batch size 128, sparse categorical
    cross-entropy, no data augmentation.

    Args:
        dataset: data set name.
        epochs: number of epochs.
        seed: seeds Python, NumPy and TensorFlow.
        data_path: explicit folder of the IDX files (see `load_dataset`).
        verbose: Keras's `fit` verbosity.

    Returns:
        `(classifier, info)`: an `EvaluationClassifier` and a dict with the
        test accuracy and the training time in seconds.
    """
    import keras

    from assignment.datasets import load_dataset

    x_train, y_train = load_dataset(dataset, "train", path=data_path)
    x_test, y_test = load_dataset(dataset, "test", path=data_path)
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
    classifier = EvaluationClassifier(model)
    return classifier, {
        "test_accuracy": classifier.accuracy(x_test, y_test),
        "train_seconds": seconds,
    }
