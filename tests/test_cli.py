"""The command, run as a user runs it: a real subprocess each time."""

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def rnncast(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rnncast", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def assert_clean_error(result, *fragments):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnncast") and ": error: " in lines[0], (
        result.stderr)
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.fixture(scope="module")
def sales_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    months = pd.date_range("2015-01-01", periods=60, freq="MS")
    frame = pd.concat([pd.DataFrame({
        "store": f"s{k}", "month": months,
        "sales": 100 + 10 * np.sin(np.arange(60) * np.pi / 6) + rng.normal(0, 2, 60)})
        for k in range(4)])
    path = tmp_path_factory.mktemp("data") / "sales.csv"
    frame.to_csv(path, index=False)
    return path


COLUMNS = ["--id-col", "store", "--time-col", "month", "--target-col", "sales"]
SMALL = ["--epochs", "5", "--hidden-size", "8"]


@pytest.fixture(scope="module")
def model_file(sales_csv, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "sales.rnncast"
    result = rnncast("fit", str(sales_csv), "--horizon", "6", *COLUMNS, *SMALL,
                     "--train-levels", "80", "--output", str(path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # messages go to stderr
    return path


def test_fit_then_predict_writes_a_forecast_with_intervals(model_file, tmp_path):
    output = tmp_path / "forecast.csv"
    result = rnncast("predict", str(model_file), "--levels", "80", "--output", str(output),
                     "--plot", str(tmp_path / "forecast.png"))
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(output, parse_dates=["month"])  # the data's column names
    assert list(forecast.columns) == ["store", "month", "RNNForecaster",
                                      "RNNForecaster-lo-80", "RNNForecaster-hi-80"]
    assert len(forecast) == 24 and forecast.month.min() == pd.Timestamp("2020-01-01")
    assert (tmp_path / "forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_reports_the_members_lookbacks_and_chosen_epochs(sales_csv, tmp_path):
    path = tmp_path / "m.rnncast"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "9", "--ensemble", "2", "--anchor", "mean",
                     "--combine", "median", "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    # monthly data, windows of 6 and 9 months: under two seasons, so adjusted by default
    assert ("4 GRU member(s) of 8 units, lookback 6, 9, a season of 12 steps, on seasonally "
            "adjusted values, forecasting their median; trained for ") in result.stderr
    # each of the two members per lookback chose its own epochs: a/b per lookback
    assert re.search(r"trained for \d+/\d+, \d+/\d+ epochs \(lookback 6, 9; 2 times the "
                     r"best epoch on the held-out last horizon, at most 5\)", result.stderr)
    from rnncast.io import load_model

    model = load_model(path)
    assert model.member_lookbacks_ == [6, 6, 9, 9] and set(model.refit_epochs_) == {
        ("gru", 6, 0), ("gru", 6, 1), ("gru", 9, 0), ("gru", 9, 1)}
    assert model.n_ensemble_ == 2
    assert model.combine_ == "median"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "--no-refit", "--window-weights", "equal",
                     "--deseasonalize", "no", "--forecast-from-padding", "no",
                     "--partial-windows", "no", "--pad-with", "first", "--anchor", "last",
                     "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert ("1 GRU member(s) of 8 units, lookback 6, a season of 12 steps, forecasting the "
            "change from each window's last value; best validation loss") in result.stderr
    assert "epochs chosen" not in result.stderr
    model = load_model(path)
    assert model.window_weights == "equal" and model.deseasonalize_ is False
    assert model.forecast_from_padding_ is False  # monthly: 'auto' would have said yes
    assert model.partial_windows_ is False  # likewise
    assert model.pad_with_ == "first"  # likewise
    assert model.anchor_ == "last"
    assert model.combine_ == "mean"  # 'auto' in seasonal data
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "--anchor", "drift", "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert ("forecasting the change from each window's last value and half its drift"
            in result.stderr)
    assert load_model(path).anchor_ == "drift"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "--anchor", "level", "--level-input", "yes",
                     "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert ("forecasting the change from each window's smoothed level (each series' own "
            "smoothing weight), reading each window's level over its scale" in result.stderr)
    model = load_model(path)
    assert model.anchor_ == "level" and model.level_input_ is True
    assert model.level_smoothing_ is None
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "--anchor", "level", "--level-smoothing", "0.5",
                     "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert "each window's smoothed level (smoothing weight 0.5)" in result.stderr
    assert load_model(path).level_smoothing_ == 0.5
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--level-smoothing", "1.5", "--output", str(path), "-q")
    assert result.returncode == 2
    assert ("--level-smoothing must be in (0, 1] (the weight of a window's last value in the "
            "level anchor), or leave it out for each series' own, got 1.5." in result.stderr)
    assert "level over its scale" not in rnncast(
        "fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL, "--lookback", "6",
        "--level-input", "no", "--output", str(path), "-q").stderr
    assert load_model(path).level_input_ is False


def test_drift_input_and_bootstrap_copies_options(sales_csv, tmp_path):
    from rnncast.io import load_model

    path = tmp_path / "model.rnncast"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "--drift-input", "yes", "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert "and the drift of the history before it" in result.stderr
    assert "bootstrapped" not in result.stderr  # monthly: no copies by default
    model = load_model(path)
    assert model.drift_input_ is True and model.bootstrap_copies_ == 0
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--bootstrap-copies", "1", "--output", str(path), "-q")
    assert result.returncode != 0
    assert "bootstrap_copies=1 resamples series without a season" in result.stderr
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--bootstrap-copies", "-1", "--output", str(path), "-q")
    assert result.returncode == 2 and "--bootstrap-copies" in result.stderr
    # yearly sums of the same sales: no season, so a copy of each series by default
    yearly = pd.read_csv(sales_csv, parse_dates=["month"])
    yearly = yearly.groupby(["store", yearly.month.dt.year]).sales.sum().reset_index()
    yearly["month"] = pd.to_datetime(yearly.month.astype(str) + "-01-01")
    yearly_csv = tmp_path / "yearly.csv"
    yearly.to_csv(yearly_csv, index=False)
    result = rnncast("fit", str(yearly_csv), "--horizon", "1", *COLUMNS, *SMALL,
                     "--bootstrap-copies", "2", "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert ("and the drift of the history before it, trained with 2 bootstrapped copies "
            "of each series" in result.stderr)
    model = load_model(path)
    assert model.drift_input_ is True and model.bootstrap_copies_ == 2


def test_summary_counts_each_cells_epochs_from_its_own_runs():
    """Stopped after the LSTM's epoch-choosing run of the last lookback, before its
    member trained: that lookback's LSTM count is its chooser's best epoch, not the
    GRU's runs at the same lookback."""
    from rnncast.cli import _training_summary
    from rnncast.models import RNNForecaster

    values = np.sin(np.arange(40) / 3) + np.arange(40) / 10
    frame = pd.DataFrame({"unique_id": "a", "ds": np.arange(40), "y": values})
    model = RNNForecaster(3, cell=["gru", "lstm"], lookback=[3, 6], epochs=4,
                          hidden_size=4).fit(frame)
    history = model.history_
    last_member = history.run.max()
    assert history[history.run == last_member].cell.iloc[0] == "lstm"
    history = history[history.run != last_member].copy()  # as after Ctrl-C
    choosers = history[history.member < 0]
    best = {(cell, lookback): int(runs.epoch[runs.val_loss.idxmin()])
            for (cell, lookback), runs in choosers.groupby(["cell", "lookback"])}
    # the GRU's chooser at the same lookback scores best, at another epoch than the LSTM's
    gru_rows = choosers[(choosers.cell == "gru") & (choosers.lookback == 6)]
    other = gru_rows.index[gru_rows.epoch != best["lstm", 6]][0]
    history.loc[other, "val_loss"] = choosers.val_loss.min() - 1
    model.history_ = history
    members = model.history_[model.history_.member >= 0]
    trained = members.groupby(["cell", "lookback"]).epoch.max()
    expected = (f"trained for {trained['gru', 3]}, {trained['gru', 6]} (GRU) and "
                f"{trained['lstm', 3]}, {best['lstm', 6]} (LSTM) epochs")
    assert expected in _training_summary(model, interrupted=True)


def test_fit_trains_in_the_processes_asked_for_one_per_core_by_default(sales_csv, tmp_path):
    from rnncast.io import load_model

    forecasts = {}
    for jobs in ([], ["--jobs", "2"], ["--jobs", "1"]):
        path = tmp_path / f"jobs{len(jobs)}{''.join(jobs[1:])}.rnncast"
        result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                         "--lookback", "6", "12", *jobs, "--output", str(path), "-q")
        assert result.returncode == 0, result.stderr
        model = load_model(path)
        forecasts[model.n_jobs] = model.predict()
    assert sorted(forecasts) == [-1, 1, 2]
    pd.testing.assert_frame_equal(forecasts[1], forecasts[2], check_exact=True)
    pd.testing.assert_frame_equal(forecasts[1], forecasts[-1], check_exact=True)


