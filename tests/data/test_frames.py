import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from rnncast.data import Frequency, Panel, infer_frequency, prepare
from rnncast.errors import (
    ColumnTypeError,
    DataError,
    DuplicateError,
    FrequencyError,
    GapError,
    MissingColumnError,
    MissingValueError,
    MissingValuesAndGapsError,
    RnncastError,
)

# pandas deprecation warnings (infer_freq's return type, offset.name) must not leak.
pytestmark = pytest.mark.filterwarnings("error")


def days(*stamps):
    return pd.to_datetime(list(stamps))


def dates(start, periods, freq="D"):
    return pd.date_range(start, periods=periods, freq=freq)


def long_frame():
    """Two series, rows shuffled, an extra column and a custom index."""
    return pd.DataFrame(
        {
            "unique_id": ["b", "a", "a", "b", "a"],
            "ds": days("2020-01-02", "2020-01-02", "2020-01-01", "2020-01-01", "2020-01-03"),
            "y": [4.0, 2.0, 1.0, 3.0, 5.0],
            "promo": [0, 1, 0, 1, 0],
        },
        index=[10, 11, 12, 13, 14],
    )


# -- accepted forms ----------------------------------------------------------------------


def test_long_frame_is_sorted_by_id_then_time():
    panel = prepare(long_frame())

    assert panel.ids.tolist() == ["a", "b"]
    np.testing.assert_array_equal(panel.starts, [0, 3, 5])
    np.testing.assert_array_equal(panel.values, [1.0, 2.0, 5.0, 3.0, 4.0])
    np.testing.assert_array_equal(panel.first_ds, days("2020-01-01", "2020-01-01").to_numpy())
    np.testing.assert_array_equal(panel.last_ds, days("2020-01-03", "2020-01-02").to_numpy())
    assert panel.first_ds.dtype == np.dtype("datetime64[ns]")
    assert panel.values.dtype == np.float64
    assert panel.frequency == Frequency("D")


def test_custom_column_names_are_used():
    frame = long_frame().rename(columns={"unique_id": "store", "ds": "date", "y": "sales"})

    panel = prepare(frame, id_col="store", time_col="date", target_col="sales")

    np.testing.assert_array_equal(panel.values, [1.0, 2.0, 5.0, 3.0, 4.0])


def one_series_inputs():
    values = [3.0, 1.0, 2.0]
    return {
        "datetime-indexed Series": (
            pd.Series(values, index=dates("2021-03-01", 3), name="s"),
            "s",
            np.datetime64("2021-03-01", "ns"),
        ),
        "integer-indexed Series": (pd.Series(values, index=[10, 11, 12]), "series_0", 10),
        "string-indexed Series": (pd.Series(values, index=["x", "y", "z"]), "series_0", 0),
        "ndarray": (np.array(values), "series_0", 0),
        "list": (values, "series_0", 0),
        "frame without id": (
            pd.DataFrame({"ds": dates("2021-03-01", 3), "y": values}),
            "series_0",
            np.datetime64("2021-03-01", "ns"),
        ),
        "two columns, date and number": (
            pd.DataFrame({"date": ["2021-03-01", "2021-03-02", "2021-03-03"], "sales": values}),
            "series_0",
            np.datetime64("2021-03-01", "ns"),
        ),
    }


@pytest.mark.parametrize(
    "data, name, first", one_series_inputs().values(), ids=one_series_inputs().keys()
)
def test_one_series_inputs_become_one_series(data, name, first):
    panel = prepare(data)

    assert panel.ids.tolist() == [name]
    np.testing.assert_array_equal(panel.values, [3.0, 1.0, 2.0])
    assert panel.first_ds[0] == first
    is_date = isinstance(first, np.datetime64)
    assert panel.first_ds.dtype == (np.dtype("datetime64[ns]") if is_date else np.int64)


def test_series_with_two_level_index_is_a_long_frame():
    series = long_frame().set_index(["unique_id", "ds"])["y"]

    panel = prepare(series)

    assert panel.ids.tolist() == ["a", "b"]
    np.testing.assert_array_equal(panel.values, [1.0, 2.0, 5.0, 3.0, 4.0])


def test_integer_ds_stays_int64():
    frame = pd.DataFrame({"unique_id": "a", "ds": [3, 1, 2], "y": [3.0, 1.0, 2.0]})

    panel = prepare(frame)

    assert panel.first_ds.dtype == np.int64
    assert (panel.first_ds[0], panel.last_ds[0]) == (1, 3)
    assert panel.frequency == Frequency(None, 1)


def test_float_ds_holding_whole_numbers_are_integer_steps():
    panel = prepare(pd.DataFrame({"ds": [0.0, 1.0, 2.0], "y": 1.0}))

    assert panel.first_ds.dtype == np.int64
    assert panel.frequency.is_integer


