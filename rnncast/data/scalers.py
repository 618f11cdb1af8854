"""Scaling that belongs to the model: applied to its inputs, undone in its forecasts.

The seed notebook fed sales of about 100 into tanh units and got forecasts near 0.
Each scaler maps a window's inputs and targets to a unit scale and maps the network's
outputs back to the user's units.

- ``"window"`` (default): each window centred on the mean of its own inputs and
  divided by their mean absolute change over one season (one step without a season):
  the error of the seasonal naive forecast inside the window, which is what MASE
  divides by, so the training loss (MAE on scaled values) is in line with MASE. It
  beat the inputs' standard deviation on M3's validation windows. Scale-free: series
  in the billions and in the billionths train together.
- ``"series"``: each series by the mean and standard deviation of its training values.
- ``"none"``: values reach the network as given. Only for data already on a unit
  scale, or to reproduce the seed notebook's failure (sales of about 100 saturate
  every tanh unit; training warns that it is stuck).

A scale that is zero (a constant window or series) falls back to the level's magnitude,
or to 1 for all-zero data, so constant, all-zero and tiny series stay finite.
"""

from __future__ import annotations

import numpy as np

SCALERS = ("window", "series", "none")


def robust_scale(level, spread):
    """``spread`` where it is meaningful, else |level|, else 1; elementwise."""
    fallback = np.where(np.abs(level) > 0, np.abs(level), 1.0)
    return np.where(spread > 1e-12 * np.maximum(np.abs(level), 1e-300), spread, fallback)


def window_statistics(inputs, season=1):
    """Level and scale (N, 1) of each window's inputs (N, L): the mean, and the mean
    absolute change over ``season`` steps (over one step when the window is not longer
    than a season)."""
    level = inputs.mean(axis=1, keepdims=True)
    lag = season if inputs.shape[1] > season else 1
    if inputs.shape[1] <= lag:  # a window of one value has no change: use its level
        return level, robust_scale(level, np.zeros_like(level))
    spread = np.abs(inputs[:, lag:] - inputs[:, :-lag]).mean(axis=1, keepdims=True)
    return level, robust_scale(level, spread)


def seasonal_naive_scale(values, starts, season=1):
    """Each series' in-sample mean absolute change over ``season`` steps (over one step
    when the series is not longer than a season), the denominator of its MASE: (S,).
    A series without change falls back as ``robust_scale`` says.

    values: the series concatenated; starts (S + 1,): where each begins, then the end.
    """
    begins, ends = starts[:-1], starts[1:]
    lengths = ends - begins
    lag = np.where(lengths > season, season, 1)  # (S,)
    spread = np.zeros(len(lengths))
    for each_lag in np.unique(lag):
        # changes[i] = |values[i + lag] - values[i]|; a series' own changes start at its
        # first value and end `lag` before its end
        changes = np.abs(values[each_lag:] - values[:-each_lag])
        totals = np.concatenate([[0.0], np.cumsum(changes)])
        ours = (lag == each_lag) & (lengths > each_lag)
        last = ends[ours] - each_lag
        spread[ours] = (totals[last] - totals[begins[ours]]) / (lengths[ours] - each_lag)
    sums = np.add.reduceat(values, begins) if len(values) else np.zeros(0)
    return robust_scale(sums / lengths, spread)


def smoothing_weights(values, starts, grid):
    """Each series' simple exponential smoothing weight (S,): of the weights in ``grid``
    (ascending), the one whose one-step-ahead forecasts over the series, the level
    started at its first value, have the least sum of squared errors; ties go to the
    smaller weight. A weight near 1 follows the last value (a random walk); a small one
    averages the noise of a steady level.

    values: the series concatenated; starts (S + 1,): where each begins, then the end.
    """
    grid = np.asarray(grid, dtype=np.float64)
    begins, lengths = starts[:-1], np.diff(starts)
    level = np.repeat(values[begins, None].astype(np.float64), len(grid), axis=1)  # (S, G)
    squared_errors = np.zeros_like(level)
    for step in range(1, int(lengths.max(initial=0))):
        going = lengths > step  # (S,) the series that have a value at this step
        error = values[begins[going] + step, None] - level[going]  # (S', G)
        squared_errors[going] += error ** 2
        level[going] += grid * error
    return grid[np.argmin(squared_errors, axis=1)]