def test_fit_trains_the_cells_named_and_says_so(sales_csv, tmp_path):
    path = tmp_path / "m.rnncast"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "--cell", "gru", "lstm", "--anchor", "mean",
                     "--output", str(path), "-q")
    assert result.returncode == 0, result.stderr
    assert "2 GRU and LSTM member(s) of 8 units, lookback 6," in result.stderr
    assert re.search(r"trained for \d+ \(GRU\) and \d+ \(LSTM\) epochs \(lookback 6;",
                     result.stderr), result.stderr
    from rnncast.io import load_model

    model = load_model(path)
    assert model.cells_ == ("gru", "lstm") and model.member_cells_ == ["gru", "lstm"]
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--cell", "auto", "lstm", "--output", str(path))
    assert_clean_error(result, "--cell auto lstm: 'auto' decides the cells from the data; "
                       "give it alone, or name the cells.")


def test_fit_deseasonalize_yes_on_data_without_a_season_warns_with_the_option(tmp_path):
    years = pd.date_range("1990-01-01", periods=20, freq="YS")
    frame = pd.DataFrame({"unique_id": "s0", "ds": years, "y": 100.0 + np.arange(20)})
    frame.to_csv(tmp_path / "yearly.csv", index=False)
    result = rnncast("fit", str(tmp_path / "yearly.csv"), "--horizon", "3", *SMALL,
                     "--lookback", "6", "--deseasonalize", "yes", "-q",
                     "--output", str(tmp_path / "m.rnncast"))
    assert result.returncode == 0, result.stderr
    assert ("warning: deseasonalize=True adjusted none of the 1 series: their frequency, "
            "year starts ('YS-JAN'), has no season; give --season-length N, the N steps "
            "after which the "
            "pattern repeats") in result.stderr
    assert "no season, forecasting" in result.stderr  # the summary claims no adjustment
    assert "seasonally adjusted (" not in result.stderr


def test_fit_summary_names_a_short_history_without_a_season_among_the_unadjusted(
        tmp_path):
    # 30 months each: a tourist season, and a straight line whose factors are all 1
    months = pd.date_range("2020-01-01", periods=30, freq="MS")
    season = np.array([1.0, 1.5, 1.6, 1.6, 1.8, 1.2, 0.6, 0.4, 0.3, 0.5, 0.5, 0.6])
    t = np.arange(30)
    frame = pd.concat([
        pd.DataFrame({"unique_id": "resort", "ds": months, "y": (100 + t) * season[t % 12]}),
        pd.DataFrame({"unique_id": "line", "ds": months, "y": 100 + 2.0 * t})])
    frame.to_csv(tmp_path / "short.csv", index=False)
    result = rnncast("fit", str(tmp_path / "short.csv"), "--horizon", "6", *SMALL,
                     "-q", "--output", str(tmp_path / "m.rnncast"))
    assert result.returncode == 0, result.stderr
    assert ("1 of 2 series seasonally adjusted (the others have values at or below zero, "
            "fewer than two seasons, or a history that bears out no seasonal pattern; a "
            "series under 3 seasons that fails the seasonality test keeps the share of its "
            "factors its history fits)") in result.stderr
    from rnncast.io import load_model

    for share, fitted in (("own", (0.5, 3)), ("0.25", (0.25, 0))):
        result = rnncast("fit", str(tmp_path / "short.csv"), "--horizon", "6", *SMALL, "-q",
                         "--season-share", share, "--output", str(tmp_path / "m.rnncast"))
        assert result.returncode == 0, result.stderr
        model = load_model(tmp_path / "m.rnncast")
        assert (model.weak_season_share_, model.own_share_seasons_) == fitted
    result = rnncast("fit", str(tmp_path / "short.csv"), "--horizon", "6", "--season-share",
                     "1.5", "--output", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "--season-share: must be 'auto', 'own' or a share in [0, 1], "
                       "got '1.5'")


