"""RNNForecaster: behaviour on series with known structure, and the protocol."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from rnncast.errors import DataError, NotFittedError, TrainingError, TrainingInterrupted
from rnncast.evaluate import cross_validation, evaluate
from rnncast.models import Naive, SeasonalNaive
from rnncast.models.rnn import ANCHORS, RNNForecaster, ShortSeriesWarning, TrainingStuckWarning
from rnncast.seed_notebook import SEED_SALES
from tests.frames import long_frame


def monthly(series):
    return long_frame(series, start="2010-01-01", freq="MS")


def ar_series(coefficients, n, count, seed, sigma=1.0, level=0.0):
    rng = np.random.default_rng(seed)
    out = {}
    for k in range(count):
        y = np.zeros(n + 50)
        noise = rng.normal(0, sigma, n + 50)
        for t in range(len(coefficients), n + 50):
            y[t] = sum(c * y[t - 1 - j] for j, c in enumerate(coefficients)) + noise[t]
        out[f"ar_{k}"] = y[50:] + level
    return out


def sine_series(n, count, seed, period=12):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return {f"sine_{k}": 50 + 0.3 * t * (k % 3) + 10 * np.sin(2 * np.pi * t / period + k)
            + rng.normal(0, 1.0, n) for k in range(count)}


FAST = {"hidden_size": 16, "epochs": 40, "batch_size": 64, "learning_rate": 3e-3}


def test_beats_naive_and_seasonal_naive_on_ar2_in_cross_validation():
    df = long_frame(ar_series([0.5, -0.4], 120, 12, seed=0))
    models = [RNNForecaster(3, lookback=12, **FAST), Naive(3), SeasonalNaive(3, season_length=2)]
    cv = cross_validation(df, models, h=3, n_windows=2)
    scores = evaluate(cv, metrics=["mase"])
    assert scores.loc["RNNForecaster", "mase"] < scores.loc["Naive", "mase"]
    assert scores.loc["RNNForecaster", "mase"] < scores.loc["SeasonalNaive", "mase"]


def test_beats_naive_and_seasonal_naive_on_sine_with_trend_in_cross_validation():
    df = monthly(sine_series(96, 12, seed=1))
    models = [RNNForecaster(6, **FAST), Naive(6), SeasonalNaive(6)]
    cv = cross_validation(df, models, h=6, n_windows=2, step=6)
    scores = evaluate(cv, metrics=["mase"])
    assert scores.loc["RNNForecaster", "mase"] < scores.loc["Naive", "mase"]
    assert scores.loc["RNNForecaster", "mase"] < scores.loc["SeasonalNaive", "mase"]


def test_one_step_error_on_ar1_is_close_to_the_noise_level():
    sigma = 2.0
    df = long_frame(ar_series([0.8], 150, 10, seed=2, sigma=sigma))
    cv = cross_validation(df, [RNNForecaster(1, lookback=8, **FAST)], h=1, n_windows=15)
    rmse = np.sqrt(np.mean((cv["y"] - cv["RNNForecaster"]) ** 2))
    assert rmse < 1.2 * sigma  # the best possible one-step RMSE is sigma itself


@pytest.mark.parametrize("source", ["quantile heads", "conformal"])
def test_intervals_cover_near_their_level_on_gaussian_noise(source):
    rng = np.random.default_rng(3)
    df = long_frame({f"n{k}": 20 + rng.normal(0, 1, 100) for k in range(30)})
    options = {"levels": [80]} if source == "quantile heads" else {"conformal_windows": 3}
    model = RNNForecaster(4, lookback=8, **FAST, **options)
    cv = cross_validation(df, [model], h=4, n_windows=2, levels=[80])
    inside = (cv["y"] >= cv["RNNForecaster-lo-80"]) & (cv["y"] <= cv["RNNForecaster-hi-80"])
    assert 0.65 < inside.mean() < 0.95


def test_same_seed_gives_bit_identical_forecasts():
    df = monthly(sine_series(60, 4, seed=4))
    first = RNNForecaster(3, seed=7, n_ensemble=2, **FAST).fit(df).predict()
    second = RNNForecaster(3, seed=7, n_ensemble=2, **FAST).fit(df).predict()
    pd.testing.assert_frame_equal(first, second, check_exact=True)


def test_forecasts_are_in_the_users_units_and_dates():
    df = monthly({"big": 1e6 + 1e4 * np.sin(np.arange(48)), "small": 1e-3 + np.zeros(48)})
    forecast = RNNForecaster(5, **FAST).fit(df).predict()
    assert list(forecast.columns) == ["unique_id", "ds", "RNNForecaster"]
    big = forecast[forecast.unique_id == "big"]
    assert list(big.ds) == list(pd.date_range("2014-01-01", periods=5, freq="MS"))
    assert np.all(np.abs(big.RNNForecaster - 1e6) < 3e4)
    np.testing.assert_allclose(forecast[forecast.unique_id == "small"].RNNForecaster, 1e-3,
                               rtol=2e-2)


def test_predict_after_new_data_without_refitting():
    series = sine_series(72, 3, seed=5)
    model = RNNForecaster(4, **FAST).fit(monthly({k: v[:60] for k, v in series.items()}))
    weights = [w.copy() for w in model.networks_[0].weights()]
    forecast = model.predict(df=monthly(series))
    assert forecast.ds.min() == pd.Timestamp("2016-01-01")  # after the 72 new months
    for before, after in zip(weights, model.networks_[0].weights()):
        np.testing.assert_array_equal(before, after)


def test_shorter_h_returns_the_first_steps():
    df = monthly(sine_series(60, 3, seed=6))
    model = RNNForecaster(6, **FAST).fit(df)
    np.testing.assert_array_equal(model.predict(h=2).RNNForecaster.to_numpy().reshape(3, 2),
                                  model.predict().RNNForecaster.to_numpy().reshape(3, 6)[:, :2])


def test_history_records_each_epoch_and_best_weights_are_restored():
    df = monthly(sine_series(60, 4, seed=8))
    model = RNNForecaster(3, patience=3, refit=False, lookback=12, **FAST).fit(df)
    history = model.history_
    assert {"run", "member", "lookback", "epoch", "loss", "val_loss", "seconds"} <= set(
        history.columns)
    assert history.epoch.tolist() == list(range(1, len(history) + 1))
    assert len(history) <= FAST["epochs"] and model.refit_epochs_ == {}
    # the kept weights are the best epoch's: validation loss of the fitted network
    assert history.member.tolist() == [0] * len(history)


def test_default_lookbacks_are_one_two_and_three_horizons_or_seasons():
    df = monthly(sine_series(60, 2, seed=8))
    options = dict(FAST, epochs=2)
    assert RNNForecaster(6, **options).fit(df).member_lookbacks_ == [12, 24, 36]
    assert RNNForecaster(18, **options).fit(df).member_lookbacks_ == [18, 36, 54]
    integer = sine_series(60, 2, seed=8)
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": np.arange(60), "y": v})
                       for k, v in integer.items()])
    model = RNNForecaster(5, cell="gru", n_ensemble=2, **options).fit(frame)
    assert model.member_lookbacks_ == [5, 5, 10, 10, 15, 15] and model.lookback_ == 15


def test_season_length_given_rules_lookbacks_adjustment_and_seasonal_inputs():
    # hourly data whose pattern repeats weekly (168 hours), not daily (24)
    hours = 24 * 7 * 5
    t = np.arange(hours)
    weekly = 100 + 30 * (t % 168 >= 120) + 5 * np.sin(2 * np.pi * t / 24)
    df = long_frame({"a": weekly, "b": 2 * weekly}, start="2024-01-01", freq="h")
    options = dict(FAST, epochs=2, seasonal_inputs=None, n_ensemble=1)
    by_frequency = RNNForecaster(12, **options).fit(df)
    assert by_frequency.season_length_ == 24
    assert by_frequency.member_lookbacks_ == [24, 48, 72]

    weekly_model = RNNForecaster(12, season_length=168, lookback=[24, 48], **options).fit(df)
    assert weekly_model.season_length_ == 168
    assert weekly_model.deseasonalize_  # a 24-step window holds less than two weeks
    assert weekly_model._seasonal_index.shape == (2, 168)
    assert weekly_model.predict().RNNForecaster.notna().all()
    assert RNNForecaster(12, season_length=168, **options).fit(
        df).member_lookbacks_ == [168, 336, 504]
    # seasonal inputs give the step's place in the week: the same a week later
    assert weekly_model.networks_[0].recurrent.input_size == 3  # value, sin, cos
    stamps = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-08 00:00"])
    phase = weekly_model.panel_.frequency.season_phase(stamps.to_numpy(), 168)
    assert phase[1] == phase[0] + 1 and phase[2] == phase[0]
    with pytest.raises(ValueError, match=r"season_length=841 is longer than the longest "
                                         r"series \(840 values, 'a'\)"):
        RNNForecaster(12, season_length=841, **options).fit(df)


def test_refit_trains_members_on_all_windows_for_twice_the_best_epoch():
    df = monthly(sine_series(60, 4, seed=8))
    model = RNNForecaster(3, patience=3, lookback=[8, 12], anchor="mean", **FAST).fit(df)
    history = model.history_
    assert model.member_lookbacks_ == [8, 12]
    for lookback in (8, 12):
        runs = history[history.lookback == lookback]
        choose, members = runs[runs.member == -1], runs[runs.member >= 0]
        best = int(choose.epoch[choose.val_loss.idxmin()])
        epochs = model.refit_epochs_["gru", lookback, 0]
        assert epochs == min(FAST["epochs"], int(np.ceil(2 * best)))
        assert members.epoch.tolist() == list(range(1, epochs + 1))
        assert members.val_loss.isna().all() and choose.val_loss.notna().all()
    assert sorted(history.run.unique()) == [0, 1, 2, 3]


def test_each_member_chooses_its_own_epochs_and_two_train_in_seasonal_data_by_default():
    few = monthly(sine_series(48, 3, seed=5))  # 3 series: under 1,000 windows
    options = dict(FAST, epochs=6, lookback=[6, 9], patience=2)
    one = RNNForecaster(3, **options).fit(few)
    assert one.n_ensemble_ == 1 and one.member_lookbacks_ == [6, 9]
    two = RNNForecaster(3, n_ensemble=2, **options).fit(few)
    assert two.n_ensemble_ == 2 and two.member_lookbacks_ == [6, 6, 9, 9]
    # member 0 is the one member of n_ensemble=1, to the bit: the same seeds
    for a, b in zip(one.networks_[0].weights(), two.networks_[0].weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # each member's epochs chosen by a run of its own: chooser, member, chooser, member
    runs = two.history_.groupby("run")[["lookback", "member"]].first()
    assert runs.values.tolist() == [[6, -1], [6, 0], [6, -1], [6, 1],
                                    [9, -1], [9, 2], [9, -1], [9, 3]]
    choosers = two.history_[two.history_.member == -1]
    first, second = (choosers[choosers.run == run].val_loss.to_numpy() for run in (0, 2))
    assert not np.array_equal(first[:2], second[:2])  # other seeds, other runs
    for lookback in (6, 9):
        for k in (0, 1):
            trained = two.history_[two.history_.member == 2 * (lookback == 9) + k]
            assert trained.epoch.max() == two.refit_epochs_["gru", lookback, k]
    # the default: two members in seasonal data from 1,000 windows on, one otherwise
    many = monthly(sine_series(60, 30, seed=5))  # 30 x 52 windows of lookback 6
    seasonal = RNNForecaster(3, **dict(options, epochs=1)).fit(many)
    assert seasonal.n_ensemble_ == 2 and len(seasonal.networks_) == 4
    yearly = RNNForecaster(3, **dict(options, epochs=1)).fit(
        long_frame(sine_series(60, 30, seed=5), freq="YS"))
    assert yearly.n_ensemble_ == 1 and yearly.member_cells_ == ["gru", "lstm"] * 2
    assert RNNForecaster(3, n_ensemble=3, **dict(options, epochs=1)).fit(
        many).member_lookbacks_ == [6, 6, 6, 9, 9, 9]


def test_the_forecast_is_the_mean_of_the_members_forecasts():
    df = monthly(sine_series(48, 3, seed=5))
    model = RNNForecaster(3, lookback=[6, 9], n_ensemble=2, **dict(FAST, epochs=3)).fit(df)
    networks, lookbacks = model.networks_, model.member_lookbacks_
    assert lookbacks == [6, 6, 9, 9]
    alone = []
    for network, lookback in zip(networks, lookbacks):
        model.networks_, model.member_lookbacks_ = [network], [lookback]
        alone.append(model.predict().RNNForecaster.to_numpy())
    model.networks_, model.member_lookbacks_ = networks, lookbacks
    np.testing.assert_allclose(model.predict().RNNForecaster, np.mean(alone, axis=0),
                               rtol=1e-12)
    assert np.ptp(alone, axis=0).max() > 0  # the members do differ


def members_alone(model):
    """Each member's forecast on its own (M, rows of predict()); restores the members."""
    networks, lookbacks = model.networks_, model.member_lookbacks_
    alone = []
    for network, lookback in zip(networks, lookbacks):
        model.networks_, model.member_lookbacks_ = [network], [lookback]
        alone.append(model.predict().RNNForecaster.to_numpy())
    model.networks_, model.member_lookbacks_ = networks, lookbacks
    return np.array(alone)


