import re
import warnings

import numpy as np
import pandas as pd
import pytest

from rnncast.errors import DataError, NotFittedError
from rnncast.models import Drift, Forecaster, Naive, SeasonalNaive, WindowAverage
from tests.frames import long_frame


def forecast(model: Forecaster, series: dict, **predict_kwargs) -> dict:
    frame = model.fit(long_frame(series)).predict(**predict_kwargs)
    return {uid: group[model.name].to_numpy() for uid, group in frame.groupby("unique_id")}


def test_naive_repeats_the_last_value():
    out = forecast(Naive(3), {"a": [1, 5, 2], "b": [7]})
    np.testing.assert_array_equal(out["a"], [2, 2, 2])
    np.testing.assert_array_equal(out["b"], [7, 7, 7])


def test_seasonal_naive_repeats_the_last_season():
    out = forecast(SeasonalNaive(5, season_length=3), {"a": [9, 9, 1, 2, 3]})
    np.testing.assert_array_equal(out["a"], [1, 2, 3, 1, 2])


def test_seasonal_naive_on_monthly_data_repeats_the_last_twelve_months():
    values = np.arange(30.0) ** 2
    model = SeasonalNaive(14).fit(long_frame({"a": values}, start="2020-01-01", freq="MS"))
    assert model.season_length_ == 12
    point = model.predict()["SeasonalNaive"].to_numpy()
    np.testing.assert_array_equal(point, np.concatenate([values[-12:], values[-12:-10]]))


def test_seasonal_naive_falls_back_to_naive_for_a_series_shorter_than_a_season():
    out = forecast(SeasonalNaive(4, season_length=3), {"long": [1, 2, 3, 4], "short": [5, 6]})
    np.testing.assert_array_equal(out["long"], [2, 3, 4, 2])
    np.testing.assert_array_equal(out["short"], [6, 6, 6, 6])


def test_drift_extends_the_line_through_the_first_and_last_values():
    out = forecast(Drift(3), {"a": [1, 0, 4], "one": [3]})
    np.testing.assert_allclose(out["a"], [5.5, 7.0, 8.5])  # slope (4 - 1) / 2
    np.testing.assert_array_equal(out["one"], [3, 3, 3])


def test_window_average_means_the_last_window_or_all_of_a_shorter_series():
    out = forecast(WindowAverage(2, window=3), {"a": [100, 1, 2, 6], "b": [4, 8]})
    np.testing.assert_allclose(out["a"], [3, 3])
    np.testing.assert_allclose(out["b"], [6, 6])


@pytest.mark.parametrize(
    "model",
    [
        WindowAverage(2, window=0),
        WindowAverage(2, window=1.5),
        SeasonalNaive(2, season_length=0),
        SeasonalNaive(2, season_length=True),
    ],
)
def test_bad_settings_are_accepted_by_the_constructor_and_named_at_fit(model):
    name, value = next(
        (k, v) for k, v in model.get_params().items() if k in ("window", "season_length")
    )
    with pytest.raises(ValueError, match=rf"{name} must be a positive integer, got {value!r}"):
        model.fit(long_frame({"a": [1, 2, 3]}))


@pytest.mark.parametrize("horizon", [0, -2, 1.0])
def test_bad_horizon_is_named_at_fit(horizon):
    with pytest.raises(ValueError, match=f"horizon must be a positive integer, got {horizon}"):
        Naive(horizon).fit(long_frame({"a": [1, 2, 3]}))


def test_forecast_frame_continues_monthly_dates_for_each_series():
    df = pd.concat(
        [
            long_frame({"a": [1, 2, 3]}, start="2021-01-01", freq="MS"),
            long_frame({"b": [4, 5]}, start="2021-06-01", freq="MS"),
        ]
    )
    frame = Naive(2, alias="last").fit(df).predict()
    assert list(frame.columns) == ["unique_id", "ds", "last"]
    assert frame["unique_id"].tolist() == ["a", "a", "b", "b"]
    assert (
        frame["ds"].tolist()
        == pd.to_datetime(["2021-04-01", "2021-05-01", "2021-08-01", "2021-09-01"]).tolist()
    )
    np.testing.assert_array_equal(frame["last"], [3, 3, 5, 5])


