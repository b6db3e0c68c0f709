"""Command line: `python -m assignment.figures --out DIR [--only NAME ...] [--list]`."""

import argparse
import sys
import time
from pathlib import Path

from assignment.datasets import DATASETS
from assignment.figures import registry, style
from assignment.implementation import SOLUTION_DIR

DEFAULT_OUT = Path("figures")


def build_parser():
    """The argument parser of `python -m assignment.figures`."""
    parser = argparse.ArgumentParser(
        prog="python -m assignment.figures",
        description=(
            "Draw every lecture figure as PNG and PDF. The models the figures need are "
            "trained once (seeded; on the full Fashion-MNIST when a copy is found, else on "
            "the embedded sample) and cached: the reference solution's under build/models/, "
            "another implementation's (--impl) under build/impl-models/, in a folder of its "
            "own; later runs load them. Before training, the command lists the models it "
            "will train and about how long that takes."
        ),
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT}/)")
    parser.add_argument("--impl", type=Path, default=SOLUTION_DIR,
                        help="implementation directory to draw from (default: the solution)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="draw only these figures (see --list)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    parser.add_argument("--retrain", action="store_true",
                        help="train the models again even when cached")
    parser.add_argument("--dataset", choices=DATASETS, default="fashion_mnist",
                        help="the data set the models are trained on and the figures drawn from "
                             "(default: fashion_mnist)")
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--sample", action="store_true",
                      help="use the embedded sample even when the full data set is here")
    data.add_argument("--full", action="store_true",
                      help="use the full data set, downloading it when no copy is found "
                           "(default: the full set when found, else the embedded sample)")
    parser.add_argument("--format", nargs="+", choices=("png", "pdf", "svg"), default=["png", "pdf"],
                        dest="formats", help="file formats (default: png pdf)")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of PNG files (default: 150)")
    return parser


def list_figures():
    """Prints one line per figure: its name and what it shows."""
    width = max(len(name) for name in registry.FIGURES)
    for figure in registry.ALL_FIGURES:
        print(f"{figure.name:<{width}}  {figure.description}")


def draw_figures(figures, ctx, out_dir, log=print):
    """Draws `figures` into `out_dir`, logging one line per figure with its time.

    Models are looked up in `ctx.models` as each figure needs them, so a
    `ReferenceModels` trains or loads each model once, on first use. A figure
    that fails (e.g. drawn from a stencil whose TODOs are not done yet) is
    reported and skipped; the others are still drawn.

    Args:
        figures: a list of `registry.Figure`.
        ctx: a `FigureContext`.
        out_dir: the output folder, created if missing.
        log: function that prints one line.

    Returns:
        `(written, failed)`: the list of written paths and the list of the
        names of the figures that failed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, failed = [], []
    for index, figure in enumerate(figures, start=1):
        log(f"[{index}/{len(figures)}] {figure.name}: {figure.description}")
        try:
            for key in figure.models:
                ctx.models[key]  # trains or loads it now, so that its log lines come first
            start = time.perf_counter()
            figure.draw(ctx, out_dir / figure.name)
        except Exception as error:  # noqa: BLE001  (one broken figure must not stop the rest)
            style.plt.close("all")
            log(f"    FAILED: {type(error).__name__}: {error}")
            failed.append(figure.name)
            continue
        paths = [out_dir / f"{figure.name}.{fmt}" for fmt in ctx.formats]
        written += paths
        log(f"    drew {', '.join(path.name for path in paths)} in {time.perf_counter() - start:.1f} s")
    return written, failed


def print_training_plan(plan, impl_dir, dataset="fashion_mnist", sample=False):
    """Prints what `plan` (`ReferenceModels.plan`) will train, where it is cached and about how long."""
    from assignment import model_cache
    from assignment.figures import estimate
    from assignment.figures.models import describe_model

    if not plan:
        print("models: every model these figures need is cached")
        return
    print(f"models: {len(plan)} to train from {impl_dir} (the rest are cached), about "
          f"{estimate.format_duration(sum(plan.values()))} in all (estimated from training "
          f"speeds measured on a 2-core CPU); cached in {model_cache.cache_dir(impl_dir)}:")
    width = max(len(key) for key in plan)
    for key, seconds in plan.items():
        print(f"  {key:<{width}}  {describe_model(key, dataset, sample)}, about {estimate.format_duration(seconds)}")


def main(argv=None):
    """Runs the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        list_figures()
        return 0
    try:
        figures = registry.select(args.only)
    except ValueError as error:
        parser.error(str(error))
    if not args.impl.is_dir():
        parser.error(f"--impl: no such directory: {args.impl}")

    from assignment import datasets
    from assignment.figures.context import FigureContext
    from assignment.figures.models import ReferenceModels
    from assignment.implementation import load_implementation

    start = time.perf_counter()
    try:
        sample, note = datasets.choose_data(args.dataset, full=args.full, sample=args.sample)
        if note:
            print(f"note: {note}", file=sys.stderr, flush=True)
        x_test, y_test = datasets.load_dataset(args.dataset, "test", sample=sample)
        print(f"data: {datasets.describe_source(args.dataset, sample=sample)}")
    except (datasets.DatasetNotFoundError, datasets.CorruptDatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    models = ReferenceModels(impl_dir=args.impl, sample=sample, dataset=args.dataset,
                             retrain=args.retrain)
    keys = registry.required_models(figures)
    if keys:
        print_training_plan(models.plan(keys), args.impl, args.dataset, sample)
    ctx = FigureContext(
        impl=load_implementation(args.impl),
        models=models,
        x_test=x_test,
        y_test=y_test,
        class_names=datasets.CLASS_NAMES[args.dataset],
        formats=tuple(args.formats),
        dpi=args.dpi,
    )
    written, failed = draw_figures(figures, ctx, args.out)
    print(f"wrote {len(written)} files for {len(figures) - len(failed)} figures to {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    if failed:
        print(f"{len(failed)} figure{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}")
        return 1
    return 0
