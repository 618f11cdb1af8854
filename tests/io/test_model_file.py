"""Model files: a saved and loaded model forecasts bit for bit as the original; damaged,
edited, newer or pickle-carrying files are refused with errors that say what to do."""

import contextlib
import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest

import rnncast.io.model_file as model_file
from rnncast.errors import ModelFileError, NotFittedError
from rnncast.io import load_model, save_model
from rnncast.models import Drift, Naive, RNNForecaster, SeasonalNaive, WindowAverage

SMALL = {"hidden_size": 8, "epochs": 3}


def monthly_frame(ids=("a", "b", "c"), n=36, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    frames = [
        pd.DataFrame(
            {
                "unique_id": name,
                "ds": pd.date_range("2015-01-01", periods=n, freq="MS"),
                "y": 20 + k + shift + 3 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 0.5, n),
            }
        )
        for k, name in enumerate(ids)
    ]
    return pd.concat(frames, ignore_index=True)


MODELS = {
    "rnn": (lambda: RNNForecaster(3, **SMALL), None),
    "rnn_ensemble": (lambda: RNNForecaster(3, n_ensemble=2, **SMALL), None),
    "rnn_quantile_levels": (lambda: RNNForecaster(3, levels=[80], **SMALL), [80]),
    "rnn_series_scaler": (lambda: RNNForecaster(3, scaler="series", **SMALL), None),
    "rnn_not_deseasonalized": (lambda: RNNForecaster(3, deseasonalize=False, **SMALL), None),
    "rnn_drift_anchor_levels": (lambda: RNNForecaster(3, anchor="drift", levels=[80], **SMALL),
                                [80]),
    "rnn_level_anchor_recursive": (
        lambda: RNNForecaster(3, anchor="level", recursive=True, **SMALL), None),
    "lstm_stacked_dropout": (
        lambda: RNNForecaster(3, cell="lstm", num_layers=2, dropout=0.3, **SMALL),
        None,
    ),
    "rnn_recursive_log": (
        lambda: RNNForecaster(3, cell="rnn", recursive=True, log=True, **SMALL),
        None,
    ),
    "rnn_conformal": (lambda: RNNForecaster(3, conformal_windows=2, **SMALL), [80]),
    "naive_conformal": (lambda: Naive(3, conformal_windows=7), [80, 95]),
    "seasonal_naive": (lambda: SeasonalNaive(3), None),
    "drift": (lambda: Drift(3, alias="drift"), None),
    "window_average": (lambda: WindowAverage(3, window=4), None),
}


def saved_and_loaded(model, tmp_path):
    path = tmp_path / "model.rnncast"
    save_model(model, path)
    return load_model(path)


@pytest.fixture
def saved_path(tmp_path):
    """A small fitted RNN saved to a file: (path, model)."""
    model = RNNForecaster(3, **SMALL).fit(monthly_frame())
    path = tmp_path / "model.rnncast"
    save_model(model, path)
    return path, model


def read_archive(path):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return json.loads(arrays.pop("header").tobytes()), arrays


def write_archive(path, header, arrays):
    encoded = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as handle:  # np.savez(str) would append ".npz" to the name
        np.savez(handle, header=encoded, **arrays)


# -- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_loaded_model_forecasts_bit_for_bit_as_the_saved_one(name, tmp_path):
    make, levels = MODELS[name]
    model = make().fit(monthly_frame())
    loaded = saved_and_loaded(model, tmp_path)
    pd.testing.assert_frame_equal(
        loaded.predict(levels=levels), model.predict(levels=levels), check_exact=True
    )


@pytest.mark.parametrize("name", MODELS)
def test_loaded_model_forecasts_new_data_bit_for_bit(name, tmp_path):
    make, levels = MODELS[name]
    model = make().fit(monthly_frame())
    loaded = saved_and_loaded(model, tmp_path)
    new = monthly_frame(ids=("a", "c", "d"), n=40, seed=1, shift=2.0)  # "d" is unseen
    pd.testing.assert_frame_equal(
        loaded.predict(df=new, levels=levels),
        model.predict(df=new, levels=levels),
        check_exact=True,
    )