def test_fit_says_how_many_series_are_forecast_without_the_longer_members(sales_csv,
                                                                          tmp_path):
    path = tmp_path / "m.rnncast"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--lookback", "6", "72", "--forecast-from-padding", "no",
                     "--deseasonalize", "no", "--anchor", "last", "--output", str(path),
                     "-q")
    assert result.returncode == 0, result.stderr
    # the 4 series have 60 values: none fills a lookback of 72
    assert ("2 GRU member(s) of 8 units, lookback 6, 72 (4 series shorter than a lookback, "
            "forecast without the members that read it), a season of 12 steps, forecasting "
            "the change from each window's last value") in result.stderr


def test_warnings_are_one_line_naming_the_series(sales_csv, tmp_path):
    frame = pd.read_csv(sales_csv)
    short = frame[frame.store == "s0"].head(3).assign(store="tiny")  # 3 values, h = 3
    path = tmp_path / "with_short.csv"
    pd.concat([frame, short]).to_csv(path, index=False)
    result = rnncast("fit", str(path), "--horizon", "3", *COLUMNS, *SMALL,
                     "--output", str(tmp_path / "m.rnncast"), "-q")
    assert result.returncode == 0, result.stderr
    warning_lines = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warning_lines) == 1, result.stderr
    assert warning_lines[0].startswith("rnncast: warning: 1 series has fewer than 4 "
                                       "observations") and "'tiny'" in warning_lines[0]
    assert "ShortSeriesWarning" not in result.stderr and ".py:" not in result.stderr


def test_predict_to_stdout_prints_only_the_csv(model_file):
    result = rnncast("predict", str(model_file), "--output", "-", "--horizon", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "store,month,RNNForecaster" and len(lines) == 1 + 4 * 2


def test_predict_after_new_data(model_file, sales_csv, tmp_path):
    newer = pd.read_csv(sales_csv)
    extra = newer.groupby("store").tail(3).assign(
        month=lambda f: (pd.to_datetime(f.month) + pd.DateOffset(months=3)).dt.strftime(
            "%Y-%m-%d"))
    path = tmp_path / "newer.csv"
    pd.concat([newer, extra]).to_csv(path, index=False)
    result = rnncast("predict", str(model_file), "--data", str(path), *COLUMNS, "-o", "-")
    assert result.returncode == 0, result.stderr
    assert "2020-04-01" in result.stdout.splitlines()[1]
    # the model file remembers the columns it was fitted on
    remembered = rnncast("predict", str(model_file), "--data", str(path), "-o", "-")
    assert remembered.returncode == 0, remembered.stderr
    assert remembered.stdout == result.stdout


def test_predict_refuses_new_data_at_another_frequency(model_file, sales_csv, tmp_path):
    quarterly = pd.read_csv(sales_csv).groupby("store").head(12).assign(
        month=lambda f: np.tile(pd.date_range("2015-01-01", periods=12, freq="QS")
                                .strftime("%Y-%m-%d"), 4))
    path = tmp_path / "quarterly.csv"
    quarterly.to_csv(path, index=False)
    result = rnncast("predict", str(model_file), "--data", str(path), "-o", "-")
    assert_clean_error(result, "frequency is quarter starts ('QS-JAN')",
                       "fitted on month starts ('MS')")


def test_single_series_csv_needs_no_column_names(tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=80, freq="D"),
                  "value": np.arange(80.0) % 7}).to_csv(path, index=False)
    model = tmp_path / "one.rnncast"
    fitted = rnncast("fit", str(path), "--horizon", "7", *SMALL, "-o", str(model), "-q")
    assert fitted.returncode == 0, fitted.stderr
    result = rnncast("predict", str(model), "-o", "-")
    assert result.returncode == 0 and len(result.stdout.strip().splitlines()) == 8


def test_backtest_prints_the_metric_table_with_the_best_marked(sales_csv, tmp_path):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", "--windows", "2",
                     *COLUMNS, *SMALL, "--models", "rnn,naive,snaive", "-q",
                     "--output", str(tmp_path / "cv.csv"), "--plot", str(tmp_path / "cv.png"))
    assert result.returncode == 0, result.stderr
    for name in ("RNNForecaster", "Naive", "SeasonalNaive", "mase", "best"):
        assert name in result.stdout
    cv = pd.read_csv(tmp_path / "cv.csv")  # with the data's column names
    assert {"store", "month", "cutoff", "sales", "RNNForecaster"} <= set(cv.columns)
    assert len(cv) == 4 * 2 * 6


def test_backtest_compare_prints_each_model_against_the_baseline(sales_csv):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "naive,snaive,drift", "--compare", "naive")
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("minus Naive's")[1].splitlines()[2:]
    assert table[-1].startswith("(only 4 series: an interval resampled from so few is rough")
    rows = [line.split() for line in table[:-1]]
    assert [row[:2] for row in rows] == [["SeasonalNaive", "smape"], ["SeasonalNaive", "mase"],
                                         ["Drift", "smape"], ["Drift", "mase"]]
    # the sine is seasonal: the seasonal naive forecast beats the naive one on each
    # series, but four series are too few to call that decided
    assert float(rows[1][2]) < 0 and float(rows[1][4]) < 0 and rows[1][-2] == "4"
    assert rows[1][-1] == "False" and "'decided' needs 10 or more" in table[-1]