def test_integer_time_steps_continue_after_the_end():
    frame = Drift(2).fit(long_frame({"a": [1.0, 2.0, 3.0]}, start=10)).predict()
    assert frame["ds"].tolist() == [13, 14]
    np.testing.assert_allclose(frame["Drift"], [4, 5])


def test_predict_fewer_steps_than_the_fitted_horizon():
    frame = Naive(6).fit(long_frame({"a": [1, 2], "b": [3, 4]})).predict(h=3)
    assert len(frame) == 6
    assert frame.groupby("unique_id").size().tolist() == [3, 3]


def test_predict_more_steps_than_the_fitted_horizon_raises():
    with pytest.raises(ValueError, match="refit with horizon=4"):
        Naive(3).fit(long_frame({"a": [1, 2]})).predict(h=4)


@pytest.mark.parametrize("model", [Naive(2), SeasonalNaive(2), Drift(2), WindowAverage(2, 3)])
def test_predict_before_fit_raises_not_fitted(model):
    with pytest.raises(NotFittedError, match="call fit"):
        model.predict()


def test_predict_on_new_data_forecasts_after_the_new_data():
    model = WindowAverage(2, window=2).fit(long_frame({"a": [1, 2, 3]}))
    frame = model.predict(df=long_frame({"a": [10, 20, 30, 40, 50]}))
    assert frame["ds"].tolist() == [5, 6]
    np.testing.assert_allclose(frame["WindowAverage"], [45, 45])


@pytest.mark.parametrize(
    "model",
    [
        Naive(4, alias="n", conformal_windows=3),
        SeasonalNaive(4, season_length=7, alias="s", conformal_windows=2),
        Drift(4, alias="d", conformal_windows=1),
        WindowAverage(4, window=5, alias="w", conformal_windows=2),
    ],
)
def test_get_params_and_clone_round_trip_every_setting(model):
    copy = model.clone()
    assert type(copy) is type(model)
    assert copy.get_params() == model.get_params()
    assert {"horizon", "alias", "conformal_windows"} <= set(model.get_params())
    assert model.clone(alias="other").get_params() == {**model.get_params(), "alias": "other"}
    assert repr(copy) == repr(model)


def test_fit_leaves_the_constructor_settings_unchanged():
    model = SeasonalNaive(2).fit(long_frame({"a": [1, 2, 3]}, start="2020-01-01", freq="D"))
    assert model.season_length is None and model.season_length_ == 7
    assert model.clone().get_params()["season_length"] is None


def test_conformal_intervals_are_named_by_alias_and_level_and_contain_the_point():
    rng = np.random.default_rng(0)
    df = long_frame({f"s{i}": rng.normal(size=30).cumsum() for i in range(5)})
    frame = Naive(3, alias="n", conformal_windows=4).fit(df).predict(levels=[80, 95])
    assert list(frame.columns) == [
        "unique_id",
        "ds",
        "n",
        "n-lo-80",
        "n-hi-80",
        "n-lo-95",
        "n-hi-95",
    ]
    assert (frame["n-lo-95"] <= frame["n-lo-80"]).all()
    assert (frame["n-lo-80"] <= frame["n"]).all() and (frame["n"] <= frame["n-hi-80"]).all()


def test_levels_without_conformal_windows_raise_with_the_fix():
    with pytest.raises(ValueError, match=r"construct it with conformal_windows=K \(K >= 1\)"):
        Naive(2).fit(long_frame({"a": [1, 2, 3]})).predict(levels=[80])