@pytest.mark.parametrize("lookbacks, short_members", [
    ([6, 10, 12], [0, 1]),  # 10 values fill lookbacks 6 and 10 (its own length)
    ([12, 15], [0]),  # shorter than every lookback: the shortest lookback's members
])
def test_a_series_shorter_than_a_lookback_is_forecast_without_its_members(
        lookbacks, short_members):
    series = sine_series(48, 3, seed=5)
    series["sine_2"] = series["sine_2"][-10:]
    model = RNNForecaster(3, lookback=lookbacks, forecast_from_padding=False,
                          **dict(FAST, epochs=3)).fit(monthly(series))
    alone = members_alone(model)  # (M, rows)
    short = model.predict().unique_id.to_numpy() == "sine_2"
    forecast = model.predict().RNNForecaster.to_numpy()
    np.testing.assert_allclose(forecast[~short], alone.mean(axis=0)[~short], rtol=1e-12)
    np.testing.assert_allclose(forecast[short], alone[short_members].mean(axis=0)[short],
                               rtol=1e-12)
    model.forecast_from_padding_ = True  # every member forecasts every series
    np.testing.assert_allclose(model.predict().RNNForecaster, alone.mean(axis=0), rtol=1e-12)
    assert np.abs(alone.mean(axis=0) - forecast)[short].min() > 0


def test_combine_median_forecasts_each_series_median_of_its_members():
    series = sine_series(48, 3, seed=5)
    series["sine_2"] = series["sine_2"][-10:]  # fills lookbacks 6 and 9, not 12 or 15
    model = RNNForecaster(3, lookback=[6, 9, 12, 15], forecast_from_padding=False,
                          combine="median", **dict(FAST, epochs=3)).fit(monthly(series))
    assert model.combine_ == "median"
    alone = members_alone(model)  # (M, rows)
    short = model.predict().unique_id.to_numpy() == "sine_2"
    forecast = model.predict().RNNForecaster.to_numpy()
    np.testing.assert_allclose(forecast[~short], np.median(alone, axis=0)[~short],
                               rtol=1e-12)
    np.testing.assert_allclose(forecast[short], np.median(alone[:2], axis=0)[short],
                               rtol=1e-12)
    assert np.abs(forecast - alone.mean(axis=0))[~short].min() > 0
    model.combine_ = "mean"  # read at forecast time
    np.testing.assert_allclose(model.predict().RNNForecaster[~short],
                               alone.mean(axis=0)[~short], rtol=1e-12)


def test_combine_by_default_median_without_a_season_from_1000_windows(monkeypatch):
    import rnncast.models.rnn as rnn_module

    options = {"epochs": 1, "lookback": [3, 6, 9]}
    values = sine_series(40, 3, seed=5)
    yearly = long_frame(values, start="1900-01-01", freq="YS")
    assert RNNForecaster(3, **options).fit(yearly).combine_ == "mean"  # 105 windows: few
    monkeypatch.setattr(rnn_module, "VERY_SMALL_DATA_WINDOWS", 105)
    assert RNNForecaster(3, **options).fit(yearly).combine_ == "median"
    assert RNNForecaster(3, **options).fit(long_frame(values)).combine_ == "median"
    assert RNNForecaster(3, **options).fit(monthly(values)).combine_ == "mean"
    assert RNNForecaster(3, combine="mean", **options).fit(yearly).combine_ == "mean"
    asked = RNNForecaster(3, combine="median", **options).fit(monthly(values))
    assert asked.combine_ == "median"


def test_combine_is_checked():
    with pytest.raises(ValueError, match=r"combine='trimmed' is not one of \['mean', "
                                         r"'median'\] or None"):
        RNNForecaster(3, combine="trimmed", **FAST).fit(monthly(sine_series(40, 2, 1)))


def test_forecast_from_padding_by_default_only_where_the_data_has_a_season():
    series = sine_series(40, 2, seed=1)
    options = dict(FAST, epochs=1)
    assert RNNForecaster(3, **options).fit(monthly(series)).forecast_from_padding_ is True
    yearly = long_frame(series, start="1980-01-01", freq="YS")
    assert RNNForecaster(3, **options).fit(yearly).forecast_from_padding_ is False
    assert RNNForecaster(3, **options).fit(long_frame(series)).forecast_from_padding_ is False
    forced = RNNForecaster(3, forecast_from_padding=True, **options).fit(yearly)
    assert forced.forecast_from_padding_ is True


def test_short_series_are_padded_with_their_mean_in_seasonal_data():
    series = sine_series(40, 2, seed=1)
    series["new"] = np.r_[np.linspace(50, 150, 6), [150.0] * 4]  # launched 10 months ago
    options = dict(FAST, epochs=1, lookback=[12, 16], deseasonalize=False)
    model = RNNForecaster(3, **options).fit(monthly(series))
    assert model.pad_with_ == "mean"
    panel = model.panel_
    values = panel.values
    windows = model._last_windows(values, panel, 16)  # (S, 16)
    new = panel.ids.tolist().index("new")
    np.testing.assert_allclose(windows[new], np.r_[[values[panel.starts[new]:][:10].mean()] * 6,
                                                   series["new"]])
    yearly = RNNForecaster(3, **options).fit(long_frame(series, start="1980-01-01",
                                                        freq="YS"))
    assert yearly.pad_with_ == "first"
    windows = yearly._last_windows(values, panel, 16)
    np.testing.assert_array_equal(windows[new], np.r_[[50.0] * 6, series["new"]])
    # training: the one window of a series too short for one repeats its inputs' mean
    padded, starts, *_ = model._window_layout(values, panel, 12)
    first = starts[new]
    np.testing.assert_allclose(padded[first:first + 5], series["new"][:7].mean())
    forced = RNNForecaster(3, pad_with="first", **options).fit(monthly(series))
    assert forced.pad_with_ == "first"
    with pytest.raises(ValueError, match=r"pad_with='last' is not one of \['first', 'mean'\]"):
        RNNForecaster(3, pad_with="last", **options).fit(monthly(series))


