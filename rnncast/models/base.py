"""The one protocol every forecaster follows, so cross-validation treats them alike.

Like scikit-learn's estimators: the constructor stores its arguments and validates
nothing; ``fit(df)`` prepares the data, learns, sets attributes ending in ``_`` and
returns ``self``; ``predict`` on an unfitted model raises ``NotFittedError``. Like
statsforecast: data are long frames (``unique_id``, ``ds``, ``y``) and a forecast frame
has ``unique_id``, ``ds`` and one column named by the model's ``alias``, plus
``{alias}-lo-{level}`` / ``{alias}-hi-{level}`` interval columns.

A subclass implements two methods on arrays:

- ``_fit_panel(panel)``: learn from a ``Panel``.
- ``_forecast_panel(panel, horizon)``: point forecasts ``(S, horizon)`` for the steps
  after each series in ``panel`` (the fitted one, or new data), in the data's units.

and may override ``_interval_panel(panel, point, level)`` to give its own intervals
(quantile heads); otherwise intervals are conformal, from cross-validation residuals
computed at ``fit`` when ``conformal_windows`` > 0.
"""

from __future__ import annotations

import contextvars
import copy
import inspect
import warnings

import numpy as np
import pandas as pd

import rnncast.data.frames as _frames
from rnncast.data.panel import Panel
from rnncast.errors import (
    DataError,
    FrequencyError,
    NotFittedError,
    TrainingInterrupted,
    stacklevel_outside_rnncast,
)

# the warning categories given in the fit running now, when one is (see warn_once_per_fit)
_warned_in_this_fit = contextvars.ContextVar("rnncast_warned_in_this_fit", default=None)


def warn_once_per_fit(message: str, category: type[Warning]) -> None:
    """Warn, unless the fit running now already gave a warning of ``category``: its
    refits for conformal intervals train like it and would repeat it, each with its own
    figures in the message (which Python's warning filter then does not take for a
    repeat)."""
    given = _warned_in_this_fit.get()
    if given is not None:
        if category in given:
            return
        given.add(category)
    warnings.warn(message, category, stacklevel=stacklevel_outside_rnncast())


class IntervalWarning(UserWarning):
    """Too few conformal calibration errors for the interval level asked: the interval
    is the largest error, and covers less than the level says."""


