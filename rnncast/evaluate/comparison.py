"""Is one model's lead over another real, or luck of the series drawn?

A mean error over a few hundred series moves a good deal with which series happen to
be in the set: on M3's 645 yearly series, ten series decide whether one method's MASE
is 2% above or below another's. ``paired_difference`` puts an interval on the gap. Both
models forecast the same series, so the per-series differences are paired: the
bootstrap resamples series (with replacement) and recomputes the mean difference, and
the percentiles of those means give the interval. An interval that holds zero says the
data cannot tell the two apart.

``compare`` does this for every model of a cross-validation frame against a baseline,
for each metric of ``evaluate``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnncast.errors import stacklevel_outside_rnncast
from rnncast.evaluate.cross_validation import _check_metrics, evaluate
from rnncast.models.base import forecast_columns

RESAMPLE_BLOCK = 4_000_000  # indices drawn at once: bounds memory for many series
# Below this many series, resampling them says little: from one series the interval is
# a point, from two or three it takes a handful of values. Nothing is "decided" there.
MIN_SERIES_TO_DECIDE = 10
# Below this many, ``compare`` warns that its intervals are rough.
FEW_SERIES = 20


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``errors - baseline_errors`` over series, with its bootstrap interval.

    Negative means the first model's errors are lower. ``better`` is the share of
    series where they are strictly lower, ``series`` how many series had both values.
    """

    mean: float
    low: float
    high: float
    better: float
    series: int
    confidence: float

    @property
    def decided(self) -> bool:
        """True when the interval leaves out zero, over at least
        ``MIN_SERIES_TO_DECIDE`` (10) series: one model is ahead beyond chance. From
        fewer series the bootstrap cannot tell (one series gives a point interval)."""
        return self.series >= MIN_SERIES_TO_DECIDE and (self.low > 0 or self.high < 0)


def paired_difference(errors, baseline_errors, *, confidence: float = 0.95,
                      n_resamples: int = 2000, seed: int = 0) -> PairedDifference:
    """Bootstrap interval for the mean per-series difference of two models' errors.

    Parameters
    ----------
    errors, baseline_errors : array-like, shape (S,)
        One error per series (for example ``mase(..., per_series=True)``), the same
        series in the same order. Series where either is NaN are left out.
    confidence : float
        Coverage of the percentile interval, in (0, 1).
    n_resamples : int
        Bootstrap resamples of the series.
    seed : int
        Seeds the resampling: the same inputs give the same interval.
    """
    errors = np.asarray(errors, dtype=np.float64)
    baseline_errors = np.asarray(baseline_errors, dtype=np.float64)
    if errors.ndim != 1 or errors.shape != baseline_errors.shape:
        raise ValueError(
            f"errors {errors.shape} and baseline_errors {baseline_errors.shape} must be "
            "1-D arrays of the same length, one value per series in the same order.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1 (0.95 for a 95% "
                         f"interval), got {confidence!r}.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer) \
            or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}.")
    difference = (errors - baseline_errors)[~(np.isnan(errors) | np.isnan(baseline_errors))]
    n = difference.size
    if n == 0:
        raise ValueError("no series has an error for both models: nothing to compare.")
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    block = max(1, RESAMPLE_BLOCK // n)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        picks = rng.integers(0, n, size=(stop - start, n))  # (resamples, series)
        means[start:stop] = difference[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return PairedDifference(mean=float(difference.mean()), low=float(low), high=float(high),
                            better=float(np.mean(difference < 0)), series=n,
                            confidence=confidence)


def compare(cv_frame: pd.DataFrame, baseline: str, metrics=("smape", "mase"), *,
            models=None, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0,
            season_length: int | None = None, train_df=None) -> pd.DataFrame:
    """Each model against ``baseline`` in a cross-validation frame, with intervals.

    Per-series errors are those of ``evaluate(..., per_series=True)`` (a series'
    windows averaged). Returns one row per model and metric: ``model, metric,
    difference`` (model minus baseline; negative: the model's errors are lower),
    ``low, high`` (the bootstrap interval), ``better`` (share of series where the model
    is strictly better), ``series`` and ``decided`` (the interval leaves out zero, over
    at least 10 series). With fewer than 20 series it warns that the intervals are rough.
    ``models`` names the models to put against the baseline (default: all the others).
    ``season_length`` and ``train_df`` are passed on to ``evaluate`` for MASE.
    """
    metrics = _check_metrics(metrics)
    columns = forecast_columns(cv_frame)
    if baseline not in columns:
        raise ValueError(f"baseline {baseline!r} is not a model column of cv_frame; its "
                         f"models are {columns}.")
    models = [name for name in columns if name != baseline] if models is None else (
        [models] if isinstance(models, str) else list(models))
    unknown = [name for name in models if name not in columns or name == baseline]
    if unknown:
        raise ValueError(f"models {unknown} are not other model columns of cv_frame "
                         f"than the baseline {baseline!r}; its models are {columns}.")
    if not models:
        raise ValueError(f"cv_frame holds only {baseline!r}: add another model to compare.")
    long = evaluate(cv_frame, metrics=metrics, season_length=season_length,
                    train_df=train_df, per_series=True)
    wide = long.set_index(["unique_id", "model", "metric"])["value"].unstack(["model", "metric"])
    rows = []
    for model in models:
        for metric in metrics:
            result = paired_difference(wide[model, metric].to_numpy(),
                                       wide[baseline, metric].to_numpy(),
                                       confidence=confidence, n_resamples=n_resamples,
                                       seed=seed)
            rows.append({"model": model, "metric": metric, "difference": result.mean,
                         "low": result.low, "high": result.high, "better": result.better,
                         "series": result.series, "decided": result.decided})
    table = pd.DataFrame(rows)
    fewest = int(table["series"].min())
    if fewest < FEW_SERIES:
        warnings.warn(
            f"only {fewest} series to compare on: a bootstrap interval resampled from so "
            f"few is rough ('decided' needs {MIN_SERIES_TO_DECIDE} or more, and "
            f"{FEW_SERIES} or more make the intervals worth trusting). Backtest more "
            f"series, or read the differences as a sketch.",
            FewSeriesWarning, stacklevel=stacklevel_outside_rnncast())
    return table


class FewSeriesWarning(UserWarning):
    """``compare`` ran on too few series for its intervals to mean much."""
