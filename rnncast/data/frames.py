"""From what a user holds to a ``Panel``: the one place where data are validated.

``prepare`` accepts

- a long DataFrame with an id, a time and a target column (``unique_id``, ``ds``, ``y``
  by default; other columns are ignored);
- a DataFrame with the time and target columns but no id column: one series, id
  ``"series_0"``;
- a DataFrame of exactly two columns, one of dates (or strings that parse as dates) and
  one of numbers, when the default names are absent: one series (a CSV of date, sales);
- a pandas Series: one series, id its name (or ``"series_0"``); its index gives ``ds``
  when it is a DatetimeIndex, PeriodIndex or integer index, else ``ds`` is 0..n-1. A
  Series with a two-level MultiIndex (id, time) is read as a long frame;
- a 1-D array or list: one series, id ``"series_0"``, ``ds`` 0..n-1.

and returns a ``Panel``: values in float64, series sorted by id, each in time order,
sharing one ``Frequency``. Rows may come in any order; the caller's data are never
changed. Every rule below raises an error (under ``DataError``) naming the series,
column or value at fault and the fix:

- target values: numbers and bools become float64. Strings are converted with
  ``pd.to_numeric`` ("12.5" is 12.5, as ``read_csv`` would have read it); any value that
  does not convert ("n/a", "1,234", a list) is an error naming it. Dates or durations
  in the target are an error.
- NaN or inf in the target: an error, unless ``fill_missing`` is given. inf counts as
  missing; error messages say which values are inf and filling them is logged.
- the same (id, time) twice: an error; aggregate first.
- time stamps: datetimes, or strings parsed with ``pd.to_datetime``, become
  datetime64[ns]; integers (or floats holding whole numbers) are integer steps. A time
  zone of UTC is dropped (naive UTC); any other zone is an error that shows the two
  ways to remove it, because which is right depends on the data: naive UTC for hourly
  data, local wall-clock time for daily data across daylight-saving changes.
- frequency: inferred with ``pd.infer_freq`` on the longest series (the most common
  step when it has gaps); every other series must lie on the same grid. Series of
  another frequency are an error naming one series of each. A series of one
  observation takes the common frequency.
- gaps (time stamps of the frequency missing inside a series): an error, unless
  ``fill_gaps`` is given. Data with both missing values and gaps, neither filled, get
  one error that names both (``MissingValuesAndGapsError``).
"""

from __future__ import annotations

import difflib
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from pandas.tseries.frequencies import to_offset

from rnncast.data.panel import WEEKDAYS, Frequency, Panel
from rnncast.errors import (
    ColumnTypeError,
    DataError,
    DuplicateError,
    FrequencyError,
    GapError,
    MissingColumnError,
    MissingValueError,
    MissingValuesAndGapsError,
)

logger = logging.getLogger(__name__)

FILL_MISSING = ("interpolate", "ffill", "zero")
FILL_GAPS = ("interpolate", "ffill", "zero", "nan")
SINGLE_ID = "series_0"

_SHOWN = 3  # time stamps listed in a message
_CHECKED = 10  # misfit series whose own frequency is inferred to explain an error
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NS = 86_400_000_000_000
_HOUR_NS = 3_600_000_000_000
# A grid that joins at least this share of consecutive stamps, where the grids holding
# every stamp join under half, is the frequency with a few stamps off it (an error).
NEAR_GRID_SHARE = 0.8
_SYNONYMS = {
    "id_col": ("id", "series", "series_id", "uid", "key", "store", "item", "sku", "product"),
    "time_col": ("date", "time", "timestamp", "datetime", "period", "day", "week", "month"),
    "target_col": ("value", "target", "sales", "demand", "quantity", "qty", "volume", "count"),
}


@dataclass
class _Columns:
    """The three columns of the input, whatever its form, and how to talk about them."""

    ids: pd.Series | None  # None: one series named ``single_id``
    ds: pd.Series
    y: pd.Series
    single_id: object
    time_label: str
    target_label: str
    aggregate_hint: str
    # what tells the repeated rows apart, said after ``aggregate_hint``: the id column a
    # frame read as one series lacks, or a column beside its ids (a store beside product
    # ids); a callable, as the search is only worth doing once the error is certain
    id_hint: Callable[[], str] | None = None


def prepare(
    data,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    fill_missing: str | None = None,
    fill_gaps: str | None = None,
    _unfilled: bool = False,
    _frequency: Frequency | None = None,
) -> Panel:
    """Validate a long frame (or one series) and return it as a ``Panel``.

    Parameters
    ----------
    data : DataFrame, Series, ndarray or list
        A long frame with ``id_col``, ``time_col`` and ``target_col``; a frame without
        ``id_col`` (one series); a frame of one date and one number column; a Series;
        or a 1-D array of values. See the module docstring for each form.
    id_col, time_col, target_col : str
        Column names of the series id, the time stamps and the values.
    fill_missing : {None, "interpolate", "ffill", "zero"}
        How to fill NaN and inf in the target: linear interpolation within the series
        (the edges take the nearest value), forward then backward fill, or 0. None
        (default) raises ``MissingValueError`` instead.
    fill_gaps : {None, "interpolate", "ffill", "zero", "nan"}
        Insert the time stamps missing inside a series and fill them like
        ``fill_missing``; "nan" leaves them NaN for ``fill_missing`` to handle. None
        (default) raises ``GapError`` instead.

    Returns
    -------
    Panel
        ``values`` (N,) float64; ``starts`` (S + 1,) int64; ``ids`` (S,) sorted;
        ``first_ds``/``last_ds`` (S,) datetime64[ns] or int64; one ``Frequency``.

    Raises
    ------
    MissingColumnError, ColumnTypeError, MissingValueError, DuplicateError, GapError,
    MissingValuesAndGapsError (both of the two before it), FrequencyError
        All ``DataError`` (a ``ValueError``); the message names the series, column or
        value at fault and the fix.

    ``_unfilled`` (for backtests, which fill each training part on its own) returns
    ``(panel, gaps, missing)`` instead: the panel with NaN where values were filled,
    and the (N,) masks of the inserted gaps and of the missing values. ``_frequency``
    (a fitted model's) is taken when every series has one observation, where the
    data alone cannot say.
    """
    _check_option("fill_missing", fill_missing, FILL_MISSING)
    _check_option("fill_gaps", fill_gaps, FILL_GAPS)
    columns = _read(data, id_col, time_col, target_col)
    codes, ids = _factorize_ids(columns)
    y = _target_values(columns.y, columns.target_label, codes, ids)
    ds, is_dates = _time_values(columns.ds, columns.time_label, codes, ids)

    order = np.lexsort((ds, codes))
    codes, ds, y = codes[order], ds[order], y[order]  # copies: the caller's data stay as they are
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(ids)))])
    _check_duplicates(codes, ds, ids, is_dates, columns)
    unfilled_values = (_missing_message(y, codes, ds, ids, is_dates, columns.target_label)
                       if fill_missing is None else None)
    try:
        frequency, reference = _panel_frequency(ds, starts, ids, is_dates, _frequency)
        steps, off_grid = _grid_steps(ds, starts, frequency, is_dates)
        _check_grid(ds, starts, ids, frequency, reference, steps, off_grid, is_dates)
    except DataError:
        if unfilled_values:  # the values come first, as they did before the time stamps
            raise MissingValueError(unfilled_values) from None
        raise
    unfilled_gaps = (_gap_message(ds, starts, ids, frequency, steps, is_dates)
                     if fill_gaps is None else None)
    _raise_unfilled(unfilled_values, unfilled_gaps)
    values, value_starts, gaps, missing = _fill(
        y,
        starts,
        steps,
        ids,
        frequency,
        ds,
        is_dates,
        fill_missing,
        fill_gaps,
        columns.target_label,
    )

    first_ds, last_ds = ds[starts[:-1]], ds[starts[1:] - 1]
    if is_dates:
        first_ds, last_ds = first_ds.view("datetime64[ns]"), last_ds.view("datetime64[ns]")
    if _unfilled:
        values = np.where(gaps | missing, np.nan, values)
    panel = Panel(
        values=values,
        starts=value_starts,
        ids=ids,
        first_ds=first_ds,
        last_ds=last_ds,
        frequency=frequency,
    )
    return (panel, gaps, missing) if _unfilled else panel