def test_date_strings_are_parsed_to_datetime64_ns():
    frame = pd.DataFrame({"ds": ["2020-01-01", "2020-01-02", "2020-01-03"], "y": 1.0})

    panel = prepare(frame)

    assert panel.first_ds.dtype == np.dtype("datetime64[ns]")
    assert panel.last_ds[0] == np.datetime64("2020-01-03")


@pytest.mark.parametrize(("first", "frequency", "written"), [
    ("2023-01-01", "D", "%d/%m/%Y"),  # 13/01/2023: month first cannot read it
    # 01.05.1989 reads month first too (5 January), but only day first is evenly spaced
    ("1989-05-01", "MS", "%d.%m.%Y"),
])
def test_dates_written_day_first_are_read_day_first(first, frequency, written):
    stamps = pd.date_range(first, periods=40, freq=frequency)
    frame = pd.DataFrame({"ds": stamps.strftime(written), "y": np.arange(40.0)})

    panel = prepare(frame)

    assert panel.frequency.alias == frequency
    assert panel.first_ds[0] == stamps[0] and panel.last_ds[0] == stamps[-1]


def test_month_first_stands_where_both_readings_are_regular():
    days = pd.date_range("2023-01-01", periods=12, freq="D")  # 01/01 .. 01/12: both read
    frame = pd.DataFrame({"ds": days.strftime("%m/%d/%Y"), "y": np.arange(12.0)})

    assert prepare(frame).frequency.alias == "D"


def test_monthly_dates_mid_month_are_named_not_taken_for_daily_gaps():
    dates = pd.date_range("2020-01-01", periods=24, freq="MS") + pd.Timedelta(days=14)
    frame = pd.DataFrame({"ds": dates, "y": np.arange(24.0)})

    with pytest.raises(FrequencyError, match=r"day 15 of each month \(e.g. 2020-01-15\).*"
                                              r"--date-format %Y-%m-15"):
        prepare(frame)


def test_twice_monthly_dates_on_other_days_are_named_not_taken_for_daily_gaps():
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    dates = np.sort(np.concatenate([months + pd.Timedelta(days=4),
                                    months + pd.Timedelta(days=19)]))
    frame = pd.DataFrame({"unique_id": "shop", "ds": dates, "y": np.arange(24.0)})

    with pytest.raises(FrequencyError, match=r"series 'shop': the dates fall on days 5 and "
                                              r"20 of each month.*1st and 15th"):
        prepare(frame)


@pytest.mark.parametrize("freq, position, moved, shown", [
    ("h", 50, pd.Timedelta("7min"), "2024-01-03 02:07:00"),
    ("MS", 10, pd.Timedelta(days=14), "2024-11-15"),
    ("W-MON", 45, pd.Timedelta(days=1), "2024-11-12"),
], ids=["hourly", "monthly", "weekly"])
def test_a_stamp_off_the_grid_is_named_not_read_as_a_finer_frequency(freq, position, moved,
                                                                     shown):
    stamps = pd.date_range("2024-01-01", periods=60, freq=freq).to_numpy().copy()
    stamps[position] = stamps[position] + moved
    frame = pd.DataFrame({"unique_id": "shop", "ds": stamps, "y": np.arange(60.0)})

    with pytest.raises(FrequencyError, match=rf"series 'shop' is on the '{freq}' grid but "
                                              rf"for 1 time stamp\(s\): {shown} is off it"):
        prepare(frame)


def test_offsets_that_change_at_daylight_saving_are_named_with_the_fix():
    stamps = pd.date_range("2024-03-30 20:00", periods=12, freq="h", tz="Europe/London")
    text = [t.strftime("%Y-%m-%d %H:%M:%S%z") for t in stamps]  # +0000, then +0100
    frame = pd.DataFrame({"ds": text, "y": np.arange(12.0)})

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas warning leaks out
        with pytest.raises(ColumnTypeError, match=r"UTC offsets that change \(\+0000 and "
                                                  r"\+0100.*tz_localize\(None\) for naive UTC"):
            prepare(frame)


def test_a_gap_in_hourly_data_shows_both_stamps_with_their_time():
    stamps = pd.date_range("2024-03-01", periods=60, freq="h").delete([25])

    with pytest.raises(GapError, match=r"after 2024-03-02 00:00:00 \(next present: "
                                       r"2024-03-02 02:00:00\)"):
        prepare(pd.DataFrame({"ds": stamps, "y": 1.0}))


