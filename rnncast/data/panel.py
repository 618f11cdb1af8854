"""A validated set of series in arrays: what models read instead of a DataFrame.

``prepare`` (in ``frames.py``) turns a user's long frame into a ``Panel``: every
series' values concatenated in time order, with offsets, the ids, the dates and the
common ``Frequency``. Models and evaluation work on these arrays; only the edges
(prepare, forecast frames) touch pandas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

# Season length per pandas offset prefix: the periods after which a pattern repeats.
SEASON_LENGTHS = {
    "B": 5, "C": 5, "D": 7, "W": 52, "M": 12, "MS": 12, "ME": 12, "SM": 24, "SME": 24, "SMS": 24,
    "BM": 12, "BMS": 12, "BME": 12, "Q": 4, "QS": 4, "QE": 4, "BQ": 4, "BQS": 4, "BQE": 4,
    "Y": 1, "YS": 1, "YE": 1, "A": 1, "AS": 1, "BY": 1, "BYS": 1, "BYE": 1,
    "bh": 8, "BH": 8,
}
# Steps shorter than a day repeat over the longest of these cycles that holds at most
# MAX_SUB_DAILY_SEASON steps: hourly and quarter-hourly data over a day (24, 96),
# one-minute data over an hour (60), seconds over a minute. A lookback reads whole
# seasons, so a season of 1,440 minutes would make every window thousands of steps.
SUB_DAILY_CYCLES_NS = (60 * 10**9, 3600 * 10**9, 86_400 * 10**9)
SUB_DAILY_PREFIXES = ("h", "H", "min", "T", "s", "S")
MAX_SUB_DAILY_SEASON = 288


def _sub_daily_season(step_ns: int) -> int:
    """Steps per the longest minute, hour or day cycle of at most MAX_SUB_DAILY_SEASON
    steps that the step divides (1 when none does)."""
    fitting = [cycle // step_ns for cycle in SUB_DAILY_CYCLES_NS
               if cycle % step_ns == 0 and 2 <= cycle // step_ns <= MAX_SUB_DAILY_SEASON]
    return max(fitting, default=1)


@dataclass(frozen=True)
class Frequency:
    """How far apart consecutive observations are.

    ``alias`` is a pandas offset alias (``"D"``, ``"B"``, ``"W-SUN"``, ``"MS"``,
    ``"QS-JAN"``, ``"YS-JAN"``, ...) for dated series, or None for integer time steps,
    where ``step`` is the difference between consecutive ``ds`` values.
    """

    alias: str | None
    step: int = 1

    @property
    def is_integer(self) -> bool:
        return self.alias is None

    @property
    def season_length(self) -> int:
        """Periods per season: 7 for daily, 12 for monthly, 24 for hourly, 96 for
        quarter-hourly, 1 (none) for yearly or integers."""
        if self.alias is None:
            return 1
        offset = pd.tseries.frequencies.to_offset(self.alias)
        prefix = offset.rule_code.split("-")[0]
        if prefix in SUB_DAILY_PREFIXES:
            return _sub_daily_season(pd.Timedelta(offset).value)
        season = SEASON_LENGTHS.get(prefix, 1)
        return max(1, season // offset.n) if offset.n > 1 and season > 1 else season

    def season_phase(self, stamps, season: int | None = None) -> np.ndarray:
        """Position of each time stamp within its season, 0 .. season - 1 (month of
        year for monthly data, day of week for daily, ...); all 0 without a season.
        ``season``: steps per season when not the frequency's own (a week of hours)."""
        season = self.season_length if season is None else int(season)
        stamps = np.asarray(stamps)
        if season == 1:
            return np.zeros(len(stamps), dtype=np.int64)
        if self.alias is None:  # integer steps: count them from 0
            return np.mod(stamps.astype(np.int64) // self.step, season)
        offset = to_offset(self.alias)
        prefix = offset.rule_code.split("-")[0]
        if prefix in SUB_DAILY_PREFIXES:
            # steps since the epoch: a period index of "15min" would count minutes
            step_ns = pd.Timedelta(offset).value
            nanoseconds = pd.DatetimeIndex(stamps).as_unit("ns").asi8  # pandas 3: any unit
            return np.mod(nanoseconds // step_ns, season)
        if prefix in ("SMS", "SME", "SM"):  # pandas has no twice-monthly periods
            index = pd.DatetimeIndex(stamps)
            second_half = index.day > 15 if prefix != "SMS" else index.day >= 15
            months = index.year.to_numpy() * 12 + index.month.to_numpy() - 1
            return np.mod(2 * months + second_half, season)
        period_alias = {"MS": "M", "ME": "M", "BMS": "M", "BME": "M", "QS": "Q", "QE": "Q",
                        "BQS": "Q", "BQE": "Q", "YS": "Y", "YE": "Y"}.get(prefix, self.alias)
        ordinals = pd.DatetimeIndex(stamps).to_period(period_alias).asi8
        return np.mod(ordinals, season)

    def describe(self) -> str:
        """The frequency in words, with pandas' alias: "month starts ('MS')"."""
        if self.alias is None:
            return f"integer steps of {self.step}"
        words = _alias_in_words(self.alias)
        return f"{words} ('{self.alias}')" if words else f"'{self.alias}'"

    def future(self, last, horizon: int) -> np.ndarray:
        """The ``horizon`` time stamps after ``last``."""
        if self.alias is None:
            return last + self.step * np.arange(1, horizon + 1)
        return pd.date_range(start=last, periods=horizon + 1, freq=self.alias)[1:].to_numpy()

    def range(self, first, periods: int) -> np.ndarray:
        """``periods`` time stamps starting at ``first``."""
        if self.alias is None:
            return first + self.step * np.arange(periods)
        return pd.date_range(start=first, periods=periods, freq=self.alias).to_numpy()


@dataclass
class Panel:
    """Many series as arrays.

    values : (N,) float64, all series concatenated, each in time order.
    starts : (S + 1,) int64 offsets: series ``s`` is ``values[starts[s]:starts[s + 1]]``.
    ids : (S,) the series ids, in the order of ``values`` (sorted).
    first_ds, last_ds : (S,) first and last time stamp of each series.
    frequency : shared by every series.
    """

    values: np.ndarray
    starts: np.ndarray
    ids: np.ndarray
    first_ds: np.ndarray
    last_ds: np.ndarray
    frequency: Frequency
    _stamps: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def series(self, index: int) -> np.ndarray:
        return self.values[self.starts[index] : self.starts[index + 1]]

    def ds(self, index: int) -> np.ndarray:
        return self.time_stamps()[self.starts[index] : self.starts[index + 1]]

    def time_stamps(self) -> np.ndarray:
        """Every observation's time stamp, (N,) aligned with ``values``; computed once.

        One date range per series is slow for calendar frequencies over many series:
        fixed steps are arithmetic here, calendar ones index one shared grid.
        """
        if self._stamps is None:
            self._stamps = self._compute_time_stamps()
        return self._stamps

    def _compute_time_stamps(self) -> np.ndarray:
        lengths = self.lengths
        first = np.repeat(self.first_ds, lengths)  # (N,)
        steps = np.arange(len(self.values)) - np.repeat(self.starts[:-1], lengths)  # (N,)
        frequency = self.frequency
        if frequency.is_integer:
            return first + frequency.step * steps
        try:
            delta = pd.Timedelta(to_offset(frequency.alias)).to_timedelta64()
        except ValueError:  # months, business days, ...: not a fixed length
            delta = None
        if delta is not None:
            return first + steps * delta
        grid = pd.date_range(self.first_ds.min(), self.last_ds.max(), freq=frequency.alias)
        grid = grid.to_numpy().astype(self.first_ds.dtype)
        at = np.searchsorted(grid, self.first_ds)
        end = at + lengths - 1
        inside = np.minimum(end, len(grid) - 1)
        if ((end < len(grid)).all() and (grid[np.minimum(at, len(grid) - 1)] == self.first_ds).all()
                and (grid[inside] == self.last_ds).all()):
            return grid[np.repeat(at, lengths) + steps]
        return np.concatenate([frequency.range(self.first_ds[s], int(lengths[s]))
                               for s in range(self.n_series)])  # off a shared grid

    def subset(self, keep: np.ndarray) -> Panel:
        """The series where the boolean mask ``keep`` (S,) is True."""
        keep = np.asarray(keep, dtype=bool)
        pieces = [self.series(s) for s in np.flatnonzero(keep)]
        lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        return Panel(
            values=np.concatenate(pieces) if pieces else np.empty(0),
            starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            ids=self.ids[keep], first_ds=self.first_ds[keep], last_ds=self.last_ds[keep],
            frequency=self.frequency)

    def head(self, drop_last: int) -> Panel:
        """Every series without its last ``drop_last`` observations (a cutoff)."""
        lengths = self.lengths - drop_last
        if np.any(lengths < 1):
            short = self.ids[lengths < 1][:5].tolist()
            raise ValueError(f"series {short} have {drop_last} or fewer observations; "
                             f"cannot hold out the last {drop_last}.")
        stamps = self.time_stamps()
        steps = np.arange(len(self.values)) - np.repeat(self.starts[:-1], self.lengths)
        keep = steps < np.repeat(lengths, self.lengths)
        return Panel(values=self.values[keep],
                     starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                     ids=self.ids, first_ds=self.first_ds,
                     last_ds=stamps[self.starts[1:] - drop_last - 1],
                     frequency=self.frequency, _stamps=stamps[keep])

    def to_frame(self) -> pd.DataFrame:
        """The long frame: unique_id, ds, y."""
        return pd.DataFrame({
            "unique_id": np.repeat(self.ids, self.lengths),
            "ds": self.time_stamps(),
            "y": self.values,
        })

    def forecast_frame(self, horizon: int) -> pd.DataFrame:
        """unique_id and ds of the ``horizon`` steps after each series' end."""
        return pd.DataFrame({
            "unique_id": np.repeat(self.ids, horizon),
            "ds": np.concatenate([self.frequency.future(last, horizon)
                                  for last in self.last_ds]),
        })


_UNITS = {"MS": "month starts", "ME": "month ends", "M": "month ends", "D": "days",
          "B": "business days", "h": "hours", "H": "hours", "min": "minutes",
          "T": "minutes", "s": "seconds", "S": "seconds", "ms": "milliseconds",
          "QS": "quarter starts", "QE": "quarter ends", "Q": "quarter ends",
          "YS": "year starts", "AS": "year starts", "YE": "year ends", "A": "year ends",
          "Y": "year ends", "BMS": "business month starts", "BME": "business month ends",
          "SMS": "semi-month starts", "SME": "semi-month ends"}
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # pandas weekly anchors
_DAYS = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                             "Saturday", "Sunday"), strict=True))  # not the locale's names


def _alias_in_words(alias: str) -> str | None:
    """'MS' -> 'month starts', '15min' -> 'every 15 minutes', 'W-SUN' -> 'weeks dated
    on Sundays', 'QS-JAN' -> 'quarter starts'; None for an alias not listed here."""
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(?:-([A-Z]{3}))?", alias)
    if match is None:
        return None
    count, unit, anchor = match.groups()
    if unit == "W":
        words = f"weeks dated on {_DAYS[anchor]}s" if anchor in _DAYS else "weeks"
    elif unit in _UNITS:
        words = _UNITS[unit]
    else:
        return None
    return f"every {count} {words}" if count and count != "1" else words