def series_statistics(values, starts):
    """Mean and scale (S,) of each series in the concatenated ``values``."""
    lengths = np.diff(starts)
    sums = np.add.reduceat(values, starts[:-1]) if len(values) else np.zeros(0)
    mean = sums / lengths
    centred = values - np.repeat(mean, lengths)
    spread = np.sqrt(np.add.reduceat(centred * centred, starts[:-1]) / lengths)
    return mean, robust_scale(mean, spread)


# A series is called seasonal when its autocorrelation at the season's lag exceeds the
# one-sided 90% limit of Bartlett's formula, as in the M4 competition's benchmarks
# (and the Theta method's entry) before they divide out a classical decomposition.
SEASONALITY_CRITICAL_VALUE = 1.645
# A series that fails the test keeps this share of its seasonal factors' departure from
# 1, rather than none: short series fail it often while seasonal (at M3's second
# validation origin 785 of the 1,076 monthly series long enough to test did). On M3's
# monthly validation windows half factors lowered MASE at three origins (means of two
# seeds, by 0.5% to 3%); adjusting every series fully gained as much at the second
# origin only.
WEAK_SEASON_SHARE = 0.5
# A series of fewer than three seasons has too few pairs at the season's lag for the
# test to tell (its autocorrelation there is biased towards 0): strongly seasonal ones
# fail it too (a tourist season of 30 months). Where the data are few, one that fails it
# keeps instead the share of its factors' departure from 1, of these, that fits its own
# history best (``season_shares``); see rnncast.models.rnn for when.
SEASON_SHARE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# The weights of a level's newest value that simple exponential smoothing searches.
SMOOTHING_GRID = np.round(np.arange(0.1, 1.0001, 0.05), 2)
# Seasonal factors are estimated from series of at least this many seasons, as R's
# classical decomposition (decompose) asks. The M4 benchmarks asked for three; series of
# two to three seasons (two years of weekly sales) then trained unadjusted. On real
# monthly and quarterly series cut to that length, factors from two seasons lowered
# MASE in 13 of 15 comparisons (by 1.7% to 49%, most for a few series at a time) and
# raised it in 2 (by 0.7% and 1.8%: whole M3 groups cut to exactly 2 and 2.5 seasons);
# docs/benchmarks.md, "Short seasonal histories".
MIN_SEASONS = 2


def seasonal_indices(values, starts, season, weak_share=WEAK_SEASON_SHARE,
                     min_seasons=MIN_SEASONS, own_share_below=0):
    """Each series' multiplicative seasonal indices by classical decomposition: (S, m).

    Column ``k`` is the factor of the series' steps ``t`` with ``t % season == k``
    (``t`` counted from the series' first value), normalised to a mean of 1; dividing
    the series by its factors gives it seasonally adjusted. A series that fails the
    seasonality test (``is_seasonal``) keeps ``weak_share`` of its factors' departure
    from 1 (by default half; 0 leaves it as it is), or, when it is shorter than
    ``own_share_below`` seasons, the share that fits its history best
    (``season_shares``). A row is all ones when ``season`` is 1, the series is shorter
    than ``min_seasons`` seasons, or has a value <= 0.

    values: the series concatenated; starts (S + 1,): where each begins, then the end.
    """
    n_series = len(starts) - 1
    indices = np.ones((n_series, max(season, 1)))
    if season < 2:
        return indices
    weak, own = [], []  # the series that fail the test; those of them that choose a share
    for s in np.flatnonzero(has_seasonal_factors(values, starts, season, min_seasons)):
        series = values[starts[s] : starts[s + 1]]
        ratios = series / centred_moving_average(series, season)  # NaN at both ends
        steps = np.arange(len(series)) % season
        factors = np.array([np.nanmean(ratios[steps == k]) for k in range(season)])
        indices[s] = factors / factors.mean()
        if not is_seasonal(series, season):
            weak.append(s)
            if len(series) < own_share_below * season:
                own.append(s)
    shares = np.full(n_series, float(weak_share))  # (S,) kept of the factors' departure
    if own:
        shares[own] = season_shares(values, starts, np.array(own), indices[own])
    indices[weak] = 1 + shares[weak, None] * (indices[weak] - 1)
    return indices


