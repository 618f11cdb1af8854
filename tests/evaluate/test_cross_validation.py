import numpy as np
import pandas as pd
import pytest

from rnncast.errors import DataError
from rnncast.evaluate import cross_validation, evaluate, mase
from rnncast.models import Drift, Naive, SeasonalNaive, WindowAverage
from tests.frames import long_frame


def test_windows_on_integer_steps_end_at_the_last_observation():
    df = long_frame({"a": np.arange(20.0)})
    cv = cross_validation(df, [Naive(2)], h=2, n_windows=3)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "Naive"]
    assert cv["cutoff"].tolist() == [13, 13, 15, 15, 17, 17]
    assert cv["ds"].tolist() == [14, 15, 16, 17, 18, 19]
    np.testing.assert_array_equal(cv["y"], cv["ds"])


def test_step_smaller_than_h_gives_overlapping_windows():
    cv = cross_validation(long_frame({"a": np.arange(20.0)}), Naive(3), h=3, n_windows=2, step=1)
    assert cv["cutoff"].tolist() == [15, 15, 15, 16, 16, 16]
    assert cv["ds"].tolist() == [16, 17, 18, 17, 18, 19]


def test_a_model_forecasting_its_last_training_value_sees_nothing_after_the_cutoff():
    rng = np.random.default_rng(1)
    df = long_frame({"a": rng.normal(size=15), "b": rng.normal(size=11)}, start=3)
    cv = cross_validation(df, [Naive(3)], h=3, n_windows=3, step=2)
    at_cutoff = cv.merge(
        df.rename(columns={"ds": "cutoff", "y": "y_cutoff"}), on=["unique_id", "cutoff"], how="left"
    )
    np.testing.assert_array_equal(at_cutoff["Naive"], at_cutoff["y_cutoff"])
    assert (cv["ds"] > cv["cutoff"]).all()


def test_dated_windows_follow_each_series_own_end_and_are_sorted():
    df = pd.concat(
        [
            long_frame({"b": np.arange(12.0)}, start="2020-01-01", freq="MS"),
            long_frame({"a": np.arange(10.0) * 10}, start="2020-01-01", freq="MS"),
        ]
    )
    cv = cross_validation(df, [Naive(2), Drift(2)], h=2, n_windows=2)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "Naive", "Drift"]
    assert cv["unique_id"].tolist() == ["a"] * 4 + ["b"] * 4
    a = cv[cv["unique_id"] == "a"]
    assert a["cutoff"].tolist() == pd.to_datetime(["2020-06-01"] * 2 + ["2020-08-01"] * 2).tolist()
    assert (
        a["ds"].tolist()
        == pd.to_datetime(["2020-07-01", "2020-08-01", "2020-09-01", "2020-10-01"]).tolist()
    )
    np.testing.assert_array_equal(a["y"], [60, 70, 80, 90])
    np.testing.assert_allclose(a["Drift"], [60, 70, 80, 90])  # a line: drift is exact
    b = cv[cv["unique_id"] == "b"]
    assert b["cutoff"].max() == pd.Timestamp("2020-10-01")
    assert b["ds"].max() == pd.Timestamp("2020-12-01")


def test_models_are_cloned_and_the_originals_stay_unfitted():
    model = Naive(2)
    cross_validation(long_frame({"a": np.arange(10.0)}), [model], h=2)
    assert not hasattr(model, "panel_")


def test_levels_with_a_model_without_intervals_raise_before_fitting():
    with pytest.raises(ValueError, match="Naive gives no intervals.*conformal_windows"):
        cross_validation(long_frame({"a": np.arange(20.0)}), [Naive(2)], h=2, levels=[80])


def test_a_model_horizon_shorter_than_h_is_refused():
    with pytest.raises(ValueError, match="horizon=2, shorter than h=3"):
        cross_validation(long_frame({"a": np.arange(20.0)}), [Naive(2)], h=3)