@pytest.mark.parametrize("start, error, what", [
    ("2024-03-30 20:00", GapError, "missing"), ("2024-10-26 20:00", DuplicateError, "repeated"),
], ids=["spring", "autumn"])
def test_an_hour_lost_or_repeated_at_daylight_saving_is_named_as_such(start, error, what):
    local = pd.date_range(start, periods=12, freq="h", tz="Europe/London").tz_localize(None)

    with pytest.raises(error, match=rf"An hour {what} early on a Sunday is what a "
                                    r"daylight-saving change does"):
        prepare(pd.DataFrame({"ds": local, "y": 1.0}))


def test_month_ends_of_30_and_31_days_stay_monthly():
    frame = pd.DataFrame({"ds": pd.to_datetime(["2020-03-31", "2020-04-30", "2020-05-31",
                                                "2020-06-30"]), "y": 1.0})

    assert prepare(frame).frequency == Frequency("ME")


def test_utc_datetimes_become_naive_utc():
    stamps = pd.date_range("2020-01-01 06:00", periods=3, freq="h", tz="UTC")

    panel = prepare(pd.DataFrame({"ds": stamps, "y": 1.0}))

    assert panel.first_ds[0] == np.datetime64("2020-01-01T06:00")
    assert panel.frequency == Frequency("h")


@pytest.mark.parametrize(
    "y",
    [
        pd.Series([1, 2, 3], dtype="int64"),
        pd.Series([True, False, True]),
        pd.Series([1, 2, 3], dtype="Int64"),
        pd.Series(["1", "2.5", "-3e2"]),
    ],
    ids=["int", "bool", "nullable int", "numeric strings"],
)
def test_numbers_of_any_kind_become_float64(y):
    panel = prepare(pd.DataFrame({"ds": [0, 1, 2], "y": y}))

    assert panel.values.dtype == np.float64
    np.testing.assert_array_equal(panel.values, pd.to_numeric(y).astype(float).to_numpy())


@pytest.mark.parametrize(
    "values",
    [
        [5.0, 5.0, 5.0, 5.0],
        [0.0, 0.0, 0.0, 0.0],
        [-3.0, -1.5, -7.0, -2.0],
        [1e-9, 1e12, 3.5e-9, 7e11],
    ],
    ids=["constant", "zeros", "negative", "tiny and huge"],
)
def test_unusual_values_pass_through_unchanged(values):
    panel = prepare(np.array(values))

    np.testing.assert_array_equal(panel.values, values)


def test_values_do_not_share_memory_with_the_input():
    values = np.array([1.0, 2.0, 3.0])

    panel = prepare(values)
    panel.values[0] = 99.0

    assert values[0] == 1.0


def test_caller_frame_is_unchanged():
    frame = pd.DataFrame(
        {
            "unique_id": ["b", "a", "a", "b", "a", "b"],
            "ds": [
                "2020-01-03",
                "2020-01-04",
                "2020-01-01",
                "2020-01-01",
                "2020-01-02",
                "2020-01-02",
            ],
            "y": ["4", None, "1", "3", "2", "5"],
            "extra": [1, 2, 3, 4, 5, 6],
        },
        index=pd.Index([9, 7, 5, 3, 1, 0], name="row"),
    )
    before = frame.copy(deep=True)

    prepare(frame, fill_missing="interpolate", fill_gaps="zero")

    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_index_equal(frame.index, before.index)
    assert frame.dtypes.equals(before.dtypes)


def test_single_observation_series_takes_the_others_frequency():
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b"],
            "ds": list(dates("2020-01-01", 3, "MS")) + [pd.Timestamp("2021-06-01")],
            "y": 1.0,
        }
    )

    panel = prepare(frame)

    assert panel.frequency == Frequency("MS")
    np.testing.assert_array_equal(panel.lengths, [3, 1])