@pytest.mark.parametrize("name", MODELS)
def test_loaded_model_has_the_same_parameters(name, tmp_path):
    model = MODELS[name][0]().fit(monthly_frame())
    loaded = saved_and_loaded(model, tmp_path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()


def test_loaded_rnn_has_the_same_fitted_attributes(tmp_path):
    model = RNNForecaster(3, scaler="series", levels=[80, 95], n_ensemble=2, **SMALL)
    model.fit(monthly_frame())
    loaded = saved_and_loaded(model, tmp_path)
    assert loaded.lookback_ == model.lookback_
    assert loaded.hidden_size_ == model.hidden_size_
    assert loaded.deseasonalize_ is model.deseasonalize_ is True  # monthly, lookback 3
    np.testing.assert_array_equal(loaded.quantiles_, model.quantiles_)
    np.testing.assert_array_equal(loaded.skipped_ids_, model.skipped_ids_)
    assert loaded.series_stats_ == model.series_stats_
    pd.testing.assert_frame_equal(loaded.history_, model.history_, check_exact=True)
    for original, copy in zip(model.networks_, loaded.networks_, strict=True):
        for layer, loaded_layer in zip(original.layers, copy.layers, strict=True):
            np.testing.assert_array_equal(loaded_layer.flat_params, layer.flat_params)
            assert loaded_layer.flat_params.dtype == layer.flat_params.dtype


def test_a_hidden_size_chosen_from_the_data_is_restored(tmp_path):
    model = RNNForecaster(3, epochs=2, lookback=6).fit(monthly_frame())
    loaded = saved_and_loaded(model, tmp_path)
    assert loaded.hidden_size is None and loaded.hidden_size_ == model.hidden_size_ == 16
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


def test_seasonal_naive_keeps_its_resolved_season_length(tmp_path):
    model = SeasonalNaive(3).fit(monthly_frame())
    assert saved_and_loaded(model, tmp_path).season_length_ == 12


@pytest.mark.parametrize("make", [lambda: Naive(2), lambda: RNNForecaster(2, **SMALL)])
def test_integer_ids_and_time_steps_keep_their_types(make, tmp_path):
    frame = monthly_frame().assign(
        unique_id=lambda f: f.unique_id.map({"a": 7, "b": 3, "c": 11}),
        ds=lambda f: f.groupby("unique_id").cumcount() * 2,
    )
    model = make().fit(frame)
    loaded = saved_and_loaded(model, tmp_path)
    assert loaded.panel_.ids.dtype == np.int64
    assert loaded.panel_.frequency == model.panel_.frequency
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


def test_file_is_an_npz_of_numeric_arrays_with_a_json_header(saved_path):
    path, model = saved_path
    header, arrays = read_archive(path)  # readable without pickle by plain NumPy
    assert header["format"] == "rnncast-model"
    assert header["format_version"] == 1
    assert header["model_class"] == "RNNForecaster"
    assert header["params"]["hidden_size"] == 8
    assert header["series"]["ids"] == ["a", "b", "c"]
    assert header["series"]["frequency"] == {"alias": "MS", "step": 1}
    assert header["series"]["last_ds"][0].startswith("2017-12-01")
    assert header["checksum"].startswith("sha256:")
    assert set(arrays) == set(header["arrays"])
    assert {
        "panel/values",
        "member0/recurrent/weight_hh_l0",
        "member0/head/weight",
        "history/loss",
    } <= set(arrays)
    assert all(array.dtype.kind in "biuf" for array in arrays.values())


# -- saving -----------------------------------------------------------------------------
def test_saving_an_unfitted_model_is_refused(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        save_model(Naive(3), tmp_path / "model.rnncast")
    assert os.listdir(tmp_path) == []


def test_saving_a_model_class_from_outside_rnncast_is_refused(tmp_path):
    class MyNaive(Naive):
        pass

    with pytest.raises(ModelFileError, match="MyNaive is not one of them"):
        save_model(MyNaive(3).fit(monthly_frame()), tmp_path / "model.rnncast")


def test_saving_a_model_with_a_fitted_attribute_the_file_cannot_hold_is_refused(tmp_path):
    model = Naive(3).fit(monthly_frame())
    model.calibration_ = "something the file format does not know"
    with pytest.raises(ModelFileError, match=r"\['calibration_'\].*Delete them"):
        save_model(model, tmp_path / "model.rnncast")


def test_saving_replaces_an_existing_file(tmp_path):
    path = tmp_path / "model.rnncast"
    save_model(Naive(3).fit(monthly_frame()), path)
    save_model(Drift(3).fit(monthly_frame()), path)
    assert isinstance(load_model(path), Drift)
    assert os.listdir(tmp_path) == ["model.rnncast"]


def test_failed_save_leaves_the_existing_file_and_no_temporary_file(saved_path, monkeypatch):
    path, _ = saved_path
    before = path.read_bytes()

    def savez_failing_midway(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", savez_failing_midway)
    with pytest.raises(OSError, match="No space left"):
        save_model(Naive(3).fit(monthly_frame()), path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_saving_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        save_model(Naive(3).fit(monthly_frame()), tmp_path / "missing" / "model.rnncast")
    assert os.listdir(tmp_path) == []


# -- loading what is not a good model file ---------------------------------------------
def test_missing_file_raises_file_not_found_naming_the_path(tmp_path):
    path = tmp_path / "nowhere.rnncast"
    with pytest.raises(FileNotFoundError, match="no such model file") as caught:
        load_model(path)
    assert caught.value.filename == str(path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        bytes(np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8)),
        b"PK\x03\x04" + bytes(200),
        b"unique_id,ds,y\na,2020-01-01,1\n",
    ],
    ids=["empty", "random", "zip-magic-then-zeros", "csv"],
)
def test_a_file_that_is_no_archive_is_refused(content, tmp_path):
    path = tmp_path / "model.rnncast"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="not an rnncast model file or it is damaged"):
        load_model(path)


def test_a_plain_npy_array_is_refused(tmp_path):
    path = tmp_path / "model.rnncast"
    with open(path, "wb") as handle:
        np.save(handle, np.arange(3.0))
    with pytest.raises(ModelFileError, match="not a .npz"):
        load_model(path)


def test_a_truncated_file_is_refused(saved_path):
    path, _ = saved_path
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="not an rnncast model file or it is damaged.*re-save"):
        load_model(path)