def test_forecast_from_padding_must_be_a_bool_or_none():
    with pytest.raises(ValueError, match="forecast_from_padding must be True, False or None"):
        RNNForecaster(3, forecast_from_padding="no", **FAST).fit(monthly(sine_series(40, 2, 1)))


def test_dropout_with_one_layer_warns_once_at_fit_and_dropout_is_checked():
    frame = monthly(sine_series(40, 2, 1))
    options = {**FAST, "epochs": 2}
    with pytest.warns(UserWarning, match="dropout=0.3 does nothing with num_layers=1") as caught:
        RNNForecaster(3, dropout=0.3, conformal_windows=2, **options).fit(frame)  # 3 fits
    dropout_warnings = [w for w in caught if "does nothing" in str(w.message)]
    assert len(dropout_warnings) == 1 and dropout_warnings[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        RNNForecaster(3, dropout=0.3, num_layers=2, **options).fit(frame)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        RNNForecaster(3, dropout=1.5, **options).fit(frame)


def test_a_lookback_too_long_to_hold_out_trains_as_long_as_the_previous_one():
    df = monthly(sine_series(29, 3, seed=8))  # 29 values: 12 + 3 + 3 held out fit, 24 not
    model = RNNForecaster(3, patience=3, lookback=[12, 24], **FAST).fit(df)
    history = model.history_
    assert list(model.refit_epochs_) == [("gru", 12, 0)]
    long_member = history[history.lookback == 24]
    assert (long_member.member == 1).all()  # no run to choose epochs for lookback 24
    assert long_member.epoch.max() == model.refit_epochs_["gru", 12, 0]


def test_members_train_on_the_windows_the_epoch_choice_held_out(monkeypatch):
    df = monthly(sine_series(40, 3, seed=8))
    sizes = []
    original = RNNForecaster._train

    def spy(self, network, train, valid, rng, epochs, tags):
        sizes.append((tags["member"], len(train[0]), None if valid is None else len(valid[0])))
        return original(self, network, train, valid, rng, epochs, tags)

    monkeypatch.setattr(RNNForecaster, "_train", spy)
    RNNForecaster(3, lookback=6, anchor="mean", partial_windows=False, **FAST).fit(df)
    # 40 values, windows of 6 + 3: 32 per series; holding out the last 3 values leaves
    # 29, and one window per series forecasts the held-out values
    assert sizes == [(-1, 3 * 29, 3), (0, 3 * 32, None)]
    sizes.clear()
    RNNForecaster(3, lookback=6, refit=False, n_ensemble=2, partial_windows=False,
                  **FAST).fit(df)
    assert sizes == [(0, 3 * 29, 3), (1, 3 * 29, 3)]
    sizes.clear()
    # with partial windows, 2 more per series: horizons that run 1 and 2 steps past the
    # end (of the series, or of the part before the held-out horizon)
    RNNForecaster(3, lookback=6, anchor="mean", **FAST).fit(df)
    assert sizes == [(-1, 3 * 31, 3), (0, 3 * 34, None)]


def _windows(model, df, lookback):
    """``model``'s training windows of ``df`` at ``lookback``: (inputs, targets, weights,
    held_in_weights, held_in, valid)."""
    from rnncast.data import prepare

    panel = prepare(df)
    model.quantiles_ = None
    model.season_length_ = panel.frequency.season_length
    model.pad_with_ = model._pad_with()
    model.deseasonalize_ = model._deseasonalizes(panel, (lookback,),
                                                 model._whole_windows(panel, lookback))
    model.anchor_ = "last"
    model.partial_windows_ = bool(model.partial_windows)
    model.level_input_ = model._level_input(panel, model._whole_windows(panel, lookback))
    model.drift_input_ = bool(model.drift_input)
    values = model._transform_values(panel, fitting=True)
    return model._training_windows(values, panel, lookback, report_short=False)


@pytest.fixture
def training_sizes(monkeypatch):
    """The number of training windows of each run, in the order the runs train."""
    counts = []
    original = RNNForecaster._train

    def spy(self, network, train, valid, rng, epochs, tags):
        counts.append(len(train[0]))
        return original(self, network, train, valid, rng, epochs, tags)

    monkeypatch.setattr(RNNForecaster, "_train", spy)
    return counts


def test_partial_windows_by_default_where_the_data_has_a_season(training_sizes):
    counts = training_sizes
    values = sine_series(40, 1, seed=8)
    # yearly: a GRU and an LSTM (each its epoch-choosing run, then its member), each on
    # the series and its bootstrapped copy
    yearly = RNNForecaster(3, lookback=6, **FAST).fit(long_frame(values, freq="YS"))
    assert yearly.partial_windows_ is False and counts == [58, 64, 58, 64]
    counts.clear()
    monthly_model = RNNForecaster(3, lookback=6, **FAST).fit(monthly(values))
    assert monthly_model.partial_windows_ is True and counts == [31, 34]
    counts.clear()
    RNNForecaster(3, lookback=6, partial_windows=True, cell="gru", bootstrap_copies=0,
                  **FAST).fit(long_frame(values, freq="YS"))
    assert counts == [31, 34]
    with pytest.raises(ValueError, match="partial_windows must be True, False or None"):
        RNNForecaster(3, partial_windows="yes").fit(monthly(values))


def test_partial_windows_score_only_the_targets_their_series_has():
    # two series of 12 and 10 values; the second is 1000 times larger, so a target read
    # from it by the first series' windows would show
    df = long_frame({"a": np.arange(12.0) + 1, "b": 1000 * (np.arange(10.0) + 1)})
    inputs, targets, weights, held_in_weights, held_in, valid = _windows(
        RNNForecaster(3, window_weights="equal", partial_windows=True), df, lookback=4)
    # a: 12 - 7 + 1 = 6 whole windows and 2 partial ones; b: 4 and 2
    assert len(targets) == 14
    known = (weights > 0).sum(axis=1)
    np.testing.assert_array_equal(known, [3] * 6 + [2, 1] + [3] * 4 + [2, 1])
    # with the last value as anchor and a step of 1 (a) or 1000 (b) scaled by the
    # window's mean change, every known target is 1, 2 or 3 and the rest are 0
    expected = np.where(np.arange(3) < known[:, None], np.arange(1, 4), 0)
    np.testing.assert_allclose(targets, expected, rtol=1e-6)
    # holding out each series' last 3 values: windows need a target before them
    held_known = (held_in_weights > 0).sum(axis=1)
    np.testing.assert_array_equal(held_known[held_in], [3] * 3 + [2, 1] + [3] * 1 + [2, 1])
    # the held-out horizon is forecast by one whole window per series
    np.testing.assert_array_equal(known[valid], [3, 3])
    assert (held_in_weights[~held_in] == 0).all()
    np.testing.assert_array_equal(weights[weights > 0], 1.0)


def _window_weights(model, df, lookback):
    """The loss weight ``model`` gives each whole training window of ``df`` at
    ``lookback`` (the weight of its first target)."""
    return _windows(model.clone(partial_windows=False), df, lookback)[2][:, 0]


def test_mase_weights_are_window_scale_over_the_series_naive_error():
    t = np.arange(40.0)
    calm_then_wild = np.where(t < 20, 1.0, 3.0) * np.where(t % 2 == 0, 1.0, -1.0) + 100
    weights = _window_weights(RNNForecaster(2, early_stopping=False),
                              long_frame({"a": calm_then_wild}), lookback=4)
    # changes of 2 in the calm half and 6 in the wild one: a window wholly in the wild
    # half is divided by 6 and weighs three times one wholly in the calm half
    assert weights.mean() == pytest.approx(1.0)
    assert weights[-1] / weights[0] == pytest.approx(3.0)
    equal = _window_weights(RNNForecaster(2, early_stopping=False, window_weights="equal"),
                            long_frame({"a": calm_then_wild}), lookback=4)
    np.testing.assert_array_equal(equal, 1.0)


def test_mase_weights_change_nothing_where_every_window_varies_as_its_series():
    # straight lines change by the same amount at every step: every weight is 1
    df = long_frame({f"line_{k}": 3.0 * k + 1 + (k + 1) * np.arange(30.0) for k in range(4)})
    forecasts = [RNNForecaster(3, window_weights=weights, **TINY).fit(df).predict()
                 for weights in ("mase", "equal")]
    pd.testing.assert_frame_equal(*forecasts)


def test_default_hidden_size_is_smaller_where_there_are_few_windows(monkeypatch):
    import rnncast.models.rnn as rnn_module

    df = monthly(sine_series(40, 3, seed=5))
    options = {"epochs": 2, "lookback": 6}
    assert RNNForecaster(3, **options).fit(df).hidden_size_ == 16
    # 3 series of 40 values give 3 * (40 - 6 - 3 + 1) = 96 windows at lookback 6
    monkeypatch.setattr(rnn_module, "SMALL_DATA_WINDOWS", 96)
    model = RNNForecaster(3, **options).fit(df)
    assert model.hidden_size_ == 32
    assert model.networks_[0].recurrent.hidden_size == 32
    monkeypatch.setattr(rnn_module, "SMALL_DATA_WINDOWS", 97)
    assert RNNForecaster(3, **options).fit(df).hidden_size_ == 16
    assert RNNForecaster(3, hidden_size=8, **options).fit(df).hidden_size_ == 8


def test_default_anchor_is_the_level_where_there_are_few_seasonal_windows(monkeypatch):
    import rnncast.models.rnn as rnn_module

    df = monthly(sine_series(40, 3, seed=5))
    options = {"epochs": 2, "lookback": 6}
    model = RNNForecaster(3, **options).fit(df)
    assert model.anchor_ == "level" and model.history_.anchor_last.all()
    # 3 series of 40 values give 3 * (40 - 6 - 3 + 1) = 96 windows at lookback 6
    monkeypatch.setattr(rnn_module, "VERY_SMALL_DATA_WINDOWS", 96)
    model = RNNForecaster(3, **options).fit(df)
    assert model.anchor_ == "mean" and not model.history_.anchor_last.any()
    monkeypatch.setattr(rnn_module, "VERY_SMALL_DATA_WINDOWS", 97)
    assert RNNForecaster(3, **options).fit(df).anchor_ == "level"
    assert RNNForecaster(3, anchor="mean", **options).fit(df).anchor_ == "mean"
    assert RNNForecaster(3, anchor="last", **options).fit(df).anchor_ == "last"


def test_default_anchor_is_the_drift_where_there_are_few_windows_without_a_season(
        monkeypatch):
    import rnncast.models.rnn as rnn_module

    options = {"epochs": 2, "lookback": 6}
    values = sine_series(40, 3, seed=5)
    for frame in (long_frame(values), long_frame(values, start="1950-01-01", freq="YS")):
        model = RNNForecaster(3, **options).fit(frame)  # integer steps, then years
        assert model.anchor_ == "drift" and model.history_.anchor_last.all()
    monkeypatch.setattr(rnn_module, "VERY_SMALL_DATA_WINDOWS", 96)  # 96 windows
    assert RNNForecaster(3, **options).fit(long_frame(values)).anchor_ == "mean"
    assert RNNForecaster(3, anchor="last", **options).fit(long_frame(values)).anchor_ == "last"


def _input_sizes(model):
    return {network.recurrent.input_size for network in model.networks_}


def test_level_input_by_default_for_never_negative_data_with_many_windows(monkeypatch):
    import rnncast.models.rnn as rnn_module

    options = {"epochs": 2, "lookback": 6, "drift_input": False}
    values = sine_series(40, 3, seed=5)  # about 50 +- 10: never below zero
    frame = long_frame(values)
    model = RNNForecaster(3, **options).fit(frame)
    assert model.level_input_ is False and _input_sizes(model) == {1}  # 96 windows: few
    monkeypatch.setattr(rnn_module, "VERY_SMALL_DATA_WINDOWS", 96)
    model = RNNForecaster(3, **options).fit(frame)
    assert model.level_input_ is True and _input_sizes(model) == {2}
    below_zero = long_frame(dict(values, sine_0=values["sine_0"] - 60))
    assert RNNForecaster(3, **options).fit(below_zero).level_input_ is False
    assert RNNForecaster(3, scaler="series", **options).fit(frame).level_input_ is False
    assert RNNForecaster(3, log=True, **options).fit(frame).level_input_ is False
    # monthly: off where the series are seasonally adjusted
    adjusted = RNNForecaster(3, deseasonalize=True, **options).fit(monthly(values))
    assert adjusted.deseasonalize_ and adjusted.level_input_ is False
    as_they_are = RNNForecaster(3, deseasonalize=False, **options).fit(monthly(values))
    assert as_they_are.level_input_ is True
    # asked for: whatever the data; with seasonal inputs, a fourth input
    asked = RNNForecaster(3, level_input=True, seasonal_inputs=True, deseasonalize=True,
                          **options).fit(monthly(values))
    assert asked.level_input_ is True and _input_sizes(asked) == {4}
    assert RNNForecaster(3, level_input=False, **options).fit(frame).level_input_ is False


def test_drift_input_and_bootstrap_copies_by_default_in_data_without_a_season():
    options = {"epochs": 2, "lookback": 6, "level_input": False}
    values = sine_series(40, 3, seed=5)
    plain = RNNForecaster(3, **options).fit(long_frame(values))  # integer steps
    assert plain.drift_input_ is True and plain.bootstrap_copies_ == 1
    assert _input_sizes(plain) == {2}
    seasonal = RNNForecaster(3, deseasonalize=False, **options).fit(monthly(values))
    assert seasonal.drift_input_ is False and seasonal.bootstrap_copies_ == 0
    assert _input_sizes(seasonal) == {1}
    asked = RNNForecaster(3, drift_input=True, deseasonalize=False, **options).fit(
        monthly(values))
    assert asked.drift_input_ is True and _input_sizes(asked) == {2}
    declined = RNNForecaster(3, drift_input=False, bootstrap_copies=0, **options).fit(
        long_frame(values))
    assert declined.drift_input_ is False and declined.bootstrap_copies_ == 0
    assert _input_sizes(declined) == {1}


def test_bootstrap_copies_add_training_windows_and_forecast_only_the_series(training_sizes):
    counts = training_sizes
    frame = long_frame(sine_series(40, 2, seed=8), freq="YS")
    options = dict(FAST, epochs=2, lookback=6, cell="gru")
    alone = RNNForecaster(3, bootstrap_copies=0, **options).fit(frame)
    with_copies = {k: RNNForecaster(3, bootstrap_copies=k, **options).fit(frame) for k in (1, 2)}
    # each run sees (1 + copies) times the windows: the copies are as long as the series
    assert counts == [2 * 29, 2 * 32, 4 * 29, 4 * 32, 6 * 29, 6 * 32]
    for model in (alone, *with_copies.values()):
        forecast = model.predict()
        assert list(pd.unique(forecast.unique_id)) == ["sine_0", "sine_1"]
        assert len(forecast) == 6 and model.panel_.n_series == 2
    # the copies change what the network learns, and the same seed draws the same ones
    assert not np.allclose(alone.predict().RNNForecaster, with_copies[1].predict().RNNForecaster)
    again = RNNForecaster(3, bootstrap_copies=1, **options).fit(frame)
    np.testing.assert_array_equal(again.predict().RNNForecaster,
                                  with_copies[1].predict().RNNForecaster)
    other_seed = RNNForecaster(3, bootstrap_copies=1, **dict(options, seed=1)).fit(frame)
    assert not np.allclose(other_seed.predict().RNNForecaster,
                           with_copies[1].predict().RNNForecaster)


def test_drift_input_and_bootstrap_copies_are_checked():
    frame = long_frame(sine_series(40, 3, seed=5))
    with pytest.raises(ValueError, match="drift_input must be True, False or None"):
        RNNForecaster(3, drift_input="yes", epochs=1).fit(frame)
    for copies in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match=re.escape(
                f"bootstrap_copies must be a whole number of copies per series (0: none), "
                f"or None (decide from the data), got {copies!r}.")):
            RNNForecaster(3, bootstrap_copies=copies, epochs=1).fit(frame)
    with pytest.raises(ValueError, match=re.escape(
            "bootstrap_copies=2 resamples series without a season, but this data has a "
            "season of 12 steps")):
        RNNForecaster(3, bootstrap_copies=2, epochs=1).fit(monthly(sine_series(40, 3, 5)))
    # none asked of seasonal data is no copy: fine
    assert RNNForecaster(3, bootstrap_copies=0, epochs=1, lookback=6).fit(
        monthly(sine_series(40, 3, 5))).bootstrap_copies_ == 0