def test_many_series_with_different_starts_are_prepared():
    starts = pd.Timestamp("2000-01-02") + pd.to_timedelta(7 * np.arange(2_000) % 700, unit="D")
    stamps = starts.to_numpy()[:, None] + np.arange(20) * np.timedelta64(7, "D")
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(2_000), 20),
            "ds": stamps.ravel(),
            "y": np.arange(40_000.0),
        }
    )

    panel = prepare(frame.sample(frac=1.0, random_state=0))

    assert panel.frequency == Frequency("W-SUN")
    np.testing.assert_array_equal(panel.values, np.arange(40_000.0))


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "columns, kwargs, expected",
    [
        (["unique_id", "ds", "sales"], {}, ["'y'", "target_col='sales'"]),
        (["unique_id", "date", "y"], {}, ["'ds'", "time_col='date'"]),
        (["unique_id", "DS", "y"], {}, ["'ds'", "time_col='DS'"]),
        (["store", "ds", "y"], {"id_col": "stores"}, ["'stores'", "id_col='store'"]),
        (
            ["unique_id", "ds", "revenue"],
            {"target_col": "revnue"},
            ["'revnue'", "target_col='revenue'"],
        ),
        (["a", "b", "c"], {}, ["'ds'", "'y'", "time_col=", "'a', 'b', 'c'"]),
    ],
    ids=["target", "time", "time in capitals", "id", "misspelt", "no match"],
)
def test_missing_column_names_it_and_the_argument(columns, kwargs, expected):
    frame = pd.DataFrame({c: [1, 2, 3] for c in columns})

    with pytest.raises(MissingColumnError) as info:
        prepare(frame, **kwargs)

    for fragment in expected:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    "bad", ["abc", [1, 2], pd.Timestamp("2020-01-01")], ids=["text", "list", "timestamp"]
)
def test_non_numeric_target_names_column_series_and_value(bad):
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "b", "b"],
            "ds": [0, 0, 1],
            "y": pd.Series([1.0, 2.0, bad], dtype=object),
        }
    )

    with pytest.raises(ColumnTypeError) as info:
        prepare(frame)

    message = str(info.value)
    assert "column 'y'" in message and "'b'" in message and repr(bad) in message
    assert "pd.to_numeric" in message


def test_dates_as_target_suggest_swapping_columns():
    frame = pd.DataFrame({"ds": [0, 1], "y": dates("2020-01-01", 2)})

    with pytest.raises(ColumnTypeError, match="swap time_col and target_col"):
        prepare(frame)


@pytest.mark.parametrize("bad, shown", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_missing_value_names_series_date_and_fill_option(bad, shown):
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b", "b", "b"],
            "ds": list(dates("2020-01-01", 3)) * 2,
            "y": [1.0, 2.0, 3.0, 4.0, bad, 6.0],
        }
    )

    with pytest.raises(MissingValueError) as info:
        prepare(frame)

    message = str(info.value)
    assert "'b'" in message and f"2020-01-02 ({shown})" in message
    assert "fill_missing='interpolate'" in message and "'ffill'" in message
    assert ("inf counts as missing" in message) == (shown == "inf")


def test_duplicates_name_series_dates_and_how_to_aggregate():
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "b", "b", "b"],
            "ds": days("2020-01-01", "2020-01-01", "2020-01-02", "2020-01-02"),
            "y": 1.0,
        }
    )

    with pytest.raises(DuplicateError) as info:
        prepare(frame)

    message = str(info.value)
    assert "'b'" in message and "2020-01-02" in message and "groupby" in message


def test_ids_shared_by_stores_name_the_store_column_and_how_to_join_the_two():
    frame = pd.DataFrame(
        {
            "sku": ["a", "a", "b", "b"] * 2,
            "price": [1.0, 2.0, 3.0, 4.0] * 2,  # also tells the rows apart, but a number
            "store": ["north", "south"] * 4,
            "ds": days("2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01",
                       "2020-01-02", "2020-01-02", "2020-01-02", "2020-01-02"),
            "y": 1.0,
        }
    )

    with pytest.raises(DuplicateError) as info:
        prepare(frame, id_col="sku")

    message = str(info.value)
    assert "groupby" in message
    assert ("If column 'store' tells apart series that share an id (one row per 'store', "
            "'sku' and time stamp), make one id of the two instead, e.g. df['sku'] = "
            "df['store'].astype(str) + '/' + df['sku'].astype(str).") in message
    # once joined, the frame is four series
    joined = frame.assign(sku=frame["store"] + "/" + frame["sku"])
    assert prepare(joined, id_col="sku").n_series == 4


@pytest.mark.parametrize("other", [["x", "x", "y", "y"], ["north", None, "north", "south"]],
                         ids=["repeats-too", "missing"])
def test_a_column_that_cannot_tell_repeated_ids_apart_is_not_suggested(other):
    frame = pd.DataFrame({"unique_id": "a", "other": other,
                          "ds": days("2020-01-01", "2020-01-01", "2020-01-02", "2020-01-02"),
                          "y": 1.0})

    with pytest.raises(DuplicateError) as info:
        prepare(frame)

    assert "groupby" in str(info.value) and "tells apart" not in str(info.value)


def test_duplicates_without_id_column_suggest_id_col():
    frame = pd.DataFrame({"store": ["a", "b"], "ds": days("2020-01-01", "2020-01-01"), "y": 1.0})

    with pytest.raises(DuplicateError, match="pass id_col='store'"):
        prepare(frame)


