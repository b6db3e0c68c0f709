"""Evaluation metrics of autoencoders and VAEs, independent of the code they judge.

Every metric takes arrays or a trained model as arguments; nothing here
imports student code, so the autograder can measure a submission's outputs in
its own process. TensorFlow is imported only by the functions that run a
network (the classifier, the likelihood bounds call the model they are given).

- `classifier`: the evaluation classifier shipped in `autograder/weights/`
  (`load_classifier`), its features and class probabilities.
- `frechet`: the domain Fréchet distance between two sets of features.
- `scores`: the classifier score (Inception-Score analogue) and the
  conditional accuracy of a conditional model.
- `precision_recall`: k-NN precision and recall of generated features.
- `quality`: all of the above for one set of images, in one call.
- `likelihood`: negative ELBO and importance-weighted bound of a VAE, in nats
  and bits per dimension.
- `reference_points` and `report`: the tables printed by
  `python -m autograder.metrics reference-points` and `... report`.
"""

from autograder.metrics.classifier import (
    EvaluationClassifier,
    MissingWeightsError,
    build_classifier,
    load_classifier,
    weights_path,
)
from autograder.metrics.frechet import (
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
)
from autograder.metrics.likelihood import (
    binarize,
    bits_per_dim,
    importance_weighted_bound,
    negative_elbo,
)
from autograder.metrics.precision_recall import precision_recall
from autograder.metrics.quality import sample_quality
from autograder.metrics.scores import classifier_score, conditional_accuracy

__all__ = [
    "EvaluationClassifier",
    "MissingWeightsError",
    "binarize",
    "bits_per_dim",
    "build_classifier",
    "classifier_score",
    "conditional_accuracy",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "importance_weighted_bound",
    "load_classifier",
    "negative_elbo",
    "precision_recall",
    "sample_quality",
    "weights_path",
]