def test_models_with_the_same_name_are_refused():
    with pytest.raises(ValueError, match="alias"):
        cross_validation(
            long_frame({"a": np.arange(20.0)}), [WindowAverage(2, 2), WindowAverage(2, 3)], h=2
        )


def test_interval_columns_cover_near_nominal_on_gaussian_noise():
    rng = np.random.default_rng(7)
    df = long_frame({f"s{i:03d}": rng.normal(10.0, 1.5, size=40) for i in range(300)})
    model = WindowAverage(2, window=20, alias="avg", conformal_windows=6)
    cv = cross_validation(df, [model], h=2, n_windows=2, levels=[80])
    assert list(cv.columns[-3:]) == ["avg", "avg-lo-80", "avg-hi-80"]
    report = evaluate(cv, metrics=["mae"])
    assert abs(report.loc["avg", "coverage-80"] - 0.8) < 0.05


def test_evaluate_marks_the_better_model_as_best():
    rng = np.random.default_rng(3)
    trend = {f"s{i}": 5.0 * np.arange(30) + rng.normal(size=30) for i in range(4)}
    cv = cross_validation(long_frame(trend), [Naive(3), Drift(3)], h=3, n_windows=2)
    report = evaluate(cv)
    assert list(report.columns) == ["mae", "rmse", "smape", "mase", "best"]
    assert list(report.index) == ["Naive", "Drift"]
    assert report.loc["Drift", "best"] == "mae, rmse, smape, mase"
    assert report.loc["Naive", "best"] == ""
    assert (report.loc["Drift", ["mae", "mase"]] < report.loc["Naive", ["mae", "mase"]]).all()


def test_a_text_column_carried_along_is_named_not_taken_for_a_model():
    from rnncast.evaluate import compare

    trend = {f"s{i}": 5.0 * np.arange(30) + i for i in range(4)}
    cv = cross_validation(long_frame(trend), [Naive(3), Drift(3)], h=3, n_windows=2)
    cv["store"] = "north"
    for function in (evaluate, lambda frame: compare(frame, "Naive")):
        with pytest.raises(ValueError, match=r"column 'store' holds \w+ values, not "
                                             r"forecasts: .* frame.drop\(columns=\['store'\]\)"):
            function(cv)
    assert list(evaluate(cv.drop(columns=["store"])).index) == ["Naive", "Drift"]


def test_evaluate_averages_hand_computable_errors_over_windows_then_series():
    df = long_frame({"a": [0.0, 1, 3, 6, 10], "b": [2.0, 2, 2, 4, 4]})
    cv = cross_validation(df, [Naive(1)], h=1, n_windows=2)
    # a: forecasts 3 for 6, 6 for 10 -> errors 3, 4; b: 2 for 4, 4 for 4 -> 2, 0
    report = evaluate(cv, metrics=["mae", "mase"])
    assert report.loc["Naive", "mae"] == pytest.approx((3.5 + 1.0) / 2)
    # MASE scales at each cutoff from the history up to it, lag 1 (integer steps)
    # a: [0,1,3] -> 1.5, [0,1,3,6] -> 2; b: [2,2,2] -> 0 (NaN), [2,2,2,4] -> 2/3
    expected_a = (3 / 1.5 + 4 / 2) / 2
    expected_b = 0 / (2 / 3)
    assert report.loc["Naive", "mase"] == pytest.approx((expected_a + expected_b) / 2)


def test_mase_from_stored_scales_matches_train_df_and_the_metric():
    rng = np.random.default_rng(5)
    df = long_frame(
        {"a": rng.normal(size=40).cumsum(), "b": rng.normal(size=50).cumsum()},
        start="2019-01-01",
        freq="MS",
    )
    cv = cross_validation(df, [SeasonalNaive(4), Naive(4)], h=4, n_windows=3)
    bare = pd.DataFrame(cv.to_dict("list"))  # no attrs: the scales come from train_df
    pd.testing.assert_frame_equal(
        evaluate(cv, metrics=["mase"]), evaluate(bare, metrics=["mase"], train_df=df)
    )
    window = cv[cv["unique_id"] == "a"].tail(4)  # the last window of "a", attrs kept
    history = df.loc[(df["unique_id"] == "a") & (df["ds"] <= window["cutoff"].iloc[0]), "y"]
    expected = mase(window["y"], window["Naive"], history.to_numpy(), season_length=12)
    assert evaluate(window, metrics=["mase"]).loc["Naive", "mase"] == pytest.approx(expected)


