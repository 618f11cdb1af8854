"""Rolling-origin cross-validation and the accuracy table it feeds.

``cross_validation`` refits every model at ``n_windows`` cutoffs and forecasts ``h``
steps after each, like statsforecast's: one frame with ``unique_id, ds, cutoff, y`` and
a column per model. ``evaluate`` turns that frame into one row per model, with the best
model per metric marked.

MASE divides by the in-sample naive error, which the cross-validation frame alone does
not contain. ``cross_validation`` therefore computes that scale for every
``(unique_id, cutoff)`` from the training data it cut, and stores it in
``frame.attrs["mase_scale"]`` (read-only arrays that survive filtering, sorting and
``pd.concat`` of frames from the same run, at no copying cost); ``evaluate`` reads it
from there, or recomputes it from ``train_df`` when given.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnncast.data.frames import prepare, refill
from rnncast.data.panel import Panel
from rnncast.errors import DataError, MissingColumnError, stacklevel_outside_rnncast
from rnncast.evaluate import metrics as _metrics
from rnncast.models.base import Forecaster, _check_levels, forecast_columns

ERROR_METRICS = ("mae", "rmse", "mape", "smape", "mase")


def cross_validation(
    df, models, h: int, n_windows: int = 1, step: int | None = None, levels=None, **prepare_kwargs
) -> pd.DataFrame:
    """Forecast ``h`` steps from each of ``n_windows`` rolling origins.

    Parameters
    ----------
    df : DataFrame, Series or array
        The data, as ``Forecaster.fit`` takes it; ``prepare_kwargs`` (``id_col``,
        ``time_col``, ``target_col``, ``fill_missing``, ...) go to ``prepare``.
        Values filled by ``fill_missing`` or ``fill_gaps`` are filled for each cutoff
        from the data up to it, and a missing actual stays NaN (left out of the
        errors), so that no window sees its future.
    models : Forecaster or list of Forecaster
        Each is cloned and refitted at every cutoff; the originals are left unfitted.
        Their names (aliases) must differ and their horizons be at least ``h``.
    h : int
        Steps forecast after each cutoff.
    n_windows : int
        Number of cutoffs.
    step : int, optional
        Steps between consecutive cutoffs (default ``h``: windows side by side).
    levels : sequence of float, optional
        Interval levels in percent; adds ``{alias}-lo-{level}`` / ``{alias}-hi-{level}``.

    Returns
    -------
    DataFrame
        ``unique_id, ds, cutoff, y, <alias>...`` (+ interval columns), sorted by
        ``unique_id, cutoff, ds``. ``cutoff`` is the last ``ds`` each model trained on;
        the last window ends at each series' last observation. ``attrs["mase_scale"]``
        holds the in-sample MASE scale per ``(unique_id, cutoff)`` for ``evaluate``.
    """
    models = [models] if isinstance(models, Forecaster) else list(models)
    _check_models(models)
    _check_positive(h, "h")
    _check_positive(n_windows, "n_windows")
    step = h if step is None else step
    _check_positive(step, "step")
    levels = _check_levels(levels)
    for model in models:
        _check_model_fits_windows(model, h, levels)

    # Filled values are filled again for each cutoff from the training part alone:
    # filled once over the whole series, a gap just before a cutoff was interpolated
    # towards the first value after it (the future leaked into the fit), and missing
    # actuals were scored against invented ones. Actuals stay NaN where missing.
    panel, gaps, missing = prepare(df, **prepare_kwargs, _unfilled=True)
    # held out after each cutoff, earliest cutoff first
    drops = [h + step * (n_windows - 1 - w) for w in range(n_windows)]
    kept = _drop_short(panel, drops[0], h, n_windows, step, models)
    if kept is not panel:
        in_kept = np.repeat(np.isin(panel.ids, kept.ids), panel.lengths)
        panel, gaps, missing = kept, gaps[in_kept], missing[in_kept]

    stamps = panel.time_stamps()  # (N,) aligned with panel.values
    season_length = panel.frequency.season_length
    steps_in = np.arange(len(panel.values)) - np.repeat(panel.starts[:-1], panel.lengths)
    ds, cutoff, actual, scale = [], [], [], []
    forecasts = {}  # column name -> one (S, h) array per window
    for drop in drops:
        raw_train = panel.head(drop)
        in_train = steps_in < np.repeat(panel.lengths - drop, panel.lengths)  # (N,)
        train = raw_train
        if gaps[in_train].any() or missing[in_train].any():
            train = dataclasses.replace(raw_train, values=refill(
                raw_train.values, raw_train.starts, gaps[in_train], missing[in_train],
                prepare_kwargs.get("fill_gaps"), prepare_kwargs.get("fill_missing"),
                raw_train.ids))
        ends = panel.starts[1:] - drop  # (S,) first held-out position of each series
        future = ends[:, None] + np.arange(h)  # (S, h)
        ds.append(stamps[future])
        cutoff.append(stamps[ends - 1])
        actual.append(panel.values[future])  # NaN where the data had no value
        scale.append(  # from the values the data has, not the filled ones
            _metrics.mase_scale([raw_train.series(s) for s in range(raw_train.n_series)],
                                season_length)
        )
        for model in models:
            fitted = model.clone()._fit_prepared(train)
            point = fitted._forecast_panel(train, fitted.horizon)[:, :h]  # (S, h)
            forecasts.setdefault(model.name, []).append(point)
            for level in levels:
                lo, hi = fitted._interval_panel(train, point, level)
                forecasts.setdefault(f"{model.name}-lo-{level:g}", []).append(lo)
                forecasts.setdefault(f"{model.name}-hi-{level:g}", []).append(hi)

    def by_series(arrays):
        """Windows (W, S, h) or (W, S) -> one column ordered by series, cutoff, ds."""
        stacked = np.stack(arrays)
        if stacked.ndim == 2:
            stacked = np.repeat(stacked[:, :, None], h, axis=2)
        return stacked.transpose(1, 0, 2).reshape(-1)

    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(panel.ids, n_windows * h),
            "ds": by_series(ds),
            "cutoff": by_series(cutoff),
            "y": by_series(actual),
        }
    )
    for column, arrays in forecasts.items():
        frame[column] = by_series(arrays)

    frame.attrs["mase_scale"] = _MaseScales(
        season_length=int(season_length),
        unique_id=np.repeat(panel.ids, n_windows),
        cutoff=np.stack(cutoff).T.reshape(-1),  # (S * W,) series-major
        scale=np.stack(scale).T.reshape(-1),
    )
    return frame


def evaluate(
    cv_frame: pd.DataFrame,
    metrics=("mae", "rmse", "smape", "mase"),
    season_length: int | None = None,
    train_df=None,
    per_series: bool = False,
) -> pd.DataFrame:
    """Accuracy of each model in a cross-validation (or forecast-with-actuals) frame.

    Each metric is computed per series and window (``unique_id, cutoff``) over the
    horizon, averaged over a series' windows, then over series. Series where a metric is
    undefined (MAPE on all-zero actuals, MASE on a constant history) are left out of
    that average.

    Parameters
    ----------
    cv_frame : DataFrame
        ``unique_id, ds, y``, optionally ``cutoff``, one column per model and optional
        ``{model}-lo-{level}`` / ``{model}-hi-{level}`` intervals. Any other column is
        taken for a model's forecasts; one that does not hold numbers is an error.
    metrics : sequence of {"mae", "rmse", "mape", "smape", "mase"}
        ``coverage-{level}`` (fraction of actuals inside the interval) is added for
        each interval level in the frame.
    season_length : int, optional
        Lag of MASE's in-sample naive forecast. None: the data's frequency decides.
    train_df : DataFrame, optional
        ``unique_id, ds, y`` in-sample data for MASE: for each window the rows up to its
        cutoff are used (all rows of a series when the frame has no ``cutoff``). Not
        needed for a frame from ``cross_validation``, which carries its MASE scales in
        ``attrs``.
    per_series : bool
        Return the per-series values instead: a long frame ``unique_id, model, metric,
        value``.

    Returns
    -------
    DataFrame
        Index: model names; one column per metric; and ``best``, naming for each model
        the metrics on which it is best (lowest error; coverage closest to its nominal
        level), comma-separated, empty where it is best on none. Ties are all marked.
    """
    metrics = _check_metrics(metrics)
    missing = {"unique_id", "ds", "y"} - set(cv_frame.columns)
    if missing:
        raise ValueError(
            f"cv_frame lacks columns {sorted(missing)}; it needs unique_id, ds, "
            "y and one column per model, as cross_validation returns. A frame with your "
            "own names (as the shell's backtest --output writes) needs them renamed: "
            "frame.rename(columns={'<id>': 'unique_id', '<time>': 'ds', '<target>': 'y'})."
        )
    models = forecast_columns(cv_frame)
    if not models:
        raise ValueError("cv_frame has no model columns to evaluate.")
    keys = ["unique_id", "cutoff"] if "cutoff" in cv_frame.columns else ["unique_id"]
    frame = cv_frame.sort_values([*keys, "ds"], kind="stable")
    grouped = frame.groupby(keys, sort=False)
    code = grouped.ngroup().to_numpy()
    position = grouped.cumcount().to_numpy()
    windows = frame.iloc[np.flatnonzero(position == 0)][keys].reset_index(drop=True)

    def padded(column):  # (windows, longest horizon), NaN beyond a window's end
        out = np.full((len(windows), position.max() + 1), np.nan)
        out[code, position] = frame[column].to_numpy(dtype=np.float64)
        return out

    y = padded("y")
    scale = (
        _window_scales(cv_frame, windows, season_length, train_df) if "mase" in metrics else None
    )
    levels = _interval_levels(frame.columns, models)

    per_window = {}  # (model, metric) -> (windows,)
    no_forecast = {}  # model -> (windows,): its forecast is NaN where the actual is known
    for model in models:
        f = padded(model)
        no_forecast[model] = (np.isnan(f) & ~np.isnan(y)).any(axis=1)
        for metric in metrics:
            if metric == "mase":
                error = _metrics.mae(y, f, per_series=True)
                with np.errstate(divide="ignore", invalid="ignore"):
                    per_window[model, metric] = np.where(scale > 0, error / scale, np.nan)
            else:
                per_window[model, metric] = getattr(_metrics, metric)(y, f, per_series=True)
        for level in levels:
            lo, hi = f"{model}-lo-{level}", f"{model}-hi-{level}"
            per_window[model, f"coverage-{level}"] = (
                _metrics.coverage(y, padded(lo), padded(hi), per_series=True)
                if lo in frame.columns and hi in frame.columns
                else np.full(len(windows), np.nan)
            )

    names = [*metrics, *(f"coverage-{level}" for level in levels)]
    table = pd.DataFrame({key: value for key, value in per_window.items()})
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["model", "metric"])
    series_of_window = windows["unique_id"].to_numpy()
    series = table.groupby(series_of_window, sort=True).mean()  # skips NaN
    series.index.name = "unique_id"
    # A missing forecast is not an undefined metric: averaged over the other series, a
    # model that fails on the hard ones would look best. Its series get NaN, and so
    # does its mean over series.
    incomplete = [model for model in models if no_forecast[model].any()]
    for model in incomplete:
        where = pd.Series(no_forecast[model]).groupby(series_of_window, sort=True).any()
        series.loc[where.to_numpy(), model] = np.nan
        _warn_missing_forecasts(model, where.index[where.to_numpy()], len(where))
    if per_series:
        long = series.stack(["model", "metric"], future_stack=True).rename("value")
        long = long.reset_index()
        long["model"] = pd.Categorical(long["model"], categories=models, ordered=True)
        long["metric"] = pd.Categorical(long["metric"], categories=names, ordered=True)
        long = long.sort_values(["unique_id", "model", "metric"], kind="stable")
        long[["model", "metric"]] = long[["model", "metric"]].astype(str)
        return long.reset_index(drop=True)

    summary = series.mean().unstack("metric").reindex(index=models, columns=names)
    summary.loc[incomplete, names] = np.nan
    summary.index.name = None
    summary.columns.name = None
    summary["best"] = _best(summary[names])
    return summary


# -- cross-validation helpers -------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _MaseScales:
    """The in-sample MASE scale of each (unique_id, cutoff) window, carried in a
    cross-validation frame's ``attrs``: arrays of shape (S * W,), read-only."""

    season_length: int
    unique_id: np.ndarray
    cutoff: np.ndarray
    scale: np.ndarray

    def __post_init__(self):
        for array in (self.unique_id, self.cutoff, self.scale):
            array.flags.writeable = False

    def __deepcopy__(self, memo):
        # pandas deep-copies attrs on every operation; read-only arrays can be shared
        return self

    def __eq__(self, other):
        # pandas compares attrs to decide whether pd.concat keeps them
        return (
            isinstance(other, _MaseScales)
            and self.season_length == other.season_length
            and np.array_equal(self.unique_id, other.unique_id)
            and np.array_equal(self.cutoff, other.cutoff)
            and np.array_equal(self.scale, other.scale, equal_nan=True)
        )

    __hash__ = None


