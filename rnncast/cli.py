"""The ``rnncast`` command: it parses arguments and calls the library, nothing more.

Results go to stdout, progress and messages to stderr, so ``rnncast predict ... -o -``
can be piped. Errors print one line on stderr and exit with status 2; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from rnncast import __version__
from rnncast.errors import RnncastError, TrainingInterrupted

CELL_NAMES = ("rnn", "gru", "lstm")
BASELINES = ("naive", "snaive", "drift", "average")


# -- shared pieces ----------------------------------------------------------------------
def _say(message: str) -> None:
    print(message, file=sys.stderr)


DEFAULT_COLUMNS = {"id_col": "unique_id", "time_col": "ds", "target_col": "y"}


def _resolve_columns(args, fitted=None) -> None:
    """Set args.id_col, time_col and target_col: the options given, else the names the
    model was fitted with (``fitted``), else the defaults. ``args.named_id`` says
    whether the id column was named on the command line."""
    args.named_id = args.id_col is not None
    for option, default in {**DEFAULT_COLUMNS, **(fitted or {})}.items():
        if getattr(args, option) is None:
            setattr(args, option, default)


def _read_data(args):
    """The data file as a frame, its time column parsed with ``--date-format`` if given.
    Without an id column it is one series, named after the file, unless its time
    stamps repeat (several series, their id column not named) or an id column was
    named and is missing (the library says which)."""
    frame = _read_series_frame(args)
    if args.time_col not in frame.columns:
        return frame
    import pandas as pd

    from rnncast.errors import ColumnTypeError

    stamps = frame[args.time_col]
    if args.date_format is not None:
        parsed = pd.to_datetime(stamps.astype(str), format=args.date_format,
                                errors="coerce")
        bad = parsed.isna() & stamps.notna()
        if bad.any():
            raise ColumnTypeError(
                f"column {args.time_col!r} holds {stamps[bad].iloc[0]!r}, which does not "
                f"match --date-format {args.date_format!r} ({int(bad.sum())} such "
                "value(s)); give the format its dates are in, e.g. %d/%m/%Y for "
                "31/01/2024.")
        frame = frame.assign(**{args.time_col: parsed})
    if args.time_zone is not None:
        frame = frame.assign(**{args.time_col: _without_zone(
            frame[args.time_col], args.time_zone, args.time_col)})
    return frame


def _without_zone(stamps, how, column):
    """``--time-zone``: naive UTC ("utc") or the local wall-clock times ("local")."""
    import pandas as pd
    from pandas.api import types

    from rnncast.data.frames import UTC_OFFSET_AT_END
    from rnncast.errors import ColumnTypeError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
        if how == "utc":
            parsed = pd.to_datetime(stamps, utc=True, errors="coerce").dt.tz_localize(None)
        elif types.is_datetime64_any_dtype(stamps.dtype):
            parsed = stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps
        else:
            wall_clock = stamps.astype(str).str.replace(UTC_OFFSET_AT_END, "", regex=True)
            parsed = pd.to_datetime(wall_clock, errors="coerce")
    bad = parsed.isna() & stamps.notna()
    if bad.any():
        raise ColumnTypeError(
            f"column {column!r} holds {stamps[bad].iloc[0]!r}, which --time-zone {how} "
            f"cannot read as a time ({int(bad.sum())} such value(s)); fix those values.")
    return parsed


def _read_series_frame(args):
    from rnncast.data.frames import date_and_number_columns
    from rnncast.errors import DuplicateError
    from rnncast.io.tables import read_table

    frame = read_table(args.data, [args.id_col, args.time_col, args.target_col],
                       thousands=args.thousands, decimal=args.decimal,
                       text_columns=[args.id_col])  # ids as written: 007, NA
    if args.id_col in frame.columns:
        if args.time_col in frame.columns and frame.duplicated([args.id_col, args.time_col]).any():
            # the library's error names a column that tells the repeated rows apart (a
            # store beside product ids), so it needs the columns left unread
            return read_table(args.data, thousands=args.thousands, decimal=args.decimal,
                              text_columns=[args.id_col])
        return frame
    if args.named_id:
        return frame
    if args.time_col not in frame.columns and (args.time_col, args.target_col) == (
            DEFAULT_COLUMNS["time_col"], DEFAULT_COLUMNS["target_col"]):
        # a file of one date and one value column
        pair = date_and_number_columns(frame) if frame.shape[1] == 2 else None
        if pair is None:
            return frame  # the library names the missing columns
        args.time_col, args.target_col = pair
    if args.time_col not in frame.columns:
        return frame
    repeated = frame[args.time_col][frame[args.time_col].duplicated()]
    if len(repeated):
        others = [c for c in frame.columns if c not in (args.time_col, args.target_col)
                  and frame[c].nunique() < len(frame)]
        # an id column leaves one row per series and time stamp
        telling_apart = [c for c in others if not frame.duplicated([c, args.time_col]).any()]
        if telling_apart:
            named = f"--id-col {telling_apart[0]}"
        elif others:
            named = (f"--id-col <its column>; no one column does with {args.time_col!r} "
                     f"(with {others[0]!r} it still repeats), so join those that do into "
                     f"one column first (e.g. store and product)")
        else:
            named = "--id-col <its column>"
        raise DuplicateError(
            f"{args.data} has no {args.id_col!r} column, so it was read as one series, "
            f"but its {args.time_col!r} column repeats {repeated.iloc[0]!r} "
            f"({len(repeated)} repeated value(s)). If it holds several series, name the "
            f"column that tells them apart: {named}. If it is one series, aggregate the "
            "rows of each time stamp first.")
    return frame.assign(**{args.id_col: Path(args.data).stem})  # one series


def _check_outputs(args) -> None:
    """Fail before any work on output paths that cannot be written (a missing folder, an
    existing folder, a plot suffix no image format has, a table format rnncast does not
    write) or that name one of the command's own input files."""
    from rnncast.io.atomic import check_directory
    from rnncast.io.tables import check_table_suffix
    from rnncast.plot.figures import plot_format

    inputs = {}  # resolved path -> how the command got it
    for option in ("data", "model"):
        path = getattr(args, option, None)
        if isinstance(path, str) and path != "-":
            inputs.setdefault(Path(path).expanduser().resolve(), (option, path))
    if args.command == "fit" and getattr(args, "output", None) == "-":
        raise ValueError("fit writes a model file, not a table: '-' (standard output) is "
                         "for predict and backtest. Name a file, e.g. -o model.rnncast.")
    for option in ("output", "plot", "plot_training"):
        path = getattr(args, option, None)
        if path is None or path == "-":
            continue
        flag = f"--{option.replace('_', '-')}"
        check_directory(path, f" ({flag})")
        source = inputs.get(Path(path).expanduser().resolve())
        if source is not None:
            name = "the data file" if source[0] == "data" else "the model file"
            raise ValueError(f"{flag} {path} is {name} this command reads: writing there "
                             f"would replace it. Name another file.")
        if option != "output":
            plot_format(path)
        elif args.command != "fit":  # fit writes a model file, the others tables
            check_table_suffix(path)