def test_evaluate_needs_the_in_sample_data_for_mase():
    cv = cross_validation(long_frame({"a": np.arange(10.0)}), [Naive(2)], h=2)
    bare = pd.DataFrame(cv.to_dict("list"))
    with pytest.raises(ValueError, match="train_df"):
        evaluate(bare, metrics=["mase"])
    assert evaluate(bare, metrics=["mae"]).loc["Naive", "mae"] == pytest.approx(1.5)


def test_evaluate_per_series_returns_a_long_table():
    df = long_frame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2})
    cv = cross_validation(df, [Naive(2), Drift(2)], h=2, n_windows=2)
    per = evaluate(cv, metrics=["mae", "rmse"], per_series=True)
    assert list(per.columns) == ["unique_id", "model", "metric", "value"]
    assert per[["unique_id", "model", "metric"]].values.tolist() == [
        [uid, model, metric]
        for uid in ("a", "b")
        for model in ("Naive", "Drift")
        for metric in ("mae", "rmse")
    ]
    assert per.set_index(["unique_id", "model", "metric"]).loc[
        ("a", "Drift", "mae"), "value"
    ] == pytest.approx(0)


def test_evaluate_rejects_unknown_metrics():
    cv = cross_validation(long_frame({"a": np.arange(10.0)}), [Naive(2)], h=2)
    with pytest.raises(ValueError, match="unknown metrics \\['mse'\\]"):
        evaluate(cv, metrics=["mae", "mse"])


def test_evaluate_a_forecast_frame_without_cutoff_using_train_df():
    train = long_frame({"a": [1.0, 3, 2, 5]})  # lag-1 scale 2
    forecast = pd.DataFrame({"unique_id": "a", "ds": [4, 5], "y": [4.0, 6], "Naive": 5.0})
    report = evaluate(forecast, metrics=["mae", "mase"], train_df=train)
    assert report.loc["Naive", "mae"] == pytest.approx(1.0)
    assert report.loc["Naive", "mase"] == pytest.approx(0.5)


def test_stored_mase_scales_survive_filtering_and_concatenation():
    df = long_frame({"a": np.arange(12.0) ** 2, "b": np.arange(12.0) % 5})
    cv = cross_validation(df, [Naive(2), Drift(2)], h=2, n_windows=3)
    pieces = pd.concat([cv[cv["unique_id"] == "b"], cv[cv["unique_id"] == "a"]])
    pd.testing.assert_frame_equal(evaluate(pieces), evaluate(cv))


def test_series_too_short_to_backtest_are_left_out_with_a_warning():
    from rnncast.models import ShortSeriesWarning

    frame = long_frame({"long": np.arange(20.0), "short": np.arange(5.0)})
    with pytest.warns(ShortSeriesWarning, match=r"1 series too short to backtest \(a horizon "
                      r"of 3 and 2 window\(s\) 3 steps apart need at least 7 values per "
                      r"series\) left out: 'short' \(5 values\)"):
        cv = cross_validation(frame, [Naive(3)], h=3, n_windows=2)
    assert set(cv.unique_id) == {"long"}
    with pytest.raises(DataError, match="every series is too short to backtest"):
        cross_validation(frame, [Naive(3, conformal_windows=5)], h=3, n_windows=2)