def _check_models(models) -> None:
    if not models:
        raise ValueError("models is empty: give at least one forecaster, e.g. [Naive(h)].")
    for model in models:
        if not isinstance(model, Forecaster):
            raise TypeError(f"models must be Forecaster instances, got {model!r}.")
    names = [model.name for model in models]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"several models are named {repeated}: give each its own "
            "alias=..., e.g. WindowAverage(h, 7, alias='Avg7')."
        )


def _check_positive(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _check_model_fits_windows(model: Forecaster, h: int, levels) -> None:
    _check_positive(model.horizon, f"{model.name}'s horizon")
    if model.horizon < h:
        raise ValueError(
            f"{model.name} has horizon={model.horizon}, shorter than h={h}: "
            f"construct it with horizon={h} (or more), or lower h."
        )
    for level in levels:  # before any refit, which the model's own check follows
        why = model._untrained_level(level)
        if why is not None:
            raise ValueError(f"{model.name}: {why}")


def _drop_short(
    panel: Panel, first_drop: int, h: int, n_windows: int, step: int, models
) -> Panel:
    """The series long enough to backtest: one observation before the first cutoff,
    plus what each model's conformal calibration holds out of that training data. The
    others are left out with a ``ShortSeriesWarning`` naming them (as ``fit`` leaves
    out series too short to train on); none left is a ``DataError``."""
    from rnncast.models.rnn import ShortSeriesWarning

    need = first_drop + 1
    calibration = max(model.conformal_windows * model.horizon for model in models)
    need += calibration
    short = panel.lengths < need
    if not short.any():
        return panel
    named = ", ".join(
        f"{panel.ids[s]!r} ({panel.lengths[s]} values)" for s in np.flatnonzero(short)[:5]
    )
    more = f" and {short.sum() - 5} more" if short.sum() > 5 else ""
    why = (f"a horizon of {h} and {n_windows} window(s) {step} steps apart need at least "
           f"{need} values per series"
           + (f", {calibration} of them for conformal calibration" if calibration else ""))
    levers = ("fewer windows, a smaller step or a shorter horizon" if n_windows > 1
              else "a shorter horizon")
    if short.all():
        raise DataError(f"every series is too short to backtest: {why} ({named}{more}). "
                        f"Use {levers}.")
    warnings.warn(f"{short.sum()} series too short to backtest ({why}) left out: "
                  f"{named}{more}. Use {levers} to keep them.",
                  ShortSeriesWarning, stacklevel=3)
    return panel.subset(~short)


# -- evaluation helpers -------------------------------------------------------------
def _check_metrics(metrics) -> list[str]:
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in ERROR_METRICS]
    if unknown:
        raise ValueError(
            f"unknown metrics {unknown}; choose from {list(ERROR_METRICS)} "
            "(coverage is added by itself for interval columns)."
        )
    return list(dict.fromkeys(metrics))