def _prepare_options(args) -> dict:
    return {"id_col": args.id_col, "time_col": args.time_col, "target_col": args.target_col,
            "fill_missing": args.fill_missing, "fill_gaps": args.fill_gaps}


def _axis_labels(args) -> dict:
    """Plots label their axes with the data's own column names."""
    named_time = args.time_col != DEFAULT_COLUMNS["time_col"]
    return {"value_label": args.target_col, "time_label": args.time_col if named_time else None}


def _user_names(frame, args):
    """A forecast or cross-validation frame with the user's column names for the id,
    time and value columns, as in their data."""
    names = {"unique_id": args.id_col, "ds": args.time_col, "y": args.target_col}
    names = {ours: theirs for ours, theirs in names.items()
             if ours in frame.columns and theirs != ours and theirs not in frame.columns}
    return frame.rename(columns=names)


_AUTO_YES_NO = {"auto": None, "yes": True, "no": False}  # choices of the tri-state options


def _cells_from_args(cells):
    cells = [cells] if isinstance(cells, str) else cells  # the default is "auto" alone
    if "auto" in cells:
        if len(cells) > 1:
            raise ValueError(f"--cell {' '.join(cells)}: 'auto' decides the cells from the "
                             "data; give it alone, or name the cells.")
        return None
    return cells[0] if len(cells) == 1 else list(cells)


def _rnn_from_args(args, horizon):
    from rnncast.models import RNNForecaster

    return RNNForecaster(
        horizon, cell=_cells_from_args(args.cell), hidden_size=args.hidden_size,
        num_layers=args.layers,
        max_grad_norm=args.max_grad_norm, windows_per_epoch=args.windows_per_epoch,
        lookback=args.lookback, loss=args.loss, window_weights=args.window_weights,
        scaler=args.scaler, anchor=None if args.anchor == "auto" else args.anchor,
        level_smoothing=args.level_smoothing,
        level_input=_AUTO_YES_NO[args.level_input],
        drift_input=_AUTO_YES_NO[args.drift_input], bootstrap_copies=args.bootstrap_copies,
        log=args.log, season_length=args.season_length,
        deseasonalize=_AUTO_YES_NO[args.deseasonalize], season_share=args.season_share,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        n_ensemble=args.ensemble, combine=None if args.combine == "auto" else args.combine,
        forecast_from_padding=_AUTO_YES_NO[args.forecast_from_padding],
        pad_with=None if args.pad_with == "auto" else args.pad_with,
        partial_windows=_AUTO_YES_NO[args.partial_windows],
        # backtest --levels: quantile heads at those levels, unless intervals are conformal
        levels=args.train_levels or (
            None if args.conformal_windows else getattr(args, "levels", None)),
        seed=args.seed, n_jobs=args.jobs,
        patience=args.patience, refit=not args.no_refit,
        conformal_windows=args.conformal_windows, progress=_progress_bars(args))


def _model_by_name(name, args):
    from rnncast.models import Drift, Naive, SeasonalNaive, WindowAverage

    conformal = {"conformal_windows": args.conformal_windows}
    makers = {"rnn": lambda: _rnn_from_args(args, args.horizon),
              "naive": lambda: Naive(args.horizon, **conformal),
              "snaive": lambda: SeasonalNaive(args.horizon, season_length=args.season_length,
                                              **conformal),
              "drift": lambda: Drift(args.horizon, **conformal),
              "average": lambda: WindowAverage(args.horizon, window=args.horizon, **conformal)}
    if name not in makers:
        raise ValueError(f"unknown model {name!r} in --models; choose from "
                         f"{', '.join(makers)}.")
    if args.levels and name != "rnn" and not args.conformal_windows:
        raise ValueError(f"--levels needs --conformal-windows K (e.g. 3) for {name}: the "
                         "baselines' intervals are conformal, calibrated on the errors of "
                         "K earlier windows. Or leave it out of --models.")
    return makers[name]()


def _write_frame(frame, output):
    if output == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    from rnncast.io.tables import write_table

    write_table(frame, output)
    _say(f"wrote {output}")


def _check_ids(ids, id_values) -> None:
    """``--ids`` checked against the data's ids before any work, as the plots check them."""
    import pandas as pd

    from rnncast.plot.figures import _choose_ids

    _choose_ids(pd.DataFrame({"unique_id": pd.unique(id_values)}), ids, 1, "the data")