class Forecaster:
    """Base class. Subclasses take ``horizon`` first and keyword options after it."""

    def __init__(self, horizon: int, *, alias: str | None = None,
                 conformal_windows: int = 0):
        self.horizon = horizon
        self.alias = alias
        self.conformal_windows = conformal_windows

    # -- parameters, as scikit-learn -------------------------------------------------
    def get_params(self) -> dict:
        names = [p for cls in type(self).__mro__ if cls is not object
                 for p in inspect.signature(cls.__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in dict.fromkeys(names)
                if hasattr(self, name) and name not in ("args", "kwargs")}

    def clone(self, **changes) -> Forecaster:
        """An unfitted copy with the same parameters (and ``changes``)."""
        params = {k: copy.deepcopy(v) for k, v in self.get_params().items()}
        params.update(changes)
        return type(self)(**params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def name(self) -> str:
        """The column name of this model's forecasts."""
        return self.alias or type(self).__name__

    # -- the protocol ----------------------------------------------------------------
    def fit(self, df, *, id_col="unique_id", time_col="ds", target_col="y",
            fill_missing=None, fill_gaps=None) -> Forecaster:
        """Learn from ``df`` (a long frame, a Series or an array: one series)."""
        self._check_horizon(self.horizon, "horizon")
        panel = _frames.prepare(df, id_col=id_col, time_col=time_col, target_col=target_col,
                                fill_missing=fill_missing, fill_gaps=fill_gaps)
        self._fit_prepared(panel)
        # predict(df=newer data) reads the same columns unless told otherwise
        self.columns_ = {"id_col": id_col, "time_col": time_col, "target_col": target_col}
        return self

    def _fit_prepared(self, panel: Panel) -> Forecaster:
        """``fit`` after validation: cross-validation calls this on each training cut."""
        self._check_horizon(self.horizon, "horizon")
        windows = self.conformal_windows
        if not is_count(windows):
            raise ValueError(f"conformal_windows must be a whole number >= 0 (0: no "
                             f"conformal intervals), got {windows!r}.")
        if hasattr(self, "panel_"):  # a failed refit leaves an unfitted model, not half of one
            del self.panel_
        warned = _warned_in_this_fit.set(set())
        try:
            self._option_warnings()  # once per fit, not per conformal refit
            self._fit_panel(panel)
            self.panel_ = panel
            self.conformal_scores_ = None
            if self.conformal_windows:
                self.conformal_scores_ = self._conformal_scores(panel)
        except TrainingInterrupted as stop:
            # Ctrl-C: hand back what was learnt (without conformal intervals) if usable
            if self._usable_after_interrupt():
                self.panel_ = panel
                self.conformal_scores_ = None
                stop.model = self
            raise
        finally:
            _warned_in_this_fit.reset(warned)
        return self

    def _option_warnings(self) -> None:
        """Warn about options that are valid but do nothing here (a subclass's)."""

    def _usable_after_interrupt(self) -> bool:
        """Whether a fit stopped by Ctrl-C left a model that can forecast."""
        return False

    def predict(self, h: int | None = None, df=None, levels=None, **prepare_kwargs):
        """Forecast ``h`` steps (all of the fitted horizon by default).

        With ``df``, forecast after the end of each series in ``df`` (new data, the
        same model, no refit), read with the column names ``fit`` was given unless
        ``prepare_kwargs`` name others; its frequency must be the fitted data's.
        ``levels`` (e.g. ``[80, 95]``) adds interval columns.
        """
        if not hasattr(self, "panel_"):
            raise NotFittedError(f"{self.name} is not fitted yet: call fit(df) first.")
        h = self.horizon if h is None else h
        self._check_horizon(h, "h")
        if h > self.horizon:
            raise ValueError(f"h={h} is longer than the fitted horizon {self.horizon}; "
                             f"refit with horizon={h}.")
        panel = self.panel_ if df is None else self._new_panel(df, prepare_kwargs)
        point = self._forecast_panel(panel, self.horizon)[:, :h]  # (S, h)
        frame = panel.forecast_frame(h)
        frame[self.name] = point.reshape(-1)
        for level in _check_levels(levels):
            lo, hi = self._interval_panel(panel, point, level)
            frame[f"{self.name}-lo-{level:g}"] = lo.reshape(-1)
            frame[f"{self.name}-hi-{level:g}"] = hi.reshape(-1)
        return frame

    def _new_panel(self, df, prepare_kwargs) -> Panel:
        """``predict``'s new data as a Panel, at the fitted frequency."""
        fitted = self.panel_.frequency
        panel = _frames.prepare(df, **{**getattr(self, "columns_", {}), **prepare_kwargs},
                                _frequency=fitted)  # for series of one value each
        if panel.frequency != fitted:
            shift = _weekday_shift(panel.frequency.alias, fitted.alias)
            fix = (f"These are weeks dated on another weekday: shift the dates by {shift:+d} "
                   f"day(s), e.g. df[time_col] + pd.Timedelta(days={shift})" if shift else
                   f"Give data at {fitted.describe()} (e.g. resample it)")
            raise FrequencyError(
                f"the new data's frequency is {panel.frequency.describe()}, but {self.name} "
                f"was fitted on {fitted.describe()}: its lookbacks and seasons count "
                f"steps of that frequency. {fix}, or fit a model on this frequency.")
        new_end, fitted_end = panel.last_ds.max(), self.panel_.last_ds.max()
        if new_end < fitted_end:  # an older file by mistake, or a deliberate backtest
            dates = not fitted.is_integer
            warnings.warn(
                f"the new data end at {_frames._fmt_time(new_end, dates)}, before the data "
                f"{self.name} was fitted on ({_frames._fmt_time(fitted_end, dates)}): the "
                f"forecast is for times already past. Pass data up to the latest time to "
                f"forecast ahead.", UserWarning, stacklevel=3)
        return panel

    def _fit_panel(self, panel: Panel) -> None:
        raise NotImplementedError

    def _forecast_panel(self, panel: Panel, horizon: int) -> np.ndarray:
        raise NotImplementedError

    # -- intervals -------------------------------------------------------------------
    def _untrained_level(self, level) -> str | None:
        """Why the model, as constructed, can give no ``level``% interval (None when it
        can): the one check behind ``predict`` and ``cross_validation``."""
        if self.conformal_windows:
            return None
        return (f"{self.name} gives no intervals, so a {level:g}% interval cannot be "
                "forecast: construct it with conformal_windows=K (K >= 1) for "
                "conformal intervals, or leave levels out.")

    def _interval_panel(self, panel, point, level):
        """(lo, hi), each (S, h): conformal unless a subclass knows better."""
        if self.conformal_scores_ is None:
            raise ValueError(self._untrained_level(level)
                             or f"{self.name} has no conformal calibration: its fit was "
                                "stopped before it. Fit it again for intervals.")
        h = point.shape[1]
        count = len(self.conformal_scores_)
        needed = calibration_errors_needed(level)
        if count < needed:
            series = max(count // max(self.conformal_windows, 1), 1)
            warnings.warn(
                f"{self.name}: {_a_or_an(level)} {level:g}% conformal interval needs at "
                f"least {needed} "
                f"calibration errors per step, and there are {count} "
                f"({self.conformal_windows} window(s) x {series} series), so it is the "
                f"largest of them and covers less than {level:g}%. Fit with "
                f"conformal_windows={-(-needed // series)} or more, or ask for a lower "
                "level.", IntervalWarning, stacklevel=stacklevel_outside_rnncast())
        radius = conformal_radius(self.conformal_scores_[:, :h], level)  # (h,) scale-free
        # (S, h) in each series' units; none for a series that never changed
        half_width = radius * series_scale(panel, constant=0.0)[:, None]
        return point - half_width, point + half_width

    def _conformal_scores(self, panel: Panel) -> np.ndarray:
        """Absolute errors of refits on earlier cutoffs, each divided by its series'
        scale (``series_scale`` of the training cut), so that series of different
        magnitudes share one calibration: (windows * S, horizon)."""
        scores = []
        held_out = self.conformal_windows * self.horizon
        too_short = panel.lengths <= held_out
        if too_short.any():
            named = ", ".join(repr(uid) for uid in panel.ids[too_short][:5])
            fewer = int(panel.lengths.min() - 1) // self.horizon  # windows every series fits
            raise DataError(
                f"conformal_windows={self.conformal_windows} refits {self.name} at "
                f"cutoffs up to {held_out} steps ({self.conformal_windows} horizons) "
                f"before each series' end, and {int(too_short.sum())} series have "
                f"{held_out} or fewer values ({named}): "
                + (f"give fewer windows (conformal_windows={fewer} fits every series), "
                   if fewer else "") + "a shorter horizon, or drop the shortest series.")
        for window in range(1, self.conformal_windows + 1):
            train = panel.head(window * self.horizon)
            model = self.clone(conformal_windows=0)
            try:
                model._fit_panel(train)
            except DataError as error:
                fits = (f"give conformal_windows={window - 1} (the refits before this one "
                        f"trained), " if window > 1 else "")
                raise type(error)(
                    f"calibrating conformal intervals (conformal_windows="
                    f"{self.conformal_windows}: a refit on each series without its last "
                    f"{window * self.horizon} values): {error} Or {fits}use a shorter "
                    f"horizon, or drop the shortest series.") from error
            forecast = model._forecast_panel(train, self.horizon)  # (S, h)
            future = (panel.starts[:-1] + train.lengths)[:, None] + np.arange(self.horizon)
            errors = np.abs(panel.values[future] - forecast)
            scores.append(errors / series_scale(train)[:, None])
        return np.concatenate(scores)

    @staticmethod
    def _check_horizon(value, name):
        if not is_count(value, minimum=1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def is_count(value, minimum: int = 0) -> bool:
    """Whether ``value`` is an integer (not a bool) of at least ``minimum``."""
    return (not isinstance(value, bool) and isinstance(value, int | np.integer)
            and value >= minimum)


def calibration_errors_needed(level: float) -> int:
    """The fewest calibration errors n whose finite-sample conformal quantile at
    ``level`` (%) is one of them: ceil((n + 1) level / 100) <= n."""
    n = max(1, int(level / (100 - level)) - 1)
    while np.ceil((n + 1) * level / 100) > n:
        n += 1
    return n


def conformal_radius(scores: np.ndarray, level: float) -> np.ndarray:
    """Half-width per horizon step from scores (n, h): the k-th smallest of each
    column with k = ceil((n + 1) * level), the finite-sample conformal quantile."""
    n = scores.shape[0]
    rank = min(1.0, np.ceil((n + 1) * level / 100) / n)
    return np.quantile(scores, rank, axis=0, method="inverted_cdf")


def series_scale(panel: Panel, constant=None) -> np.ndarray:
    """(S,) typical one-step change of each series: the mean absolute difference, or,
    where the series never changes, its mean absolute value (1 where it is all zero),
    or ``constant`` if given for a series of two values or more. The conformal errors
    are divided by the fallback; an interval is 0 wide for a series that never changed
    (as statsforecast's Naive gives): scaled by its level, a flat series at 100 had an
    80% interval of -99 to 299. A single value has no change to go by: its size scales
    its interval."""
    diffs = np.abs(np.diff(panel.values))
    diffs[panel.starts[1:-1] - 1] = 0.0  # no difference across two series
    steps = np.maximum(panel.lengths - 1, 1)
    scale = np.add.reduceat(np.append(diffs, 0.0), panel.starts[:-1]) / steps
    magnitude = np.add.reduceat(np.abs(panel.values), panel.starts[:-1]) / panel.lengths
    fallback = np.where(magnitude > 0, magnitude, 1.0)
    if constant is not None:
        fallback = np.where(panel.lengths > 1, constant, fallback)
    return np.where(scale > 0, scale, fallback)


def _check_levels(levels):
    """``levels`` as a list of percentages; a number, or a sequence of numbers."""
    if levels is None:
        return []
    levels = [levels] if np.isscalar(levels) else list(levels)
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float | np.number):
            raise ValueError(f"interval levels are numbers, percentages such as 80 or 95, "
                             f"got {level!r} ({type(level).__name__}).")
        if not 0 < level < 100:
            raise ValueError(f"interval levels are percentages in (0, 100), got {level!r}.")
        if level < 1:  # 0.8 is far more often a fraction than a 0.8% interval
            raise ValueError(f"interval levels are percentages: 80 for an 80% interval, "
                             f"got {level!r}; did you mean {level * 100:g}?")
    return levels


def _weekday_shift(alias, fitted_alias) -> int:
    """Days that move weeks anchored as ``alias`` (W-SUN) onto ``fitted_alias`` (W-MON),
    the nearer way; 0 unless both are weekly."""
    days = []
    for name in (alias, fitted_alias):
        if not (isinstance(name, str) and name.startswith("W-") and name[2:] in _frames.WEEKDAYS):
            return 0
        days.append(_frames.WEEKDAYS.index(name[2:]))
    shift = (days[1] - days[0]) % 7
    return shift - 7 if shift > 3 else shift


def forecast_columns(frame: pd.DataFrame) -> list[str]:
    """The model columns of a forecast or cross-validation frame: every column but
    ``unique_id, ds, cutoff, y`` and the interval bounds. One that does not hold
    numbers (a store name carried along) is a ``ValueError`` naming it."""
    fixed = {"unique_id", "ds", "cutoff", "y"}
    columns = [c for c in frame.columns
               if c not in fixed and "-lo-" not in str(c) and "-hi-" not in str(c)]
    for column in columns:
        dtype = frame[column].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(
                f"column {column!r} holds {dtype} values, not forecasts: every column "
                f"but unique_id, ds, cutoff, y and the interval bounds is taken for a "
                f"model's forecasts. Drop it first, e.g. frame.drop(columns=[{column!r}]).")
    return columns


def _a_or_an(level) -> str:
    """The article before a level in (0, 100) read aloud: an 80, an 8.5, an 11, an 18;
    a 95."""
    whole = f"{level:g}".split(".")[0]
    return "an" if whole.startswith("8") or whole in ("11", "18") else "a"