def _interval_levels(columns, models) -> list[str]:
    """Level labels ("80", "95") of the interval columns, in increasing order."""
    found = set()
    for model in models:
        pattern = re.compile(rf"^{re.escape(model)}-(?:lo|hi)-(.+)$")
        found |= {match[1] for column in columns if (match := pattern.match(column))}
    return sorted(found, key=float)


def _warn_missing_forecasts(model: str, series_ids, n_series: int) -> None:
    listed = ", ".join(repr(i) for i in list(series_ids)[:5])
    more = f" and {len(series_ids) - 5} more" if len(series_ids) > 5 else ""
    warnings.warn(
        f"{model!r} has no forecast (NaN) where actuals are known, in {len(series_ids)} "
        f"of {n_series} series ({listed}{more}): its errors there and its means over "
        f"series are NaN, since an average over the other series would flatter it. To "
        f"score every model on the series {model!r} forecast, drop the others from the "
        f"frame first: frame[~frame['unique_id'].isin([...])].",
        UserWarning, stacklevel=stacklevel_outside_rnncast())


def _best(summary: pd.DataFrame) -> list[str]:
    """For each model, the metrics it wins, comma-separated."""
    won = {model: [] for model in summary.index}
    for metric in summary.columns:
        values = summary[metric].to_numpy(dtype=np.float64)
        if metric.startswith("coverage-"):
            values = np.abs(values - float(metric.removeprefix("coverage-")) / 100)
        if np.isnan(values).all():
            continue
        best = np.nanmin(values)
        for model, value in zip(summary.index, values, strict=True):
            if np.isclose(value, best, rtol=1e-9, atol=1e-12):
                won[model].append(metric)
    return [", ".join(won[model]) for model in summary.index]