def test_the_drift_input_is_the_mean_change_before_the_window_over_its_scale_clipped():
    from rnncast.data.scalers import window_statistics

    model = RNNForecaster(3, dtype="float64")
    model.level_input_, model.drift_input_ = False, True
    windows = np.array([[10.0, 12.0, 11.0],  # mean change 1.5
                        [10.0, 12.0, 11.0],
                        [50.0, 51.0, 52.0],  # mean change 1
                        [5.0, 5.0, 6.0]])  # starts its series (or is padded)
    first_value = np.array([4.0, 16.0, 0.0, 5.0])
    first_step = np.array([4, 2, 5, 0])
    level, scale = window_statistics(windows)
    inputs = model._scaled_inputs(windows, level, scale, (first_value, first_step))
    assert inputs.shape == (4, 3, 2)
    np.testing.assert_allclose(inputs[:, :, 0], (windows - level) / scale)
    # (10 - 4) / 4 = 1.5 per step over 1.5; (10 - 16) / 2 = -3 over 1.5; 50 / 5 = 10 over
    # 1, clipped to 2; 0 where the window starts the series
    expected = np.array([1.0, -2.0, 2.0, 0.0])
    np.testing.assert_allclose(inputs[:, :, 1], np.repeat(expected[:, None], 3, axis=1))