def test_fit_refuses_a_mean_loss_with_quantile_heads(sales_csv, tmp_path):
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--train-levels", "80", "--loss", "mse", "-o", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "--loss mse with --train-levels: quantile heads train on the "
                       "pinball loss", "leave --loss mae; for a mean with intervals, give "
                       "--conformal-windows K instead of --train-levels")


def test_numbers_with_thousands_commas_need_saying_so(tmp_path):
    weeks = pd.date_range("2022-01-02", periods=40, freq="W-SUN")
    sales = [f"{v:,}" for v in [920, 1040] * 20]  # 1,040
    pd.DataFrame({"unique_id": "a", "ds": weeks, "y": sales}).to_csv(
        tmp_path / "semicolons.csv", sep=";", index=False)
    pd.DataFrame({"unique_id": "a", "ds": weeks, "y": sales}).to_csv(
        tmp_path / "commas.csv", index=False)
    backtest = ["backtest", "--horizon", "4", "--models", "naive", "-o"]
    result = rnncast(*backtest, str(tmp_path / "cv.csv"), str(tmp_path / "semicolons.csv"))
    assert_clean_error(result, "'1,040', which read as 1.040 with a decimal comma and as "
                       "1040 with a comma between thousands. Say which: --thousands , or "
                       "--decimal ,")
    result = rnncast(*backtest, str(tmp_path / "cv.csv"), str(tmp_path / "commas.csv"))
    assert_clean_error(result, "commas between thousands: read the file with --thousands , "
                       "or, if the comma marks decimals, --decimal ,")
    for name in ("semicolons.csv", "commas.csv"):
        result = rnncast(*backtest, str(tmp_path / "cv.csv"), str(tmp_path / name),
                         "--thousands", ",")
        assert result.returncode == 0, result.stderr
        assert set(pd.read_csv(tmp_path / "cv.csv").y) == {920, 1040}


def test_backtest_compare_must_name_one_of_the_models(sales_csv, tmp_path):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "naive,drift", "--compare", "snaive", cwd=tmp_path)
    assert_clean_error(result, "--compare 'snaive'", "naive,drift")


def test_check_gradients_reports_every_parameter_and_passes():
    result = rnncast("check-gradients", "--cell", "gru", "--hidden", "4", "--layers", "2")
    assert result.returncode == 0, result.stderr
    for name in ("input", "initial_h", "weight_ih_l0", "weight_hh_l1", "bias_hh_l1"):
        assert name in result.stdout
    assert "OK: worst" in result.stdout


def test_datasets_lists_and_exports(tmp_path):
    listing = rnncast("datasets")
    assert listing.returncode == 0 and "m3-monthly-sales" in listing.stdout
    result = rnncast("datasets", "m3-monthly-sales", "-o", str(tmp_path / "m3.csv"))
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(tmp_path / "m3.csv")
    assert frame.unique_id.nunique() == 46 and list(frame.columns) == ["unique_id", "ds", "y"]


def test_demo_backtests_compares_with_intervals_and_plots(tmp_path):
    result = rnncast("demo", "-q", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    metrics, rest = result.stdout.split("The RNN's mean error minus each baseline's")
    assert "RNNForecaster" in metrics and "best" in metrics
    comparison, baseline = {}, None  # (baseline, metric) -> [difference, ..., decided]
    for line in rest.split("Forecast of the next")[0].splitlines()[3:]:
        words = line.split()
        if not words:
            continue
        if not line.startswith(" "):  # the baseline is printed once, on its first row
            baseline, words = words[0], words[1:]
        comparison[baseline, words[0]] = words[1:]
    assert set(comparison) == {(name, metric) for name in ("SeasonalNaive", "Naive", "Drift")
                               for metric in ("smape", "mase")}
    # on the bundled sales the RNN's MASE lead over the seasonal naive is beyond chance
    difference, low, high, better, series, decided = comparison["SeasonalNaive", "mase"]
    assert float(high) < 0 and decided == "True" and series == "46"
    assert (tmp_path / "rnncast-demo.png").stat().st_size > 0


def test_seed_notebook_demo_trains_and_compares_with_naive():
    result = rnncast("demo", "--seed-notebook", "--epochs", "30")
    assert result.returncode == 0, result.stderr
    assert "naive" in result.stdout and "forecast for day 16" in result.stdout


@pytest.mark.parametrize("args, fragments", [
    (["fit", "missing.csv", "--horizon", "3", "-o", "m.rnncast"], ["missing.csv"]),
    (["predict", "missing.rnncast", "-o", "-"], ["missing.rnncast"]),
    (["check-gradients", "--hidden", "0"], None),
    (["datasets", "no-such-set"], ["m3-monthly-sales"]),
    (["fit", "data.csv", "--horizon", "3", "--jobs", "0", "-o", "m.rnncast"],
     ["--jobs", "a positive integer, or -1 for one process per core, got '0'"]),
])
def test_errors_are_one_line_with_status_2(args, fragments, tmp_path):
    result = rnncast(*args, cwd=tmp_path)
    if fragments is None:  # usage errors: one line too, pointing at --help
        assert_clean_error(result, "must be a positive integer", "--help")
    else:
        assert_clean_error(result, *fragments)


def test_wrong_column_name_suggests_the_close_one(sales_csv, tmp_path):
    result = rnncast("fit", str(sales_csv), "--horizon", "3", "--id-col", "store",
                     "--time-col", "month", "--target-col", "sale", "-o",
                     str(tmp_path / "m.rnncast"), "-q")
    assert_clean_error(result, "sale", "sales", "--target-col")


def test_non_numeric_values_are_named(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=30),
                  "y": ["x"] + [1.0] * 29}).to_csv(path, index=False)
    result = rnncast("fit", str(path), "--horizon", "3", "-o", str(tmp_path / "m"), "-q")
    assert_clean_error(result, "'x'")


def test_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00garbage\x00\xff" * 10)
    result = rnncast("fit", str(path), "--horizon", "3", "-o", str(tmp_path / "m"), "-q")
    assert_clean_error(result, "binary.csv")