def _plotted(path, ids, series: int) -> str:
    """What ``wrote PATH`` adds when the plot left series out."""
    from rnncast.plot.figures import DEFAULT_MAX_SERIES

    if ids is None and series > DEFAULT_MAX_SERIES:
        return (f"wrote {path} (the first {DEFAULT_MAX_SERIES} of {series} series; "
                "--ids names others)")
    return f"wrote {path}"


def _progress_bars(args) -> bool:
    """Bars redraw a line in place: on a terminal, unless --quiet; in a log file they
    would be a stream of carriage returns (--progress asks for them anyway)."""
    return not args.quiet and (args.progress or sys.stderr.isatty())


def _results(args):
    """Where tables for the reader go: stdout, unless the data itself goes there
    (``-o -``), which must stay one clean CSV."""
    return sys.stderr if getattr(args, "output", None) == "-" else sys.stdout


def _print_table(table, index=True, file=None) -> None:
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(table.to_string(index=index, formatters={
            column: _column_format(table[column]) for column in table.columns
            if pd.api.types.is_float_dtype(table[column])}), file=file or sys.stdout)


def _column_format(values):
    """One number of decimals for a whole column, so that its points line up: four
    significant digits in its largest value (1 decimal for 713.9, 3 for 1.562)."""
    finite = np.abs(values.to_numpy(dtype=float))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    largest = finite.max() if finite.size else 1.0
    decimals = int(min(max(3 - np.floor(np.log10(largest)), 0), 6))
    return f"{{:,.{decimals}f}}".format


# -- commands ---------------------------------------------------------------------------
def _fit(args) -> int:
    from rnncast.io import save_model

    _check_outputs(args)
    _resolve_columns(args)
    frame = _read_data(args)
    try:
        model = _rnn_from_args(args, args.horizon).fit(frame, **_prepare_options(args))
    except TrainingInterrupted as stop:
        return _save_interrupted(stop, args)
    save_model(model, args.output)
    history = model.history_
    _say(f"fitted on {model.panel_.n_series} series "
         f"(frequency {model.panel_.frequency.describe()}): {_training_summary(model)}")
    _say(f"saved {args.output}")
    if args.plot_training:
        from rnncast.plot import plot_training

        plot_training(history, path=args.plot_training)
        _say(f"wrote {args.plot_training}")
    return 0


def _adjustment_summary(model, adjusted: int) -> str:
    """Which series the fit divided by seasonal factors, and why not the others."""
    if not model.deseasonalize_ or model.season_length_ < 2:
        return ""
    notes = []
    if adjusted < model.panel_.n_series:
        notes.append("the others have values at or below zero"
                     + (", fewer than two seasons, or a history that bears out no seasonal "
                        "pattern" if model.own_share_seasons_ else ", or fewer than two seasons"))
    own_seasons = model.own_share_seasons_
    if adjusted and own_seasons and (
            model.panel_.lengths < own_seasons * model.season_length_).any():
        notes.append(f"a series under {own_seasons} seasons that fails the seasonality test "
                     "keeps the share of its factors its history fits")
    what = (" on seasonally adjusted values" if adjusted == model.panel_.n_series
            else f" {adjusted} of {model.panel_.n_series} series seasonally adjusted")
    return "," + what + (f" ({'; '.join(notes)})" if notes else "")


def _training_summary(model, interrupted: bool = False) -> str:
    """One line on what fit trained: members, lookbacks, epochs and losses."""
    from rnncast.models.rnn import ANCHOR_DESCRIPTIONS, REFIT_EPOCHS

    history = model.history_
    lookbacks = sorted(set(model.member_lookbacks_))
    adjusted = int(model._seasonally_adjusted().sum())
    short = int((~model._forecasting_members(model.panel_.lengths)).any(axis=0).sum())
    cells = " and ".join(cell.upper() for cell in model.cells_)
    parts = [f"{len(model.networks_)} {cells} member(s) of {model.hidden_size_} units, lookback "
             f"{', '.join(map(str, lookbacks))}"
             + (f" ({short} series shorter than a lookback, forecast without the members "
                "that read it)" if short else "")
             + (f", a season of {model.season_length_} steps" if model.season_length_ > 1
                else ", no season")
             + _adjustment_summary(model, adjusted)]
    if model.anchor_ in ANCHOR_DESCRIPTIONS:
        parts[0] += f", forecasting the change from {ANCHOR_DESCRIPTIONS[model.anchor_]}"
        if model.anchor_ == "level":
            parts[0] += (" (each series' own smoothing weight)" if model.level_smoothing_ is None
                         else f" (smoothing weight {model.level_smoothing_:g})")
    if model.level_input_:
        parts[0] += ", reading each window's level over its scale"
    if model.drift_input_:
        parts[0] += " and the drift of the history before it"
    if model.bootstrap_copies_:
        parts[0] += (f", trained with {model.bootstrap_copies_} bootstrapped "
                     f"cop{'y' if model.bootstrap_copies_ == 1 else 'ies'} of each series")
    if model.combine_ == "median":
        parts[0] += ", forecasting their median"
    if model.early_stopping and not model.refit_epochs_ and model.refit:
        if interrupted:  # stopped in the first run that chooses the epochs
            parts.append("stopped while choosing the number of epochs, at its best epoch "
                         "so far")
        else:
            parts.append(f"no series is long enough to hold out a horizon beyond a "
                         f"lookback, so each member trained all {model.epochs} epochs (no "
                         f"early stopping)")
    if model.refit_epochs_:
        # what the members trained, from the history: fewer than planned after Ctrl-C,
        # when a lookback's member may be its epoch-choosing run (at its best epoch)
        def trained(cell, lookback):
            runs = history[(history.cell == cell) & (history.lookback == lookback)]
            members = runs[runs.member >= 0]
            if len(members):  # several members per lookback: each one's count, a/b
                return "/".join(str(int(epochs)) for epochs in
                                members.groupby("member", sort=True).epoch.max())
            # only the run that chose the epochs, kept at its best epoch
            return str(int(runs.epoch[runs.val_loss.idxmin()])) if len(runs) else "0"

        epochs = [", ".join(trained(cell, k) for k in lookbacks) for cell in model.cells_]
        if len(model.cells_) > 1:
            epochs = [f"{count} ({cell.upper()})" for count, cell in zip(epochs, model.cells_)]
        parts.append(f"trained for {' and '.join(epochs)} epochs (lookback "
                     f"{', '.join(map(str, lookbacks))}; {REFIT_EPOCHS:g} times the best "
                     f"epoch on the held-out last horizon, at most {model.epochs})")
    if history.val_loss.notna().any():
        best = history.loc[history.val_loss.idxmin()]
        parts.append(f"best validation loss {best.val_loss:.4f} (epoch {int(best.epoch)})")
    final = history[history.member >= 0].groupby("member").loss.last()
    if len(final):
        parts.append(f"final training loss {final.mean():.4f}")
    return "; ".join(parts)


