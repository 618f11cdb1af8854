"""Figures of forecasts, training curves and backtests.

Each function builds a ``matplotlib.figure.Figure`` directly, on its own Agg canvas,
never through ``pyplot``: no display is needed, no figure is registered with pyplot's
global list (so nothing leaks between calls or into the user's own session), and
``rcParams`` are read, never written. Colours come from the active style's colour
cycle, one per model, the same in every panel of a figure.

Frames are the library's: a history is ``unique_id, ds, y``; a forecast is
``unique_id, ds`` and one column per model alias with optional
``{alias}-lo-{level}`` / ``{alias}-hi-{level}`` intervals; a cross-validation frame
adds ``cutoff`` and ``y``. ``ds`` may hold dates or integers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

try:
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "rnncast.plot needs matplotlib (3.7 or later): pip install matplotlib"
    ) from error

from rnncast.errors import DataError, MissingColumnError
from rnncast.models.base import forecast_columns

DPI = 110
HISTORY_FACTOR = 4  # history shown before a forecast, in multiples of its horizon...
MIN_HISTORY = 36  # ...and at least this many steps: a one-step forecast needs context
PANEL_WIDTH, PANEL_HEIGHT = 10.0, 2.7  # inches
ACTUAL_COLOUR = "0.15"  # near black: the data, set apart from every model colour
CUTOFF_COLOUR = "0.55"
BAND_EDGE_STYLES = ("--", ":")  # outlined bands: the narrowest level dashed, wider dotted



DEFAULT_MAX_SERIES = 4  # series drawn when ids is None

def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    ids: Hashable | Sequence[Hashable] | None = None,
    max_series: int = DEFAULT_MAX_SERIES,
    path: str | os.PathLike | None = None,
    value_label: str = "value",
    time_label: str | None = None,
    history_steps: int | None = None,
) -> Figure:
    """The end of each series' history and every model's forecast after it.

    Parameters
    ----------
    history : DataFrame
        ``unique_id, ds, y``: the data the models were fitted on. Per series, the last
        ``history_steps`` observations are drawn (all of them when there are fewer).
    forecast : DataFrame
        ``unique_id, ds`` and one column per model (``Forecaster.predict``'s frame);
        ``{model}-lo-{level}`` / ``{model}-hi-{level}`` columns are drawn as bands,
        lighter for wider levels.
    ids : id or sequence of ids, optional
        Series to draw, one panel each, in this order. Default: the first
        ``max_series`` series of ``forecast``.
    max_series : int
        Panels drawn when ``ids`` is not given.
    history_steps : int, optional
        Observations of history drawn before the forecast. Default: 4 horizons, and at
        least 36.
    path : str or path-like, optional
        Also save the figure there, in the format its suffix names (.png, .svg,
        .pdf, ...; PNG without one), at 110 dpi.
    value_label, time_label : str, optional
        Axis labels, e.g. the data's own column names. ``time_label`` None: "date",
        or "time step" for integer steps.

    Returns
    -------
    Figure
        One axes per series (titled with its id), a shared legend above them.

    Raises
    ------
    MissingColumnError
        A frame lacks ``unique_id``, ``ds`` (or ``y`` in ``history``).
    DataError
        ``forecast`` has no model column, or ``ids`` names series it does not hold
        (a ``ValueError``).
    """
    _check_columns(history, ["unique_id", "ds", "y"], "history")
    _check_columns(forecast, ["unique_id", "ds"], "forecast")
    if history_steps is not None and (
            isinstance(history_steps, bool) or not isinstance(history_steps, int | np.integer)
            or history_steps < 1):
        raise ValueError(f"history_steps must be a positive integer, got {history_steps!r}.")
    models = _models(forecast, "forecast")
    chosen = _choose_ids(forecast, ids, max_series, "forecast")
    colours = _model_colours(models)
    past_by_id = dict(iter(history.groupby("unique_id", sort=False, observed=True)))
    future_by_id = dict(iter(forecast.groupby("unique_id", sort=False, observed=True)))
    outline = _outline_bands(forecast, models)

    fig, axes = _new_figure(len(chosen))
    for ax, uid in zip(axes, chosen):
        future = future_by_id[uid].sort_values("ds")
        past = past_by_id.get(uid)
        x = _times(future["ds"])
        joint = None  # the last actual, where each forecast line starts from
        if past is not None and len(past):
            past = past.sort_values("ds").tail(
                history_steps or max(HISTORY_FACTOR * len(future), MIN_HISTORY))
            past_x, past_y = _times(past["ds"]), past["y"].to_numpy(float)
            ax.plot(past_x, past_y, color=ACTUAL_COLOUR, linewidth=1.3, label="history")
            if len(x) and past_x[-1] < x[0] and np.isfinite(past_y[-1]):
                joint = (past_x[-1:], past_y[-1:])
        for model in models:
            _draw_bands(ax, x, future, model, colours[model], outline)
            values = future[model].to_numpy(float)
            # drawn from the last actual on, so that history and forecast read as one
            # line; its markers only on the forecast's own points
            line_x = x if joint is None else np.concatenate([joint[0], x])
            line_y = values if joint is None else np.concatenate([joint[1], values])
            ax.plot(
                line_x,
                line_y,
                color=colours[model],
                linewidth=1.8,
                marker="o" if len(future) <= 30 else None,
                markevery=None if joint is None else slice(1, None),
                markersize=2.5,
                label=model,
            )
        _label_panel(ax, uid, _is_datetime(forecast["ds"]), ax is axes[-1], value_label,
                     time_label)
    _figure_legend(fig, axes)
    return _finish(fig, path)


def plot_training(history_frame: pd.DataFrame, path: str | os.PathLike | None = None) -> Figure:
    """Training and validation loss per epoch, one line per training run.

    Parameters
    ----------
    history_frame : DataFrame
        ``RNNForecaster.history_``: ``epoch``, ``loss`` and optionally ``run`` (else
        ``member``) telling the runs apart, ``member`` (-1: a run that chose the epoch
        count), ``lookback``, ``val_loss`` (drawn dashed, with its best epoch marked,
        where not all NaN) and ``seconds`` (the total goes in the title).
    path : str or path-like, optional
        Also save the figure there, in the format its suffix names (.png, .svg,
        .pdf, ...; PNG without one), at 110 dpi.

    Returns
    -------
    Figure
        One axes; x is the epoch, y the loss, on a log scale when it spans more than
        a factor of 10.
    """
    _check_columns(history_frame, ["epoch", "loss"], "history_frame")
    if not len(history_frame):
        raise DataError("history_frame is empty: fit the model before plotting its training.")
    key = next((k for k in ("run", "member") if k in history_frame), "run")
    frame = history_frame if key in history_frame else history_frame.assign(run=0)
    runs = list(pd.unique(frame[key]))
    colours = _cycle_colours(len(runs))
    has_validation = "val_loss" in frame and frame["val_loss"].notna().any()

    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for run_id, colour in zip(runs, colours):
        run = frame[frame[key] == run_id].sort_values("epoch")
        epoch = run["epoch"].to_numpy()
        ax.plot(epoch, run["loss"].to_numpy(float), color=colour, linewidth=1.5)
        if has_validation:
            val = run["val_loss"].to_numpy(float)
            ax.plot(epoch, val, color=colour, linewidth=1.5, linestyle="--")
            if np.isfinite(val).any():
                best = np.nanargmin(val)
                ax.scatter(
                    epoch[best],
                    val[best],
                    color=colour,
                    s=28,
                    zorder=3,
                    edgecolors="white",
                    linewidths=0.8,
                )

    losses = frame[["loss", "val_loss"] if has_validation else ["loss"]].to_numpy(float)
    losses = losses[np.isfinite(losses)]
    if losses.size and losses.min() > 0 and losses.max() / losses.min() > 10:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled data)")
    ax.grid(True, alpha=0.3)
    title = "Training loss" + (" and validation loss" if has_validation else "")
    details = [f"{len(runs)} runs"] if len(runs) > 1 else []
    if "seconds" in frame and frame["seconds"].notna().any():
        details.append(f"{frame['seconds'].sum():.1f} s")
    ax.set_title(title + (f" ({', '.join(details)})" if details else ""))

    # proxies: a colour per run, a line style per kind of loss
    handles, labels = [], []
    if len(runs) > 1:
        for run_id, colour in zip(runs, colours):
            handles.append(Line2D([], [], color=colour, linewidth=2))
            labels.append(_run_label(frame[frame[key] == run_id].iloc[0], key))
    kind_colour = colours[0] if len(runs) == 1 else "0.3"
    handles.append(Line2D([], [], color=kind_colour, linewidth=1.5))
    labels.append("training")
    if has_validation:
        handles.append(Line2D([], [], color=kind_colour, linewidth=1.5, linestyle="--"))
        labels.append("validation")
        handles.append(
            Line2D([], [], color=kind_colour, marker="o", linestyle="none", markeredgecolor="white")
        )
        labels.append("best validation")
    ax.legend(
        handles, labels, loc="best", ncols=1 + (len(handles) > 6), fontsize="small", framealpha=0.9
    )
    return _finish(fig, path)


def _run_label(first_row, key) -> str:
    """'lookback 36, member 2', 'lookback 36, chooses epochs', or 'member 2'."""
    parts = [f"lookback {int(first_row['lookback'])}"] if "lookback" in first_row else []
    member = int(first_row["member"]) if "member" in first_row else int(first_row[key])
    parts.append("chooses epochs" if member < 0 else f"member {member + 1}")
    return ", ".join(parts)


def plot_backtest(
    cv_frame: pd.DataFrame,
    ids: Hashable | Sequence[Hashable] | None = None,
    max_series: int = DEFAULT_MAX_SERIES,
    path: str | os.PathLike | None = None,
    value_label: str = "value",
    time_label: str | None = None,
) -> Figure:
    """The actuals over the cross-validation windows and each model's forecast from
    every cutoff, with the cutoffs as vertical dotted lines.

    Parameters
    ----------
    cv_frame : DataFrame
        ``cross_validation``'s frame: ``unique_id, ds, cutoff, y`` and one column per
        model (interval columns are drawn as bands, as in ``plot_forecast``).
    ids : id or sequence of ids, optional
        Series to draw, one panel each. Default: the first ``max_series`` series.
    max_series : int
        Panels drawn when ``ids`` is not given.
    path : str or path-like, optional
        Also save the figure there, in the format its suffix names (.png, .svg,
        .pdf, ...; PNG without one), at 110 dpi.
    value_label, time_label : str, optional
        Axis labels, e.g. the data's own column names. ``time_label`` None: "date",
        or "time step" for integer steps.

    Returns
    -------
    Figure
        One axes per series; in each, one line of actuals, one line per model and
        cutoff, and one dotted vertical line per cutoff.
    """
    _check_columns(cv_frame, ["unique_id", "ds", "cutoff", "y"], "cv_frame")
    models = _models(cv_frame, "cv_frame")
    chosen = _choose_ids(cv_frame, ids, max_series, "cv_frame")
    colours = _model_colours(models)
    by_id = dict(iter(cv_frame.groupby("unique_id", sort=False, observed=True)))
    # windows overlap when a time is forecast from more than one cutoff
    overlap = cv_frame.duplicated(["unique_id", "ds"]).any()
    outline = _outline_bands(cv_frame, models, overlap)

    fig, axes = _new_figure(len(chosen))
    for ax, uid in zip(axes, chosen):
        rows = by_id[uid]
        actual = rows.drop_duplicates("ds").sort_values("ds")
        ax.plot(
            _times(actual["ds"]),
            actual["y"].to_numpy(float),
            color=ACTUAL_COLOUR,
            linewidth=1.3,
            marker="o",
            markersize=2,
            label="actual",
        )
        cutoffs = pd.unique(rows["cutoff"])
        for cutoff in cutoffs:
            window = rows[rows["cutoff"] == cutoff].sort_values("ds")
            x = _times(window["ds"])
            for model in models:
                _draw_bands(ax, x, window, model, colours[model], outline)
                ax.plot(
                    x,
                    window[model].to_numpy(float),
                    color=colours[model],
                    linewidth=1.6,
                    label=model,
                )
        for cutoff in _times(pd.Series(cutoffs)):
            ax.axvline(
                cutoff, color=CUTOFF_COLOUR, linestyle=":", linewidth=1.2, zorder=0, label="cutoff"
            )
        _label_panel(ax, uid, _is_datetime(cv_frame["ds"]), ax is axes[-1], value_label,
                     time_label)
    _figure_legend(fig, axes)
    return _finish(fig, path)


# -- checks ------------------------------------------------------------------------------
def _check_columns(frame, columns, name):
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"{name} lacks columns {missing}; it needs {', '.join(columns)} "
            f"(it has {list(frame.columns)[:8]})."
        )


def _models(frame, name):
    models = forecast_columns(frame)
    if not models:
        raise DataError(
            f"{name} has no model columns to plot: besides unique_id, ds, cutoff and y it "
            "needs one column of forecasts per model."
        )
    return models


def _choose_ids(frame, ids, max_series, name):
    """The ids to draw, in order: ``ids`` (checked against ``frame``) or the first
    ``max_series`` of the frame."""
    available = list(pd.unique(frame["unique_id"]))
    if ids is None:
        if (
            isinstance(max_series, bool)
            or not isinstance(max_series, int | np.integer)
            or max_series < 1
        ):
            raise ValueError(f"max_series must be a positive integer, got {max_series!r}.")
        if not available:
            raise DataError(f"{name} is empty: there is no series to plot.")
        return available[:max_series]
    chosen = [ids] if _is_single_id(ids) else list(dict.fromkeys(ids))
    if not chosen:
        raise ValueError("ids is empty: pass at least one series id, or None for the first few.")
    # ids typed on a command line are text: "7" names the series 7 when only it reads so
    by_text = {}
    for uid in available:
        by_text.setdefault(str(uid), []).append(uid)
    known = set(available)
    chosen = list(
        dict.fromkeys(
            by_text[uid][0] if uid not in known and len(by_text.get(str(uid), ())) == 1 else uid
            for uid in chosen
        )
    )
    unknown = [uid for uid in chosen if uid not in known]
    if unknown:
        some = ", ".join(repr(uid) for uid in available[:5])
        more = f", ... ({len(available)} in all)" if len(available) > 5 else ""
        raise DataError(f"ids {unknown} are not in {name}; valid ids include {some}{more}.")
    return chosen


def _is_single_id(ids):
    return isinstance(ids, str | bytes) or not isinstance(ids, Iterable)


# -- drawing -----------------------------------------------------------------------------
def _new_figure(n_panels):
    fig = Figure(figsize=(PANEL_WIDTH, 0.6 + PANEL_HEIGHT * n_panels), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_panels, 1, squeeze=False)[:, 0]
    return fig, list(axes)


def _cycle_colours(n):
    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color") or ["C0"]
    return [cycle[i % len(cycle)] for i in range(n)]


def _model_colours(models):
    return dict(zip(models, _cycle_colours(len(models))))


def _interval_levels(frame, model):
    """Levels (as written in the column names) with both bounds, narrowest first."""
    pattern = re.compile(rf"{re.escape(model)}-lo-(.+)")
    levels = [m.group(1) for c in frame.columns if (m := pattern.fullmatch(str(c)))]
    levels = [level for level in levels if f"{model}-hi-{level}" in frame.columns]
    return sorted(levels, key=_level_value)


def _level_value(level):
    try:
        return float(level)
    except ValueError:
        return np.inf


def _draw_bands(ax, x, rows, model, colour, outline=False):
    """The model's intervals, filled; or, with ``outline``, as their edges only (dashed
    for the narrowest level, dotted for the others), where fills would pile up into one
    muddy shade: several models' bands, or overlapping backtest windows."""
    levels = _interval_levels(rows, model)
    # the narrowest band darkest: they stack, so the centre reads as most likely
    alphas = np.linspace(0.32, 0.14, len(levels)) if len(levels) > 1 else [0.25]
    for index, (level, alpha) in enumerate(zip(levels, alphas)):
        low = rows[f"{model}-lo-{level}"].to_numpy(float)
        high = rows[f"{model}-hi-{level}"].to_numpy(float)
        if not outline:
            ax.fill_between(x, low, high, color=colour, alpha=alpha, linewidth=0,
                            label=f"{level}% interval")
            continue
        style = BAND_EDGE_STYLES[min(index, len(BAND_EDGE_STYLES) - 1)]
        ax.plot(x, low, color=colour, linewidth=0.9, linestyle=style,
                label=f"{level}% interval")
        ax.plot(x, high, color=colour, linewidth=0.9, linestyle=style)