def test_damaged_model_file_is_reported(model_file, tmp_path):
    damaged = tmp_path / "damaged.rnncast"
    damaged.write_bytes(model_file.read_bytes()[:200])
    result = rnncast("predict", str(damaged), "-o", "-")
    assert_clean_error(result, "damaged.rnncast")


def test_debug_shows_the_traceback(tmp_path):
    result = rnncast("--debug", "predict", str(tmp_path / "none.rnncast"), "-o", "-")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_parquet_input_works_like_csv(sales_csv, tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "sales.parquet"
    pd.read_csv(sales_csv, parse_dates=["month"]).to_parquet(path)
    result = rnncast("fit", str(path), "--horizon", "3", *COLUMNS, *SMALL, "-q",
                     "-o", str(tmp_path / "m.rnncast"))
    assert result.returncode == 0, result.stderr


def rewrite_model(source, target, edit_header=None, edit_arrays=None):
    """Copy a model file, changing its header JSON or arrays without fixing the checksum."""
    import json

    with np.load(source, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays["header"].tobytes().decode())
    if edit_header:
        edit_header(header)
    if edit_arrays:
        edit_arrays(arrays)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)


def test_tampered_model_file_is_reported(model_file, tmp_path):
    tampered = tmp_path / "tampered.rnncast"

    def shift_weights(arrays):
        name = next(n for n in arrays if n.endswith("head/bias"))
        arrays[name] = arrays[name] + 1.0

    rewrite_model(model_file, tampered, edit_arrays=shift_weights)
    assert_clean_error(rnncast("predict", str(tampered), "-o", "-"), "tampered.rnncast",
                       "checksum")


def test_newer_format_model_file_asks_for_an_upgrade(model_file, tmp_path):
    newer = tmp_path / "newer.rnncast"
    rewrite_model(model_file, newer,
                  edit_header=lambda header: header.update(format_version=99))
    assert_clean_error(rnncast("predict", str(newer), "-o", "-"), "newer.rnncast", "99",
                       "pgrade")


def test_corrupted_model_file_is_reported(model_file, tmp_path):
    corrupted = tmp_path / "corrupted.rnncast"
    data = bytearray(model_file.read_bytes())
    # a byte of the training data: not a zip header field that readers ignore
    with np.load(model_file, allow_pickle=False) as archive:
        values = archive["panel/values"]
    data[bytes(data).find(values.tobytes()) + values.nbytes // 2] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    assert_clean_error(rnncast("predict", str(corrupted), "-o", "-"), "corrupted.rnncast")


# -- interrupted work ----------------------------------------------------------------------
def wait_for(stream, text, seconds):
    """Read ``stream`` (bytes) until ``text`` appears; all that was read."""
    import os
    import select
    import time

    seen, deadline = b"", time.monotonic() + seconds
    while text.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def _endless_fit(tmp_path, lookbacks, jobs, output):
    """``rnncast fit`` of 30 series of 200 values with 100,000 epochs and as much
    patience, started in the background: it trains until stopped, however fast the
    machine. Its progress goes to a pipe, ``.stderr``."""
    import signal

    rng = np.random.default_rng(1)
    n = 200
    frame = pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": np.arange(n),
                                     "y": np.sin(np.arange(n) / 3 + k) + rng.normal(0, .1, n)})
                       for k in range(30)])
    data = tmp_path / "long.csv"
    frame.to_csv(data, index=False)
    return subprocess.Popen(
        [sys.executable, "-m", "rnncast", "fit", str(data), "--horizon", "3", "--lookback",
         *lookbacks, "--jobs", jobs, "--epochs", "100000", "--patience", "100000",
         "--progress", "-o", str(output)],
        stderr=subprocess.PIPE,
        # a test run started in the background inherits SIGINT ignored, and Python then
        # never raises KeyboardInterrupt: give the command the default a terminal gives
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("lookbacks, jobs", [(["24"], "1"), (["12", "24"], "2")])
def test_ctrl_c_during_fit_saves_the_best_model_so_far(tmp_path, lookbacks, jobs):
    import signal

    from rnncast.io import load_model

    output = tmp_path / "interrupted.rnncast"
    process = _endless_fit(tmp_path, lookbacks, jobs, output)
    try:
        if jobs == "1":
            seen = wait_for(process.stderr, "loss=", 120)  # the progress bar after an epoch
            assert "loss=" in seen, seen
        else:  # one bar over the member sets, whose epochs end in the workers
            seen = wait_for(process.stderr, "member sets in 2 processes", 120)
            assert "member sets" in seen, seen
            _wait_for_training_workers(process.pid)
        process.send_signal(signal.SIGINT)  # to the parent alone: it stops the workers
        rest = process.communicate(timeout=120)[1].decode()
    finally:
        process.kill()
    assert process.returncode == 130, seen + rest
    assert "interrupted after" in rest and "saved the best model so far" in rest, rest
    assert "no series is long enough" not in rest  # it was stopped, not short of data
    assert "Traceback" not in rest
    model = load_model(output)
    assert 1 <= len(model.history_) < 100000
    assert np.isfinite(model.predict().RNNForecaster).all()


def _children(pid):
    """The process ids of ``pid``'s children (Linux's /proc)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def _stat(pid):
    """The fields of /proc/``pid``/stat after the command's name, the state first;
    None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None


def _running(pid):
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has ended, reaped or not


def _cpu_seconds(pid):
    fields = _stat(pid)  # user and system time, fields 14 and 15 of stat, in clock ticks
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_training_workers(pid, workers=2, cpu_seconds=3.0, timeout=120):
    """The ids of ``pid``'s ``workers`` worker processes, once each has computed for
    ``cpu_seconds``: many epochs of the endless fit (tens of milliseconds each), however
    busy the machine, where a fixed sleep may end before the first. Elsewhere than
    Linux, which has no /proc, a sleep of five seconds."""
    import time

    if not sys.platform.startswith("linux"):
        time.sleep(5)
        return set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _children(pid)
        if len(found) >= workers and all(_cpu_seconds(child) >= cpu_seconds for child in found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {workers} workers computed for {cpu_seconds} s within {timeout} s: "
                         f"{ {child: _cpu_seconds(child) for child in _children(pid)} }")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_command_is_killed(tmp_path):
    """SIGKILL (or the system ending the command for memory) cannot be caught: the
    workers notice at their next batch that their parent is gone, rather than train on
    for the 100,000 epochs they were given."""
    import signal
    import time

    process = _endless_fit(tmp_path, ["12", "24"], "2", tmp_path / "never.rnncast")
    workers = set()
    try:
        seen = wait_for(process.stderr, "member sets in 2 processes", 120)
        assert "member sets" in seen, seen
        workers = _wait_for_training_workers(process.pid)
        assert all(_running(worker) for worker in workers)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        deadline = time.monotonic() + 60
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_running, workers))
    finally:
        process.kill()
        for worker in workers:  # if the test failed: leave no worker training
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)