def _save_interrupted(stop, args) -> int:
    """Ctrl-C during fit: save the best model so far, say so, exit with 130."""
    from rnncast.io import save_model

    if stop.model is None:
        _say("rnncast: interrupted before the first epoch ended; nothing saved")
        return 130
    history = stop.model.history_
    save_model(stop.model, args.output)
    _say(f"rnncast: interrupted after {len(history)} epoch(s); saved the best model so far "
         f"({_training_summary(stop.model, interrupted=True)}) to {args.output}")
    return 130


def _predict(args) -> int:
    from rnncast.io import load_model

    _check_outputs(args)
    model = load_model(args.model)
    _resolve_columns(args, getattr(model, "columns_", None))
    new_data = None
    if args.data:
        new_data = _read_data(args)
    options = _prepare_options(args) if new_data is not None else {}
    forecast = model.predict(h=args.horizon, df=new_data, levels=args.levels, **options)
    if args.plot:  # first: a bad --ids stops before any file is written
        from rnncast.plot import plot_forecast

        history = model.panel_.to_frame() if new_data is None else _history_frame(
            new_data, args)
        plot_forecast(history, forecast, ids=args.ids, path=args.plot,
                      history_steps=args.history, **_axis_labels(args))
        _say(_plotted(args.plot, args.ids, forecast["unique_id"].nunique()))
    _write_frame(_user_names(forecast, args), args.output)
    return 0


def _history_frame(frame, args):
    from rnncast.data import prepare

    return prepare(frame, **_prepare_options(args)).to_frame()


def _backtest(args) -> int:
    from rnncast.evaluate import compare, cross_validation, evaluate
    from rnncast.evaluate.comparison import (
        FEW_SERIES,
        MIN_SERIES_TO_DECIDE,
        FewSeriesWarning,
    )

    _check_outputs(args)
    _resolve_columns(args)
    if args.train_levels and not args.levels:  # heads trained there are worth scoring
        args.levels = args.train_levels
    frame = _read_data(args)
    names = [name.strip() for name in args.models.split(",")]
    models = {name: _model_by_name(name, args) for name in names}
    if args.season_length is not None and not {"rnn", "snaive"} & set(models):
        raise ValueError(f"--season-length is read by the rnn and snaive models, and "
                         f"--models {args.models!r} has neither; add one or leave it out.")
    if args.compare is not None and args.compare not in models:
        raise ValueError(f"--compare {args.compare!r} is not among --models {args.models!r}; "
                         f"name one of them, e.g. --compare {names[-1]}.")
    if args.ids:  # before the refits, which can take minutes
        _check_ids(args.ids, frame[args.id_col])
    cv = cross_validation(frame, list(models.values()), h=args.horizon,
                          n_windows=args.windows, step=args.step, levels=args.levels,
                          **_prepare_options(args))
    results = _results(args)
    _print_table(evaluate(cv), file=results)
    if args.compare is not None:
        baseline = models[args.compare].name
        print(f"\nEach model's mean error minus {baseline}'s over the same series, with a "
              f"95% bootstrap interval (negative: lower error; decided: the interval "
              f"leaves out zero):", file=results)
        with warnings.catch_warnings():  # the note below says it in the shell's words
            warnings.simplefilter("ignore", FewSeriesWarning)
            comparison = compare(cv, baseline, metrics=("smape", "mase"))
        _print_table(comparison, index=False, file=results)
        if comparison.series.min() < FEW_SERIES:
            print(f"(only {comparison.series.min()} series: an interval resampled from so "
                  f"few is rough; 'decided' needs {MIN_SERIES_TO_DECIDE} or more, and "
                  f"{FEW_SERIES} or more make it trustworthy)", file=results)
    if args.plot:
        from rnncast.plot import plot_backtest

        plot_backtest(cv, ids=args.ids, path=args.plot, **_axis_labels(args))
        _say(_plotted(args.plot, args.ids, cv["unique_id"].nunique()))
    if args.output:
        _write_frame(_user_names(cv, args), args.output)
    return 0


def _datasets(args) -> int:
    from rnncast.datasets import list_datasets, load_dataset

    if args.name is None:
        for name, description in list_datasets().items():
            print(f"{name:<18} {description}")
        return 0
    try:
        frame = load_dataset(args.name)
    except KeyError as error:
        raise ValueError(error.args[0]) from error
    _write_frame(frame, args.output or "-")
    return 0