def test_a_flipped_byte_in_an_array_is_caught(saved_path):
    path, model = saved_path
    raw = bytearray(path.read_bytes())
    at = bytes(raw).find(model.panel_.values.tobytes()) + 11
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="damaged"):  # by the zip CRC or the checksum
        load_model(path)


def test_a_changed_array_fails_the_checksum(saved_path):
    path, _ = saved_path
    header, arrays = read_archive(path)
    arrays["member0/head/bias"] = arrays["member0/head/bias"] + np.float32(0.5)
    write_archive(path, header, arrays)
    with pytest.raises(ModelFileError, match="checksum does not match.*changed or damaged"):
        load_model(path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda h: h["params"].update(horizon=2),
        lambda h: h["fitted"].update(lookback_=5),
        lambda h: h["series"]["ids"].reverse(),
    ],
    ids=["params", "fitted", "series"],
)
def test_an_edited_header_fails_the_checksum(edit, saved_path):
    path, _ = saved_path
    header, arrays = read_archive(path)
    edit(header)
    write_archive(path, header, arrays)
    with pytest.raises(ModelFileError, match="checksum does not match"):
        load_model(path)


def loaded_as_an_older_file(model, path, params=(), fitted=()):
    """Save ``model`` as a file written before the named params and fitted attributes
    existed (a valid checksum over what is left), and load it."""
    save_model(model, path)
    header, arrays = read_archive(path)
    for name in params:
        del header["params"][name]
    for name in fitted:
        del header["fitted"][name]
    header["checksum"] = model_file._checksum(arrays, header)
    write_archive(path, header, arrays)
    return load_model(path)


def assert_an_older_file_forecasts_as_before(model, tmp_path, attribute, before):
    """A file written before the fitted ``attribute`` existed loads with ``before``, and
    forecasts every value differently; given the attribute's value now, the same to the
    last bit. Returns the loaded model."""
    now = getattr(model, attribute)
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast", fitted=[attribute])
    assert getattr(loaded, attribute) == before
    changed = loaded.predict().RNNForecaster.to_numpy() != model.predict().RNNForecaster.to_numpy()
    assert changed.all()
    setattr(loaded, attribute, now)  # what a file written now says
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    setattr(loaded, attribute, before)
    return loaded