@pytest.mark.parametrize("recursive", [False, True])
def test_the_drift_input_reads_the_history_before_the_window(recursive):
    # two histories with the same last values and different long-run trends: with the
    # drift input one fitted model forecasts them differently, without it alike
    rng = np.random.default_rng(6)
    values = {f"s{k}": 100 + 2 * np.arange(30.0) + rng.normal(0, 1, 30) for k in range(4)}
    df = long_frame(values)
    for drift_input in (False, True):
        model = RNNForecaster(3, lookback=6, drift_input=drift_input, bootstrap_copies=0,
                              recursive=recursive, **dict(FAST, epochs=3)).fit(df)
        recent = values["s0"][-10:]
        rising = long_frame({"s0": np.concatenate([recent[0] - 3 * np.arange(20, 0, -1),
                                                   recent])})
        falling = long_frame({"s0": np.concatenate([recent[0] + 3 * np.arange(20, 0, -1),
                                                    recent])})
        a = model.predict(df=rising).RNNForecaster.to_numpy()
        b = model.predict(df=falling).RNNForecaster.to_numpy()
        assert np.allclose(a, b) is not drift_input


def test_cells_by_default_gru_and_lstm_without_a_season_and_gru_with_one():
    options = {"epochs": 2, "lookback": [3, 6]}
    values = sine_series(40, 3, seed=5)
    mixed = RNNForecaster(3, **options).fit(long_frame(values))  # integer steps: no season
    assert mixed.cells_ == ("gru", "lstm")
    assert list(zip(mixed.member_cells_, mixed.member_lookbacks_)) == [
        ("gru", 3), ("lstm", 3), ("gru", 6), ("lstm", 6)]
    assert [type(network.recurrent).__name__ for network in mixed.networks_] == [
        "GRU", "LSTM", "GRU", "LSTM"]
    # each cell chose its own epochs, in its own held-out run
    assert set(mixed.refit_epochs_) == {("gru", 3, 0), ("lstm", 3, 0), ("gru", 6, 0),
                                        ("lstm", 6, 0)}
    assert (mixed.history_.member == -1).groupby(mixed.history_.run).all().sum() == 4
    # the history says each run's cell: chooser, then member, per cell and lookback
    runs = mixed.history_.groupby("run")[["cell", "lookback", "member"]].first()
    assert runs.values.tolist() == [["gru", 3, -1], ["gru", 3, 0], ["lstm", 3, -1],
                                    ["lstm", 3, 1], ["gru", 6, -1], ["gru", 6, 2],
                                    ["lstm", 6, -1], ["lstm", 6, 3]]
    yearly = RNNForecaster(3, **options).fit(long_frame(values, freq="YS"))
    assert yearly.cells_ == ("gru", "lstm")
    seasonal = RNNForecaster(3, **options).fit(monthly(values))
    assert seasonal.cells_ == ("gru",) and seasonal.member_cells_ == ["gru", "gru"]
    asked = RNNForecaster(3, cell="lstm", **options).fit(long_frame(values))
    assert asked.cells_ == ("lstm",) and asked.member_cells_ == ["lstm", "lstm"]
    both = RNNForecaster(3, cell=["rnn", "gru"], n_ensemble=2, epochs=2, lookback=3).fit(
        monthly(values))
    assert both.member_cells_ == ["rnn", "rnn", "gru", "gru"]


def test_a_mix_of_cells_forecasts_the_mean_of_each_cell_fitted_alone():
    # an AR(1) around zero: no series is never negative, so no forecast is cut at zero
    frame = long_frame(ar_series([0.6], 60, 4, seed=3))
    options = dict(FAST, epochs=5, lookback=[4, 8], dtype="float64")
    mixed = RNNForecaster(2, cell=["gru", "lstm"], **options).fit(frame)
    alone = {cell: RNNForecaster(2, cell=cell, **options).fit(frame) for cell in ("gru", "lstm")}
    for cell, model in alone.items():
        # the same seeds whatever trains beside them: the same members
        members = [n for n, c in zip(mixed.networks_, mixed.member_cells_) if c == cell]
        for in_mix, by_itself in zip(members, model.networks_, strict=True):
            for a, b in zip(in_mix.weights(), by_itself.weights(), strict=True):
                np.testing.assert_array_equal(a, b)
    expected = (alone["gru"].predict().RNNForecaster + alone["lstm"].predict().RNNForecaster) / 2
    np.testing.assert_allclose(mixed.predict().RNNForecaster, expected, rtol=1e-12)


@pytest.mark.parametrize("cell, message", [
    ("transformer", "cell='transformer' is not one of"),
    (["gru", "cnn"], "cell='cnn' is not one of"),
    ([], "cell=[] names no cell"),
    (["gru", "gru"], "names a cell twice; to train more members of one cell, raise n_ensemble"),
])
def test_cell_is_checked(cell, message):
    frame = long_frame(sine_series(40, 3, seed=5))
    with pytest.raises(ValueError, match=re.escape(message)):
        RNNForecaster(3, cell=cell, epochs=1).fit(frame)


def test_level_input_is_checked():
    frame = long_frame(sine_series(40, 3, seed=5))
    with pytest.raises(ValueError, match="level_input must be True, False or None"):
        RNNForecaster(3, level_input="yes", epochs=1).fit(frame)
    with pytest.raises(ValueError, match="only scaler='window' measures; with "
                                         "scaler='series', leave level_input=None"):
        RNNForecaster(3, level_input=True, scaler="series", epochs=1).fit(frame)


def test_the_level_input_is_the_log_of_each_window_mean_over_its_scale_clipped():
    from rnncast.data.scalers import window_statistics

    model = RNNForecaster(3, dtype="float64")
    model.level_input_, model.drift_input_ = True, False
    windows = np.array([[10.0, 12.0, 11.0],  # mean 11, mean change 1.5
                        [0.0, 0.0, 0.0],  # all zero: log 0, clipped to -2
                        [1000.0, 1001.0, 1000.0]])  # mean change 1: log 1000, clipped to 4
    level, scale = window_statistics(windows)
    inputs = model._scaled_inputs(windows, level, scale, None)
    assert inputs.shape == (3, 3, 2) and inputs.dtype == np.float64
    np.testing.assert_allclose(inputs[:, :, 0], (windows - level) / scale)
    expected = (np.array([np.log(11 / 1.5), -2.0, 4.0]) - 3.0) / 4.0
    np.testing.assert_allclose(inputs[:, :, 1], np.repeat(expected[:, None], 3, axis=1))
    model.level_input_ = False
    assert model._scaled_inputs(windows, level, scale, None).shape == (3, 3, 1)


@pytest.mark.parametrize("recursive", [False, True])
def test_the_level_input_tells_a_series_from_the_same_series_shifted(recursive):
    # the window scaler alone sees y and y + 1000 alike: their forecasts differ by 1000
    # exactly; the level input tells them apart (one is near zero, one far from it)
    values = {f"s{k}": 20 + 5 * np.sin(np.arange(30.0) / (k + 2)) for k in range(3)}
    df = long_frame(values)
    shifted = long_frame({name: y + 1000 for name, y in values.items()})
    for level_input in (False, True):
        model = RNNForecaster(3, lookback=6, level_input=level_input, recursive=recursive,
                              dtype="float64", **dict(FAST, epochs=3)).fit(df)
        near = model.predict().RNNForecaster.to_numpy()
        far = model.predict(df=shifted).RNNForecaster.to_numpy() - 1000
        if level_input:
            assert np.abs(near - far).max() > 1e-3
        else:
            np.testing.assert_allclose(near, far, atol=1e-9)


def ses_weight(y):
    """Simple exponential smoothing over the whole series, from its first value: the
    weight of 0.1, 0.15, ..., 1 whose one-step-ahead errors square to the least."""
    errors = {}
    for weight in np.round(np.arange(0.1, 1.0001, 0.05), 2):
        level, total = y[0], 0.0
        for value in y[1:]:
            total += (value - level) ** 2
            level += weight * (value - level)
        errors[weight] = total
    return min(errors, key=errors.get)


@pytest.mark.parametrize("recursive", [False, True])
def test_a_network_that_outputs_zero_forecasts_its_anchor(recursive):
    # trending series: the window's mean and its last value are far apart
    series = {f"trend_{k}": 10.0 * k + 2.0 * np.arange(30.0) + np.sin(np.arange(30.0))
              for k in range(3)}
    df = long_frame(series)
    forecasts = {}
    # "level" weighs the last value 0.7 for every series; "own level" each series' own
    for name, anchor, smoothing in [*((a, a, 0.7) for a in ANCHORS),
                                    ("own level", "level", None)]:
        model = RNNForecaster(4, lookback=5, anchor=anchor, level_smoothing=smoothing,
                              recursive=recursive, **dict(FAST, epochs=2)).fit(df)
        for network in model.networks_:
            network.head.flat_params[...] = 0.0  # outputs 0 for any window
        forecasts[name] = model.predict().RNNForecaster.to_numpy().reshape(3, 4)
    last = np.array([y[-1] for y in series.values()])
    np.testing.assert_allclose(forecasts["last"], np.repeat(last[:, None], 4, axis=1),
                               rtol=1e-12)
    window_mean = np.array([y[-5:].mean() for y in series.values()])
    np.testing.assert_allclose(forecasts["mean"][:, 0], window_mean, rtol=1e-12)
    # the drift: the last value plus half the window's mean step per step ahead; rolled
    # forward one step at a time, each step's window holds the steps before it
    expected = []
    for y in series.values():
        window, path = list(y[-5:]), []
        for k in range(1, 5):
            half_step = 0.5 * (window[-1] - window[0]) / 4
            path.append(window[-1] + half_step * (1 if recursive else k))
            if recursive:
                window = window[1:] + [path[-1]]
        expected.append(path)
    np.testing.assert_allclose(forecasts["drift"], np.array(expected), rtol=1e-12)
    # the level: exponential smoothing with weight 0.7 on each new value over the
    # window, from its first value; rolled forward, each step's window ends with the
    # step before
    def smoothed(weight_of):
        expected = []
        for y in series.values():
            weight, window, path = weight_of(y), list(y[-5:]), []
            for _ in range(4):
                level = window[0]
                for value in window[1:]:
                    level = weight * value + (1 - weight) * level
                path.append(level)
                if not recursive:
                    break
                window = window[1:] + [level]
            expected.append(path if recursive else path * 4)
        return np.array(expected)

    np.testing.assert_allclose(forecasts["level"], smoothed(lambda y: 0.7), rtol=1e-12)
    np.testing.assert_allclose(forecasts["own level"], smoothed(ses_weight),
                               rtol=1e-12)
    # the trending series follow their last values closely: weights well above 0.7
    assert min(ses_weight(y) for y in series.values()) > 0.7