def refill(values, starts, gaps, missing, fill_gaps, fill_missing, ids, *,
           where="before a backtest's cutoff",
           fix="drop that series, use fewer windows, or fill with 'zero'") -> np.ndarray:
    """``values`` (N,) with NaN at ``gaps`` and ``missing`` filled as ``prepare`` fills
    them, from these values alone (a backtest's training part, filled without the
    values after its cutoff); a series with nothing to fill from is an error."""
    values = values.copy()
    for mask, method in ((gaps, fill_gaps), (missing, fill_missing)):
        if mask.any():
            values[mask] = _filled(values, starts, method)[mask]
    empty = np.isnan(values)
    if empty.any():
        s = int(np.searchsorted(starts, np.argmax(empty), side="right") - 1)
        raise MissingValueError(
            f"series {_fmt_id(ids[s])} has no finite value {where} to fill from; {fix}.")
    return values


def infer_frequency(ds_values, series_id=None) -> Frequency:
    """The frequency of one series' time stamps.

    Parameters
    ----------
    ds_values : array-like
        The series' time stamps, in any order: datetimes, strings that parse as dates,
        or integers.
    series_id : optional
        Named in error messages.

    Returns
    -------
    Frequency
        For dates, the ``pd.infer_freq`` alias (``"D"``, ``"B"``, ``"W-SUN"``, ``"MS"``,
        ...); when the dates have gaps, the alias whose steps explain the most
        consecutive pairs (a guess from the most common step). For integers,
        ``Frequency(None, step)`` with ``step`` the greatest common divisor of the
        differences. Gaps are not an error here; ``prepare`` reports them.

    Raises
    ------
    FrequencyError
        Fewer than two distinct time stamps.
    DuplicateError, ColumnTypeError
        A time stamp repeated; values that are not dates or integers.
    """
    name = SINGLE_ID if series_id is None else series_id
    column = ds_values if isinstance(ds_values, pd.Series) else pd.Series(ds_values)
    codes = np.zeros(len(column), dtype=np.int64)
    ids = np.array([name], dtype=object)
    ds, is_dates = _time_values(column, "the time stamps", codes, ids)
    ds = np.sort(ds)
    repeated = ds[1:][ds[1:] == ds[:-1]]
    if repeated.size:
        raise DuplicateError(
            f"series {_fmt_id(name)} has {_fmt_times(repeated, is_dates)} "
            "more than once; aggregate the values of each time stamp first."
        )
    if len(ds) < 2:
        raise FrequencyError(
            f"series {_fmt_id(name)} has {len(ds)} time stamp(s); the "
            "frequency cannot be inferred from fewer than two."
        )
    return _series_frequency(ds, is_dates, name)[0]


# -- reading the input -----------------------------------------------------------------


def _check_option(name, value, allowed):
    if value is not None and value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name}={value!r} is not an option; use one of {choices} or None.")


def _read(data, id_col, time_col, target_col) -> _Columns:
    if isinstance(data, pd.DataFrame):
        return _read_frame(data, id_col, time_col, target_col)
    if isinstance(data, pd.Series):
        return _read_series(data)
    if isinstance(data, np.ndarray | list | tuple):
        return _read_array(data)
    raise DataError(
        f"cannot read a {type(data).__name__}: pass a pandas DataFrame with columns "
        f"{id_col!r}, {time_col!r}, {target_col!r} (one row per series and time), a "
        "pandas Series or a 1-D array of values (one series)."
    )


def _read_frame(frame, id_col, time_col, target_col) -> _Columns:
    if len(frame) == 0 or frame.shape[1] == 0:
        raise DataError(
            f"the frame is empty ({frame.shape[0]} rows, {frame.shape[1]} "
            "columns); pass at least one row of data."
        )
    names = list(frame.columns)
    for name in (id_col, time_col, target_col):
        if names.count(name) > 1:
            raise DataError(
                f"column {name!r} appears {names.count(name)} times in the "
                "frame; rename or drop the extra ones."
            )
    aggregate = (
        f"aggregate first, e.g. df.groupby([{id_col!r}, {time_col!r}], "
        f"as_index=False)[{target_col!r}].sum() (or .mean()), or drop the repeats "
        f"with df.drop_duplicates([{id_col!r}, {time_col!r}])"
    )
    if time_col in names and target_col in names:
        if id_col in names:
            return _Columns(
                frame[id_col],
                frame[time_col],
                frame[target_col],
                None,
                f"column {time_col!r}",
                f"column {target_col!r}",
                aggregate,
                id_hint=lambda: _id_parts_hint(frame, id_col, time_col, target_col),
            )
        if id_col != "unique_id":
            raise _missing_columns([(id_col, "id_col")], names)
        close = _close_matches(id_col, "id_col", names)
        hint = (
            f" The frame has no {id_col!r} column, so it was read as one series; if "
            f"it holds several, pass id_col={close[0] if close else '<their column>'!r}."
        )
        return _Columns(
            None,
            frame[time_col],
            frame[target_col],
            SINGLE_ID,
            f"column {time_col!r}",
            f"column {target_col!r}",
            f"aggregate first, e.g. df.groupby({time_col!r}, as_index=False)[{target_col!r}].sum()",
            lambda: hint,
        )
    if (id_col, time_col, target_col) == ("unique_id", "ds", "y") and len(names) == 2:
        pair = date_and_number_columns(frame)
        if pair is not None:
            time, target = pair
            logger.info(
                "read a frame of two columns as one series: time %r, values %r", time, target
            )
            return _Columns(
                None,
                frame[time],
                frame[target],
                SINGLE_ID,
                f"column {time!r}",
                f"column {target!r}",
                f"aggregate first, e.g. df.groupby({time!r}, as_index=False)[{target!r}].sum()",
            )
    missing = [
        (name, arg)
        for name, arg in ((id_col, "id_col"), (time_col, "time_col"), (target_col, "target_col"))
        if name not in names and (arg != "id_col" or id_col != "unique_id")
    ]
    error = _missing_columns(missing, names)
    series_columns = [c for c in names if c not in (id_col, time_col)]
    if (time_col in names and target_col not in names and id_col not in names
            and len(series_columns) >= 2
            and all(pd.api.types.is_numeric_dtype(frame[c]) for c in series_columns)):
        error = MissingColumnError(
            f"{error} It looks wide, one column per series beside {time_col!r}: make it "
            f"long first, df.melt(id_vars={time_col!r}, var_name={id_col!r}, "
            f"value_name={target_col!r}).")
    raise error


