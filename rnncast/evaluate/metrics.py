"""Forecast accuracy metrics over arrays.

Every metric takes actuals ``y`` and forecasts of the same shape: ``(h,)`` for one
series or ``(S, h)`` for ``S`` series, with time along the last axis. It is computed
per series over the horizon, then

- ``per_series=True`` returns the ``(S,)`` per-series values (a 0-d value for 1-D input);
- ``per_series=False`` (default) returns their mean over series, a float, leaving out
  series where the metric is undefined (a MASE without a scale, a MAPE over zeros).

A NaN in ``y`` marks a missing actual and that point is left out (so ragged series can
share one padded array); a NaN forecast where ``y`` is known makes that series' value
NaN, and the mean over series NaN too, so a broken forecast is not silently averaged
away. A series with no point left gets NaN.

Percentages (``mape``, ``smape``) are in percent (0 to 100, and 0 to 200 for sMAPE);
``coverage`` is a fraction (0 to 1).
"""

from __future__ import annotations

import numpy as np

from rnncast.errors import ShapeError


def mae(y, f, *, per_series: bool = False):
    """Mean absolute error."""
    y, f = _pair(y, f, "f")
    return _reduce(_mean(np.abs(y - f), _known(y)), per_series, _broken(y, f))


def rmse(y, f, *, per_series: bool = False):
    """Root mean squared error (the root is taken per series, then averaged)."""
    y, f = _pair(y, f, "f")
    return _reduce(np.sqrt(_mean((y - f) ** 2, _known(y))), per_series, _broken(y, f))


