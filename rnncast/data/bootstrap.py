"""Bootstrapped copies of series: more histories like the ones given, to train on.

Bergmeir, Hyndman and Benítez (2016), "Bagging exponential smoothing methods using
STL decomposition and Box-Cox transformation" (R's ``forecast::bld.mbb.bootstrap``),
for series without a season: each series is Box-Cox transformed (lambda in [0, 1] by
Guerrero's method; no transform where a value is <= 0), split into a trend (a local
linear fit over its 6 nearest values, loess with a span of 6 values) and a remainder,
and the remainder is resampled in blocks of up to 8 consecutive values (the moving
block bootstrap, which keeps how the noise persists) and added back to the trend. A
copy keeps its series' trend, length and dates and varies the noise around it.

A global network trained on the copies beside the series sees more ways each trend
could have been observed. Alone, one copy per series traded one validation origin of
M3's yearly series for another; with the forecaster's drift input it lowered MASE in
9 of 12 comparisons on the yearly series of M3, Tourism and M1 and M3's "other"
series (see the forecaster's ``bootstrap_copies``).
"""

from __future__ import annotations

import numpy as np

TREND_NEIGHBOURS = 6  # loess span in values, as bld.mbb.bootstrap's 6 / length
MAX_BLOCK = 8  # block length of the moving block bootstrap without a season
MIN_COPY_LENGTH = TREND_NEIGHBOURS  # shorter series get no copies
LAMBDA_GRID = np.linspace(0.0, 1.0, 101)


def guerrero_lambda(x: np.ndarray, block: int = 2) -> float:
    """Box-Cox lambda in [0, 1] by Guerrero's method (R's ``BoxCox.lambda``, period 2
    for series without a season): the lambda that makes the standard deviation of
    each block of ``block`` values most nearly proportional to its mean to the power
    1 - lambda. x: (n,) positive, n >= 2 blocks."""
    n = len(x) // block * block
    blocks = x[len(x) - n:].reshape(-1, block)  # the last whole blocks
    mean, spread = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)  # (B,)
    ratio = spread / mean ** (1 - LAMBDA_GRID[:, None])  # (G, B)
    with np.errstate(invalid="ignore", divide="ignore"):
        variation = ratio.std(axis=1, ddof=1) / ratio.mean(axis=1)  # (G,)
    if not np.isfinite(variation).any():  # every block flat: nothing to stabilise
        return 1.0
    return float(LAMBDA_GRID[np.nanargmin(variation)])


def box_cox(x: np.ndarray, lam: float) -> np.ndarray:
    return np.log(x) if lam == 0 else (x**lam - 1) / lam


def inverse_box_cox(z: np.ndarray, lam: float) -> np.ndarray:
    if lam == 0:
        return np.exp(z)
    # a resampled remainder can take z below the transform's range (-1 / lam): 0 there
    return np.maximum(z * lam + 1, 0.0) ** (1 / lam)


def local_linear_trend(z: np.ndarray, neighbours: int = TREND_NEIGHBOURS) -> np.ndarray:
    """Loess of degree 1: at each time, a line fitted by weighted least squares to the
    ``neighbours`` nearest values, tricube weights of their distance over the farthest's
    (so the farthest weighs nothing). z: (n,); returns (n,)."""
    n = len(z)
    q = min(neighbours, n)
    at = np.arange(n)
    first = np.clip(at - q // 2, 0, n - q)  # (n,) each time's window of its q nearest
    index = first[:, None] + np.arange(q)  # (n, q)
    offset = (index - at[:, None]).astype(np.float64)  # (n, q) time from the fitted one
    reach = np.abs(offset).max(axis=1, keepdims=True)  # (n, 1)
    weight = (1 - (np.abs(offset) / reach) ** 3) ** 3  # (n, q)
    values = z[index]
    # weighted least squares of values on (1, offset): the intercept is the fit at 0
    s0, s1, s2 = (weight.sum(1), (weight * offset).sum(1), (weight * offset**2).sum(1))
    t0, t1 = (weight * values).sum(1), (weight * offset * values).sum(1)
    return (s2 * t0 - s1 * t1) / (s0 * s2 - s1**2)


def moving_block_bootstrap(remainder: np.ndarray, block: int,
                           rng: np.random.Generator) -> np.ndarray:
    """A resample of ``remainder`` (n,): random blocks of ``block`` consecutive values
    laid end to end, cut at a random offset to n values."""
    n = len(remainder)
    firsts = rng.integers(0, n - block + 1, size=n // block + 2)
    stream = remainder[(firsts[:, None] + np.arange(block)).ravel()]
    offset = rng.integers(0, block)
    return stream[offset:offset + n]


def bootstrapped_copies(x: np.ndarray, copies: int, rng: np.random.Generator) -> list:
    """``copies`` resamples of one series x (n,) without a season; none when n is below
    ``MIN_COPY_LENGTH``."""
    if copies == 0 or len(x) < MIN_COPY_LENGTH:
        return []
    positive = bool((x > 0).all())  # else no transform: the copies may cross zero
    lam = guerrero_lambda(x) if positive else None
    z = box_cox(x, lam) if positive else x
    trend = local_linear_trend(z)
    remainder = z - trend
    block = min(MAX_BLOCK, len(x) // 2)
    resampled = [trend + moving_block_bootstrap(remainder, block, rng) for _ in range(copies)]
    return [inverse_box_cox(z, lam) for z in resampled] if positive else resampled


def bootstrap_panel_values(values: np.ndarray, starts: np.ndarray, copies: int,
                           rng: np.random.Generator, min_length: int = MIN_COPY_LENGTH):
    """Copies of every series of a panel's values of ``min_length`` values or more
    (and at least ``MIN_COPY_LENGTH``), appended after them.

    values: (N,) the series concatenated; starts: (S + 1,) offsets. Returns (values
    (N',), starts (S' + 1,), source (S' - S,) the series each copy was drawn from):
    the S series first and unchanged, then each series' copies in series order."""
    pieces, source = [values], []
    for s in range(len(starts) - 1):
        series = values[starts[s]:starts[s + 1]]
        if len(series) < min_length:
            continue
        for copy in bootstrapped_copies(series, copies, rng):
            pieces.append(copy)
            source.append(s)
    source = np.asarray(source, dtype=np.int64)
    lengths = np.diff(starts)[source]
    new_starts = np.concatenate([starts, starts[-1] + np.cumsum(lengths)]).astype(starts.dtype)
    return np.concatenate(pieces), new_starts, source
