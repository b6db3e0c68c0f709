"""Command line: `python -m assignment.figures --out DIR [--only NAME ...] [--list]`."""

import argparse
import time
from pathlib import Path

from assignment.figures import registry, style
from assignment.implementation import SOLUTION_DIR

DEFAULT_OUT = Path("figures")


def build_parser():
    """The argument parser of `python -m assignment.figures`."""
    parser = argparse.ArgumentParser(
        prog="python -m assignment.figures",
        description=(
            "Draw every lecture figure as PNG and PDF. The reference models are trained "
            "once (seeded; the full Fashion-MNIST when installed, else the embedded sample) "
            "and cached under build/models/; later runs load them."
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
    parser.add_argument("--sample", action="store_true",
                        help="use the embedded sample even when the full data set is installed")
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

    from assignment import datasets, model_cache
    from assignment.figures.context import FigureContext
    from assignment.figures.models import ReferenceModels
    from assignment.implementation import load_implementation

    start = time.perf_counter()
    sample = args.sample or not model_cache.full_data_available()
    print(f"data: {datasets.describe_source(sample=sample)}")
    x_test, y_test = datasets.load_dataset(split="test", sample=sample)
    ctx = FigureContext(
        impl=load_implementation(args.impl),
        models=ReferenceModels(impl_dir=args.impl, sample=sample, retrain=args.retrain),
        x_test=x_test,
        y_test=y_test,
        class_names=datasets.CLASS_NAMES["fashion_mnist"],
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