@pytest.mark.parametrize(
    "stamps, before, after, frequency",
    [
        (days("2020-01-01", "2020-01-02", "2020-01-05"), "2020-01-02", "2020-01-05", "'D'"),
        (
            days("2020-01-01", "2020-02-01", "2020-03-01", "2020-05-01", "2020-06-01"),
            "2020-03-01",
            "2020-05-01",
            "'MS'",
        ),
        (
            days("2020-01-02", "2020-01-03", "2020-01-06", "2020-01-08", "2020-01-09"),
            "2020-01-06",
            "2020-01-08",
            "'B'",
        ),
        ([0, 7, 14, 28], "14", "28", "integer steps of 7"),
        ([1, 2, 4], "2", "4", "integer steps of 1"),
        (
            days("2020-01-01", "2020-01-15", "2020-02-01", "2020-03-01", "2020-03-15"),
            "2020-02-01",
            "2020-03-01",
            "'SMS'",
        ),
    ],
    ids=["daily", "monthly", "business days", "integer step 7", "integer step 1",
         "twice a month"],
)
def test_gap_names_series_first_gap_and_frequency(stamps, before, after, frequency):
    frame = pd.DataFrame({"unique_id": "store_7", "ds": stamps, "y": 1.0})

    with pytest.raises(GapError) as info:
        prepare(frame)

    message = str(info.value)
    assert "'store_7'" in message and frequency in message
    assert f"after {before} (next present: {after})" in message
    assert "fill_gaps='interpolate'" in message


def test_missing_values_and_gaps_are_named_in_one_error():
    frame = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 3,
            "ds": list(dates("2020-01-01", 4)) + list(days("2020-01-01", "2020-01-02",
                                                           "2020-01-05")),
            "y": [1.0, np.nan, 3.0, 4.0, 1.0, 2.0, 3.0],
        }
    )

    with pytest.raises(MissingValuesAndGapsError) as info:
        prepare(frame)

    message = str(info.value)
    assert "series 'a' has 1 missing value(s)" in message and "2020-01-02 (NaN)" in message
    assert "series 'b' misses 2 time stamp(s)" in message
    assert "after 2020-01-02 (next present: 2020-01-05)" in message
    assert "fill_missing='interpolate'" in message and "fill_gaps='interpolate'" in message
    # callers that catch either error catch both
    assert isinstance(info.value, MissingValueError) and isinstance(info.value, GapError)
    # filling one leaves the other's own error
    with pytest.raises(GapError) as info:
        prepare(frame, fill_missing="interpolate")
    assert not isinstance(info.value, MissingValueError)
    with pytest.raises(MissingValueError) as info:
        prepare(frame, fill_gaps="interpolate")
    assert not isinstance(info.value, GapError)
    filled = prepare(frame, fill_missing="interpolate", fill_gaps="interpolate")
    np.testing.assert_array_equal(filled.values, [1, 2, 3, 4, 1, 2, 2 + 1 / 3, 2 + 2 / 3, 3])


def test_missing_values_come_before_a_frequency_error():
    frame = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "ds": list(dates("2020-01-01", 4)) + list(dates("2020-01-01", 4, "MS")),
            "y": [1.0, np.nan, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0],
        }
    )

    with pytest.raises(MissingValueError, match="series 'a' has 1 missing value"):
        prepare(frame)
    with pytest.raises(FrequencyError):
        prepare(frame, fill_missing="zero")


@pytest.mark.parametrize(
    "other, alias",
    [
        (dates("2020-01-05", 4, "W-SUN"), "'W-SUN'"),
        (dates("2020-01-01", 4, "h"), "'h'"),
        (dates("2020-01-01", 4, "MS"), "'MS'"),
    ],
)
def test_mixed_frequencies_name_one_series_of_each(other, alias):
    frame = pd.DataFrame(
        {
            "unique_id": ["daily"] * 10 + ["other"] * 4,
            "ds": list(dates("2020-01-01", 10)) + list(other),
            "y": 1.0,
        }
    )

    with pytest.raises(FrequencyError) as info:
        prepare(frame)

    message = str(info.value)
    assert "'daily'" in message and "'D'" in message and "'other'" in message
    assert alias in message and "share one frequency" in message


def test_mixed_integer_steps_name_both_series():
    frame = pd.DataFrame(
        {"unique_id": ["a"] * 4 + ["b"] * 3, "ds": [0, 7, 14, 21, 0, 1, 2], "y": 1.0}
    )

    with pytest.raises(FrequencyError, match="'a'.*integer steps of 7.*'b'.*integer steps of 1"):
        prepare(frame)


def test_date_off_the_grid_is_named():
    frame = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"],
            "ds": list(dates("2020-01-01", 4, "MS")) + [pd.Timestamp("2020-02-15")],
            "y": 1.0,
        }
    )

    with pytest.raises(FrequencyError, match="'b'.*2020-02-15"):
        prepare(frame)