def _demo(args) -> int:
    if args.seed_notebook:
        return _seed_demo(args)
    import pandas as pd

    from rnncast.datasets import load_dataset
    from rnncast.evaluate import compare, cross_validation, evaluate
    from rnncast.models import Drift, Naive, RNNForecaster, SeasonalNaive
    from rnncast.plot import plot_forecast

    horizon = 18
    sales = load_dataset("m3-monthly-sales")
    print(f"rnncast demo: {sales.unique_id.nunique()} monthly sales series from the M3 "
          f"competition, forecasting {horizon} months.\n")
    rnn = RNNForecaster(horizon, seed=args.seed, n_jobs=args.jobs,
                        progress=_progress_bars(args))
    models = [rnn, SeasonalNaive(horizon), Naive(horizon), Drift(horizon)]
    _say("backtest: each model refitted on all but the last 18 months ...")
    cv = cross_validation(sales, models, h=horizon, n_windows=1)
    print("Errors on the last 18 months of each series (lower is better; MASE < 1 beats "
          "the in-sample seasonal naive):")
    _print_table(evaluate(cv))
    print("\nThe RNN's mean error minus each baseline's over the same series, with a 95% "
          "bootstrap interval (negative: the RNN ahead; decided: the interval leaves out "
          "zero, so the lead is more than the luck of the series drawn):")
    against = pd.concat([
        compare(cv, baseline.name, models=rnn.name).assign(baseline=baseline.name)
        for baseline in models[1:]], ignore_index=True)
    _print_table(against.drop(columns="model").set_index(["baseline", "metric"]))
    _say("\nfitting on all the data ...")
    model = rnn.clone(levels=[80, 95]).fit(sales)
    forecast = model.predict(levels=[80, 95])
    print(f"\nForecast of the next {horizon} months, the first six of them (first series, "
          "with 80% and 95% intervals):")
    first = forecast[forecast.unique_id == forecast.unique_id.iloc[0]]
    _print_table(first.set_index(["unique_id", "ds"]).head(6))
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    picture = output_dir / "rnncast-demo.png"
    plot_forecast(sales, forecast, max_series=4, path=picture)
    print(f"\nPlot of the first four series: {picture}")
    return 0


def _seed_demo(args) -> int:
    from rnncast.seed_notebook import SEED_SALES, train_seed_configuration

    run = train_seed_configuration(epochs=args.epochs, seed=args.seed)
    print("rnncast demo --seed-notebook: the seed notebook's configuration, trained correctly")
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


# -- arguments ---------------------------------------------------------------------------
class _HelpFormatter(argparse.HelpFormatter):
    """Option help ends with the default, where there is one worth showing."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (default is None or default is False or default == argparse.SUPPRESS
                or "default" in text
                or action.option_strings == [] or isinstance(default, list)):
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, pointing at --help, instead of the whole usage text;
    options only by their full names (no --epoch for --epochs); an unknown option
    answered with the closest ones of its command."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self.command_parsers = {}

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        import difflib

        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self.command_parsers.get(getattr(parsed, "command", None), self)
            known = [o for action in command._actions for o in action.option_strings]
            hints = [f"did you mean {', '.join(close)}?" for extra in extras
                     if extra.startswith("--")
                     for close in [difflib.get_close_matches(extra.split("=")[0], known, 2)]
                     if close]
            command.error("; ".join([f"unrecognized arguments: {' '.join(extras)}", *hints]))
        return parsed


# The library's hints name Python arguments; on the command line they are options.
_CLI_HINTS = {"id_col=": "--id-col ", "time_col=": "--time-col ",
              "target_col=": "--target-col ", "fill_missing=": "--fill-missing ",
              "fill_gaps=": "--fill-gaps ", "drop_short=True": "a lower --lookback",
              "save_model(model, path) writes one": "rnncast fit --output writes one",
              "re-save it with save_model": "write it again with rnncast fit",
              "refit with horizon=": "fit again with --horizon ",
              "Use log=False.": "Leave out --log.", "log=True needs": "--log needs",
              "scaler='window' or 'series'": "--scaler window or series",
              "dtype='float64'": "a smaller scale of values",
              "learning_rate": "--learning-rate", "max_grad_norm": "--max-grad-norm",
              "season_length=": "--season-length ",
              "level_smoothing must be": "--level-smoothing must be",
              "or None for each series' own": "or leave it out for each series' own",
              "with levels: quantile heads": "with --train-levels: quantile heads",
              "leave loss='mae'": "leave --loss mae",
              "give conformal_windows=K instead of levels": "give --conformal-windows K "
                                                             "instead of --train-levels",
              "loss='mae'": "--loss mae", "loss='mse'": "--loss mse",
              "loss='huber'": "--loss huber",
              "thousands=',' or decimal=','": "--thousands , or --decimal ,",
              "pd.read_csv(..., thousands='.', decimal=',')": "--thousands . --decimal ,",
              "pd.read_csv(..., thousands=',')": "--thousands ,",
              "pd.read_csv(..., decimal=',')": "--decimal ,",
              ".dt.tz_convert('UTC').dt.tz_localize(None) for": "--time-zone utc for",
              ".dt.tz_localize(None) to keep": "--time-zone local to keep",
              "pd.to_datetime(column, utc=True).dt.tz_localize(None) for":
                  "--time-zone utc for",
              "drop the offsets from the strings to keep": "--time-zone local to keep",
              "construct it with conformal_windows=": "fit it with --conformal-windows ",
              "or with conformal_windows=": "or with --conformal-windows ",
              "Fit with conformal_windows=": "Fit with --conformal-windows ",
              "parse the column yourself with pd.to_datetime(..., format=...) and pass "
              "datetimes": "give the format with --date-format (e.g. %d.%m.%Y)"}
_CLI_PATTERNS = [(re.compile(r"Construct it with levels=\[\.\.\., ([^\]]+)\]"),
                  r"Fit it with --train-levels ... \1"),
                 (re.compile(r"^h=(\d+) is longer"), r"--horizon \1 is longer")]


def _for_the_shell(message: str) -> str:
    """A library message with its Python hints put as the command's options."""
    for python_hint, cli_hint in _CLI_HINTS.items():
        message = message.replace(python_hint, cli_hint)
    for pattern, replacement in _CLI_PATTERNS:
        message = pattern.sub(replacement, message)
    return message


