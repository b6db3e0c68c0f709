"""Scores computed from the evaluation classifier's class probabilities.

- The **classifier score** is the Inception Score (Salimans et al., 2016) with
  the domain classifier in place of Inception:
  `exp(E_x KL(p(y | x) || p(y)))`, where `p(y)` is the mean of `p(y | x)` over
  the images. It is high when each image is confidently one class (sharp
  `p(y | x)`) *and* the classes are evenly represented (broad `p(y)`): from 1
  (every image gets the same prediction) to the number of classes `K` (each
  image certain of its class, and the classes equally frequent).
- The **conditional accuracy** of a conditional model is the fraction of the
  images generated for label `y` that the classifier assigns to class `y`.
"""

import numpy as np


def classifier_score(probabilities, eps=1e-12):
    """The Inception-Score analogue of a set of images.

    Args:
        probabilities: class probabilities `p(y | x)`, shape `(N, K)`, rows
            summing to 1.
        eps: floor inside the logarithms, so that zero probabilities are safe.

    Returns:
        A float in [1, K].
    """
    p_y_given_x = np.asarray(probabilities, dtype=np.float64)
    if p_y_given_x.ndim != 2 or len(p_y_given_x) == 0:
        raise ValueError(f"Expected probabilities of shape (N, K), got {p_y_given_x.shape}.")
    p_y = p_y_given_x.mean(axis=0, keepdims=True)
    kl = np.sum(p_y_given_x * (np.log(p_y_given_x + eps) - np.log(p_y + eps)), axis=1)
    return float(np.exp(np.mean(kl)))


def conditional_accuracy(probabilities, labels):
    """Fraction of images whose most probable class is the label they were generated for.

    Args:
        probabilities: class probabilities of the generated images, `(N, K)`.
        labels: the labels the images were generated for, `(N,)` integers.

    Returns:
        A float in [0, 1].
    """
    predicted = np.argmax(np.asarray(probabilities), axis=-1)
    labels = np.asarray(labels)
    if predicted.shape != labels.shape:
        raise ValueError(f"{len(predicted)} predictions for {labels.size} labels.")
    return float(np.mean(predicted == labels))