def test_the_level_weights_come_from_the_history_each_forecast_is_given():
    # fitted on trending series (weights near 1), forecast for steady noisy ones: each
    # new series smooths with its own weight, a small one, not the fitted series'
    rng = np.random.default_rng(4)
    trending = long_frame({f"t{k}": 5.0 * k + 2.0 * np.arange(30.0) for k in range(3)})
    steady = {f"s{k}": 50 + rng.normal(0, 3, 30) for k in range(3)}
    model = RNNForecaster(4, lookback=5, anchor="level", **dict(FAST, epochs=2)).fit(trending)
    assert model.level_smoothing_ is None
    for network in model.networks_:
        network.head.flat_params[...] = 0.0
    forecast = model.predict(df=long_frame(steady)).RNNForecaster.to_numpy().reshape(3, 4)
    expected = []
    for y in steady.values():
        weight, level = ses_weight(y), y[-5]
        assert weight < 0.5
        for value in y[-4:]:
            level = weight * value + (1 - weight) * level
        expected.append(level)
    np.testing.assert_allclose(forecast, np.repeat(np.array(expected)[:, None], 4, axis=1),
                               rtol=1e-12)


@pytest.mark.parametrize("smoothing", [0, 1.5, -0.2, True, "0.5", np.nan])
def test_level_smoothing_must_be_a_weight_in_0_1(smoothing):
    with pytest.raises(ValueError, match="level_smoothing must be in \\(0, 1\\]"):
        RNNForecaster(3, anchor="level", level_smoothing=smoothing, **FAST).fit(
            monthly(sine_series(40, 2, 1)))


def test_anchor_must_be_one_of_the_anchors_or_none():
    with pytest.raises(ValueError, match="anchor='median' is not one of"):
        RNNForecaster(3, anchor="median", **FAST).fit(monthly(sine_series(40, 2, 1)))


def test_short_series_are_named_in_a_warning_or_an_error():
    series = sine_series(60, 3, seed=9)
    series["tiny"] = np.arange(3.0)  # horizon 3 + 1 input needs 4
    df = monthly(series)
    with pytest.warns(ShortSeriesWarning, match="'tiny'") as caught:
        forecast = RNNForecaster(3, **FAST).fit(df).predict()
    assert np.isfinite(forecast.RNNForecaster).all() and "tiny" in set(forecast.unique_id)
    # the warning points at the caller's line, not at rnncast's insides
    assert [w.filename for w in caught if w.category is ShortSeriesWarning] == [__file__]
    series["tiny"] = np.arange(5.0)  # 2 values before the cutoff
    with pytest.warns(ShortSeriesWarning, match="'tiny'") as caught:
        cross_validation(monthly(series), [RNNForecaster(3, **dict(FAST, epochs=2))], h=3,
                         n_windows=1)
    assert {w.filename for w in caught if w.category is ShortSeriesWarning} == {__file__}
    with pytest.raises(DataError, match="'tiny'.*drop_short=True"):
        RNNForecaster(3, drop_short=False, **FAST).fit(df)


@pytest.mark.parametrize("name, values", [
    ("constant", np.full(40, 7.0)), ("all zero", np.zeros(40)),
    ("negative", -50 + np.sin(np.arange(40))), ("tiny", 1e-9 * (1 + np.sin(np.arange(40)))),
    ("huge", 1e12 * (1 + 0.1 * np.sin(np.arange(40)))),
])
def test_awkward_series_give_finite_forecasts_in_their_own_scale(name, values):
    df = monthly({name: values, "other": 10 + np.sin(np.arange(40))})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        forecast = RNNForecaster(3, **FAST).fit(df).predict()
    ours = forecast[forecast.unique_id == name].RNNForecaster.to_numpy()
    assert np.isfinite(ours).all()
    spread = max(np.ptp(values), 1e-12 * np.abs(values).max(), 1e-300)
    assert np.all(np.abs(ours - values.mean()) <= 5 * spread + 1e-300)


def test_recursive_one_step_model_forecasts_the_whole_horizon():
    df = monthly(sine_series(60, 3, seed=10))
    forecast = RNNForecaster(5, recursive=True, **FAST).fit(df).predict()
    assert len(forecast) == 15 and np.isfinite(forecast.RNNForecaster).all()


def test_log_needs_positive_values_and_names_the_series():
    df = monthly({"ok": np.arange(1.0, 41.0), "bad": np.arange(-1.0, 39.0)})
    with pytest.raises(DataError, match="'bad'"):
        RNNForecaster(3, log=True, **FAST).fit(df)


def test_predict_before_fit_is_an_error():
    with pytest.raises(NotFittedError):
        RNNForecaster(3).predict()


@pytest.mark.parametrize("option, value", [("cell", "transformer"), ("hidden_size", 0),
                                           ("loss", "hinge"), ("lookback", -1),
                                           ("window_weights", "mape"),
                                           ("season_length", 0), ("season_length", 2.5)])
def test_bad_options_are_named_at_fit(option, value):
    df = monthly(sine_series(40, 2, seed=11))
    with pytest.raises(ValueError, match=option):
        RNNForecaster(3, **{**FAST, option: value}).fit(df)


@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_a_loss_other_than_mae_with_levels_is_refused_not_ignored(loss):
    df = monthly(sine_series(40, 2, seed=12))
    with pytest.raises(ValueError, match=f"loss='{loss}' with levels: .*point forecast is the "
                                         f"median .*give conformal_windows=K instead"):
        RNNForecaster(3, levels=[80], loss=loss, **FAST).fit(df)


def test_untrained_interval_level_is_an_error_naming_the_trained_ones():
    df = monthly(sine_series(40, 2, seed=12))
    model = RNNForecaster(3, levels=[80], **FAST).fit(df)
    assert {"RNNForecaster-lo-80", "RNNForecaster-hi-80"} <= set(model.predict(levels=[80]))
    with pytest.raises(ValueError, match=r"levels \[80\]"):
        model.predict(levels=[95])


def test_quantile_heads_never_cross_and_hold_the_point_forecast():
    # barely trained heads cross often: the outputs are rearranged into level order
    df = monthly(sine_series(40, 3, seed=13))
    model = RNNForecaster(6, levels=[20, 80, 95], hidden_size=8, epochs=2, refit=False,
                          seed=1).fit(df)
    forecast = model.predict(levels=[20, 80, 95])
    bounds = [forecast[f"RNNForecaster-{side}-{level}"].to_numpy()
              for side, level in (("lo", 95), ("lo", 80), ("lo", 20))]
    bounds += [forecast["RNNForecaster"].to_numpy()]
    bounds += [forecast[f"RNNForecaster-hi-{level}"].to_numpy() for level in (20, 80, 95)]
    assert np.all(np.diff(np.stack(bounds), axis=0) >= 0)
    raw = model._quantile_cache[1]
    assert np.array_equal(np.sort(raw, axis=2)[:, :, 3], raw[:, :, 0])  # the median


def test_series_that_never_went_below_zero_are_not_forecast_below_it():
    rng = np.random.default_rng(21)
    counts = {f"item{k}": rng.poisson(0.3, 60).astype(float) for k in range(4)}  # most 0
    counts["swings"] = rng.normal(0, 1, 60)  # a series with negative values is left be
    df = monthly(counts)
    model = RNNForecaster(6, levels=[80], **TINY).fit(df)
    forecast = model.predict(levels=[80])
    items = forecast[forecast.unique_id != "swings"]
    assert (items[["RNNForecaster", "RNNForecaster-lo-80"]].to_numpy() >= 0).all()
    raw = model._quantile_cache[1]
    assert raw[:4].min() >= 0
    conformal = RNNForecaster(6, conformal_windows=2, **TINY).fit(df)
    lo = conformal.predict(levels=[80]).query("unique_id != 'swings'")["RNNForecaster-lo-80"]
    assert (lo >= 0).all()


# -- training health ---------------------------------------------------------------------
TINY = {"hidden_size": 8, "epochs": 6, "batch_size": 16}


def poison_losses(monkeypatch, calls_to_poison):
    """Make the training loss NaN on the given training steps (0-based calls of
    ``_gradients``)."""
    original = RNNForecaster._gradients
    calls = []

    def gradients(self, network, inputs, targets, weights):
        value, norm = original(self, network, inputs, targets, weights)
        calls.append(1)
        return (np.nan, norm) if len(calls) - 1 in calls_to_poison else (value, norm)

    monkeypatch.setattr(RNNForecaster, "_gradients", gradients)


