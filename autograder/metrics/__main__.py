"""Command line of the evaluation metrics: ``python -m autograder.metrics COMMAND``.

Commands:

- ``train-classifier [--dataset NAME] [--sample]``: trains the evaluation classifier
  on the full training set (or the embedded sample's) and writes
  ``autograder/weights/NAME_classifier.weights.h5``.
- ``reference-points``: prints the domain Fréchet distance between real test
  images and real or degraded images (the scale on which FD values are read).
- ``report``: trains (once, cached) the reference models and prints the table of
  their metrics.
"""

import argparse
import sys

from assignment.quiet import quiet_tensorflow

# Before anything imports TensorFlow: its start-up chatter stays off the terminal.
quiet_tensorflow()


def train_classifier(args):
    """``train-classifier``: trains, reports the test accuracy, writes the weights."""
    from assignment import datasets
    from autograder.metrics import classifier

    print(f"training the {args.dataset} evaluation classifier ({args.epochs} epochs, "
          f"seed {args.seed}) ...")
    trained, info = classifier.train_classifier(
        args.dataset, epochs=args.epochs, seed=args.seed, data_path=args.data_path,
        sample=args.sample,
    )
    # Described after training: a data set that was downloaded is local only by then.
    print(f"data: {datasets.describe_source(args.dataset, args.sample, args.data_path)}")
    path = classifier.weights_path(args.dataset)
    classifier.save_classifier(trained, path)
    print(f"test accuracy {info['test_accuracy']:.4f} on the {info['test_images']} test images, "
          f"trained in {info['train_seconds']:.0f} s")
    print(f"saved {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


def print_reference_points(args):
    """``reference-points``: prints the table of real and degraded image sets."""
    from assignment import datasets, model_cache
    from autograder.metrics.classifier import load_classifier
    from autograder.metrics.reference_points import reference_points

    sample = args.sample or not model_cache.full_data_available(args.dataset)
    n = args.n or (1000 if sample else 5000)
    print(f"data: {datasets.describe_source(args.dataset, sample=sample)}")
    print(f"each set: {n} images, against the same {n} test images (seed {args.seed})\n")
    x_test, _ = datasets.load_dataset(args.dataset, "test", sample=sample)
    x_train, _ = datasets.load_dataset(args.dataset, "train", sample=sample)
    rows = reference_points(load_classifier(args.dataset), x_test, x_train, n=n, seed=args.seed)
    print("| compared with the test images | domain FD | classifier score | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    for description, metrics in rows:
        print(f"| {description} | {metrics['fd']:.2f} | {metrics['classifier_score']:.2f} "
              f"| {metrics['precision']:.3f} | {metrics['recall']:.3f} |")
    return 0


def print_report(args):
    """``report``: prints the table of the reference models' metrics."""
    from autograder.metrics.report import build_report, format_table

    sample = True if args.sample else None
    rows = build_report(
        models=args.models, dataset=args.dataset, sample=sample,
        n=args.n or (1000 if sample else 5000), iwae_k=args.iwae_k,
        likelihood_images=args.likelihood_images, seed=args.seed,
    )
    print()
    print(format_table(rows))
    return 0


def build_parser():
    """The argument parser, one subcommand per function above."""
    from autograder.metrics import classifier
    from autograder.metrics.report import MODELS

    parser = argparse.ArgumentParser(
        prog="python -m autograder.metrics",
        description="Evaluation classifier, reference points and the metrics report.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train-classifier", help="train the evaluation classifier and save its weights"
    )
    train.add_argument("--dataset", default="fashion_mnist", choices=("fashion_mnist", "mnist"))
    train.add_argument("--epochs", type=int, default=classifier.EPOCHS)
    train.add_argument("--seed", type=int, default=classifier.SEED)
    source = train.add_mutually_exclusive_group()
    source.add_argument("--data-path", default=None,
                        help="folder of the IDX files (default: the usual search path)")
    source.add_argument("--sample", action="store_true",
                        help="train and measure on the embedded sample instead of the full set")
    train.set_defaults(run=train_classifier)

    points = commands.add_parser(
        "reference-points", help="print the domain FD of real and degraded images"
    )
    report = commands.add_parser(
        "report", help="measure the reference models (trained once, cached) and print a table"
    )
    for command in (points, report):
        command.add_argument("--dataset", default="fashion_mnist",
                             choices=("fashion_mnist", "mnist"))
        command.add_argument("--sample", action="store_true",
                             help="use the embedded sample instead of the full data set")
        command.add_argument("--n", type=int, default=None,
                             help="images per set (default: 5000, or 1000 with --sample)")
        command.add_argument("--seed", type=int, default=0)
    points.set_defaults(run=print_reference_points)
    report.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    report.add_argument("--iwae-k", type=int, default=100,
                        help="importance samples of the IWAE bound (default: 100)")
    report.add_argument("--likelihood-images", type=int, default=2000,
                        help="test images the likelihood bounds are measured on (default: 2000)")
    report.set_defaults(run=print_report)
    return parser


def main(argv=None):
    """Parses ``argv`` (default: ``sys.argv[1:]``), runs the command, returns its exit status.

    A missing data set or missing classifier weights end the command with their
    message (which says how to get them) and exit status 1.
    """
    from assignment.datasets import DatasetNotFoundError
    from autograder.metrics.classifier import MissingWeightsError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DatasetNotFoundError, MissingWeightsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