def _missing_columns(missing, names) -> MissingColumnError:
    parts = []
    for name, arg in missing:
        close = _close_matches(name, arg, names)
        if close:
            others = f" (or {', '.join(repr(c) for c in close[1:])})" if close[1:] else ""
            parts.append(
                f"column {name!r} ({arg}) is not in the frame; did you mean "
                f"{close[0]!r}{others}? Pass {arg}={close[0]!r}."
            )
        else:
            parts.append(
                f"column {name!r} ({arg}) is not in the frame; pass {arg}= the "
                "name of the column that holds it."
            )
    shown = ", ".join(repr(c) for c in names[:20]) + (", ..." if len(names) > 20 else "")
    return MissingColumnError(" ".join(parts) + f" The frame's columns are: {shown}.")


def _close_matches(name, arg, names) -> list:
    """Columns that look like ``name``: same name in another case, near spellings, then
    the usual names for that role."""
    by_text = {str(c).lower(): c for c in names}
    found = [by_text[str(name).lower()]] if str(name).lower() in by_text else []
    for text in difflib.get_close_matches(str(name).lower(), list(by_text), n=3, cutoff=0.6):
        found.append(by_text[text])
    found += [by_text[s] for s in _SYNONYMS[arg] if s in by_text]
    return list(dict.fromkeys(found))[:3]


def date_and_number_columns(frame):
    """(time column, value column) when one column holds dates and the other numbers."""
    dates = [c for c in frame.columns if _looks_like_dates(frame[c])]
    numbers = [
        c
        for c in frame.columns
        if c not in dates and pdt.is_numeric_dtype(frame[c]) and not pdt.is_bool_dtype(frame[c])
    ]
    return (dates[0], numbers[0]) if len(dates) == 1 and len(numbers) == 1 else None


def _looks_like_dates(column) -> bool:
    dtype = column.dtype
    if pdt.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return True
    if not (pdt.is_object_dtype(dtype) or pdt.is_string_dtype(dtype)):
        return False
    sample = column.dropna().head(20)
    if len(sample) == 0 or pdt.infer_dtype(sample, skipna=True) not in (
        "string",
        "date",
        "datetime",
    ):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:  # month first, as pandas reads 01/02/2023, or day first (13/01/2023)
            return any(bool(pd.to_datetime(sample, errors="coerce", dayfirst=day_first)
                            .notna().all()) for day_first in (False, True))
        except (ValueError, TypeError):
            return False


def _read_series(series) -> _Columns:
    if len(series) == 0:
        raise DataError("the Series is empty; pass at least one value.")
    index = series.index
    label = "the Series" if series.name is None else f"the Series {series.name!r}"
    if isinstance(index, pd.MultiIndex):
        if index.nlevels != 2:
            raise DataError(
                f"{label} has a MultiIndex of {index.nlevels} levels; a Series "
                "of many series needs exactly two: (id, time)."
            )
        return _Columns(
            pd.Series(index.get_level_values(0)),
            pd.Series(index.get_level_values(1)),
            series.reset_index(drop=True),
            None,
            f"level 1 of the index of {label}",
            label,
            "aggregate first, e.g. series.groupby(level=[0, 1]).sum()",
        )
    name = SINGLE_ID if series.name is None else series.name
    if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex) or (
        pdt.is_integer_dtype(index.dtype) and not pdt.is_bool_dtype(index.dtype)
    ):
        ds = pd.Series(index)
    else:
        ds = pd.Series(np.arange(len(series)))
    return _Columns(
        None,
        ds,
        series.reset_index(drop=True),
        name,
        f"the index of {label}",
        label,
        "aggregate first, e.g. series.groupby(level=0).sum()",
    )


def _read_array(data) -> _Columns:
    try:
        values = np.asarray(data)
    except ValueError as exc:
        raise DataError(
            f"cannot read the {type(data).__name__} as an array of values "
            f"({exc}); pass a flat list or 1-D array."
        ) from None
    if values.ndim != 1:
        raise DataError(
            f"an array of values must be 1-D (one series), got shape "
            f"{values.shape}; for many series pass a long DataFrame with "
            "unique_id, ds and y (or values.ravel() if it is one series)."
        )
    if values.size == 0:
        raise DataError("the array is empty; pass at least one value.")
    return _Columns(
        None,
        pd.Series(np.arange(len(values))),
        pd.Series(values),
        SINGLE_ID,
        "the positions",
        "the values",
        "",
    )


def _factorize_ids(columns: _Columns):
    if columns.ids is None:
        return (
            np.zeros(len(columns.y), dtype=np.int64),
            np.array([columns.single_id], dtype=object),
        )
    try:
        codes, uniques = pd.factorize(columns.ids, sort=True)
    except TypeError as exc:
        raise ColumnTypeError(
            f"the ids in column {columns.ids.name!r} cannot be sorted "
            f"({exc}); make them one type, e.g. "
            f"df[{columns.ids.name!r}].astype(str)."
        ) from None
    if (codes < 0).any():
        where = columns.ids.index[np.argmax(codes < 0)]
        raise MissingValueError(
            f"column {columns.ids.name!r} has {int((codes < 0).sum())} missing id(s) "
            f"(first at index {where!r}); drop those rows or give them an id."
        )
    return codes.astype(np.int64), np.asarray(uniques)