def _error_line(error) -> str:
    if isinstance(error, OSError) and error.filename and error.strerror:
        message = f"{error.filename}: {error.strerror}"
    elif isinstance(error, KeyError) and error.args:
        message = str(error.args[0])
    else:
        message = str(error)
    return " ".join(_for_the_shell(message).split())  # one line


def _integer_from(low: int):
    """An argparse type: integers of at least ``low`` (1: positive, 0: whole numbers)."""
    wanted = "a positive integer" if low == 1 else f"a whole number >= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text}")
        return value

    return parse


_positive_int, _whole_number = _integer_from(1), _integer_from(0)


def _jobs(text: str) -> int:
    """An argparse type: worker processes, a positive integer or -1 (one per core)."""
    if text.strip() == "-1":
        return -1
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, or -1 for one process per core, got {text!r}"
        ) from None


def _season_share(text: str):
    """An argparse type: 'auto' (None), 'own', or a share in [0, 1]."""
    if text in ("auto", "own"):
        return None if text == "auto" else text
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(
            f"must be 'auto', 'own' or a share in [0, 1], got {text!r}")
    return value


def _level(text: str) -> float:
    value = float(text)
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"levels are percentages in (0, 100), got {text}")
    return value


def _add_data_options(parser) -> None:
    parser.add_argument("data", help="CSV or Parquet file: a long frame (id, time, value), "
                        "or one series as a date and a value column")
    _add_column_options(parser)


def _add_column_options(parser) -> None:
    parser.add_argument("--id-col", help="series id column (default: unique_id; without "
                        "one, the file is one series)")
    parser.add_argument("--time-col", help="time column, dates or integers (default: ds)")
    parser.add_argument("--target-col", help="value column (default: y)")
    parser.add_argument("--date-format", metavar="FORMAT",
                        help="how the time column writes dates, e.g. %%d.%%m.%%Y (default: "
                        "inferred; day first when month first fails)")
    parser.add_argument("--thousands", choices=(",", ".", " "), default=None,
                        metavar="MARK",
                        help="the mark between groups of thousands in the file's numbers: "
                        "',' (1,040), '.' (1.040) or ' ', dropped when reading (default: "
                        "none)")
    parser.add_argument("--decimal", choices=(".", ","), default=None, metavar="MARK",
                        help="the decimal mark in the file's numbers: '.' or ',' (default: "
                        "'.', or ',' in a file whose fields are split by ';')")
    parser.add_argument("--time-zone", choices=("utc", "local"), default=None,
                        help="for time stamps with a time zone or UTC offsets: 'utc' "
                        "converts them to UTC (right for hourly data), 'local' keeps their "
                        "wall-clock times (right for daily data); rnncast works on times "
                        "without a zone (default: UTC stamps are taken as they are, any "
                        "other zone is an error)")
    parser.add_argument("--fill-missing", choices=("interpolate", "ffill", "zero"),
                        help="fill NaN/inf values instead of stopping")
    parser.add_argument("--fill-gaps", choices=("interpolate", "ffill", "zero", "nan"),
                        help="insert missing dates instead of stopping, filled so; 'nan' "
                        "leaves them to --fill-missing, which it needs")