def test_conformal_intervals_of_naive_on_random_walks_cover_near_nominal():
    rng = np.random.default_rng(42)
    sigma, h, n = 2.0, 3, 60
    walks = rng.normal(scale=sigma, size=(400, n)).cumsum(axis=1)
    model = Naive(h, conformal_windows=8).fit(
        long_frame({f"s{i:03d}": walk[:-h] for i, walk in enumerate(walks)})
    )
    frame = model.predict(levels=[80])
    actual = walks[:, -h:].reshape(-1)
    covered = (frame["Naive-lo-80"] <= actual) & (actual <= frame["Naive-hi-80"])
    assert abs(covered.mean() - 0.8) < 0.05
    # the k-step naive error of a random walk is N(0, k sigma^2): radius z_0.9 sigma sqrt(k),
    # for the typical series (each series' radius follows its own estimated scale)
    radius = (frame["Naive-hi-80"] - frame["Naive"]).to_numpy().reshape(-1, h)
    np.testing.assert_allclose(np.median(radius, axis=0),
                               1.2816 * sigma * np.sqrt(np.arange(1, h + 1)), rtol=0.1)


def test_conformal_intervals_follow_each_series_scale():
    rng = np.random.default_rng(43)
    small, large = rng.normal(size=(2, 40)).cumsum(axis=1) * np.array([[1.0], [1000.0]])
    model = Naive(2, conformal_windows=5).fit(long_frame({"small": small, "large": large}))
    width = model.predict(levels=[80]).groupby("unique_id")["Naive-hi-80"].first() - (
        model.predict().groupby("unique_id")["Naive"].first())
    assert 200 < width["large"] / width["small"] < 5000


def test_a_series_that_never_changed_gets_an_interval_0_wide():
    """Not one scaled by its level (a flat series at 100 had an 80% interval of -99 to
    299); a single value, with no change to go by, still has its size as its scale."""
    rng = np.random.default_rng(44)
    series = {"flat": np.full(40, 100.0), "walk": 1000 + rng.normal(0, 20, 40).cumsum()}
    model = Naive(3, conformal_windows=4).fit(long_frame(series))
    forecast = model.predict(levels=[80]).set_index("unique_id")
    flat, walk = forecast.loc["flat"], forecast.loc["walk"]
    assert (flat["Naive-lo-80"] == 100.0).all() and (flat["Naive-hi-80"] == 100.0).all()
    assert (walk["Naive-hi-80"] - walk["Naive-lo-80"] > 1).all()
    one_value = long_frame({"flat": [100.0], "walk": [1000.0]}, start=40)
    newer = model.predict(df=one_value, levels=[80]).set_index("unique_id")
    assert (newer["Naive-hi-80"] - newer["Naive-lo-80"] > 1).all()


def test_predict_on_new_data_reads_the_fitted_column_names():
    frame = long_frame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]}).rename(
        columns={"unique_id": "store", "ds": "day", "y": "sales"})
    model = Naive(2).fit(frame, id_col="store", time_col="day", target_col="sales")
    newer = frame.assign(sales=frame.sales * 10)
    forecast = model.predict(df=newer)
    assert forecast.Naive.tolist() == [30.0, 30.0, 60.0, 60.0]


def test_new_data_ending_before_the_fitted_data_warn_that_the_forecast_is_past():
    model = Naive(2).fit(long_frame({"a": np.arange(24.0)}, start="2020-01-01", freq="MS"))
    older = long_frame({"a": np.arange(12.0)}, start="2020-01-01", freq="MS")
    with pytest.warns(UserWarning, match=r"the new data end at 2020-12-01, before the data "
                                         r"Naive was fitted on \(2021-12-01\): the forecast "
                                         r"is for times already past"):
        forecast = model.predict(df=older)
    assert forecast.ds.min() == pd.Timestamp("2021-01-01")  # after the data given
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(df=long_frame({"a": np.arange(25.0)}, start="2020-01-01", freq="MS"))


def test_predict_refuses_new_data_at_another_frequency():
    from rnncast.errors import FrequencyError

    monthly = long_frame({"a": np.arange(24.0)}, start="2020-01-01", freq="MS")
    weekly = long_frame({"a": np.arange(24.0)}, start="2020-01-05", freq="W-SUN")
    model = SeasonalNaive(3).fit(monthly)
    with pytest.raises(FrequencyError, match=r"frequency is weeks dated on Sundays \('W-SUN'\), "
                                             r"but SeasonalNaive was fitted on month starts "
                                             r"\('MS'\).*Give data at month starts \('MS'\)"):
        model.predict(df=weekly)