# -- values and time stamps --------------------------------------------------------------


def _target_values(column, label, codes, ids) -> np.ndarray:
    dtype = column.dtype
    if pdt.is_complex_dtype(dtype):
        raise ColumnTypeError(f"{label} holds complex numbers ({dtype}); pass real values.")
    if pdt.is_bool_dtype(dtype) or pdt.is_numeric_dtype(dtype):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if (
        pdt.is_datetime64_any_dtype(dtype)
        or pdt.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise ColumnTypeError(
            f"{label} holds time values ({dtype}), not numbers to "
            "forecast; did you swap time_col and target_col?"
        )
    values = column.astype(object)
    try:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(numbers) & values.notna().to_numpy()
    except (TypeError, ValueError):  # lists, dicts: to_numeric refuses even with coerce
        numbers, bad = None, np.array([not _is_number(v) for v in values])
    if bad.any():
        first = int(np.argmax(bad))
        shown = values.iloc[first]
        if isinstance(shown, str) and re.match(r"^\s*-?[1-9]\d{0,2}(,\d{3})+(\.\d+)?\s*$",
                                               shown):
            fix = ("It looks like a number with commas between thousands: read the file "
                   "with pd.read_csv(..., thousands=',') or, if the comma marks decimals, "
                   "pd.read_csv(..., decimal=',').")
        elif isinstance(shown, str) and re.match(r"^\s*-?[1-9]\d{0,2}(\.\d{3})+,\d+\s*$",
                                                 shown):
            fix = ("It looks like a number with dots between thousands and a decimal "
                   "comma: read the file with pd.read_csv(..., thousands='.', "
                   "decimal=',').")
        elif isinstance(shown, str) and re.match(r"^\s*-?[\d.]*\d,\d+\s*$", shown):
            fix = ("It looks like a number written with a decimal comma: read the file "
                   "with pd.read_csv(..., decimal=','), or convert the column, e.g. "
                   "pd.to_numeric(df[...].str.replace(',', '.')).")
        else:
            fix = ("Fix those rows, or convert the column yourself, e.g. "
                   "pd.to_numeric(df[...], errors='coerce') to make them NaN and then pass "
                   "fill_missing='interpolate'.")
        raise ColumnTypeError(
            f"{label} holds values that are not numbers: series "
            f"{_fmt_id(ids[codes[first]])} has {shown!r} ({int(bad.sum())} such "
            f"value(s) in all). {fix}"
        )
    return numbers


def _is_number(value) -> bool:
    if value is None or (pdt.is_scalar(value) and pd.isna(value)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return pdt.is_scalar(value)


def _time_values(column, label, codes, ids) -> tuple[np.ndarray, bool]:
    """Time stamps as int64: nanoseconds for dates (True), steps for integers (False)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if isinstance(column.dtype, pd.PeriodDtype):
        column = column.dt.to_timestamp()
    dtype = column.dtype
    if pdt.is_bool_dtype(dtype) or pdt.is_timedelta64_dtype(dtype):
        raise ColumnTypeError(
            f"{label} holds {dtype} values; time stamps must be dates or integer steps."
        )
    if not (pdt.is_numeric_dtype(dtype) or pdt.is_datetime64_any_dtype(dtype)):
        kind = pdt.infer_dtype(column, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            column = pd.to_numeric(column)
        elif kind in ("boolean", "timedelta", "complex", "bytes"):
            raise ColumnTypeError(
                f"{label} holds {kind} values; time stamps must be dates or integer steps."
            )
        else:
            column = _parse_dates(column, label, codes, ids)
    missing = column.isna().to_numpy()
    if missing.any():
        first = int(np.argmax(missing))
        raise MissingValueError(
            f"{label} has {int(missing.sum())} missing time stamp(s), the first in series "
            f"{_fmt_id(ids[codes[first]])}; drop those rows (e.g. df.dropna(subset=[...])) "
            "or fill in their dates."
        )
    if pdt.is_integer_dtype(column.dtype):
        return column.to_numpy(dtype=np.int64), False
    if pdt.is_numeric_dtype(column.dtype):
        numbers = column.to_numpy(dtype=np.float64)
        fractional = numbers != np.round(numbers)
        if fractional.any():
            first = int(np.argmax(fractional))
            raise ColumnTypeError(
                f"{label} holds {numbers[first].item()!r} (series {_fmt_id(ids[codes[first]])}), "
                "which is neither a date nor a whole number; pass dates or integer steps."
            )
        return numbers.astype(np.int64), False
    column = _naive(column, label)
    try:
        return column.astype("datetime64[ns]").to_numpy().view(np.int64), True
    except (ValueError, OverflowError) as exc:  # OutOfBoundsDatetime is a ValueError
        raise ColumnTypeError(
            f"{label} holds dates outside 1677-2262, which nanosecond "
            f"time stamps cannot hold ({exc}); correct those dates or drop those rows."
        ) from None


# a date written day or month first (31/01/2024, 01/31/2024): not year first, which
# pandas never reads day first whatever it is told
_DAY_OR_MONTH_FIRST = re.compile(r"^\s*\d{1,2}[-/. ]\d{1,2}[-/. ]\d")
# a UTC offset (+01:00, +0100) or Z ending a time stamp written as text
UTC_OFFSET_AT_END = re.compile(r"\s*([+-]\d\d:?\d\d|Z)\s*$")


# an ISO 8601 week (2024-W05, 2024W05), optionally with its weekday (2024-W05-3)
_ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{2})(?:-?([1-7]))?\s*$")


def _parse_dates(column, label, codes, ids):
    text = column.dropna().astype(str)
    if len(text) and text.str.match(_ISO_WEEK).all():
        return _iso_weeks(column, label, codes, ids)
    try:
        parsed = _to_datetime(column, label, day_first=False)
    except ColumnTypeError:
        _check_one_offset(column, label)  # pandas 3 refuses mixed offsets
        raise
    if not pdt.is_datetime64_any_dtype(parsed.dtype):
        _check_one_offset(column, label)  # pandas 2 leaves mixed offsets as objects
        raise ColumnTypeError(
            f"{label} could not be read as dates (they parse to "
            f"{parsed.dtype}); pass datetimes or strings in one format."
        )
    bad = (parsed.isna() & column.notna()).to_numpy()
    day_first = _day_first_reading(column, label, parsed, bad)
    if day_first is not None:
        return day_first
    if bad.any():
        first = int(np.argmax(bad))
        if _is_date_out_of_range(column.iloc[first]):  # pandas 2 coerces these to NaT
            raise ColumnTypeError(
                f"{label} holds dates outside 1677-2262, which nanosecond time stamps "
                f"cannot hold (first: {column.iloc[first]!r}); correct those dates or drop "
                "those rows."
            )
        raise ColumnTypeError(
            f"{label} holds {column.iloc[first]!r} (series {_fmt_id(ids[codes[first]])}), "
            f"which does not parse as a date like the others ({int(bad.sum())} such "
            "value(s)). Fix those values, or parse the column yourself with "
            "pd.to_datetime(..., format=...) and pass datetimes."
        )
    return parsed


def _iso_weeks(column, label, codes, ids):
    """ISO week strings as the date of their weekday, Monday when none is written (the
    week's first day in ISO 8601), so that 2024-W05 is 2024-01-29."""
    parts = column.astype(str).str.extract(_ISO_WEEK)  # year, week, weekday (NaN: none)
    written = parts[0] + "-W" + parts[1] + "-" + parts[2].fillna("1")
    parsed = pd.to_datetime(written.where(column.notna()), format="%G-W%V-%u",
                            errors="coerce")
    calendar = parsed.dt.isocalendar()  # strptime moves week 53 of a 52-week year on
    moved = (calendar.year != pd.to_numeric(parts[0])) | (calendar.week != pd.to_numeric(
        parts[1]))
    bad = ((parsed.isna() | moved.fillna(True).astype(bool)) & column.notna()).to_numpy()
    if bad.any():
        first = int(np.argmax(bad))
        raise ColumnTypeError(
            f"{label} holds {column.iloc[first]!r} (series {_fmt_id(ids[codes[first]])}), "
            f"which is not a week of that year in ISO 8601 ({int(bad.sum())} such "
            "value(s)); fix those values.")
    logger.info("%s read as ISO weeks, each dated on its Monday", label)
    return parsed


def _check_one_offset(column, label):
    """Strings whose UTC offsets change (+01:00, then +02:00 after a daylight-saving
    change) have no one time zone to remove: the error says how to make them naive."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            as_utc = pd.to_datetime(column, errors="coerce", utc=True)
        except (ValueError, TypeError):
            return
    offsets = column.astype(str).str.extract(UTC_OFFSET_AT_END)[0].dropna().unique()
    if as_utc.isna().sum() > column.isna().sum() or len(offsets) < 2:
        return
    raise ColumnTypeError(
        f"{label} has UTC offsets that change ({offsets[0]} and {offsets[1]}, as at a "
        "daylight-saving change); rnncast works on naive times. Convert them first: "
        "pd.to_datetime(column, utc=True).dt.tz_localize(None) for naive UTC (right for "
        "hourly data), or drop the offsets from the strings to keep local wall-clock times "
        "(right for daily data)."
    )


def _to_datetime(column, label, day_first):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format": we check
        # pandas 2's warning about mixed offsets: _check_one_offset names them instead
        warnings.simplefilter("ignore", FutureWarning)
        try:
            return pd.to_datetime(column, errors="coerce", dayfirst=day_first)
        except (ValueError, TypeError) as exc:
            raise ColumnTypeError(f"{label} could not be read as dates: {exc}") from None


def _day_first_reading(column, label, month_first, unread):
    """The column read day first, where that is clearly what it means, else None.

    pandas reads 01/02/2023 month first. Day first is taken when month first leaves
    some values unread (13/01/2023) and day first reads them all, or when both read
    every value but only day first gives evenly spaced dates (01.05.1989, 01.06.1989,
    ...: month starts day first, 5 and 6 January month first)."""
    first = column.dropna()
    if first.empty or not _DAY_OR_MONTH_FIRST.match(str(first.iloc[0])):
        return None
    if not unread.any() and _evenly_spaced(month_first):
        return None  # month first reads it all and makes sense: no second parse
    day_first = _to_datetime(column, label, day_first=True)
    if (not pdt.is_datetime64_any_dtype(day_first.dtype)
            or (day_first.isna() & column.notna()).any()):
        return None
    if unread.any():
        logger.info("%s read day first: month first cannot read %r", label,
                    column.iloc[int(np.argmax(unread))])
        return day_first
    if day_first.equals(month_first) or not _evenly_spaced(day_first):
        return None
    logger.info("%s read day first: only that reading spaces its dates evenly", label)
    return day_first


def _evenly_spaced(stamps) -> bool:
    """Whether the distinct time stamps fall on one regular frequency (pandas can name
    it), as a panel's dates do when its series share a calendar."""
    unique = pd.DatetimeIndex(stamps.dropna().unique()).sort_values()
    return len(unique) >= 3 and _infer_freq(unique) is not None


def _is_date_out_of_range(value) -> bool:
    """True for a well-formed date that pandas' nanosecond time stamps cannot hold."""
    from dateutil import parser

    try:
        year = parser.parse(str(value)).year
    except (ValueError, OverflowError, TypeError):
        return False
    return not 1677 <= year <= 2262


def _naive(column, label):
    """Drop a UTC time zone; refuse any other (the right choice depends on the data)."""
    tz = getattr(column.dtype, "tz", None)
    if tz is None:
        return column
    name = str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz)
    if name in ("UTC", "Etc/UTC", "UTC+00:00", "tzutc()", "GMT", "Etc/GMT"):
        return column.dt.tz_convert(None)
    raise ColumnTypeError(
        f"{label} has time zone {name!r}; rnncast works on naive times. Remove the zone "
        "first: .dt.tz_convert('UTC').dt.tz_localize(None) for naive UTC (right for hourly "
        "data), or .dt.tz_localize(None) to keep local wall-clock times (right for daily "
        "data across daylight-saving changes)."
    )


# -- checks ----------------------------------------------------------------------------


def _check_duplicates(codes, ds, ids, is_dates, columns):
    repeat = (codes[1:] == codes[:-1]) & (ds[1:] == ds[:-1])
    if not repeat.any():
        return
    series = codes[1:][repeat]
    mine = np.unique(ds[1:][repeat & (codes[1:] == series[0])])
    others = len(np.unique(series)) - 1
    # one whole hour other than midnight repeated: perhaps the autumn clock change
    repeated_hour = (is_dates and len(mine) == 1 and mine[0] % _HOUR_NS == 0
                     and mine[0] % _DAY_NS != 0)
    raise DuplicateError(
        f"series {_fmt_id(ids[series[0]])} has more than one row at "
        f"{_fmt_times(mine, is_dates)}{_and_others(others)}; {columns.aggregate_hint}."
        f"{columns.id_hint() if columns.id_hint else ''}"
        + (_daylight_saving_hint(mine[0], "repeated") if repeated_hour else "")
    )


def _id_parts_hint(frame, id_col, time_col, target_col) -> str:
    """For ids that repeat a time stamp: a column that, beside the id, leaves one row per
    time stamp, as a store column does for product ids that every store shares, and how
    to make one id of the two ("" when no column does). Text columns are tried first: a
    number column that happens to differ between repeated rows is rarely an id."""
    others = [c for c in frame.columns if c not in (id_col, time_col, target_col)]
    others.sort(key=lambda c: pdt.is_numeric_dtype(frame[c].dtype))  # text first, stable
    for column in others:
        try:
            if frame[column].isna().any() or frame.duplicated([id_col, column, time_col]).any():
                continue
        except TypeError:  # unhashable values (lists) are no id
            continue
        return (f" If column {column!r} tells apart series that share an id (one row per "
                f"{column!r}, {id_col!r} and time stamp), make one id of the two instead, "
                f"e.g. df[{id_col!r}] = df[{column!r}].astype(str) + '/' + "
                f"df[{id_col!r}].astype(str).")
    return ""


def _raise_unfilled(values_message, gaps_message):
    """The error for missing values, for gaps, or for both at once (one run of the user's
    shows every fix the data need, not one per run)."""
    if values_message and gaps_message:
        raise MissingValuesAndGapsError(f"{values_message} The series also have gaps: "
                                        f"{gaps_message}")
    if values_message:
        raise MissingValueError(values_message)
    if gaps_message:
        raise GapError(gaps_message)


def _missing_message(y, codes, ds, ids, is_dates, label, inserted=None) -> str | None:
    """What the ``MissingValueError`` says when ``y`` holds NaN or inf; None if not."""
    bad = ~np.isfinite(y)
    if not bad.any():
        return None
    series = codes[np.argmax(bad)]
    rows = np.flatnonzero(bad & (codes == series))
    kinds = [
        (
            "inserted by fill_gaps='nan'"
            if inserted is not None and inserted[i]
            else "inf"
            if np.isinf(y[i])
            else "NaN"
        )
        for i in rows[:_SHOWN]
    ]
    listed = ", ".join(
        f"{_fmt_time(ds[i], is_dates)} ({kind})"
        for i, kind in zip(rows[:_SHOWN], kinds, strict=True)
    )
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    others = len(np.unique(codes[bad])) - 1
    inf = (
        " inf counts as missing (look for a division by zero upstream)."
        if np.isinf(y[bad]).any()
        else ""
    )
    return (
        f"series {_fmt_id(ids[series])} has {len(rows)} missing value(s) in {label}, at "
        f"{listed}{more}{_and_others(others)}.{inf} Pass fill_missing='interpolate' "
        "(linear), 'ffill' or 'zero' to fill them, or fix those rows."
    )


# -- frequency and grid ----------------------------------------------------------------


def _panel_frequency(ds, starts, ids, is_dates, known=None) -> tuple[Frequency, int]:
    """The frequency of the longest series, and that series' index; ``known`` where
    every series has a single observation."""
    lengths = np.diff(starts)
    reference = int(np.argmax(lengths))
    if lengths[reference] < 2 and known is not None:
        return known, reference
    if lengths[reference] < 2:
        raise FrequencyError(
            f"every series has a single observation ({len(ids)} series, e.g. "
            f"{_fmt_id(ids[0])}); the frequency cannot be inferred. Pass at least two time "
            "stamps in one series."
        )
    frequency, _ = _series_frequency(ds[starts[reference] : starts[reference + 1]], is_dates,
                                     ids[reference])
    return frequency, reference


def _series_frequency(ds, is_dates, series_id) -> tuple[Frequency, bool]:
    """One series' frequency (sorted, distinct, 2+ stamps) and whether it has no gaps;
    ``series_id`` is named in errors."""
    diffs = np.diff(ds)
    if not is_dates:
        step = int(np.gcd.reduce(diffs))
        return Frequency(None, step), bool((diffs == step).all())
    index = pd.DatetimeIndex(ds.view("datetime64[ns]"))
    if len(ds) >= 3:
        alias = _infer_freq(index)
        if alias is not None:
            return Frequency(_canonical_anchor(alias)), True
    _check_not_mid_month(index, series_id)
    return Frequency(_canonical_anchor(_guess_alias(index, series_id))), len(ds) == 2


def _check_not_mid_month(index, series_id) -> None:
    """Monthly dates on one day inside the month (the 15th), or twice-monthly dates on
    two days other than the 1st and 15th or the 15th and month end, have no pandas
    frequency and would pass for daily data with gaps: name them and the fix instead."""
    if len(index) < 2 or not (index == index.normalize()).all():
        return
    day = index[0].day
    months = index.year * 12 + index.month
    if 1 < day <= 28 and (index.day == day).all() and (np.diff(months) >= 1).all():
        raise FrequencyError(
            f"series {_fmt_id(series_id)}: the dates fall on day {day} of each month (e.g. "
            f"{index[0].date()}): monthly data are read at month starts or month ends. Move "
            "them to month starts, e.g. df[time_col] = "
            "df[time_col].dt.to_period('M').dt.to_timestamp(); on the command line "
            f"--date-format %Y-%m-{day:02d} reads {index[0].date()} as "
            f"{index[0].replace(day=1).date()}.")
    days = np.unique(index.day)
    per_month = np.unique(months, return_counts=True)[1]
    read_by_pandas = days.tolist() == [1, 15] or ((index.day == 15) | index.is_month_end).all()
    if len(days) == 2 and len(index) >= 4 and per_month.max() == 2 and not read_by_pandas:
        raise FrequencyError(
            f"series {_fmt_id(series_id)}: the dates fall on days {days[0]} and {days[-1]} "
            f"of each month (e.g. {index[0].date()}, {index[1].date()}): twice-monthly "
            "data are read on the 1st and 15th, or on the 15th and the month's last day. "
            f"Move day {days[0]} to one of those and day {days[-1]} to the other, so that "
            "the frequency is read rather than daily data with gaps.")


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _canonical_anchor(alias: str) -> str:
    """One name for quarterly aliases that give the same dates: 'QS-OCT' and 'QS-JAN'
    (pandas versions differ in which they infer) both become 'QS-JAN'; quarter ends
    take the last month of the year in their cycle ('QE-MAR' -> 'QE-DEC')."""
    prefix, _, month = alias.partition("-")
    if month not in _MONTHS or prefix not in ("QS", "QE", "BQS", "BQE", "Q", "BQ"):
        return alias
    position = _MONTHS.index(month) % 3
    canonical = position if prefix.endswith("S") else position + 9
    return f"{prefix}-{_MONTHS[canonical]}"


def _infer_freq(index) -> str | None:
    """``pd.infer_freq`` as a string, without pandas 3's warning about its return type."""
    try:
        pd.get_option("future.infer_freq_returns_offset")
    except KeyError:  # older pandas: a string, no warning
        return pd.infer_freq(index)
    with pd.option_context("future.infer_freq_returns_offset", True):
        offset = pd.infer_freq(index)
    return None if offset is None else offset.freqstr


def _guess_alias(index, series_id) -> str:
    """The alias whose single steps join the most consecutive pairs of ``index`` while
    every stamp lies on its grid: the frequency of a series with gaps. When the grids
    that hold every stamp join few pairs but another joins most of them, a few stamps
    are off that grid: an error naming them, not a finer frequency with gaps."""
    diffs = np.diff(index.asi8)
    first = index[0]
    weekday, month = WEEKDAYS[first.weekday()], first.month - 1
    values, counts = np.unique(diffs, return_counts=True)
    candidates = [
        "D",
        "B",
        f"W-{weekday}",
        "MS",
        "ME",
        "SMS",  # twice a month: the 1st and 15th (pandas infers no frequency for these)
        "SME",  # the 15th and month ends
        f"QS-{_MONTHS[month % 3]}",
        f"QE-{_MONTHS[month % 3 + 9]}",
        f"YS-{_MONTHS[month]}",
        f"YE-{_MONTHS[month]}",
        _fixed_alias(int(values[np.argmax(counts)]), weekday),
    ]
    best, best_steps, nearest, nearest_steps = None, 0, None, 0
    for alias in candidates:
        on_grid, steps = _fit(index, to_offset(alias))
        if on_grid and steps > best_steps:
            best, best_steps = alias, steps
        if steps > nearest_steps:
            nearest, nearest_steps = alias, steps
    pairs = len(index) - 1
    if 2 * best_steps < pairs and nearest_steps >= NEAR_GRID_SHARE * pairs:
        off = _off_grid(index, to_offset(nearest))
        if 0 < off.sum() <= max(1, int((1 - NEAR_GRID_SHARE) * len(index))):
            raise FrequencyError(
                f"series {_fmt_id(series_id)} is on the {nearest!r} grid but for "
                f"{int(off.sum())} time stamp(s): {_fmt_times(index.asi8[off], True)} "
                f"{'is' if off.sum() == 1 else 'are'} off it, which would make the data "
                "read as a finer frequency with gaps. Correct or drop those rows.")
    return best or _fixed_alias(int(np.gcd.reduce(diffs)), weekday)


def _off_grid(index, offset) -> np.ndarray:
    """(T,) bool: the stamps not on the offset's grid (fixed steps: the grid most
    stamps share)."""
    delta = _fixed_ns(offset)
    if delta is not None:
        residues = index.asi8 % delta
        values, counts = np.unique(residues, return_counts=True)
        return residues != values[np.argmax(counts)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        return np.asarray((index - offset) + offset != index)


def _fixed_alias(delta_ns: int, weekday: str) -> str:
    if delta_ns == 7 * _DAY_NS:
        return f"W-{weekday}"
    if delta_ns % _DAY_NS == 0:
        days = delta_ns // _DAY_NS
        return "D" if days == 1 else f"{days}D"
    return to_offset(pd.Timedelta(delta_ns)).freqstr


def _fit(index, offset) -> tuple[bool, int]:
    """(every stamp on the offset's grid, number of consecutive pairs one step apart)."""
    delta = _fixed_ns(offset)
    if delta is not None:
        return not _off_grid(index, offset).any(), int((np.diff(index.asi8) == delta).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        try:
            on_grid = not _off_grid(index, offset).any()
            steps = int((index[:-1] + offset == index[1:]).sum())
        except (ValueError, OverflowError):
            return False, 0
    return on_grid, steps


def _fixed_ns(offset) -> int | None:
    """The offset's length in nanoseconds when it is fixed (hours, days), else None."""
    try:
        return int(pd.Timedelta(offset).value)
    except (ValueError, TypeError):
        return None


def _grid_steps(ds, starts, frequency, is_dates) -> tuple[np.ndarray, np.ndarray]:
    """Each stamp's steps after its series' first stamp, and whether it is off the grid.

    Fixed frequencies (integers, days, hours) step from each series' own first stamp;
    calendar ones (B, W, MS, ...) lie on one grid shared by all series.
    """
    lengths = np.diff(starts)
    if is_dates:
        offset = to_offset(frequency.alias)
        unit = _fixed_ns(offset)
    else:
        unit = frequency.step
    if unit is not None:
        since_first = ds - np.repeat(ds[starts[:-1]], lengths)
        return since_first // unit, since_first % unit != 0
    grid = (
        pd.date_range(pd.Timestamp(ds.min()), pd.Timestamp(ds.max()), freq=offset.base)
        .as_unit("ns")
        .asi8
    )
    position = np.searchsorted(grid, ds)
    off_grid = grid[np.minimum(position, len(grid) - 1)] != ds
    since_first = position - np.repeat(position[starts[:-1]], lengths)
    return since_first // offset.n, off_grid | (since_first % offset.n != 0)


def _check_grid(ds, starts, ids, frequency, reference, steps, off_grid, is_dates):
    """Every series on the reference's grid, and none of another frequency."""
    lengths = np.diff(starts)
    series_of = np.repeat(np.arange(len(ids)), lengths)
    gap = np.zeros(len(ds), dtype=bool)
    gap[1:] = (np.diff(steps) > 1) & (series_of[1:] == series_of[:-1])
    misfits = np.unique(series_of[off_grid])
    suspects = np.concatenate([misfits, np.setdiff1d(np.unique(series_of[gap]), misfits)])
    for s in suspects[:_CHECKED]:
        if s == reference or lengths[s] < 2:
            continue
        own, regular = _series_frequency(ds[starts[s] : starts[s + 1]], is_dates, ids[s])
        if (s in misfits or (regular and lengths[s] >= 3)) and not _same_grid(
            own, frequency, ds[starts[s]], is_dates
        ):
            raise FrequencyError(
                f"series {_fmt_id(ids[reference])} has frequency {frequency.describe()} "
                f"but series {_fmt_id(ids[s])} has {own.describe()}; all series must "
                "share one frequency. Prepare them separately, or resample them to one "
                "frequency first (pandas: DataFrame.resample, per series)."
            )
    if misfits.size:
        s = misfits[0]
        row = starts[s] + int(np.argmax(off_grid[starts[s] : starts[s + 1]]))
        raise FrequencyError(
            f"series {_fmt_id(ids[s])} has time stamps off the {frequency.describe()} grid "
            f"of series {_fmt_id(ids[reference])}: {_fmt_time(ds[row], is_dates)} is not one "
            f"of its steps{_and_others(len(misfits) - 1)}. Align those time stamps to the "
            "frequency (e.g. resample), or prepare that series separately."
        )


def _same_grid(a: Frequency, b: Frequency, start, is_dates) -> bool:
    if not is_dates:
        return a.step == b.step
    if a.alias == b.alias:
        return True
    first = pd.Timestamp(int(start))
    return bool(
        np.array_equal(
            pd.date_range(first, periods=4, freq=a.alias).asi8,
            pd.date_range(first, periods=4, freq=b.alias).asi8,
        )
    )


def _gap_message(ds, starts, ids, frequency, steps, is_dates) -> str | None:
    """What the ``GapError`` says when a series skips time stamps; None if none does."""
    lengths = np.diff(starts)
    series_of = np.repeat(np.arange(len(ids)), lengths)
    jump = np.zeros(len(ds), dtype=np.int64)
    jump[1:] = np.diff(steps)
    gap = (jump > 1) & (np.r_[False, series_of[1:] == series_of[:-1]])
    if not gap.any():
        return None
    row = int(np.argmax(gap))
    s = series_of[row]
    missing = int((jump[starts[s] + 1 : starts[s + 1]] - 1).sum())
    others = len(np.unique(series_of[gap])) - 1
    with_time = _with_time(ds[row - 1 : row + 1], is_dates)
    lost_hour = is_dates and frequency.alias == "h" and jump[row] == 2
    return (
        f"series {_fmt_id(ids[s])} misses {missing} time stamp(s) (frequency "
        f"{frequency.describe()}): the first gap is after "
        f"{_fmt_time(ds[row - 1], is_dates, with_time)} (next present: "
        f"{_fmt_time(ds[row], is_dates, with_time)}){_and_others(others)}. Pass "
        "fill_gaps='interpolate', 'ffill', 'zero' or 'nan' to insert the missing time "
        "stamps and fill them, or fix the data."
        + (_daylight_saving_hint(ds[row - 1] + _HOUR_NS, "missing") if lost_hour else "")
    )


def _daylight_saving_hint(stamp_ns, what) -> str:
    """For one hour missing or repeated early on a Sunday: the likely cause."""
    stamp = pd.Timestamp(int(stamp_ns))
    if stamp.day_of_week != 6 or stamp.hour > 3:
        return ""
    return (f" An hour {what} early on a Sunday is what a daylight-saving change does to "
            "local clock times: give the times in UTC (with their offsets, --time-zone utc "
            "on the command line) so that every hour is there once.")


# -- filling ---------------------------------------------------------------------------


def _fill(y, starts, steps, ids, frequency, ds, is_dates, fill_missing, fill_gaps, label):
    """Values on the full grid (gaps inserted), filled as asked; and the new starts."""
    lengths = np.diff(starts)
    new_lengths = steps[starts[1:] - 1] + 1
    new_starts = np.concatenate([[0], np.cumsum(new_lengths)]).astype(np.int64)
    at = np.repeat(new_starts[:-1], lengths) + steps  # where each observation lands
    values = np.full(new_starts[-1], np.nan)
    values[at] = y
    gaps = np.ones(len(values), dtype=bool)
    gaps[at] = False
    missing = ~np.isfinite(values) & ~gaps
    n_inf = int(np.isinf(y).sum())
    inserted = gaps.copy()
    if fill_gaps == "nan":
        missing, gaps = missing | gaps, np.zeros_like(gaps)
    if fill_missing is None and missing.any():  # only gaps left as NaN get here
        codes = np.repeat(np.arange(len(ids)), new_lengths)
        s = codes[np.argmax(missing)]
        stamps = np.zeros(len(values), dtype=np.int64)
        stamps[new_starts[s] : new_starts[s + 1]] = _stamps(
            ds[starts[s]], int(new_lengths[s]), frequency, is_dates
        )
        raise MissingValueError(
            _missing_message(values, codes, stamps, ids, is_dates, label, inserted=inserted))
    if n_inf:
        logger.warning(
            "filled %d inf value(s) in %s with fill_missing=%r", n_inf, label, fill_missing
        )
    values[missing] = np.nan  # inf is missing too
    values = refill(values, new_starts, gaps, missing, fill_gaps, fill_missing, ids,
                    where=f"in {label}", fix="drop that series, or fill with 'zero'")
    return values, new_starts, gaps, missing


def _stamps(first, periods, frequency, is_dates) -> np.ndarray:
    """``periods`` time stamps from ``first`` as int64 (for messages)."""
    if not is_dates:
        return frequency.range(first, periods)
    stamps = frequency.range(np.int64(first).view("datetime64[ns]"), periods)
    return stamps.astype("datetime64[ns]").view(np.int64)


def _filled(values, starts, method) -> np.ndarray:
    """``values`` with every NaN filled by ``method``, never across series."""
    if method == "zero":
        return np.where(np.isnan(values), 0.0, values)
    n = len(values)
    position = np.arange(n)
    lengths = np.diff(starts)
    known = ~np.isnan(values)
    previous = np.maximum.accumulate(np.where(known, position, -1))
    following = np.minimum.accumulate(np.where(known, position, n)[::-1])[::-1]
    has_previous = previous >= np.repeat(starts[:-1], lengths)
    has_following = following < np.repeat(starts[1:], lengths)
    before = values[np.clip(previous, 0, n - 1)]
    after = values[np.clip(following, 0, n - 1)]
    nearest = np.where(has_previous, before, np.where(has_following, after, np.nan))
    if method == "ffill":
        return nearest
    span = np.maximum(following - previous, 1)
    line = before + (after - before) * (position - previous) / span
    return np.where(has_previous & has_following, line, nearest)


# -- messages --------------------------------------------------------------------------


def _fmt_id(value) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _fmt_time(value, is_dates, with_time=None) -> str:
    """A time stamp as a message shows it: a date alone at midnight, unless
    ``with_time`` (stamps shown beside it have a time of day)."""
    if not is_dates:
        return str(int(value))
    stamp = pd.Timestamp(int(value))
    if with_time is None:
        with_time = stamp != stamp.normalize()
    return str(stamp) if with_time else stamp.strftime("%Y-%m-%d")


def _with_time(values, is_dates) -> bool:
    """Whether any of these time stamps has a time of day (so all show one)."""
    return is_dates and bool(np.any(np.asarray(values, dtype=np.int64) % _DAY_NS))


def _fmt_times(values, is_dates) -> str:
    with_time = _with_time(values[:_SHOWN], is_dates)
    shown = ", ".join(_fmt_time(v, is_dates, with_time) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


def _and_others(count) -> str:
    return f" (and {count} other series)" if count > 0 else ""