def test_tables_print_one_number_of_decimals_per_column(capsys):
    from rnncast.cli import _print_table

    table = pd.DataFrame({"mae": [503.12, 713.94, 12.5], "mase": [1.08, 1.5624, 0.5],
                          "difference": [-0.02028, 0.0041, np.nan], "series": [46, 46, 3]},
                         index=["RNN", "SeasonalNaive", "Naive"])
    _print_table(table)
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["mae", "mase", "difference", "series"]
    assert rows[1] == ["RNN", "503.1", "1.080", "-0.02028", "46"]
    assert rows[2] == ["SeasonalNaive", "713.9", "1.562", "0.00410", "46"]
    assert rows[3] == ["Naive", "12.5", "0.500", "NaN", "3"]


def test_forgotten_id_column_is_named_not_summed_away(sales_csv, tmp_path):
    result = rnncast("fit", str(sales_csv), "--horizon", "3", "--time-col", "month",
                     "--target-col", "sales", *SMALL, "-o", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "has no 'unique_id' column", "repeats",
                       "name the column that tells them apart: --id-col store")
    assert not (tmp_path / "m.rnncast").exists()


def test_the_id_column_suggested_tells_the_series_apart(tmp_path):
    weeks = pd.date_range("2024-01-07", periods=6, freq="W-SUN")
    rows = [{"store_name": store, "store_sku": f"{store}-{sku}", "week": week, "units": 5}
            for store in ("north", "south") for sku in ("a", "b") for week in weeks]
    pd.DataFrame(rows).to_csv(tmp_path / "skus.csv", index=False)
    base = ["fit", "--horizon", "2", "--time-col", "week", "--target-col", "units", *SMALL]
    result = rnncast(*base, str(tmp_path / "skus.csv"), "-o", str(tmp_path / "m.rnncast"))
    # store_name comes first but repeats each week: store_sku is the id
    assert_clean_error(result, "name the column that tells them apart: --id-col store_sku.")
    pd.DataFrame(rows).drop(columns="store_sku").assign(sku=[r["store_sku"][-1] for r in rows]
                                                         ).to_csv(tmp_path / "two.csv",
                                                                  index=False)
    result = rnncast(*base, str(tmp_path / "two.csv"), "-o", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "--id-col <its column>; no one column does with 'week' (with "
                       "'store_name' it still repeats), so join those that do into one "
                       "column first")
    # named, the product id repeats each week too: the store is what tells its rows apart
    result = rnncast(*base, "--id-col", "sku", str(tmp_path / "two.csv"),
                     "-o", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "If column 'store_name' tells apart series that share an id",
                       "df['sku'] = df['store_name'].astype(str) + '/' + df['sku'].astype(str)")


def test_misspelled_id_column_is_an_error_with_the_close_match(sales_csv, tmp_path):
    result = rnncast("fit", str(sales_csv), "--horizon", "3", "--id-col", "stor",
                     "--time-col", "month", "--target-col", "sales", *SMALL,
                     "-o", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "column 'stor' (id_col) is not in the frame",
                       "did you mean 'store'")


def test_one_series_files_are_named_after_the_file_either_way(tmp_path):
    days = pd.date_range("2023-01-01", periods=40, freq="D")
    values = 50 + 5 * np.sin(np.arange(40) * 2 * np.pi / 7)
    pd.DataFrame({"date": days, "value": values}).to_csv(tmp_path / "shop.csv", index=False)
    for columns in ([], ["--time-col", "date", "--target-col", "value"]):
        result = rnncast("backtest", str(tmp_path / "shop.csv"), "--horizon", "7",
                         "--models", "naive", *columns, "-o", str(tmp_path / "cv.csv"))
        assert result.returncode == 0, result.stderr
        cv = pd.read_csv(tmp_path / "cv.csv")
        assert list(cv.columns[:4]) == ["unique_id", "date", "cutoff", "value"]
        assert set(cv.unique_id) == {"shop"}


def test_backtest_levels_add_intervals_and_their_coverage(sales_csv, tmp_path):
    output = tmp_path / "cv.parquet"
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS, *SMALL,
                     "--models", "rnn,snaive", "--levels", "80", "--conformal-windows", "2",
                     "-q", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert "coverage-80" in result.stdout.splitlines()[0]
    cv = pd.read_parquet(output)  # Parquet, as its name says
    assert {"RNNForecaster-lo-80", "SeasonalNaive-hi-80", "store", "month"} <= set(cv.columns)


def test_backtest_levels_need_conformal_windows_for_the_baselines(sales_csv):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "naive", "--levels", "80")
    assert_clean_error(result, "--levels needs --conformal-windows K", "for naive")


