"""Part 4, graded after the due date: the samples show the requested class."""

import numpy as np

from autograder.checks.after_due_date.sample_quality import (
    SampleMeasuringCheck,
    check_samples,
    measure_samples,
    posterior_negative_elbo,
    quality_inputs,
)
from autograder.checks.common import VAE_TRAINING_STAND_INS, credit, training_epochs, training_seed
from autograder.checks.registry import Outcome, register, require
from autograder.protocol import Probe


@register("cvae.conditional_accuracy")
class ConditionalAccuracy(SampleMeasuringCheck):
    """Samples of each requested class are recognised as that class by the evaluation classifier.

    The worker trains the student's `ConditionalVAE` with the course recipe
    (`assignment.training.RECIPES["cvae"]`, latent dimension 2) for `EPOCHS`
    epochs on the embedded sample's first `TRAIN_COUNT` training images, in
    batches of `BATCH_SIZE` instead of the recipe's 128 (as many steps as
    over all 6,000 in batches of 128, for half the computation), and
    generates `PER_CLASS` images of each class. The credit is linear in the
    conditional accuracy between the two lines of `ACCURACY_LINES`; the
    samples' Fréchet distance and the test negative ELBO of `log p(x | y)` go
    to the leaderboard.

    Measured over grading seeds 0-4 on three correct implementations
    (`python -m tests.fixtures.calibrate cvae.conditional_accuracy --seeds 5
    assignment/solution tests/fixtures/alt_impl tests/fixtures/handout_impl`):
    46.6-49.8 % for the reference solution, 41.0-49.5 % for the alternative
    implementation, 40.4-47.2 % for the one written from the handout; the
    pass line leaves 7.4 points below the worst of them. The mutants
    `cvae_decoder_ignores_label` and `cvae_sample_ignores_labels` measured
    10.7 % and 9.9 % (seed 0), chance level, below the no-credit line. On all
    6,000 images in batches of 128 the three measured 38.6-50.0 %; after 3
    epochs of those, 46.0-53.7 %; after 1, 14.2-23.4 %, too close to chance.

    On the MNIST sample (`--dataset mnist`, its 3,000 digits, as many steps):
    77.6-92.5 %, 65.6-80.1 % and 61.7-88.7 % for the three, the
    decoder-ignores-label mutant 9.6 % (seed 0); the same lines leave 28.7
    points below the worst.
    """

    EPOCHS = 2
    TRAIN_COUNT = 3000
    BATCH_SIZE = 64
    PER_CLASS = 200
    EVAL_IMAGES = 1000
    # (full credit, no credit) per data set of the embedded sample (`GradingContext.dataset`).
    ACCURACY_LINES = {"fashion_mnist": (0.33, 0.15), "mnist": (0.33, 0.15)}

    def probes(self, ctx):
        from assignment.training import RECIPES

        x_eval, y_eval, eps = quality_inputs(ctx, self.id, self.EVAL_IMAGES,
                                             RECIPES["cvae"].latent_dim)
        return {"quality": Probe("cvae.quality", {
            "epochs": training_epochs(ctx, self.EPOCHS, self.TRAIN_COUNT),
            "train_count": self.TRAIN_COUNT, "batch_size": self.BATCH_SIZE,
            "labels": np.repeat(np.arange(10), self.PER_CLASS),
            "sample_seed": training_seed(ctx, self.id) + 1,
            "seed": training_seed(ctx, self.id), "dataset": ctx.dataset,
            "x_eval": x_eval, "y_eval": y_eval, "eps": eps,
        }, time_limit=150.0, stand_ins=VAE_TRAINING_STAND_INS)}

    def score(self, results, ctx):
        accuracy_pass, accuracy_fail = self.ACCURACY_LINES[ctx.dataset]
        value = require(results, "quality")
        kwargs = results["quality"].inputs
        problem = check_samples(value["samples"], len(kwargs["labels"]))
        if problem:
            return Outcome.failed(f"{len(kwargs['labels'])} finite images", problem,
                                  "sample(labels) must return one decoded image per label.")
        metrics = measure_samples(value["samples"], ctx.dataset, labels=kwargs["labels"])
        accuracy = metrics["conditional_accuracy"]
        nelbo = posterior_negative_elbo(value, kwargs["x_eval"])
        fraction = credit(accuracy, accuracy_pass, accuracy_fail)
        return Outcome(
            fraction,
            expected=f"conditional accuracy >= {accuracy_pass:.0%} "
                     f"(none below {accuracy_fail:.0%}; chance is 10%)",
            got=f"conditional accuracy {accuracy:.1%}, Fréchet distance {metrics['fd']:.1f}, "
                f"negative ELBO {nelbo:.1f} nats (after {kwargs['epochs']} epochs)",
            feedback="The samples show the requested classes." if fraction == 1.0 else (
                "After the same short training as the correct implementations, fewer samples "
                "are recognised as the class they were generated for than with any of them. "
                "The visible check of the labels shows whether they reach the encoder, the "
                "decoder and sample."),
            leaderboard={"CVAE conditional accuracy": (accuracy, "desc"),
                         "CVAE Fréchet distance": (metrics["fd"], "asc"),
                         "CVAE test negative ELBO (nats)": (nelbo, "asc")},
        )