def test_a_non_finite_step_restores_the_weights_and_halves_the_learning_rate(monkeypatch):
    df = monthly(sine_series(48, 3, seed=13))
    poison_losses(monkeypatch, {2})
    model = RNNForecaster(3, early_stopping=False, learning_rate=1e-3, lookback=12,
                          **TINY).fit(df)
    rates = model.history_.learning_rate.to_numpy()
    assert rates[0] == pytest.approx(1e-3 / 2)
    assert np.all(rates == rates[0])
    assert np.isfinite(model.history_.loss).all()
    assert np.isfinite(model.predict().RNNForecaster).all()


def test_training_that_stays_non_finite_raises_a_training_error(monkeypatch):
    df = monthly(sine_series(48, 3, seed=14))
    poison_losses(monkeypatch, set(range(1000)))
    with pytest.raises(TrainingError, match="diverged.*halving the learning rate 5 times"):
        RNNForecaster(3, **TINY).fit(df)


def test_an_exploding_learning_rate_is_recovered_or_named():
    df = monthly(sine_series(48, 3, seed=15))
    model = RNNForecaster(3, optimizer="sgd", learning_rate=1e30, max_grad_norm=None,
                          loss="mse", early_stopping=False, hidden_size=8, epochs=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingStuckWarning)
        try:
            forecast = model.fit(df).predict()
        except TrainingError as error:
            assert "learning rate" in str(error)
        else:
            assert np.isfinite(forecast.RNNForecaster).all()
            assert model.history_.learning_rate.iloc[-1] < 1e30


def test_history_records_gradient_norms_and_saturation():
    df = monthly(sine_series(48, 3, seed=16))
    history = RNNForecaster(3, **TINY).fit(df).history_
    assert {"grad_norm", "saturation", "learning_rate"} <= set(history.columns)
    assert (history.grad_norm > 0).all() and np.isfinite(history.grad_norm).all()
    assert ((history.saturation >= 0) & (history.saturation < 0.5)).all()


def test_the_seed_notebooks_unscaled_setup_warns_that_training_is_stuck():
    # the notebook: Elman RNN, 5 tanh units, 3 days in, SGD at 0.001, batches of 4,
    # sales of about 100 fed as they are
    model = RNNForecaster(1, cell="rnn", hidden_size=5, lookback=3, batch_size=4,
                          optimizer="sgd", learning_rate=1e-3, loss="mse", scaler="none",
                          recursive=True, early_stopping=False, epochs=20)
    with pytest.warns(TrainingStuckWarning, match="saturated.*scaler='window'") as caught:
        model.fit(SEED_SALES)
    assert [w.filename for w in caught if w.category is TrainingStuckWarning] == [__file__]
    assert model.history_.saturation.iloc[-1] > 0.9