def mape(y, f, *, per_series: bool = False):
    """Mean absolute percentage error, ``100 * |y - f| / |y|``.

    Points where ``y == 0`` have no percentage error and are left out; a series whose
    actuals are all zero gets NaN.
    """
    y, f = _pair(y, f, "f")
    valid = _known(y) & (y != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = 100 * np.abs(y - f) / np.abs(y)
    return _reduce(_mean(terms, valid), per_series, _broken(y, f))


def smape(y, f, *, per_series: bool = False):
    """Symmetric MAPE as in the M3 competition: ``200 * |y - f| / (|y| + |f|)``,
    averaged over the horizon, in [0, 200]. A point with ``y == f == 0`` counts as 0."""
    y, f = _pair(y, f, "f")
    denominator = np.abs(y) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(denominator == 0, 0.0, 200 * np.abs(y - f) / denominator)
    return _reduce(_mean(terms, _known(y)), per_series, _broken(y, f))


def mase(y, f, insample, season_length: int, *, per_series: bool = False):
    """Mean absolute scaled error: MAE over the in-sample seasonal naive MAE.

    Parameters
    ----------
    y, f : (h,) or (S, h)
    insample : (n,) for one series, or (S, n), or a sequence of S 1-D arrays (lengths
        may differ): each series' training data, in time order.
    season_length : int
        Lag of the in-sample naive forecast (see ``mase_scale``).

    A series whose scale is zero (a constant history, or one that repeats exactly each
    season, up to rounding) or undefined (``season_length`` or fewer values, so no
    seasonal difference) gets NaN: its errors cannot be scaled. Give
    ``season_length=1`` to scale short seasonal series by the one-step naive error.
    """
    y, f = _pair(y, f, "f")
    scale = mase_scale(insample, season_length)
    if scale.shape != y.shape[:-1] and not (y.ndim == 1 and scale.shape == (1,)):
        raise ShapeError(
            f"insample holds {scale.size} series but y holds "
            f"{1 if y.ndim == 1 else y.shape[0]}; give one history per series."
        )
    error = _mean(np.abs(y - f), _known(y))
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(scale > 0, error / scale, np.nan).reshape(error.shape)
    return _reduce(scaled, per_series, _broken(y, f))


def mase_scale(insample, season_length: int = 1) -> np.ndarray:
    """The MASE denominator per series, shape (S,): the mean absolute difference
    ``|x[t] - x[t - m]|`` over each in-sample series ``x`` at lag ``m = season_length``.

    NaN values (the padding of ragged series in one array, or gaps) are left out: the
    mean is over the pairs where both values are known. A series with no such pair
    (``season_length`` or fewer values) gets NaN, as in utilsforecast's ``mase``.
    """
    if (
        isinstance(season_length, bool)
        or not isinstance(season_length, int | np.integer)
        or season_length < 1
    ):
        raise ValueError(f"season_length must be a positive integer, got {season_length!r}.")
    if isinstance(insample, list | tuple) and len(insample) and np.ndim(insample[0]) > 0:
        histories = [np.asarray(x, dtype=np.float64) for x in insample]  # may be ragged
    else:
        array = np.asarray(insample, dtype=np.float64)
        if array.ndim not in (1, 2):
            raise ShapeError(
                f"insample must be (n,), (S, n) or a list of 1-D arrays, got shape {array.shape}."
            )
        histories = [array] if array.ndim == 1 else list(array)
    return np.array([_scale_one(x, season_length) for x in histories])


# Seasonal differences this small against the values are rounding: the history repeats
# exactly (a constant or perfectly periodic series), and its scale is zero, not 1e-16.
ROUNDING_SCALE = 1e-12


def _scale_one(x: np.ndarray, m: int) -> float:
    if len(x) <= m:
        return np.nan
    differences = np.abs(x[m:] - x[:-m])
    differences = differences[~np.isnan(differences)]
    if differences.size == 0:
        return np.nan
    scale = float(np.mean(differences))
    return 0.0 if scale <= ROUNDING_SCALE * float(np.nanmean(np.abs(x))) else scale


def pinball_loss(y, quantile_forecast, q: float, *, per_series: bool = False):
    """Pinball (quantile) loss of a forecast of the ``q`` quantile, ``0 < q < 1``:
    ``max(q * (y - f), (q - 1) * (y - f))``, averaged over the horizon."""
    if not 0 < q < 1:
        raise ValueError(f"q is a quantile in (0, 1), got {q!r}.")
    y, f = _pair(y, quantile_forecast, "quantile_forecast")
    diff = y - f
    return _reduce(_mean(np.maximum(q * diff, (q - 1) * diff), _known(y)), per_series,
                   _broken(y, f))


def coverage(y, lo, hi, *, per_series: bool = False):
    """Fraction of actuals inside ``[lo, hi]`` (bounds included)."""
    y, lo = _pair(y, lo, "lo")
    _, hi = _pair(y, hi, "hi")
    inside = ((lo <= y) & (y <= hi)).astype(np.float64)
    inside[np.isnan(lo) | np.isnan(hi)] = np.nan
    return _reduce(_mean(inside, _known(y)), per_series, _broken(y, lo) | _broken(y, hi))


# -- helpers ------------------------------------------------------------------------
def _pair(y, f, name: str):
    y = np.asarray(y, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    if y.shape != f.shape or y.ndim not in (1, 2):
        raise ShapeError(
            f"y {y.shape} and {name} {f.shape} must have the same shape, "
            "(h,) for one series or (S, h) for S series."
        )
    return y, f


def _known(y: np.ndarray) -> np.ndarray:
    return ~np.isnan(y)


def _mean(terms: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean over the last axis of ``terms`` where ``valid``; NaN where none is."""
    count = valid.sum(axis=-1)
    total = np.where(valid, terms, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _broken(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per series: a forecast is missing (NaN) where the actual is known."""
    return (np.isnan(f) & ~np.isnan(y)).any(axis=-1)


def _reduce(values: np.ndarray, per_series: bool, broken: np.ndarray):
    """Per-series values, or their mean over the series where the metric is defined;
    NaN if any series' forecast is missing where its actual is known."""
    if per_series:
        return values
    if np.any(broken):
        return float("nan")
    values = np.atleast_1d(values)
    known = values[~np.isnan(values)]
    return float(known.mean()) if known.size else float("nan")