def test_a_file_from_before_lookback_ensembles_loads_with_one_lookback(tmp_path):
    model = RNNForecaster(3, lookback=6, n_ensemble=2, **SMALL).fit(monthly_frame())
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast",
                                     fitted=["member_lookbacks_", "refit_epochs_"])
    assert loaded.member_lookbacks_ == [6, 6] and loaded.refit_epochs_ == {}
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


def test_a_file_keeps_the_level_input_and_one_from_before_it_reads_values_only(tmp_path):
    model = RNNForecaster(3, lookback=6, level_input=True, **SMALL).fit(monthly_frame())
    save_model(model, tmp_path / "new.rnncast")
    loaded = load_model(tmp_path / "new.rnncast")
    assert loaded.level_input is True and loaded.level_input_ is True
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    without = RNNForecaster(3, lookback=6, level_input=False, **SMALL).fit(monthly_frame())
    loaded = loaded_as_an_older_file(without, tmp_path / "old.rnncast",
                                     params=["level_input"], fitted=["level_input_"])
    assert loaded.level_input is None and loaded.level_input_ is False
    pd.testing.assert_frame_equal(loaded.predict(), without.predict(), check_exact=True)


def test_a_file_keeps_the_median_and_one_from_before_it_takes_the_mean(tmp_path):
    frame = monthly_frame()
    model = RNNForecaster(3, lookback=[3, 6, 9], combine="median", **SMALL).fit(frame)
    save_model(model, tmp_path / "new.rnncast")
    loaded = load_model(tmp_path / "new.rnncast")
    assert loaded.combine == "median" and loaded.combine_ == "median"
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast",
                                     params=["combine"], fitted=["combine_"])
    assert loaded.combine is None and loaded.combine_ == "mean"
    model.combine_ = "mean"  # what the file of a model fitted before the option says
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


def test_a_file_keeps_the_level_smoothing_and_one_from_before_it_weighs_07(tmp_path):
    frame = monthly_frame()
    for smoothing in (None, 0.4):
        model = RNNForecaster(3, lookback=6, anchor="level", level_smoothing=smoothing,
                              **SMALL).fit(frame)
        loaded = saved_and_loaded(model, tmp_path)
        assert loaded.level_smoothing == smoothing == loaded.level_smoothing_
        pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    # before the option, every series' windows weighed their last value 0.7
    model = RNNForecaster(3, lookback=6, anchor="level", **SMALL).fit(frame)
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast",
                                     params=["level_smoothing"], fitted=["level_smoothing_"])
    assert loaded.level_smoothing is None and loaded.level_smoothing_ == 0.7
    as_before = model.predict()
    model.level_smoothing_ = 0.7  # what the file of a model fitted before the option says
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    assert not np.allclose(as_before.RNNForecaster, model.predict().RNNForecaster)


def test_a_file_keeps_each_members_cell_and_one_from_before_cells_has_the_models(tmp_path):
    frame = monthly_frame()
    model = RNNForecaster(3, lookback=[6, 9], cell=["gru", "lstm"], **SMALL).fit(frame)
    loaded = saved_and_loaded(model, tmp_path)
    assert loaded.cell == ["gru", "lstm"] and loaded.cells_ == ("gru", "lstm")
    assert loaded.member_cells_ == ["gru", "lstm", "gru", "lstm"]
    assert loaded.refit_epochs_ == model.refit_epochs_ and len(model.refit_epochs_) == 4
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    # before cells: the model's one cell, and epochs keyed by lookback alone
    lstm = RNNForecaster(3, lookback=[6, 9], cell="lstm", **SMALL).fit(frame)
    path = tmp_path / "old.rnncast"
    save_model(lstm, path)
    header, arrays = read_archive(path)
    del header["fitted"]["cells_"], header["fitted"]["member_cells_"]
    header["fitted"]["refit_epochs_"] = [[lookback, epochs] for _, lookback, _, epochs in
                                         header["fitted"]["refit_epochs_"]]
    header["checksum"] = model_file._checksum(arrays, header)
    write_archive(path, header, arrays)
    loaded = load_model(path)
    assert loaded.cells_ == ("lstm",) and loaded.member_cells_ == ["lstm", "lstm"]
    assert loaded.refit_epochs_ == lstm.refit_epochs_
    assert set(loaded.refit_epochs_) == {("lstm", 6, 0), ("lstm", 9, 0)}
    pd.testing.assert_frame_equal(loaded.predict(), lstm.predict(), check_exact=True)