def test_a_stuck_fit_warns_once_not_once_per_conformal_refit():
    model = RNNForecaster(1, cell="rnn", hidden_size=5, lookback=3, batch_size=4,
                          optimizer="sgd", learning_rate=1e-3, loss="mse", scaler="none",
                          recursive=True, early_stopping=False, epochs=20,
                          conformal_windows=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(SEED_SALES)
        model.fit(SEED_SALES)  # a second fit warns again
    stuck = [w for w in caught if w.category is TrainingStuckWarning]
    assert len(stuck) == 2 and all(w.filename == __file__ for w in stuck)


def test_the_seed_configuration_scaled_trains_without_warning():
    model = RNNForecaster(1, cell="rnn", hidden_size=5, lookback=3, batch_size=4,
                          optimizer="sgd", learning_rate=1e-3, loss="mse", scaler="window",
                          recursive=True, early_stopping=False, epochs=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingStuckWarning)
        model.fit(SEED_SALES)


def test_saturation_from_a_tiny_seasonal_scale_names_that_cause():
    # strongly seasonal, little noise, crossing zero (so not seasonally adjusted): each
    # window's mean absolute change over a season is tiny beside its swings
    rng = np.random.default_rng(1)
    t = np.arange(108)
    series = {f"s{k}": 10 * (1 + 3 * np.sin(2 * np.pi * t / 12 + k)) + rng.normal(0, 0.5, 108)
              for k in range(10)}
    with pytest.warns(TrainingStuckWarning, match=r"scaled inputs reach \+-\d+.*"
                                                  r"scaler='series'"):
        RNNForecaster(12, hidden_size=16).fit(monthly(series))


def test_vanished_gradients_with_a_high_loss_warn(monkeypatch):
    df = monthly(sine_series(48, 3, seed=17))
    original = RNNForecaster._gradients

    def tiny_gradients(self, network, inputs, targets, weights):
        loss, _ = original(self, network, inputs, targets, weights)
        return loss, 1e-9

    monkeypatch.setattr(RNNForecaster, "_gradients", tiny_gradients)
    with pytest.warns(TrainingStuckWarning, match="gradient norm fell"):
        RNNForecaster(3, **TINY).fit(df)


def test_interrupted_training_keeps_the_best_weights_and_a_usable_model(monkeypatch):
    df = monthly(sine_series(48, 3, seed=18))
    original = RNNForecaster._gradients
    calls = []

    def interrupt_later(self, network, inputs, targets, weights):
        calls.append(1)
        if len(calls) == 12:
            raise KeyboardInterrupt
        return original(self, network, inputs, targets, weights)

    monkeypatch.setattr(RNNForecaster, "_gradients", interrupt_later)
    with pytest.raises(TrainingInterrupted) as caught:
        RNNForecaster(3, n_ensemble=2, **TINY).fit(df)
    model = caught.value.model
    assert isinstance(caught.value, KeyboardInterrupt) and model is not None
    assert 1 <= len(model.history_) < TINY["epochs"] and len(model.networks_) == 1
    assert np.isfinite(model.predict().RNNForecaster).all()


def test_interrupted_before_an_epoch_ends_gives_no_model(monkeypatch):
    def interrupt(self, network, inputs, targets, weights):
        raise KeyboardInterrupt

    monkeypatch.setattr(RNNForecaster, "_gradients", interrupt)
    with pytest.raises(TrainingInterrupted) as caught:
        RNNForecaster(3, **TINY).fit(monthly(sine_series(48, 3, seed=19)))
    assert caught.value.model is None


def test_interrupted_as_the_first_member_starts_keeps_the_run_that_chose_the_epochs(
        monkeypatch):
    original = RNNForecaster._train

    def interrupt_members(self, network, train, valid, rng, epochs, tags):
        if tags["member"] >= 0:  # Ctrl-C before the member's first epoch ends
            raise TrainingInterrupted([])
        return original(self, network, train, valid, rng, epochs, tags)

    monkeypatch.setattr(RNNForecaster, "_train", interrupt_members)
    with pytest.raises(TrainingInterrupted) as caught:
        RNNForecaster(3, lookback=6, **TINY).fit(monthly(sine_series(48, 3, seed=19)))
    model = caught.value.model
    assert model is not None and model.member_lookbacks_ == [6]
    assert (model.history_.member == -1).all() and len(model.history_) >= 1
    assert np.isfinite(model.predict().RNNForecaster).all()


@pytest.mark.parametrize("option, inputs", [(None, 3), (True, 3), (False, 1)])
def test_seasonal_inputs_follow_the_frequency_unless_turned_off(option, inputs):
    model = RNNForecaster(3, seasonal_inputs=option, **FAST).fit(monthly(sine_series(40, 2, 13)))
    assert model.networks_[0].recurrent.input_size == inputs
    assert np.isfinite(model.predict().RNNForecaster).all()


@pytest.mark.parametrize("scaler", ["window", "series", "none"])
def test_a_constant_series_is_forecast_flat_with_every_scaler(scaler):
    df = monthly({"flat": np.full(30, 0.25), "zero": np.zeros(30),
                  "moving": 10 + np.sin(np.arange(30))})
    forecast = RNNForecaster(3, scaler=scaler, **TINY).fit(df).predict()
    by_id = forecast.groupby("unique_id").RNNForecaster.apply(list)
    assert by_id["flat"] == [0.25] * 3 and by_id["zero"] == [0.0] * 3


def multiplicative_seasonal(n, count, seed):
    rng = np.random.default_rng(seed)
    pattern = 1 + 0.4 * np.sin(2 * np.pi * np.arange(12) / 12)
    t = np.arange(n)
    return {f"s{k}": (100 + 2 * k + 0.5 * t) * pattern[(t + k) % 12]
            * rng.normal(1, 0.01, n) for k in range(count)}


def test_a_few_series_of_two_to_three_seasons_are_seasonally_adjusted_by_default():
    # two years of monthly values and a half: enough for factors; 23 values are not
    series = multiplicative_seasonal(30, 3, seed=4)
    series["s2"] = series["s2"][:23]
    model = RNNForecaster(3, **FAST).fit(monthly(series))
    assert model.deseasonalize_
    assert model._seasonally_adjusted().tolist() == [True, True, False]
    forecast = model.predict()
    assert np.isfinite(forecast["RNNForecaster"]).all()


def test_deseasonalize_by_default_where_the_shortest_window_holds_under_two_seasons(
        monkeypatch):
    import rnncast.models.rnn as rnn_module

    # however many windows there are: as if there were too many to count as small data
    monkeypatch.setattr(rnn_module, "SMALL_DATA_WINDOWS", 0)
    series = multiplicative_seasonal(72, 6, seed=3)
    monthly_model = RNNForecaster(6, **FAST).fit(monthly(series))  # lookback 12 < 24
    assert monthly_model.deseasonalize_
    long_horizon = RNNForecaster(24, lookback=24, **FAST).fit(monthly(series))
    assert not long_horizon.deseasonalize_
    assert RNNForecaster(6, deseasonalize=False, **FAST).fit(monthly(series)).deseasonalize_ \
        is False
    yearly = long_frame(series, start="1950-01-01", freq="YS")
    assert not RNNForecaster(3, **FAST).fit(yearly).deseasonalize_  # no season


def test_deseasonalize_by_default_where_there_are_few_windows(monkeypatch):
    import rnncast.models.rnn as rnn_module

    df = monthly(multiplicative_seasonal(72, 2, seed=3))
    options = {"lookback": 24, "epochs": 2}  # two whole seasons in every window
    # 2 series of 72 values give 2 * (72 - 24 - 6 + 1) = 86 windows at lookback 24
    assert RNNForecaster(6, **options).fit(df).deseasonalize_
    monkeypatch.setattr(rnn_module, "SMALL_DATA_WINDOWS", 86)
    assert not RNNForecaster(6, **options).fit(df).deseasonalize_
    monkeypatch.setattr(rnn_module, "SMALL_DATA_WINDOWS", 87)
    assert RNNForecaster(6, **options).fit(df).deseasonalize_
    assert not RNNForecaster(6, deseasonalize=False, **options).fit(df).deseasonalize_


def test_few_short_series_that_fail_the_seasonality_test_keep_the_share_they_fit(
        monkeypatch):
    import rnncast.models.rnn as rnn_module
    from rnncast.data.scalers import is_seasonal, seasonal_indices

    # 2.5 years of a tourist season (the peak six times the trough): too few pairs at
    # lag 12 for the seasonality test, which every series fails
    season = np.array([1.0, 1.5, 1.6, 1.6, 1.8, 1.2, 0.6, 0.4, 0.3, 0.5, 0.5, 0.6])
    rng = np.random.default_rng(2)
    t = np.arange(36)
    series = {f"s{k}": (100 + 3 * k + t) * season[(t + k) % 12] * rng.normal(1, 0.02, 36)
              for k in range(3)}
    assert not any(is_seasonal(y[:30], 12) for y in series.values())
    train = monthly({k: y[:30] for k, y in series.items()})
    actual = np.array([y[30:] for y in series.values()])
    model = RNNForecaster(6, **FAST).fit(train)
    assert model.own_share_seasons_ == 3 and model.weak_season_share_ == 0.5
    # each keeps all of its factors, which fit its history better than half of them
    panel = model.panel_
    np.testing.assert_array_equal(
        model._seasonal_index, seasonal_indices(panel.values, panel.starts, 12, 1.0))
    own = model.predict().RNNForecaster.to_numpy().reshape(3, 6)
    fitted_index = model._seasonal_index.copy()
    # new data choose afresh: at 36 values (three seasons) a series that fails the test
    # keeps half; at 30, its own share
    longer = monthly({"s0": series["s0"], "s1": series["s1"][:30]})
    assert not is_seasonal(series["s0"], 12)
    model.predict(df=longer)
    starts = np.array([0, 36, 66])
    full_then = seasonal_indices(longer.y.to_numpy(), starts, 12, 1.0)
    np.testing.assert_allclose(model._seasonal_index[0] - 1, 0.5 * (full_then[0] - 1),
                               rtol=1e-12)
    np.testing.assert_array_equal(model._seasonal_index[1], full_then[1])
    # with many windows the share is half, whatever the series' length
    monkeypatch.setattr(rnn_module, "VERY_SMALL_DATA_WINDOWS", 0)
    half = RNNForecaster(6, **FAST).fit(train)
    assert half.own_share_seasons_ == 0
    half_forecast = half.predict().RNNForecaster.to_numpy().reshape(3, 6)
    assert np.abs(own - actual).mean() < 0.5 * np.abs(half_forecast - actual).mean()
    # unless asked for: season_share="own" whatever the windows, a number for every series
    asked = RNNForecaster(6, season_share="own", **FAST).fit(train)
    assert (asked.weak_season_share_, asked.own_share_seasons_) == (0.5, 3)
    np.testing.assert_array_equal(asked._seasonal_index, fitted_index)
    quarter = RNNForecaster(6, season_share=0.25, **FAST).fit(train)
    assert (quarter.weak_season_share_, quarter.own_share_seasons_) == (0.25, 0)
    full = seasonal_indices(panel.values, panel.starts, 12, 1.0)
    np.testing.assert_allclose(quarter._seasonal_index - 1, 0.25 * (full - 1), rtol=1e-12)


@pytest.mark.parametrize("share", [-0.1, 1.5, "half", True, [0.5], np.nan])
def test_season_share_must_be_a_share_own_or_none(share):
    with pytest.raises(ValueError, match=r"season_share must be a number in \[0, 1\].*'own'"):
        RNNForecaster(3, season_share=share).fit(monthly(multiplicative_seasonal(30, 1, 0)))


def test_deseasonalized_forecast_carries_the_seasonal_pattern():
    series = multiplicative_seasonal(84, 8, seed=4)
    train = {k: v[:72] for k, v in series.items()}
    model = RNNForecaster(12, deseasonalize=True, **FAST).fit(monthly(train))
    forecast = model.predict().pivot(index="unique_id", columns="ds", values="RNNForecaster")
    actual = np.array([series[k][72:] for k in forecast.index])
    # the forecast rises and falls with the season: its error is a small part of the
    # seasonal swing (+-40% of the level)
    error = np.abs(forecast.to_numpy() - actual) / actual
    assert error.mean() < 0.1
    assert np.corrcoef(forecast.to_numpy().ravel(), actual.ravel())[0, 1] > 0.9


def test_deseasonalize_true_that_adjusts_no_series_warns_why():
    options = {"lookback": 6, "epochs": 1}
    yearly = long_frame(multiplicative_seasonal(30, 2, seed=5), start="1950-01-01", freq="YS")
    with pytest.warns(UserWarning, match=r"adjusted none of the 2 series: their frequency, "
                                         r"year starts \('YS-JAN'\), has no season; give "
                                         r"season_length="):
        RNNForecaster(3, deseasonalize=True, **options).fit(yearly)
    # 20 monthly values: under two seasons (24) in every series
    with pytest.warns(UserWarning, match="adjusted none of the 2 series: every series has a "
                                         "value at or below zero or fewer than 2 seasons "
                                         r"\(24 values\)"):
        RNNForecaster(3, deseasonalize=True, **options).fit(
            monthly(multiplicative_seasonal(20, 2, seed=5)))
    # straight lines: long enough, but their factors are all 1
    lines = {f"s{k}": 100 + k + 2.0 * np.arange(48) for k in range(2)}
    with pytest.warns(UserWarning, match="adjusted none of the 2 series: no series shows a "
                                         "seasonal pattern to divide out"):
        RNNForecaster(3, deseasonalize=True, **options).fit(monthly(lines))
    with warnings.catch_warnings():  # one series adjusted: the request was carried out
        warnings.simplefilter("error")
        series = multiplicative_seasonal(48, 2, seed=5)
        series["s1"] = series["s1"][:20]
        model = RNNForecaster(3, deseasonalize=True, **options).fit(monthly(series))
    assert model._seasonally_adjusted().tolist() == [True, False]


def test_deseasonalize_must_be_a_bool_or_none():
    with pytest.raises(ValueError, match="deseasonalize"):
        RNNForecaster(3, deseasonalize="yes").fit(monthly(multiplicative_seasonal(48, 2, 0)))


def test_a_single_level_is_taken_as_a_list_of_one_and_the_parameter_kept_as_given():
    model = RNNForecaster(3, levels=80, **{**FAST, "epochs": 2}).fit(monthly(sine_series(40, 2, 1)))
    assert model.levels == 80 and len(model.quantiles_) == 3  # fit leaves its options alone
    assert "RNNForecaster-hi-80" in model.predict(levels=80).columns


@pytest.mark.parametrize(("option", "value", "message"), [
    ("early_stopping", "no", r"early_stopping must be True or False, got 'no'"),
    ("log", "False", r"log must be True or False, got 'False'"),
    ("seasonal_inputs", 0, r"seasonal_inputs must be True, False or None"),
    ("learning_rate", float("inf"), r"learning_rate must be a finite number, got inf"),
    ("dropout", "0.1", r"dropout must be a finite number, got '0.1'"),
    ("max_grad_norm", -1, r"max_grad_norm must be >= 0, got -1"),
    ("seed", None, r"seed must be a non-negative integer"),
    ("levels", [80, 80], r"names a level twice"),
])
def test_options_of_the_wrong_kind_are_named_at_fit(option, value, message):
    with pytest.raises(ValueError, match=message):
        RNNForecaster(3, **{**FAST, option: value}).fit(monthly(sine_series(40, 2, 1)))


def test_a_failed_refit_leaves_an_unfitted_model_not_half_of_one():
    model = RNNForecaster(3, **{**FAST, "epochs": 2}).fit(monthly(sine_series(40, 2, 1)))
    with pytest.raises(DataError):
        model.fit(monthly({"short": np.arange(3.0)}))  # fewer than 1 + horizon values
    with pytest.raises(NotFittedError):
        model.predict()