def _window_scales(cv_frame, windows: pd.DataFrame, season_length, train_df) -> np.ndarray:
    """The MASE scale per window (row of ``windows``), shape (windows,)."""
    if train_df is not None:
        return _scales_from_data(train_df, windows, season_length)
    stored = cv_frame.attrs.get("mase_scale")
    if stored is None:
        raise ValueError(
            "MASE needs the in-sample data: pass train_df=..., or evaluate a "
            "frame returned by cross_validation (it carries the scales), or "
            "leave 'mase' out of metrics."
        )
    if season_length is not None and season_length != stored.season_length:
        raise ValueError(
            f"the frame's MASE scales use season_length="
            f"{stored.season_length}; pass train_df=... to use "
            f"season_length={season_length}."
        )
    keys = list(windows.columns)
    if keys != ["unique_id", "cutoff"]:
        raise ValueError(
            "cv_frame has no cutoff column, so its stored MASE scales cannot "
            "be matched: keep the cutoff column, or pass train_df=...."
        )
    table = pd.DataFrame(
        {"unique_id": stored.unique_id, "cutoff": stored.cutoff, "scale": stored.scale}
    )
    for key in keys:
        table[key] = table[key].astype(windows[key].dtype)
    matched = windows.merge(table, on=keys, how="left", indicator=True)
    unmatched = np.flatnonzero(matched["_merge"].to_numpy() == "left_only")
    if unmatched.size:
        uid, cut = windows.iloc[unmatched[0]]
        raise ValueError(
            f"the frame's stored MASE scales do not cover (unique_id={uid!r}, cutoff={cut}) "
            f"and {unmatched.size - 1} other window(s): was the frame combined with another? "
            "Pass train_df=... to compute the scales from the data."
        )
    return matched["scale"].to_numpy(dtype=np.float64)