def test_plots_take_their_format_from_the_suffix_and_bad_ones_stop_early(model_file, tmp_path):
    result = rnncast("predict", str(model_file), "-o", str(tmp_path / "f.csv"),
                     "--plot", str(tmp_path / "f.svg"))
    assert result.returncode == 0, result.stderr
    assert b"<svg" in (tmp_path / "f.svg").read_bytes()[:400]
    for plot, fragment in (("f.xyz", "cannot write a plot as .xyz"),
                           ("missing/f.png", "no such directory to write f.png in (--plot)")):
        result = rnncast("predict", str(model_file), "-o", str(tmp_path / "g.csv"),
                         "--plot", str(tmp_path / plot))
        assert_clean_error(result, fragment)
    result = rnncast("predict", str(model_file), "-o", str(tmp_path / "g.csv"),
                     "--plot", str(tmp_path / "g.png"), "--ids", "nope")
    assert_clean_error(result, "ids ['nope'] are not in")
    assert not (tmp_path / "g.csv").exists()  # nothing written before the error


def test_a_closed_pipe_ends_quietly():
    process = subprocess.Popen([sys.executable, "-m", "rnncast", "datasets",
                                "m3-monthly-sales"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    stderr = process.communicate(timeout=60)[1].decode()
    assert process.returncode == 141 and stderr == ""


@pytest.mark.parametrize(("typed", "fragment"), [
    (["--epoch", "5"], "unrecognized arguments: --epoch 5; did you mean --epochs"),
    (["--idcol", "store"], "did you mean --id-col"),
    (["--conformal-windows", "-1"], "must be a whole number >= 0"),
])
def test_options_by_full_name_only_with_suggestions(sales_csv, tmp_path, typed, fragment):
    result = rnncast("fit", str(sales_csv), "--horizon", "3", "-o", str(tmp_path / "m"),
                     *typed)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert "see rnncast fit --help" in result.stderr


def test_dates_in_a_given_format_and_day_first_dates(tmp_path):
    days = pd.date_range("2023-01-01", periods=40, freq="D")
    values = 50 + 5 * np.sin(np.arange(40) * 2 * np.pi / 7)
    for name, written in (("dotted", "%d.%m.%Y"), ("slashed", "%d/%m/%Y")):
        pd.DataFrame({"date": days.strftime(written), "value": values}).to_csv(
            tmp_path / f"{name}.csv", index=False)
    # day first is found on its own where month first fails (13/01/2023)
    result = rnncast("backtest", str(tmp_path / "slashed.csv"), "--horizon", "7",
                     "--models", "naive", "-o", str(tmp_path / "cv.csv"))
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(tmp_path / "cv.csv").date.max() == "2023-02-09"
    result = rnncast("backtest", str(tmp_path / "dotted.csv"), "--horizon", "7",
                     "--models", "naive", "--date-format", "%d.%m.%Y",
                     "-o", str(tmp_path / "cv.csv"))
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(tmp_path / "cv.csv").date.max() == "2023-02-09"
    result = rnncast("backtest", str(tmp_path / "dotted.csv"), "--horizon", "7",
                     "--models", "naive", "--date-format", "%m.%d.%Y")
    assert_clean_error(result, "column 'date' holds '13.01.2023', which does not match "
                       "--date-format '%m.%d.%Y'")


def test_help_shows_the_defaults():
    for command, fragments in (("fit", ["--epochs EPOCHS", "(default: 100)",
                                        "(default: 0.001)", "(default: auto)"]),
                               ("check-gradients", ["(default: lstm)", "(default: 8)"])):
        result = rnncast(command, "--help")
        text = " ".join(result.stdout.split())
        assert result.returncode == 0 and all(f in text for f in fragments), text


def test_fit_says_when_no_series_can_hold_out_a_horizon(sales_csv, tmp_path):
    # 60 months, horizon 24: a lookback of 24 plus two horizons is longer than any series
    result = rnncast("fit", str(sales_csv), "--horizon", "24", *COLUMNS, "--epochs", "2",
                     "--hidden-size", "4", "--windows-per-epoch", "50", "-q",
                     "-o", str(tmp_path / "m.rnncast"))
    assert result.returncode == 0, result.stderr
    assert "so each member trained all 2 epochs (no early stopping)" in result.stderr


def test_season_length_reaches_the_rnn_and_seasonal_naive(sales_csv, tmp_path):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "snaive", "--season-length", "6", "-q",
                     "--output", str(tmp_path / "cv.csv"))
    assert result.returncode == 0, result.stderr
    cv = pd.read_csv(tmp_path / "cv.csv")
    data = pd.read_csv(sales_csv)
    for store, rows in cv.groupby("store"):
        history = data[data.store == store].sales.to_numpy()[:-6]
        # a season of 6 months: the last 6 months repeated, not those of a year before
        np.testing.assert_allclose(rows.SeasonalNaive, history[-6:])

    path = tmp_path / "m.rnncast"
    result = rnncast("fit", str(sales_csv), "--horizon", "3", *COLUMNS, *SMALL,
                     "--season-length", "6", "-q", "-o", str(path))
    assert result.returncode == 0, result.stderr
    from rnncast.io import load_model

    model = load_model(path)
    assert model.season_length_ == 6 and model.member_lookbacks_ == [6, 12, 18]
    assert "a season of 6 steps" in result.stderr
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "naive,drift", "--season-length", "6")
    assert_clean_error(result, "--season-length is read by the rnn and snaive models")


def test_time_zone_option_makes_zoned_stamps_naive(tmp_path):
    # Paris hourly data written with offsets that change at daylight saving
    stamps = pd.date_range("2024-03-30 12:00", periods=48, freq="h", tz="Europe/Paris")
    path = tmp_path / "paris.csv"
    pd.DataFrame({"ds": [s.isoformat() for s in stamps], "y": np.arange(48.0)}).to_csv(
        path, index=False)
    result = rnncast("backtest", str(path), "--horizon", "6", "--models", "naive")
    assert_clean_error(result, "UTC offsets that change (+01:00 and +02:00",
                       "--time-zone utc for naive UTC", "--time-zone local to keep")
    result = rnncast("backtest", str(path), "--horizon", "6", "--models", "naive",
                     "--time-zone", "utc", "-o", str(tmp_path / "cv.csv"))
    assert result.returncode == 0, result.stderr
    expected = stamps[-6:].tz_convert("UTC").tz_localize(None).strftime("%Y-%m-%d %H:%M:%S")
    assert pd.read_csv(tmp_path / "cv.csv").ds.tolist() == expected.tolist()
    # local wall-clock hours: 02:00 on 31 March does not exist in Paris, a gap
    result = rnncast("backtest", str(path), "--horizon", "6", "--models", "naive",
                     "--time-zone", "local")
    assert_clean_error(result, "misses 1 time stamp(s) (frequency hours ('h'))",
                       "after 2024-03-31 01:00:00 (next present: 2024-03-31 03:00:00)")