def test_a_file_from_before_the_anchor_forecasts_from_the_window_mean(tmp_path):
    model = RNNForecaster(3, lookback=6, anchor="mean", **SMALL).fit(monthly_frame())
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast", params=["anchor"],
                                     fitted=["anchor_"])
    assert loaded.anchor is None and loaded.anchor_ == "mean"
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    loaded.anchor_ = "last"  # the anchor is read at forecast time
    assert not np.allclose(loaded.predict().RNNForecaster, model.predict().RNNForecaster)


def test_a_file_from_before_forecast_from_padding_forecasts_as_it_did(tmp_path):
    # one series shorter than the longest lookback: the option changes its forecast
    frame = monthly_frame(n=36)
    frame = frame[(frame.unique_id != "c") | (frame.ds >= "2016-07-01")]
    model = RNNForecaster(3, lookback=[3, 24], forecast_from_padding=True, **SMALL).fit(frame)
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast",
                                     params=["forecast_from_padding"],
                                     fitted=["forecast_from_padding_"])
    assert loaded.forecast_from_padding is None and loaded.forecast_from_padding_ is True
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    loaded.forecast_from_padding_ = False  # what a file of a model fitted with False says
    changed = loaded.predict().groupby("unique_id")["RNNForecaster"].sum() != \
        model.predict().groupby("unique_id")["RNNForecaster"].sum()
    assert changed.to_dict() == {"a": False, "b": False, "c": True}


def test_a_file_from_before_mean_padding_pads_with_the_first_value(tmp_path):
    frame = monthly_frame(n=36)
    frame = frame[(frame.unique_id != "c") | (frame.ds >= "2016-07-01")]  # c: 18 values
    model = RNNForecaster(3, lookback=[3, 24], **SMALL).fit(frame)
    assert model.pad_with_ == "mean"  # monthly: a season
    save_model(model, tmp_path / "new.rnncast")
    loaded = load_model(tmp_path / "new.rnncast")
    assert loaded.pad_with_ == "mean"
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)
    first = RNNForecaster(3, lookback=[3, 24], pad_with="first", **SMALL).fit(frame)
    loaded = loaded_as_an_older_file(first, tmp_path / "old.rnncast", params=["pad_with"],
                                     fitted=["pad_with_"])
    assert loaded.pad_with is None and loaded.pad_with_ == "first"
    pd.testing.assert_frame_equal(loaded.predict(), first.predict(), check_exact=True)
    changed = loaded.predict().groupby("unique_id")["RNNForecaster"].sum() != \
        model.predict().groupby("unique_id")["RNNForecaster"].sum()
    assert changed["c"]


def test_a_file_from_before_partial_windows_says_it_trained_on_whole_windows(tmp_path):
    model = RNNForecaster(3, lookback=6, **SMALL).fit(monthly_frame())
    assert model.partial_windows_ is True  # monthly: a season
    save_model(model, tmp_path / "new.rnncast")
    assert load_model(tmp_path / "new.rnncast").partial_windows_ is True
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast",
                                     params=["partial_windows"], fitted=["partial_windows_"])
    assert loaded.partial_windows is None and loaded.partial_windows_ is False
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