def test_frequency_of_single_observations_cannot_be_inferred():
    frame = pd.DataFrame(
        {"unique_id": ["a", "b"], "ds": days("2020-01-01", "2020-01-02"), "y": 1.0}
    )

    with pytest.raises(FrequencyError, match="cannot be inferred"):
        prepare(frame)


def test_unparseable_date_names_the_value_and_series():
    frame = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "ds": ["2020-01-01", "2020-01-02", "not a date"], "y": 1.0}
    )

    with pytest.raises(ColumnTypeError, match="'not a date' \\(series 'b'\\)"):
        prepare(frame)


@pytest.mark.parametrize(
    "ds, match",
    [
        ([0.0, 0.5], "holds 0.5 .*neither a date nor a whole number"),
        ([True, False], "holds bool values"),
        (["2020-01-01", "2300-01-01"], "outside 1677-2262"),
    ],
    ids=["fraction", "bool", "year 2300"],
)
def test_time_values_that_are_not_dates_or_steps_are_an_error(ds, match):
    with pytest.raises(ColumnTypeError, match=match):
        prepare(pd.DataFrame({"ds": ds, "y": 1.0}))


def test_time_zone_other_than_utc_is_an_error_with_both_fixes():
    stamps = pd.date_range("2020-03-28", periods=3, freq="D", tz="Europe/Berlin")

    with pytest.raises(ColumnTypeError) as info:
        prepare(pd.DataFrame({"ds": stamps, "y": 1.0}))

    message = str(info.value)
    assert "'Europe/Berlin'" in message
    assert "tz_convert('UTC').dt.tz_localize(None)" in message
    assert ".dt.tz_localize(None) to keep local" in message


@pytest.mark.parametrize(
    "data",
    [
        pd.DataFrame(columns=["unique_id", "ds", "y"]),
        pd.DataFrame(),
        pd.Series([], dtype=float),
        np.array([]),
        [],
    ],
    ids=["no rows", "no columns", "empty Series", "empty array", "empty list"],
)
def test_empty_input_is_an_error(data):
    with pytest.raises(DataError, match="empty"):
        prepare(data)


@pytest.mark.parametrize(
    "data, match",
    [
        (np.zeros((3, 2)), "must be 1-D"),
        ({"y": [1, 2]}, "cannot read a dict"),
    ],
    ids=["2-D array", "dict"],
)
def test_unreadable_input_is_an_error(data, match):
    with pytest.raises(DataError, match=match):
        prepare(data)


def test_missing_id_is_an_error():
    frame = pd.DataFrame({"unique_id": ["a", None, "a"], "ds": [0, 1, 1], "y": 1.0})

    with pytest.raises(MissingValueError, match="missing id"):
        prepare(frame)


def test_missing_time_stamp_names_the_series():
    frame = pd.DataFrame(
        {"unique_id": ["a", "b"], "ds": [pd.Timestamp("2020-01-01"), None], "y": 1.0}
    )

    with pytest.raises(MissingValueError, match="missing time stamp.*series 'b'"):
        prepare(frame)


@pytest.mark.parametrize("option, value", [("fill_missing", "mean"), ("fill_gaps", "bfill")])
def test_unknown_fill_option_is_an_error(option, value):
    with pytest.raises(ValueError, match=f"{option}='{value}'"):
        prepare([1.0, 2.0], **{option: value})


def test_errors_share_one_hierarchy():
    for error in (
        MissingColumnError,
        ColumnTypeError,
        MissingValueError,
        DuplicateError,
        GapError,
        MissingValuesAndGapsError,
        FrequencyError,
    ):
        assert issubclass(error, DataError)
        assert issubclass(error, RnncastError) and issubclass(error, ValueError)


# -- filling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, expected",
    [
        ("interpolate", [1.0, 2.0, 3.0, 4.0, 4.0, 10.0, 10.0, 12.0]),
        ("ffill", [1.0, 1.0, 1.0, 4.0, 4.0, 10.0, 10.0, 12.0]),
        ("zero", [1.0, 0.0, 0.0, 4.0, 0.0, 0.0, 10.0, 12.0]),
    ],
    ids=["interpolate", "ffill", "zero"],
)
def test_fill_missing_fills_within_each_series(method, expected):
    frame = pd.DataFrame(
        {
            "unique_id": ["a"] * 5 + ["b"] * 3,
            "ds": list(range(5)) + [0, 1, 2],
            "y": [1.0, np.nan, np.inf, 4.0, np.nan, np.nan, 10.0, 12.0],
        }
    )

    panel = prepare(frame, fill_missing=method)

    np.testing.assert_array_equal(panel.values, expected)


