"""Property-based tests: whatever data a user passes, rnncast gives finite forecasts in
the user's units or an ``RnncastError`` that names what is wrong; never an unhandled
NumPy or pandas exception, never a NaN forecast.

Example counts come from the hypothesis profile (tests/conftest.py): a few by default,
many under ``RNNCAST_HYPOTHESIS_PROFILE=ci`` (the default when ``CI=true``).
"""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnncast.data import prepare  # noqa: E402
from rnncast.errors import RnncastError  # noqa: E402
from rnncast.evaluate import cross_validation  # noqa: E402
from rnncast.models import Drift, Naive, RNNForecaster, SeasonalNaive, WindowAverage  # noqa: E402

EXAMPLES = settings().max_examples  # of the loaded profile
TINY_RNN = {"hidden_size": 4, "epochs": 2, "batch_size": 32, "progress": False}


@st.composite
def hostile_frames(draw, max_series=4, max_length=30):
    """A long frame as users export them: (frame, description) with random series
    counts and lengths, scales 1e-9..1e12, constant/zero/negative series, NaN and inf,
    integer/float/object values, integer or dated time stamps with gaps and duplicates."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_series = draw(st.integers(1, max_series))
    kind = draw(st.sampled_from(["noise", "constant", "zero", "negative", "trend"]))
    scale = 10.0 ** draw(st.integers(-9, 12))
    time_kind = draw(st.sampled_from(["int", "daily", "monthly", "weekly"]))
    dtype = draw(st.sampled_from(["float", "int", "object", "text-junk"]))
    frames = []
    for k in range(n_series):
        n = draw(st.integers(0 if n_series > 1 else 1, max_length))
        t = np.arange(n)
        y = {"noise": rng.normal(1, 1, n), "constant": np.full(n, 3.0), "zero": np.zeros(n),
             "negative": -1 - rng.random(n), "trend": t + rng.normal(0, 0.1, n)}[kind] * scale
        if time_kind == "int":
            ds = 5 + t
        else:
            freq = {"daily": "D", "monthly": "MS", "weekly": "W-SUN"}[time_kind]
            ds = pd.date_range("2020-01-01", periods=n, freq=freq)
        frames.append(pd.DataFrame({"unique_id": f"id{k}", "ds": ds, "y": y}))
    frame = pd.concat(frames, ignore_index=True)
    if len(frame) == 0:
        return frame, "empty"
    rows = len(frame)
    for hole in draw(st.lists(st.sampled_from(["nan", "inf", "-inf"]), max_size=2)):
        frame.loc[int(rng.integers(rows)), "y"] = float(hole)
    if draw(st.integers(0, 2)) == 0:  # gaps in the dates
        frame = frame.drop(index=rng.choice(rows, size=min(rows - 1, 2), replace=False))
    if draw(st.integers(0, 4)) == 0 and len(frame):  # a duplicated row
        frame = pd.concat([frame, frame.iloc[[int(rng.integers(len(frame)))]]])
    if dtype == "int":
        finite = np.isfinite(frame.y)
        frame["y"] = frame.y.where(~finite, frame.y.round()).astype(object) if not (
            finite.all()) else frame.y.round().astype(np.int64)
    elif dtype == "object":
        frame["y"] = frame.y.map(repr).astype(object)
    elif dtype == "text-junk" and len(frame):
        frame["y"] = frame.y.astype(object)
        frame.iloc[int(rng.integers(len(frame))), 2] = draw(st.sampled_from(
            ["n/a", "", "1,234", "--", "NULL"]))
    frame = frame.sample(frac=1.0, random_state=int(rng.integers(2**31)))  # any order
    return frame.reset_index(drop=True), f"{kind} x{scale:g} {time_kind} {dtype}"


fill_options = st.fixed_dictionaries({
    "fill_missing": st.sampled_from([None, "interpolate", "ffill", "zero"]),
    "fill_gaps": st.sampled_from([None, "interpolate", "zero"])})


def in_user_units(forecast, column, frame):
    """Finite, and within a generous band around the data (in the data's units)."""
    values = pd.to_numeric(frame.y, errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    point = forecast[column].to_numpy()
    assert np.isfinite(point).all(), forecast
    if len(values):
        spread = max(np.ptp(values), np.abs(values).max(), 1e-300)
        assert np.all(np.abs(point - np.median(values)) <= 20 * spread), (point, values)


def fit_predict_or_documented_error(model, frame, options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short-series and stuck-training warnings
        try:
            forecast = model.fit(frame, **options).predict()
        except RnncastError as error:
            assert str(error)
            event(type(error).__name__)
            return None
    in_user_units(forecast, model.name, frame)
    event("finite forecast")
    return forecast


@given(hostile_frames(), fill_options)
def test_prepare_gives_finite_values_or_a_documented_error(case, options):
    frame, _ = case
    original = frame.copy()
    try:
        panel = prepare(frame, **options)
    except RnncastError as error:
        assert str(error)
        event(type(error).__name__)
    else:
        event("prepared")
        assert np.isfinite(panel.values).all()
        assert (np.diff(panel.starts) >= 1).all()
    pd.testing.assert_frame_equal(frame, original)  # the caller's frame is unchanged


@given(hostile_frames(), fill_options,
       st.sampled_from([Naive, SeasonalNaive, Drift, lambda h: WindowAverage(h, window=3)]),
       st.integers(1, 4))
def test_baselines_forecast_finite_values_or_raise_a_documented_error(case, options, model,
                                                                      horizon):
    frame, _ = case
    fit_predict_or_documented_error(model(horizon), frame, options)


@given(hostile_frames(max_length=24), fill_options, st.integers(1, 3),
       st.sampled_from(["window", "series"]), st.booleans(), st.sampled_from([None, 2, 40]))
def test_rnn_forecasts_finite_values_or_raises_a_documented_error(case, options, horizon,
                                                                  scaler, recursive, lookback):
    frame, _ = case
    model = RNNForecaster(horizon, scaler=scaler, recursive=recursive, lookback=lookback,
                          **TINY_RNN)
    fit_predict_or_documented_error(model, frame, options)


@given(hostile_frames(max_length=24), fill_options, st.integers(1, 3), st.integers(1, 2))
def test_cross_validation_gives_finite_forecasts_or_a_documented_error(case, options, h,
                                                                       windows):
    frame, _ = case
    models = [Naive(h), RNNForecaster(h, **TINY_RNN)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cv = cross_validation(frame, models, h=h, n_windows=windows, **options)
        except RnncastError as error:
            assert str(error)
            event(type(error).__name__)
            return
    event("finite forecasts")
    assert np.isfinite(cv[["Naive", "RNNForecaster"]].to_numpy()).all()


@settings(max_examples=1)
@given(st.integers(0, 2**32 - 1))
def test_thousands_of_series_train_and_forecast(seed):
    rng = np.random.default_rng(seed)
    n_series, n = 2000, 20
    frame = pd.DataFrame({
        "unique_id": np.repeat([f"s{k}" for k in range(n_series)], n),
        "ds": np.tile(np.arange(n), n_series),
        "y": (10.0 ** rng.integers(-3, 6, n_series))[:, None].repeat(n, 1).ravel()
        * (1 + rng.random(n_series * n))})
    model = RNNForecaster(3, hidden_size=4, epochs=1, windows_per_epoch=512, batch_size=256)
    forecast = model.fit(frame).predict()
    assert len(forecast) == 3 * n_series
    in_user_units(forecast, "RNNForecaster", frame)


# -- the command ---------------------------------------------------------------------------
@settings(max_examples=max(2, EXAMPLES // 4))
@given(hostile_frames(max_series=3, max_length=20), st.sampled_from([",", ";"]))
def test_the_command_forecasts_or_fails_with_one_line(tmp_path_factory, case, sep):
    frame, _ = case
    folder = tmp_path_factory.mktemp("cli")
    data, model_file = folder / "data.csv", folder / "m.rnncast"
    frame.to_csv(data, index=False, sep=sep)
    fit = subprocess.run(
        [sys.executable, "-m", "rnncast", "-q", "fit", str(data), "--horizon", "2",
         "--epochs", "2", "--hidden-size", "4", "--fill-missing", "interpolate",
         "-o", str(model_file)], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in fit.stderr, fit.stderr
    event(f"exit status {fit.returncode}")
    if fit.returncode == 2:
        errors = [line for line in fit.stderr.splitlines() if line.startswith("rnncast")]
        assert len(errors) == 1 and ": error: " in errors[0], fit.stderr
        return
    assert fit.returncode == 0, fit.stderr
    predict = subprocess.run([sys.executable, "-m", "rnncast", "predict", str(model_file),
                              "-o", "-"], capture_output=True, text=True, timeout=300)
    assert predict.returncode == 0, predict.stderr
    import io

    forecast = pd.read_csv(io.StringIO(predict.stdout))
    assert np.isfinite(forecast.RNNForecaster).all()