def test_a_file_from_before_half_seasonal_factors_leaves_weak_seasons_as_they_were(
        tmp_path):
    # noisy monthly series with a faint season: the seasonality test fails for them
    rng = np.random.default_rng(5)
    t = np.arange(48)
    frame = pd.concat([pd.DataFrame({
        "unique_id": name, "ds": pd.date_range("2012-01-01", periods=48, freq="MS"),
        "y": 100 + 2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, 48)})
        for name in "abc"], ignore_index=True)
    model = RNNForecaster(3, lookback=6, **SMALL).fit(frame)
    assert model.deseasonalize_ and model.weak_season_share_ == 0.5
    assert_an_older_file_forecasts_as_before(model, tmp_path, "weak_season_share_", 0.0)


def test_a_file_from_before_two_season_factors_keeps_series_under_three_unadjusted(
        tmp_path):
    # 30 monthly values: two and a half seasons, adjusted now, left as they were before
    t = np.arange(30)
    frame = pd.concat([pd.DataFrame({
        "unique_id": name, "ds": pd.date_range("2012-01-01", periods=30, freq="MS"),
        "y": (100 + k + t) * (1 + 0.3 * np.sin(2 * np.pi * (t + k) / 12))})
        for k, name in enumerate("abc")], ignore_index=True)
    model = RNNForecaster(3, lookback=6, **SMALL).fit(frame)
    assert model.min_seasons_ == 2 and model._seasonally_adjusted().all()
    assert saved_and_loaded(model, tmp_path).min_seasons_ == 2
    loaded = assert_an_older_file_forecasts_as_before(model, tmp_path, "min_seasons_", 3)
    loaded.predict()
    assert not loaded._seasonally_adjusted().any()


def test_a_file_keeps_own_seasonal_shares_and_one_from_before_them_keeps_half(tmp_path):
    # 30 monthly values of a strong season, which fails the seasonality test at that
    # length: the share kept is each series' own (all of it here), or half in older files
    t = np.arange(30)
    season = np.array([1.0, 1.5, 1.6, 1.6, 1.8, 1.2, 0.6, 0.4, 0.3, 0.5, 0.5, 0.6])
    frame = pd.concat([pd.DataFrame({
        "unique_id": name, "ds": pd.date_range("2012-01-01", periods=30, freq="MS"),
        "y": (100 + k + t) * season[(t + k) % 12]})
        for k, name in enumerate("abc")], ignore_index=True)
    model = RNNForecaster(3, lookback=6, **SMALL).fit(frame)
    assert model.own_share_seasons_ == 3
    assert saved_and_loaded(model, tmp_path).own_share_seasons_ == 3
    assert_an_older_file_forecasts_as_before(model, tmp_path, "own_share_seasons_", 0)


def test_a_given_season_length_is_restored(tmp_path):
    model = RNNForecaster(3, lookback=6, season_length=6, deseasonalize=True,
                          **SMALL).fit(monthly_frame())
    loaded = saved_and_loaded(model, tmp_path)
    assert loaded.season_length == 6 and loaded.season_length_ == 6
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


@pytest.mark.parametrize("freq, season", [("15min", 4), ("30min", 2), ("h", 24), ("MS", 12)])
def test_a_file_from_before_the_season_length_was_stored_keeps_its_season(
        freq, season, tmp_path):
    # steps shorter than a day then repeated over an hour or a day of 24 hours
    frame = monthly_frame()
    frame["ds"] = np.concatenate([pd.date_range("2020-01-01", periods=36, freq=freq)] * 3)
    # 36 values hold two seasons of 12 but not of 24: nothing to adjust, said so
    too_short = (pytest.warns(UserWarning, match="adjusted none") if 2 * season > 36
                 else contextlib.nullcontext())
    with too_short:
        model = RNNForecaster(3, lookback=6, season_length=season, deseasonalize=True,
                              **SMALL).fit(frame)
    loaded = loaded_as_an_older_file(model, tmp_path / "old.rnncast",
                                     params=["season_length"], fitted=["season_length_"])
    assert loaded.season_length is None and loaded.season_length_ == season
    pd.testing.assert_frame_equal(loaded.predict(), model.predict(), check_exact=True)


def test_a_newer_format_version_asks_to_upgrade_rnncast(saved_path):
    path, _ = saved_path
    header, arrays = read_archive(path)
    header["format_version"] = 99
    write_archive(path, header, arrays)
    with pytest.raises(
        ModelFileError, match="format version 99.*reads format version 1 and older.*Upgrade"
    ):
        load_model(path)