def test_missing_values_and_gaps_are_named_in_one_error(tmp_path):
    # one NaN in 'a', two days missing in 'b': one run shows both fixes
    days = pd.date_range("2020-01-01", periods=12, freq="D")
    frame = pd.concat([
        pd.DataFrame({"unique_id": "a", "ds": days, "y": np.arange(12.0)}),
        pd.DataFrame({"unique_id": "b", "ds": days.delete([5, 6]), "y": np.arange(10.0)}),
    ])
    frame.loc[3, "y"] = np.nan
    path = tmp_path / "holes.csv"
    frame.to_csv(path, index=False)
    result = rnncast("backtest", str(path), "--horizon", "2", "--models", "naive")
    assert_clean_error(result, "series 'a' has 1 missing value(s)", "Pass --fill-missing ",
                       "series 'b' misses 2 time stamp(s)", "Pass --fill-gaps ")
    result = rnncast("backtest", str(path), "--horizon", "2", "--models", "naive",
                     "--fill-missing", "interpolate", "--fill-gaps", "interpolate",
                     "-o", str(tmp_path / "cv.csv"))
    assert result.returncode == 0, result.stderr
    assert set(pd.read_csv(tmp_path / "cv.csv").unique_id) == {"a", "b"}


def test_outputs_that_would_replace_the_commands_own_inputs_are_refused(sales_csv, model_file,
                                                                        tmp_path):
    before = sales_csv.read_bytes()
    result = rnncast("fit", str(sales_csv), "--horizon", "6", *COLUMNS, *SMALL,
                     "--output", str(sales_csv))
    assert_clean_error(result, "is the data file this command reads", "Name another file")
    assert sales_csv.read_bytes() == before
    model_before = model_file.read_bytes()
    result = rnncast("predict", str(model_file), "-o", str(model_file))
    assert_clean_error(result, "is the model file this command reads")
    assert model_file.read_bytes() == model_before


def test_an_output_that_is_a_folder_is_refused_before_any_work(sales_csv, tmp_path):
    result = rnncast("fit", str(sales_csv), "--horizon", "6", *COLUMNS, *SMALL,
                     "--output", str(tmp_path))
    assert_clean_error(result, "is a folder (--output); name a file to write in it")
    assert "fitting" not in result.stderr  # refused before the training


def test_ids_that_look_like_numbers_or_missing_values_stay_as_written(tmp_path):
    months = pd.date_range("2015-01-01", periods=30, freq="MS").strftime("%Y-%m-%d")
    rows = [f"{store},{month},{100 + k + i % 12}" for k, store in enumerate(["007", "7", "NA"])
            for i, month in enumerate(months)]
    data = tmp_path / "stores.csv"
    data.write_text("store,month,sales\n" + "\n".join(rows) + "\n")
    output = tmp_path / "forecast.csv"
    result = rnncast("fit", str(data), "--horizon", "3", *COLUMNS, *SMALL, "--quiet",
                     "--output", str(tmp_path / "m.rnncast"))
    assert result.returncode == 0, result.stderr
    result = rnncast("predict", str(tmp_path / "m.rnncast"), "-o", str(output))
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(output, dtype={"store": str}, keep_default_na=False)
    assert sorted(set(forecast["store"])) == ["007", "7", "NA"]


def test_european_numbers_get_both_marks_in_the_advice(tmp_path):
    data = tmp_path / "eu.csv"
    months = pd.date_range("2015-01-01", periods=24, freq="MS").strftime("%Y-%m-%d")
    data.write_text("month;sales\n" + "\n".join(f"{m};10.{100 + i},00"
                                                for i, m in enumerate(months)) + "\n")
    result = rnncast("fit", str(data), "--horizon", "3", "--time-col", "month",
                     "--target-col", "sales", *SMALL, "--output", str(tmp_path / "m.rnncast"))
    assert_clean_error(result, "--thousands . --decimal ,")
    result = rnncast("fit", str(data), "--horizon", "3", "--time-col", "month",
                     "--target-col", "sales", *SMALL, "--thousands", ".", "--decimal", ",",
                     "--quiet", "--output", str(tmp_path / "m.rnncast"))
    assert result.returncode == 0, result.stderr


def test_fit_refuses_standard_output_for_its_model_file(sales_csv):
    result = rnncast("fit", str(sales_csv), "--horizon", "6", *COLUMNS, *SMALL, "-o", "-")
    assert_clean_error(result, "fit writes a model file, not a table")


def test_backtest_to_standard_output_keeps_it_one_clean_csv(sales_csv):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "naive,snaive", "--compare", "naive", "-o", "-")
    assert result.returncode == 0, result.stderr
    from io import StringIO

    cv = pd.read_csv(StringIO(result.stdout))
    assert list(cv.columns) == ["store", "month", "cutoff", "sales", "Naive", "SeasonalNaive"]
    assert "mase" in result.stderr and "minus Naive's" in result.stderr  # the tables


def test_backtest_checks_ids_before_the_refits(sales_csv, tmp_path):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS,
                     "--models", "naive", "--plot", str(tmp_path / "b.png"), "--ids", "s9")
    assert_clean_error(result, "ids ['s9'] are not in the data; valid ids include 's0'")
    assert "mae" not in result.stdout  # no table: nothing was backtested


def test_backtest_scores_the_levels_the_heads_were_trained_at(sales_csv):
    result = rnncast("backtest", str(sales_csv), "--horizon", "6", *COLUMNS, *SMALL,
                     "--models", "rnn", "--train-levels", "80", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "coverage-80" in result.stdout