def has_seasonal_factors(values, starts, season, min_seasons=MIN_SEASONS) -> np.ndarray:
    """(S,) bool: the series ``seasonal_indices`` estimates factors for, those of at least
    ``min_seasons`` seasons whose every value is above zero."""
    return np.array([starts[s + 1] - starts[s] >= min_seasons * season
                     and bool(np.all(values[starts[s] : starts[s + 1]] > 0))
                     for s in range(len(starts) - 1)], dtype=bool)


def season_shares(values, starts, series, factors, shares=SEASON_SHARE_GRID,
                  smoothing=SMOOTHING_GRID) -> np.ndarray:
    """The share of its seasonal factors' departure from 1 that each of ``series`` keeps
    (len(series),): of ``shares`` (ascending), the one with which simple exponential
    smoothing of the series divided by its shared factors, multiplied back by them,
    forecasts the series one step ahead with the least sum of squared errors (in the
    series' units), at the best of the ``smoothing`` weights for each share; ties go to
    the smaller share.

    values: the series concatenated; starts (S + 1,): where each begins, then the end;
    series (K,): which series; factors (K, m): their full factors, phased from their
    first values (``seasonal_indices``).
    """
    shares = np.asarray(shares, dtype=np.float64)
    smoothing = np.asarray(smoothing, dtype=np.float64)
    season = factors.shape[1]
    begins, lengths = starts[series], starts[series + 1] - starts[series]
    kept = 1 + shares[None, :, None] * (factors[:, None, :] - 1)  # (K, shares, m)
    first = values[begins, None] / kept[:, :, 0]  # (K, shares): the adjusted first values
    level = np.repeat(first[:, :, None], len(smoothing), axis=2)  # (K, shares, weights)
    squared_errors = np.zeros_like(level)
    for step in range(1, int(lengths.max(initial=0))):
        going = lengths > step  # (K,) the series that have a value at this step
        value = values[begins[going] + step, None, None]  # (K', 1, 1)
        factor = kept[going, :, step % season, None]  # (K', shares, 1)
        squared_errors[going] += (value - level[going] * factor) ** 2
        level[going] += smoothing * (value / factor - level[going])
    return shares[np.argmin(squared_errors.min(axis=2), axis=1)]


def is_seasonal(series, season):
    """True when the autocorrelation at lag ``season`` passes the 90% test."""
    centred = series - series.mean()
    denominator = np.dot(centred, centred)
    if denominator == 0:
        return False
    acf = np.array([np.dot(centred[lag:], centred[: len(series) - lag])
                    for lag in range(1, season + 1)]) / denominator  # lags 1..m
    limit = SEASONALITY_CRITICAL_VALUE * np.sqrt(
        (1 + 2 * np.sum(acf[:-1] ** 2)) / len(series))
    return bool(abs(acf[-1]) > limit)


def centred_moving_average(series, season):
    """The trend-cycle of a classical decomposition: a moving average over one season,
    centred (a 2 x m average when m is even); NaN where the window runs off an end."""
    if season % 2:
        weights = np.full(season, 1.0 / season)
    else:
        weights = np.r_[0.5, np.ones(season - 1), 0.5] / season
    average = np.full(len(series), np.nan)
    half = len(weights) // 2
    average[half : len(series) - half] = np.convolve(series, weights, mode="valid")
    return average