def test_filling_inf_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="rnncast.data.frames"):
        prepare([1.0, np.inf, 3.0], fill_missing="interpolate")

    assert "1 inf value" in caplog.text


@pytest.mark.parametrize(
    "fill_gaps, fill_missing, expected",
    [
        ("interpolate", None, [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("ffill", None, [1.0, 2.0, 2.0, 2.0, 5.0]),
        ("zero", None, [1.0, 2.0, 0.0, 0.0, 5.0]),
        ("nan", "interpolate", [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("nan", "zero", [1.0, 2.0, 0.0, 0.0, 5.0]),
    ],
)
def test_fill_gaps_inserts_and_fills_the_missing_dates(fill_gaps, fill_missing, expected):
    frame = pd.DataFrame(
        {"ds": days("2020-01-01", "2020-01-02", "2020-01-05"), "y": [1.0, 2.0, 5.0]}
    )

    panel = prepare(frame, fill_gaps=fill_gaps, fill_missing=fill_missing)

    np.testing.assert_array_equal(panel.values, expected)
    np.testing.assert_array_equal(panel.ds(0), dates("2020-01-01", 5).to_numpy())
    assert panel.last_ds[0] == np.datetime64("2020-01-05")


def test_fill_gaps_on_integer_steps_keeps_other_series_in_place():
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b", "b"],
            "ds": [0, 7, 28, 0, 7],
            "y": [0.0, 7.0, 28.0, 1.0, 2.0],
        }
    )

    panel = prepare(frame, fill_gaps="interpolate")

    np.testing.assert_array_equal(panel.starts, [0, 5, 7])
    np.testing.assert_array_equal(panel.values, [0.0, 7.0, 14.0, 21.0, 28.0, 1.0, 2.0])


def test_fill_gaps_nan_without_fill_missing_names_the_inserted_dates():
    frame = pd.DataFrame({"ds": days("2020-01-01", "2020-01-02", "2020-01-04"), "y": 1.0})

    with pytest.raises(MissingValueError, match="2020-01-03 \\(inserted by fill_gaps='nan'\\)"):
        prepare(frame, fill_gaps="nan")


def test_series_without_any_value_cannot_be_interpolated():
    frame = pd.DataFrame(
        {"unique_id": ["a", "a", "b", "b"], "ds": [0, 1, 0, 1], "y": [1.0, 2.0, np.nan, np.nan]}
    )

    with pytest.raises(MissingValueError, match="'b' has no finite value"):
        prepare(frame, fill_missing="interpolate")


# -- frequency -------------------------------------------------------------------------------

ALIASES = ["D", "B", "W-SUN", "MS", "ME", "SMS", "SME", "QS-JAN", "YS-JAN", "h", "15min"]


@pytest.mark.parametrize("alias", ALIASES)
def test_frequency_is_inferred(alias):
    stamps = dates("2020-01-01", 8, alias)
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], [8, 5]),
            "ds": list(stamps) + list(stamps[2:7]),
            "y": 1.0,
        }
    )

    assert prepare(frame).frequency == Frequency(alias)


@pytest.mark.parametrize("step", [1, 7])
def test_integer_step_is_inferred(step):
    panel = prepare(pd.DataFrame({"ds": np.arange(5) * step + 3, "y": 1.0}))

    assert panel.frequency == Frequency(None, step)


@pytest.mark.parametrize(
    "stamps, expected",
    [
        (["2020-01-01", "2020-02-01"], Frequency("MS")),
        (["2020-01-05", "2020-01-12"], Frequency("W-SUN")),
        (["2020-01-01", "2020-01-02", "2020-01-04"], Frequency("D")),
        ([14, 0, 7], Frequency(None, 7)),
    ],
    ids=["two months", "two weeks", "days with a gap", "integers unsorted"],
)
def test_infer_frequency_of_one_series(stamps, expected):
    assert infer_frequency(stamps) == expected


def test_infer_frequency_needs_two_stamps():
    with pytest.raises(FrequencyError, match="'shop'"):
        infer_frequency(["2020-01-01"], series_id="shop")


@pytest.mark.parametrize(
    "alias, last, expected",
    [
        ("MS", "2020-12-01", ["2021-01-01", "2021-02-01", "2021-03-01"]),
        ("ME", "2020-12-31", ["2021-01-31", "2021-02-28", "2021-03-31"]),
        ("D", "2020-12-31", ["2021-01-01", "2021-01-02", "2021-01-03"]),
        ("B", "2021-01-08", ["2021-01-11", "2021-01-12", "2021-01-13"]),
        ("W-SUN", "2020-12-27", ["2021-01-03", "2021-01-10", "2021-01-17"]),
        ("QS-JAN", "2020-10-01", ["2021-01-01", "2021-04-01", "2021-07-01"]),
    ],
)
def test_future_dates_follow_the_last_date(alias, last, expected):
    stamps = pd.date_range(end=last, periods=8, freq=alias)
    panel = prepare(pd.DataFrame({"ds": stamps, "y": 1.0}))

    future = panel.frequency.future(panel.last_ds[0], 3)

    np.testing.assert_array_equal(future, pd.to_datetime(expected).to_numpy())


