"""Statistical baselines: the forecasts an RNN has to beat.

Each reads only the end of each series, so "fitting" learns nothing but settings (the
season length); ``_forecast_panel`` works from whatever panel it is given, which is
what lets ``predict(df=new_data)`` forecast after new data without a refit. All are
vectorised over series with the panel's ``values`` / ``starts`` arrays.

With ``y`` the series, ``n`` its length, ``T = n - 1`` its last index and
``k = 1 .. horizon`` the step ahead:

- ``Naive``:         ``y[T]``
- ``SeasonalNaive``: ``y[T - m + 1 + (k - 1) % m]``, the last season repeated
- ``Drift``:         ``y[T] + k * (y[T] - y[0]) / (n - 1)``
- ``WindowAverage``: the mean of the last ``window`` values, flat
"""

from __future__ import annotations

import numpy as np

from rnncast.data.panel import Panel
from rnncast.models.base import Forecaster


def _last_values(panel: Panel) -> np.ndarray:
    return panel.values[panel.starts[1:] - 1]  # (S,)


def _check_positive_int(value, name: str, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


class Naive(Forecaster):
    """Every step is the last observed value.

    Parameters
    ----------
    horizon : int
        Steps to forecast.
    alias : str, optional
        Column name of the forecasts (default ``"Naive"``).
    conformal_windows : int
        Refits on this many earlier cutoffs at ``fit`` to calibrate conformal
        intervals (``predict(levels=...)``); 0 means no intervals.
    """

    def __init__(self, horizon: int, *, alias: str | None = None, conformal_windows: int = 0):
        super().__init__(horizon, alias=alias, conformal_windows=conformal_windows)

    def _fit_panel(self, panel: Panel) -> None:
        pass

    def _forecast_panel(self, panel: Panel, horizon: int) -> np.ndarray:
        return np.repeat(_last_values(panel)[:, None], horizon, axis=1)  # (S, h)


class SeasonalNaive(Forecaster):
    """Every step is the value one season earlier: the last season, repeated.

    Parameters
    ----------
    horizon : int
        Steps to forecast.
    season_length : int, optional
        Periods per season. None: the data's frequency decides
        (``panel.frequency.season_length``: 12 for monthly, 7 for daily, 1 for integer
        steps), resolved at ``fit`` into ``season_length_``.
    alias, conformal_windows
        As for ``Naive``.

    A series shorter than one season has no season to repeat: it gets the naive
    forecast (its last value) instead.
    """

    def __init__(
        self,
        horizon: int,
        season_length: int | None = None,
        *,
        alias: str | None = None,
        conformal_windows: int = 0,
    ):
        super().__init__(horizon, alias=alias, conformal_windows=conformal_windows)
        self.season_length = season_length

    def _fit_panel(self, panel: Panel) -> None:
        _check_positive_int(self.season_length, "season_length", allow_none=True)
        self.season_length_ = self.season_length or panel.frequency.season_length

    def _forecast_panel(self, panel: Panel, horizon: int) -> np.ndarray:
        m = self.season_length_
        ends = panel.starts[1:]  # (S,) one past each series' last value
        seasonal = ends[:, None] - m + np.arange(horizon) % m  # (S, h)
        naive = np.repeat(ends[:, None] - 1, horizon, axis=1)  # (S, h)
        index = np.where((panel.lengths >= m)[:, None], seasonal, naive)
        return panel.values[index]


class Drift(Forecaster):
    """The last value plus the average step so far: the line through the first and
    last observations, extended. A one-observation series gets the naive forecast.

    Parameters
    ----------
    horizon : int
        Steps to forecast.
    alias, conformal_windows
        As for ``Naive``.
    """

    def __init__(self, horizon: int, *, alias: str | None = None, conformal_windows: int = 0):
        super().__init__(horizon, alias=alias, conformal_windows=conformal_windows)

    def _fit_panel(self, panel: Panel) -> None:
        pass

    def _forecast_panel(self, panel: Panel, horizon: int) -> np.ndarray:
        last = _last_values(panel)
        first = panel.values[panel.starts[:-1]]
        steps = np.maximum(panel.lengths - 1, 1)  # n = 1: last == first, slope 0
        slope = (last - first) / steps  # (S,)
        return last[:, None] + slope[:, None] * np.arange(1, horizon + 1)  # (S, h)


class WindowAverage(Forecaster):
    """Every step is the mean of the last ``window`` values (all of them for a series
    shorter than ``window``).

    Parameters
    ----------
    horizon : int
        Steps to forecast.
    window : int
        How many of the last values to average.
    alias, conformal_windows
        As for ``Naive``.
    """

    def __init__(
        self, horizon: int, window: int, *, alias: str | None = None, conformal_windows: int = 0
    ):
        super().__init__(horizon, alias=alias, conformal_windows=conformal_windows)
        self.window = window

    def _fit_panel(self, panel: Panel) -> None:
        _check_positive_int(self.window, "window")

    def _forecast_panel(self, panel: Panel, horizon: int) -> np.ndarray:
        ends = panel.starts[1:]
        width = np.minimum(self.window, panel.lengths)  # (S,)
        # reduceat sums values[bounds[2s]:bounds[2s + 1]]; the odd slices are the gaps
        # between windows, unused. Sums of slices stay exact where a cumsum difference
        # would lose digits on long series of large values.
        bounds = np.stack([ends - width, ends], axis=1).reshape(-1)  # (2S,)
        padded = np.append(panel.values, 0.0)  # the last bound may be len(values)
        sums = np.add.reduceat(padded, bounds)[::2]  # (S,)
        return np.repeat((sums / width)[:, None], horizon, axis=1)  # (S, h)
