"""The ``rnncast`` command: it parses arguments and calls the library, nothing more."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from rnncast import __version__
from rnncast.errors import RnncastError

CELL_NAMES = ("rnn", "gru", "lstm")


def _demo(args) -> int:
    from rnncast.seed_notebook import SEED_SALES, train_seed_configuration

    run = train_seed_configuration(epochs=args.epochs, seed=args.seed)
    print("rnncast demo: the seed notebook's configuration, trained correctly")
    print("  Elman RNN, 5 tanh units, 3 days in -> the 4th out, SGD at 0.001, batches of 4")
    print(f"  data: {len(SEED_SALES)} days of sales, standardised inside the model\n")
    print("gradient check (float64, central differences; the notebook's dW_xh scored 2.9):")
    for name, error in run.gradient_errors.items():
        print(f"  {name:<14} {error:.1e}")
    print("\ntraining loss (MSE on standardised sales):")
    for epoch in sorted({0, len(run.epoch_loss) // 4, len(run.epoch_loss) // 2,
                         len(run.epoch_loss) - 1}):
        print(f"  epoch {epoch + 1:>4}: {run.epoch_loss[epoch]:.4f}")
    naive_error = np.abs(SEED_SALES[3:] - SEED_SALES[2:-1]).mean()
    model_error = np.abs(run.fitted - run.targets).mean()
    print("\nin-sample one-day-ahead mean absolute error, in sales units:")
    print(f"  RNN   {model_error:6.2f}")
    print(f"  naive {naive_error:6.2f}   (tomorrow = today)")
    print(f"\nforecast for day {len(SEED_SALES) + 1}: {run.next_value:.1f}")
    print("\nFifteen days are too few to judge a model: the point is that the gradients are "
          "exact and the forecast is in sales units, not near 0 as in the notebook.")
    return 0


def _check_gradients(args) -> int:
    from rnncast.nn import GRU, LSTM, RNN, check_gradients

    layer_class = {"rnn": RNN, "gru": GRU, "lstm": LSTM}[args.cell]
    layer = layer_class(args.input_size, args.hidden, args.layers, dtype="float64",
                        seed=args.seed, backend=args.backend)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.batch, args.steps, args.input_size))
    h0 = rng.standard_normal((args.layers, args.batch, args.hidden))
    state = (h0, rng.standard_normal(h0.shape)) if args.cell == "lstm" else h0
    errors = check_gradients(layer, x, state)
    worst = max(errors.values())
    print(f"{args.cell.upper()} input={args.input_size} hidden={args.hidden} "
          f"layers={args.layers} batch={args.batch} time={args.steps} "
          f"backend={'numba' if layer.compiled else 'numpy'}")
    print("worst relative error per gradient (float64, central differences):")
    for name, error in errors.items():
        print(f"  {name:<14} {error:.2e}")
    verdict = "OK" if worst < 1e-6 else "FAILED"
    print(f"{verdict}: worst {worst:.2e} (threshold 1e-6)")
    return 0 if worst < 1e-6 else 1


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnncast",
        description="Forecast time series with RNN, GRU and LSTM networks written in NumPy.")
    parser.add_argument("--version", action="version", version=f"rnncast {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="train the seed notebook's configuration, correctly")
    demo.add_argument("--epochs", type=_positive_int, default=300)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=_demo)

    check = commands.add_parser(
        "check-gradients", help="compare a layer's gradients with finite differences")
    check.add_argument("--cell", choices=CELL_NAMES, default="lstm")
    check.add_argument("--hidden", type=_positive_int, default=8)
    check.add_argument("--layers", type=_positive_int, default=2)
    check.add_argument("--input-size", type=_positive_int, default=2)
    check.add_argument("--batch", type=_positive_int, default=3)
    check.add_argument("--steps", type=_positive_int, default=5)
    check.add_argument("--backend", choices=("auto", "numpy", "numba"), default="auto")
    check.add_argument("--seed", type=int, default=0)
    check.set_defaults(handler=_check_gradients)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (RnncastError, ImportError, OSError) as error:
        if args.debug:
            raise
        print(f"rnncast: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