def test_a_model_missing_forecasts_gets_nan_and_a_warning_not_the_best_mark():
    rng = np.random.default_rng(7)
    season = 10 * np.sin(2 * np.pi * np.arange(48) / 12)
    df = long_frame({f"s{k}": 100 + season + rng.normal(0, 1 + 10 * k, 48) for k in range(3)},
                    freq="MS")
    cv = cross_validation(df, [Naive(6), SeasonalNaive(6)], h=6, n_windows=2)
    cv["Broken"] = cv["SeasonalNaive"] * 0.999  # a hair better everywhere it forecasts...
    cv.loc[cv["unique_id"] == "s2", "Broken"] = np.nan  # ...and nothing on the hardest
    with pytest.warns(UserWarning, match=r"'Broken' has no forecast \(NaN\) where actuals "
                                         r"are known, in 1 of 3 series \('s2'\)") as caught:
        table = evaluate(cv)
    assert caught[0].filename == __file__
    assert table.loc["Broken", ["mae", "rmse", "smape", "mase"]].isna().all()
    assert table.loc["Broken", "best"] == ""
    assert "mae" in table.loc["SeasonalNaive", "best"]
    with pytest.warns(UserWarning, match="'Broken' has no forecast"):
        per_series = evaluate(cv, per_series=True)
    broken = per_series[per_series["model"] == "Broken"].set_index(["unique_id", "metric"])
    assert broken.loc["s2", "value"].isna().all() and broken.loc["s0", "value"].notna().all()


def test_evaluate_says_how_to_rename_a_frame_with_the_users_own_column_names():
    cv = pd.DataFrame({"store": ["a"] * 3, "date": [1, 2, 3], "sales": [1.0, 2.0, 3.0],
                       "Naive": [1.0, 1.0, 1.0]})
    with pytest.raises(ValueError, match=r"frame.rename\(columns=\{'<id>': 'unique_id'"):
        evaluate(cv)
    named = long_frame({"a": np.arange(10.0)}).rename(
        columns={"unique_id": "store", "ds": "date", "y": "sales"})
    plain = pd.DataFrame({"unique_id": ["a"] * 2, "ds": [10, 11], "y": [10.0, 11.0],
                          "Naive": [9.0, 9.0]})
    with pytest.raises(DataError, match=r"train_df needs the columns unique_id, ds and y "
                                        r"\(it has \['store', 'date', 'sales'\]\); rename"):
        evaluate(plain, train_df=named)


@pytest.mark.parametrize("fill", ["interpolate", "ffill"])
def test_filling_uses_only_the_data_before_each_cutoff_and_scores_no_invented_actuals(fill):
    values = 100.0 + np.arange(40.0)
    values[33] = np.nan  # the first window's cutoff: its last training value
    values[36] = np.nan  # an actual of the first window, the second window's cutoff
    later = values.copy()
    later[34] = 10_000.0  # the first value after the first cutoff
    runs = [cross_validation(long_frame({"a": v}), Naive(3), h=3, n_windows=2,
                             fill_missing=fill) for v in (values, later)]
    for cv in runs:  # from cutoff 33 the NaN is filled from 132 alone, not towards 134
        assert (cv.loc[cv["cutoff"] == 33, "Naive"] == 132.0).all()
        assert (cv.loc[cv["cutoff"] == 36, "Naive"] == 135.0).all()  # not towards 137
    first = runs[0][runs[0]["cutoff"] == 33]
    assert first["y"].iloc[:2].tolist() == [134.0, 135.0] and np.isnan(first["y"].iloc[2])
    # per window (the NaN actual left out), then over windows: (2.5 + 3) / 2
    assert evaluate(runs[0])["mae"].iloc[0] == pytest.approx(2.75)


def test_a_level_the_rnn_was_not_trained_for_is_refused_before_any_refit(monkeypatch):
    from rnncast.models.rnn import RNNForecaster

    def no_fit(*args, **kwargs):
        raise AssertionError("a refit ran before the level was checked")

    monkeypatch.setattr(RNNForecaster, "_fit_panel", no_fit)
    df = long_frame({"a": np.arange(40.0)})
    with pytest.raises(ValueError, match=r"RNNForecaster: level 90 was not trained: the model "
                                         r"has levels \[80\]"):
        cross_validation(df, RNNForecaster(3, levels=[80]), h=3, levels=[90])