def _outline_bands(frame, models, windows_overlap=False) -> bool:
    """Whether bands are drawn as edges: more than one model has intervals, or one
    model's backtest windows overlap."""
    with_bands = [model for model in models if _interval_levels(frame, model)]
    return len(with_bands) > 1 or (bool(with_bands) and windows_overlap)


def _is_datetime(ds):
    return isinstance(ds.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(ds)


def _times(ds: pd.Series) -> np.ndarray:
    """``ds`` as matplotlib takes it: datetime64 (local wall time, for time zones) or
    numbers."""
    if isinstance(ds.dtype, pd.DatetimeTZDtype):
        ds = ds.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(ds):
        return ds.to_numpy(dtype="datetime64[ns]")
    return ds.to_numpy()


def _label_panel(ax, uid, dates, last, value_label, time_label):
    ax.set_title(str(uid), loc="left", fontsize="medium", fontweight="bold")
    ax.set_ylabel(value_label)
    ax.grid(True, alpha=0.3)
    if dates:
        locator = AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if last:  # the panels are stacked: one x label at the bottom is enough
        ax.set_xlabel(time_label or ("date" if dates else "time step"))


def _figure_legend(fig, axes):
    """One legend above all panels, one entry per label, lines first. A band is shown
    in grey, at its own opacity: its colour is its model's, which the lines explain."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    labels = sorted(entries, key=lambda label: label.endswith("% interval"))  # stable
    handles = [_grey_band(entries[label]) if label.endswith("% interval") else entries[label]
               for label in labels]
    # as many columns as fit across the figure, so no entry runs off its edge
    fit = int(PANEL_WIDTH * 11 // (max(map(len, labels)) + 8))
    fig.legend(
        handles,
        labels,
        loc="outside upper center",
        ncols=max(1, min(len(labels), fit)),
        frameon=False,
    )


def _grey_band(handle):
    """A band's legend entry in grey, filled or as its edge like the band itself."""
    if isinstance(handle, Line2D):
        return Line2D([], [], color="0.35", linewidth=0.9, linestyle=handle.get_linestyle())
    return Patch(facecolor="0.35", alpha=handle.get_alpha(), linewidth=0)


def _finish(fig, path):
    if path is not None:
        fig.savefig(path, dpi=DPI, format=plot_format(path))
    return fig


def plot_format(path) -> str:
    """The image format a plot written to ``path`` takes from its suffix (png when it
    has none); an error naming the formats for a suffix matplotlib cannot write."""
    from matplotlib.figure import Figure

    suffix = Path(path).suffix.lower().lstrip(".")
    if not suffix:
        return "png"
    supported = Figure().canvas.get_supported_filetypes()
    if suffix not in supported:
        raise ValueError(f"{path}: cannot write a plot as .{suffix}; name a file ending "
                         f"in .png, .svg or .pdf (or {', '.join(sorted(supported))}).")
    return suffix