def test_another_format_is_refused(saved_path):
    path, _ = saved_path
    header, arrays = read_archive(path)
    header["format"] = "something-else"
    write_archive(path, header, arrays)
    with pytest.raises(ModelFileError, match="names format 'something-else'"):
        load_model(path)


@pytest.mark.parametrize("remove", ["header", "member0/head/weight"])
def test_a_missing_entry_is_refused(remove, saved_path):
    path, _ = saved_path
    header, arrays = read_archive(path)
    if remove != "header":
        arrays.pop(remove)
    with open(path, "wb") as handle:
        np.savez(
            handle,
            **arrays,
            **(
                {}
                if remove == "header"
                else {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
            ),
        )
    with pytest.raises(ModelFileError, match=f"{remove}"):
        load_model(path)


UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)


class Tripwire:
    """Unpickling it calls ``_record_unpickling``: any code a pickle could run."""

    def __reduce__(self):
        return _record_unpickling, ()


def object_array():
    array = np.empty(1, dtype=object)
    array[0] = Tripwire()
    return array


@pytest.mark.parametrize(
    "how", ["in-place-of-an-array", "declared-as-object", "extra-entry", "no-header"]
)
def test_object_arrays_are_refused_without_being_unpickled(how, saved_path):
    path, _ = saved_path
    header, arrays = read_archive(path)
    if how == "in-place-of-an-array":
        arrays["panel/values"] = object_array()
    elif how == "declared-as-object":
        arrays["panel/values"] = object_array()
        header["arrays"]["panel/values"] = {"shape": [1], "dtype": "|O"}
    elif how == "extra-entry":
        arrays["payload"] = object_array()
    if how == "no-header":
        with open(path, "wb") as handle:
            np.savez(handle, payload=object_array())
    else:
        write_archive(path, header, arrays)
    UNPICKLED.clear()
    with pytest.raises(ModelFileError, match="not an rnncast model file or it is damaged"):
        load_model(path)
    assert UNPICKLED == []
    pickle.loads(pickle.dumps(Tripwire()))  # the tripwire does fire when unpickled
    assert UNPICKLED == [True]


def test_model_classes_are_rnncast_forecasters_only():
    assert set(model_file.MODEL_CLASSES) == {
        "RNNForecaster",
        "Naive",
        "SeasonalNaive",
        "Drift",
        "WindowAverage",
    }


@pytest.mark.parametrize("field, value", [(10, 99), (8, 0x21), (6, 210)],
                         ids=["compression-method", "flag-bits", "version-needed"])
def test_an_unsupported_zip_header_field_is_refused(field, value, saved_path):
    # zipfile raises NotImplementedError for these; load_model must name the file
    path, _ = saved_path
    raw = bytearray(path.read_bytes())
    central = bytes(raw).find(b"PK\x01\x02")  # the first central directory entry
    raw[central + field : central + field + 2] = value.to_bytes(2, "little")
    local = bytes(raw).find(b"PK\x03\x04")
    raw[local + field - 2 : local + field] = value.to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="model.rnncast"):
        load_model(path)


def test_every_single_byte_flip_is_refused_or_loads_the_same_model(saved_path):
    # Flips in zip fields no reader uses (times, the local copies of sizes and CRCs)
    # change nothing the model holds; every other flip must be a ModelFileError.
    path, model = saved_path
    raw = path.read_bytes()
    expected = model.predict()
    step = max(1, len(raw) // 400)  # ~400 positions spread over the file
    for position in range(0, len(raw), step):
        damaged = bytearray(raw)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            forecast = load_model(path).predict()
        except ModelFileError:
            continue
        pd.testing.assert_frame_equal(forecast, expected)


def test_a_pickled_model_is_refused_without_being_unpickled(tmp_path):
    path = tmp_path / "model.rnncast"
    path.write_bytes(pickle.dumps([Tripwire(), Naive(2)]))
    UNPICKLED.clear()
    with pytest.raises(ModelFileError, match="not an rnncast model file or it is damaged"):
        load_model(path)
    assert UNPICKLED == []


def test_a_folder_is_not_a_model_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="a folder, not a model file"):
        load_model(tmp_path)