def _scales_from_data(train_df, windows: pd.DataFrame, season_length) -> np.ndarray:
    try:
        panel = prepare(train_df)
    except MissingColumnError as error:  # its advice (time_col=...) is prepare's options
        columns = list(getattr(train_df, "columns", []))
        raise MissingColumnError(
            f"train_df needs the columns unique_id, ds and y (it has {columns[:8]}); "
            "rename yours: train_df.rename(columns={'<id>': 'unique_id', '<time>': 'ds', "
            "'<target>': 'y'}).") from error
    season_length = season_length or panel.frequency.season_length
    index = {uid: s for s, uid in enumerate(panel.ids.tolist())}
    unknown = sorted(set(windows["unique_id"].tolist()) - set(index))
    if unknown:
        raise DataError(
            f"train_df has no rows for series {unknown[:5]}; MASE needs each series' "
            "in-sample data. Pass the frame the forecasts were trained on."
        )
    stamps = panel.time_stamps() if "cutoff" in windows.columns else None
    cutoffs = windows["cutoff"].to_numpy() if stamps is not None else None
    scales = np.empty(len(windows))
    for row, uid in enumerate(windows["unique_id"].tolist()):
        s = index[uid]
        history = panel.series(s)
        if stamps is not None:
            own = stamps[panel.starts[s] : panel.starts[s + 1]]
            history = history[: np.searchsorted(own, cutoffs[row], side="right")]
        scales[row] = _metrics.mase_scale(history, season_length)[0]
    return scales