def test_future_integer_steps():
    panel = prepare(pd.DataFrame({"ds": [0, 7, 14], "y": 1.0}))

    np.testing.assert_array_equal(panel.frequency.future(panel.last_ds[0], 2), [21, 28])


@pytest.mark.parametrize(
    "frequency, season",
    [
        (Frequency("D"), 7),
        (Frequency("B"), 5),
        (Frequency("W-SUN"), 52),
        (Frequency("MS"), 12),
        (Frequency("QS-JAN"), 4),
        (Frequency("YS-JAN"), 1),
        (Frequency("h"), 24),
        (Frequency("2h"), 12),
        (Frequency("30min"), 48),
        (Frequency("15min"), 96),
        (Frequency("5min"), 288),
        (Frequency("min"), 60),
        (Frequency("30s"), 120),
        (Frequency("7min"), 1),
        (Frequency(None, 1), 1),
    ],
    ids=["D", "B", "W", "MS", "QS", "YS", "h", "2h", "30min", "15min", "5min", "min", "30s",
         "7min", "integer"],
)
def test_season_length(frequency, season):
    assert frequency.season_length == season


@pytest.mark.parametrize("alias, first, expected", [
    ("15min", "2024-01-01 23:30", [94, 95, 0, 1]),
    ("h", "2024-01-01 22:00", [22, 23, 0, 1]),
    ("min", "2024-01-01 22:58", [58, 59, 0, 1]),
    ("SMS", "2023-12-01", [22, 23, 0, 1]),
    ("SME", "2023-12-15", [22, 23, 0, 1]),
])
def test_season_phase_counts_steps_within_the_season(alias, first, expected):
    stamps = pd.date_range(first, periods=4, freq=alias).to_numpy()

    np.testing.assert_array_equal(Frequency(alias).season_phase(stamps), expected)


def test_panel_round_trips_to_a_long_frame():
    panel = prepare(long_frame())

    frame = panel.to_frame()

    assert isinstance(panel, Panel)
    expected = long_frame().sort_values(["unique_id", "ds"])[["unique_id", "ds", "y"]]
    np.testing.assert_array_equal(frame["y"], expected["y"])
    np.testing.assert_array_equal(frame["ds"].to_numpy(), expected["ds"].to_numpy())


def test_iso_week_strings_are_dated_on_their_monday_or_written_weekday():
    weeks = [f"2024-W{w:02d}" for w in range(1, 11)]
    panel = prepare(pd.DataFrame({"unique_id": "a", "ds": weeks, "y": np.arange(10.0)}))
    assert panel.frequency.alias == "W-MON"
    assert pd.Timestamp(panel.first_ds[0]) == pd.Timestamp("2024-01-01")  # week 1's Monday
    assert pd.Timestamp(panel.ds(0)[4]) == pd.Timestamp("2024-01-29")
    sundays = [f"2020W{w:02d}-7" for w in range(50, 54)] + ["2021W01-7"]  # 2020 has 53
    panel = prepare(pd.DataFrame({"unique_id": "a", "ds": sundays, "y": np.arange(5.0)}))
    assert panel.frequency.alias == "W-SUN"
    assert pd.Timestamp(panel.last_ds[0]) == pd.Timestamp("2021-01-10")


def test_an_iso_week_the_year_does_not_have_is_named():
    weeks = ["2023-W51", "2023-W52", "2023-W53", "2024-W01"]  # 2023 has 52 ISO weeks
    with pytest.raises(ColumnTypeError, match=r"'2023-W53' \(series 'a'\), which is not a "
                                              r"week of that year in ISO 8601"):
        prepare(pd.DataFrame({"unique_id": "a", "ds": weeks, "y": np.arange(4.0)}))


def test_a_wide_frame_is_told_how_to_become_long():
    wide = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=5, freq="MS"),
                         "store_a": np.arange(5.0), "store_b": np.arange(5.0)})
    with pytest.raises(MissingColumnError, match=r"It looks wide, one column per series beside "
                                                 r"'ds': make it long first, df.melt\(id_vars="
                                                 r"'ds', var_name='unique_id', value_name='y'\)"):
        prepare(wide)
    long = wide.melt(id_vars="ds", var_name="unique_id", value_name="y")
    assert prepare(long).n_series == 2  # what the hint says works