@pytest.mark.parametrize("new_start, shift", [("2020-01-05", 1), ("2020-01-10", 3),
                                              ("2020-01-09", -3)])  # Sun, Fri, Thu
def test_weeks_dated_on_another_weekday_are_refused_with_the_shift(new_start, shift):
    from rnncast.errors import FrequencyError

    mondays = long_frame({"a": np.arange(24.0)}, start="2020-01-06", freq="W-MON")
    model = Naive(3).fit(mondays)
    other = long_frame({"a": np.arange(24.0)}, start=new_start, freq="7D")
    days = re.escape(f"{shift:+d}")
    with pytest.raises(FrequencyError, match=rf"shift the dates by {days} day\(s\), e\.g\. "
                                             rf"df\[time_col\] \+ pd\.Timedelta\(days={shift}\)"):
        model.predict(df=other)
    other["ds"] += pd.Timedelta(days=shift)
    assert model.predict(df=other).ds.dt.day_name().eq("Monday").all()


def test_too_few_calibration_errors_for_a_level_warn_with_the_windows_needed():
    import warnings

    from rnncast.models import IntervalWarning

    rng = np.random.default_rng(3)
    frame = long_frame({k: rng.normal(size=60) for k in "abc"})
    few = Naive(4, conformal_windows=2).fit(frame)  # 2 windows x 3 series = 6 errors
    with pytest.warns(IntervalWarning, match=r"a 95% conformal interval needs at least 19 "
                      r"calibration errors per step, and there are 6 \(2 window\(s\) x 3 "
                      r"series\).*conformal_windows=7"):
        few.predict(levels=[95])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        few.predict(levels=[80])  # 4 errors are enough at 80%
        Naive(4, conformal_windows=7).fit(frame).predict(levels=[95])


@pytest.mark.parametrize("windows", [-1, 1.5, True])
def test_conformal_windows_must_be_a_whole_number(windows):
    with pytest.raises(ValueError, match="conformal_windows must be a whole number >= 0"):
        Naive(2, conformal_windows=windows).fit(long_frame({"a": [1.0, 2.0, 3.0]}))


def test_predict_on_series_of_one_value_each_takes_the_fitted_frequency():
    """A new product's first month: one value says nothing about the frequency, but the
    model knows it."""
    model = Naive(3).fit(long_frame({"a": [1.0, 2.0, 3.0, 4.0]}, start="2020-01-01", freq="MS"))
    new = pd.DataFrame({"unique_id": ["b", "c"], "ds": pd.to_datetime(["2021-01-01"] * 2),
                        "y": [7.0, 9.0]})
    forecast = model.predict(df=new)
    assert forecast["ds"].drop_duplicates().tolist() == list(
        pd.date_range("2021-02-01", periods=3, freq="MS"))
    assert forecast.groupby("unique_id")["Naive"].first().tolist() == [7.0, 9.0]


@pytest.mark.parametrize(("levels", "message"), [
    (0.8, r"80 for an 80% interval, got 0.8; did you mean 80\?"),
    ([80, 0.95], r"got 0.95; did you mean 95\?"),
    (["80"], r"interval levels are numbers, percentages such as 80 or 95, got '80' \(str\)"),
])
def test_levels_given_as_fractions_or_text_are_refused_with_the_fix(levels, message):
    model = Naive(3, conformal_windows=2).fit(long_frame({"a": np.arange(20.0)}))
    with pytest.raises(ValueError, match=message):
        model.predict(levels=levels)


def test_conformal_windows_the_series_cannot_hold_are_named_with_the_number_that_fits():
    frame = long_frame({f"s{k}": np.arange(20.0) + k for k in range(3)})
    with pytest.raises(DataError, match=r"conformal_windows=4 refits Naive at cutoffs up to 24 "
                                        r"steps .* give fewer windows \(conformal_windows=3 "
                                        r"fits every series\)"):
        Naive(6, conformal_windows=4).fit(frame)
    Naive(6, conformal_windows=3).fit(frame)  # what the message says fits