def _add_model_options(parser) -> None:
    group = parser.add_argument_group("RNN model")
    group.add_argument("--cell", choices=("auto", *CELL_NAMES), nargs="+", default="auto",
                       help="recurrent cell; several: members of each (default auto: GRU "
                       "and LSTM members in data without a season, GRU in seasonal data)")
    group.add_argument("--hidden-size", type=_positive_int, default=None,
                       help="units per layer (default: 32, or 16 with fewer than 10,000 "
                       "training windows)")
    group.add_argument("--layers", type=_positive_int, default=1, help="stacked layers")
    group.add_argument("--lookback", type=_positive_int, nargs="+", default=None,
                       metavar="VALUES", help="past values per window; several: members "
                       "for each (default: 1, 2 and 3 horizons, or seasons when longer)")
    group.add_argument("--loss", choices=("mae", "mse", "huber"), default="mae",
                       help="training loss on scaled values")
    group.add_argument("--window-weights", choices=("mase", "equal"), default="mase",
                       help="'mase': weigh each window's loss so that training minimises "
                       "MASE; 'equal': every window alike")
    group.add_argument("--scaler", choices=("window", "series", "none"), default="window",
                       help="'none' only for data already on a unit scale")
    group.add_argument("--anchor", choices=("auto", "mean", "last", "level", "drift"),
                       default="auto",
                       help="what the network's outputs are added to: each window's mean, "
                       "its last value (the network forecasts the change from it), its "
                       "exponentially weighted level, or its last value plus half its "
                       "drift per step ahead; 'auto': below 1,000 training windows "
                       "'drift' without a season and 'level' with one, 'mean' otherwise")
    group.add_argument("--level-smoothing", type=float, default=None, metavar="WEIGHT",
                       help="the level anchor's weight of a window's last value, in (0, 1] "
                       "(default: each series' own, fitted by simple exponential smoothing "
                       "of its history)")
    group.add_argument("--level-input", choices=("auto", "yes", "no"), default="auto",
                       help="also feed each window's mean over its scale (log), which "
                       "the scaling hides: how far a series sits above zero; 'auto': "
                       "when no series goes below zero, none is seasonally adjusted and "
                       "there are 1,000 training windows or more (with --scaler window "
                       "and without --log)")
    group.add_argument("--drift-input", choices=("auto", "yes", "no"), default="auto",
                       help="also feed each series' mean change per step before the "
                       "window, over the window's scale: the long-run trend a short "
                       "window cannot see; 'auto': in data without a season")
    group.add_argument("--bootstrap-copies", type=_whole_number, default=None,
                       metavar="N",
                       help="also train on N resamples of each series (its trend plus its "
                       "noise resampled in blocks: the moving block bootstrap), data "
                       "without a season only (default: 1 without a season, 0 with one)")
    group.add_argument("--log", action="store_true", help="model log(y); needs y > 0")
    group.add_argument("--season-length", type=_positive_int, default=None, metavar="STEPS",
                       help="steps per season, for the RNN and backtest's snaive, when "
                       "another cycle than the frequency's rules the data (336: a week of "
                       "half-hours); MASE keeps the frequency's (default: the frequency's: "
                       "7 daily, 12 monthly, 24 hourly, 48 half-hourly)")
    group.add_argument("--deseasonalize", choices=("auto", "yes", "no"), default="auto",
                       help="divide seasonal series by their seasonal indices (classical "
                       "decomposition) and forecast the rest; 'auto': when the shortest "
                       "lookback holds fewer than two seasons or gives fewer than 10,000 "
                       "training windows")
    group.add_argument("--season-share", type=_season_share, default=None,
                       metavar="{auto,own,SHARE}",
                       help="how much of its seasonal factors a series that fails the "
                       "seasonality test keeps: a share in [0, 1], or 'own', each series "
                       "of under three seasons the share its history fits best (longer "
                       "ones half); 'auto': 'own' below 1,000 training windows, 0.5 "
                       "otherwise")
    group.add_argument("--epochs", type=_positive_int, default=100,
                       help="most epochs of the run that chooses the epoch count")
    group.add_argument("--batch-size", type=_positive_int, default=64,
                       help="windows per training step")
    group.add_argument("--learning-rate", type=float, default=1e-3, help="Adam's step size")
    group.add_argument("--windows-per-epoch", type=_positive_int, default=None,
                       help="train each epoch on this many windows drawn afresh, not all "
                       "of them: for large data, where an epoch over every window is slow "
                       "(default: all)")
    group.add_argument("--max-grad-norm", type=float, default=1.0,
                       help="clip the gradients' global norm to this; 0: no clipping")
    group.add_argument("--ensemble", type=_positive_int, default=None,
                       help="members per lookback (and cell), each an independent fit with "
                       "its own seed and epoch count (default: 2 in seasonal data with "
                       "1,000 training windows or more, 1 otherwise)")
    group.add_argument("--combine", choices=("auto", "mean", "median"), default="auto",
                       help="how each series' forecast combines the members; 'auto': their "
                       "median in data without a season (yearly, integer steps) with 1,000 "
                       "training windows or more, their mean otherwise")
    group.add_argument("--forecast-from-padding", choices=("auto", "yes", "no"),
                       default="auto",
                       help="'yes': every member forecasts every series, a series shorter "
                       "than a member's lookback padded (--pad-with); 'no': such "
                       "a series is forecast without that member; 'auto': 'no' for data "
                       "without a season (yearly, integer steps), 'yes' otherwise")
    group.add_argument("--pad-with", choices=("auto", "first", "mean"), default="auto",
                       help="what a series shorter than a window is padded with: its "
                       "first value or its mean; 'auto': the mean in data with a season "
                       "(a recent product's launch level is a poor guess at its past), "
                       "the first value otherwise")
    group.add_argument("--partial-windows", choices=("auto", "yes", "no"), default="auto",
                       help="also train on each series' last windows whose horizon runs "
                       "past its end, scoring only the values it has; 'auto': for data "
                       "with a season")
    group.add_argument("--patience", type=_positive_int, default=10,
                       help="epochs without a better loss on the held-out last horizon "
                       "before the run that chooses the epoch count stops")
    group.add_argument("--no-refit", action="store_true",
                       help="keep the held-out runs' best weights instead of retraining "
                       "on all windows (faster, usually less accurate)")
    group.add_argument("--train-levels", type=_level, nargs="+", default=None,
                       metavar="LEVEL", help="interval levels learnt by quantile heads")
    group.add_argument("--conformal-windows", type=_whole_number, default=0,
                       help="calibrate conformal intervals on this many past windows "
                       "(their errors, windows x series of them, must number 19 or more "
                       "for a 95%% interval); 0: none")
    group.add_argument("--seed", type=int, default=0, help="seed of weights and batches")
    group.add_argument("--jobs", type=_jobs, default=-1, metavar="N",
                       help="processes that train members at once (default -1: one per "
                       "core; the forecast is the same, bit for bit, with any N)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnncast",
        description="Forecast time series with RNN, GRU and LSTM networks written in NumPy.")
    parser.add_argument("--version", action="version", version=f"rnncast {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.add_argument("--progress", action="store_true",
                        help="progress bars even when stderr is not a terminal")
    # the same flags after the command name; SUPPRESS keeps the earlier value
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bars")
    common.add_argument("--progress", action="store_true", default=argparse.SUPPRESS,
                        help="progress bars even when stderr is not a terminal")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_command = commands.add_parser

    def command(name, **kwargs):
        parser.command_parsers[name] = add_command(name, parents=[common], **kwargs)
        return parser.command_parsers[name]

    commands._parser_class = _Parser

    commands.add_parser = command

    demo = commands.add_parser("demo", help="forecast bundled M3 sales data against baselines")
    demo.add_argument("--seed-notebook", action="store_true",
                      help="run the seed notebook's configuration, trained correctly")
    demo.add_argument("--output-dir", default=".", help="where to write rnncast-demo.png")
    demo.add_argument("--epochs", type=_positive_int, default=300,
                      help="epochs for --seed-notebook")
    demo.add_argument("--seed", type=int, default=0, help="seed of the RNN")
    demo.add_argument("--jobs", type=_jobs, default=-1, metavar="N",
                      help="processes that train the RNN's members at once (default -1: "
                      "one per core)")
    demo.set_defaults(handler=_demo)

    fit = commands.add_parser("fit", help="train an RNN forecaster and save it")
    _add_data_options(fit)
    fit.add_argument("--horizon", type=_positive_int, required=True, help="steps to forecast")
    _add_model_options(fit)
    fit.add_argument("--output", "-o", required=True, help="model file to write")
    fit.add_argument("--plot-training", metavar="IMAGE",
                     help="write the training curves (.png, .svg, .pdf, .jpg, ...)")
    fit.set_defaults(handler=_fit)

    predict = commands.add_parser("predict", help="forecast with a saved model")
    predict.add_argument("model", help="model file written by rnncast fit")
    predict.add_argument("--data", help="newer data to forecast after (no refit)")
    _add_column_options(predict)
    predict.add_argument("--horizon", type=_positive_int, default=None,
                         help="steps (default: the fitted horizon)")
    predict.add_argument("--levels", type=_level, nargs="+", default=None, metavar="LEVEL",
                         help="interval levels (%%): trained ones (fit --train-levels), "
                         "or any with fit --conformal-windows")
    predict.add_argument("--output", "-o", required=True,
                         help="forecast CSV (Parquet for .parquet), or - for stdout")
    predict.add_argument("--plot", metavar="IMAGE",
                         help="write history and forecast (.png, .svg, .pdf, .jpg, ...)")
    predict.add_argument("--ids", nargs="+", default=None, help="series to plot")
    predict.add_argument("--history", type=_positive_int, default=None, metavar="STEPS",
                         help="history drawn before the forecast in --plot (default: 4 "
                         "horizons, at least 36 steps)")
    predict.set_defaults(handler=_predict)

    backtest = commands.add_parser("backtest",
                                   help="rolling-origin evaluation against baselines")
    _add_data_options(backtest)
    backtest.add_argument("--horizon", type=_positive_int, required=True,
                          help="steps each window forecasts")
    backtest.add_argument("--windows", type=_positive_int, default=1,
                          help="forecast origins, each a refit")
    backtest.add_argument("--step", type=_positive_int, default=None,
                          help="steps between origins (default: the horizon)")
    backtest.add_argument("--models", default="rnn,naive,snaive,drift",
                          help=f"comma-separated: rnn, {', '.join(BASELINES)}")
    _add_model_options(backtest)
    backtest.add_argument("--compare", metavar="MODEL", default=None,
                          help="also print each model minus this one (a name from "
                               "--models, e.g. snaive) with a 95%% bootstrap interval "
                               "over series: is a lead more than the series drawn?")
    backtest.add_argument("--levels", type=_level, nargs="+", default=None, metavar="LEVEL",
                          help="also forecast these intervals (%%) and report their "
                          "coverage: the RNN's from quantile heads (or conformal with "
                          "--conformal-windows), the baselines' conformal")
    backtest.add_argument("--output", "-o", help="write the cross-validation frame (CSV, or "
                          "Parquet for .parquet)")
    backtest.add_argument("--plot", metavar="IMAGE",
                          help="write actuals and forecasts (.png, .svg, .pdf, .jpg, ...)")
    backtest.add_argument("--ids", nargs="+", default=None, help="series to plot")
    backtest.set_defaults(handler=_backtest)

    check = commands.add_parser(
        "check-gradients", help="compare a layer's gradients with finite differences")
    check.add_argument("--cell", choices=CELL_NAMES, default="lstm", help="layer to check")
    check.add_argument("--hidden", type=_positive_int, default=8, help="units per layer")
    check.add_argument("--layers", type=_positive_int, default=2, help="stacked layers")
    check.add_argument("--input-size", type=_positive_int, default=2,
                       help="features per time step")
    check.add_argument("--batch", type=_positive_int, default=3, help="sequences")
    check.add_argument("--steps", type=_positive_int, default=5, help="time steps")
    check.add_argument("--backend", choices=("auto", "numpy", "numba"), default="auto",
                       help="time loops: compiled (numba) or NumPy; auto: numba if installed")
    check.add_argument("--seed", type=int, default=0, help="seed of weights and inputs")
    check.set_defaults(handler=_check_gradients)

    datasets = commands.add_parser("datasets", help="list the bundled data, or export one")
    datasets.add_argument("name", nargs="?", help="dataset to export as CSV")
    datasets.add_argument("--output", "-o", help="CSV file (default: stdout)")
    datasets.set_defaults(handler=_datasets)
    return parser


_warned = set()  # messages already shown: a backtest's refits repeat the same warning


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line, like errors, each once: the shell user did not write the
    line of Python a warning would otherwise point at."""
    if str(message) in _warned:
        return
    _warned.add(str(message))
    print(f"rnncast: warning: {_for_the_shell(str(message))}",
          file=sys.stderr if file is None else file)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    _warned.clear()  # each command shows each of its warnings once
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.showwarning = _show_warning
            return args.handler(args)
    except BrokenPipeError:
        # the reader of stdout stopped early (`... -o - | head`): not an error of ours.
        # Point stdout at nothing, so that flushing it at exit raises nothing either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a process killed by SIGPIPE, the usual status in a pipeline
    except (RnncastError, ValueError, KeyError, ImportError, OSError) as error:
        if args.debug:
            raise
        print(f"rnncast: error: {_error_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnncast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
