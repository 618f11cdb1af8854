import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnncast.errors import DataError, MissingColumnError  # noqa: E402
from rnncast.plot import plot_backtest, plot_forecast, plot_training  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def history_frame(ids=("a", "b", "c"), n=40, dates=True):
    t = np.arange(n)
    rows = []
    for k, uid in enumerate(ids):
        ds = pd.date_range("2020-01-01", periods=n, freq="MS") if dates else t
        y = 10.0 * (k + 1) + 3.0 * np.sin(2 * np.pi * t / 12)
        rows.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(rows, ignore_index=True)


def forecast_frame(history, h=6, models=("RNN", "Naive"), levels=()):
    rows = []
    for uid, past in history.groupby("unique_id", sort=False):
        last = past["ds"].iloc[-1]
        if isinstance(last, pd.Timestamp):
            ds = pd.date_range(last, periods=h + 1, freq="MS")[1:]
        else:
            ds = last + 1 + np.arange(h)
        frame = pd.DataFrame({"unique_id": uid, "ds": ds})
        for k, model in enumerate(models):
            frame[model] = past["y"].iloc[-1] + k + np.arange(h) * 0.1
            for level in levels:
                half = level / 50 * (1 + np.arange(h) / h)
                frame[f"{model}-lo-{level}"] = frame[model] - half
                frame[f"{model}-hi-{level}"] = frame[model] + half
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def cv_frame(ids=("a", "b"), h=3, n_windows=2, models=("RNN", "Naive"), dates=False):
    rows = []
    for k, uid in enumerate(ids):
        for w in range(n_windows):
            cutoff = 20 + w * h
            steps = cutoff + 1 + np.arange(h)
            ds = pd.Timestamp("2021-01-01") + pd.to_timedelta(steps, unit="D") if dates else steps
            cut = pd.Timestamp("2021-01-01") + pd.Timedelta(days=cutoff) if dates else cutoff
            frame = pd.DataFrame(
                {"unique_id": uid, "ds": ds, "cutoff": cut, "y": k + np.sin(steps / 3.0)}
            )
            for j, model in enumerate(models):
                frame[model] = frame["y"] + 0.1 * (j + 1)
            rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def training_frame(members=2, epochs=15, validation=True, spread=100.0):
    rows = []
    for member in range(members):
        for epoch in range(1, epochs + 1):
            loss = spread ** (-(epoch - 1) / (epochs - 1)) * (1 + 0.1 * member)
            rows.append(
                {
                    "member": member,
                    "epoch": epoch,
                    "loss": loss,
                    "val_loss": 1.2 * loss if validation else np.nan,
                    "seconds": 0.01,
                }
            )
    return pd.DataFrame(rows)


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5_000


def bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


# -- plot_forecast -------------------------------------------------------------------------
def test_forecast_has_one_panel_per_series_with_history_and_one_line_per_model():
    history = history_frame()
    fig = plot_forecast(history, forecast_frame(history))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    for ax, uid in zip(fig.axes, ["a", "b", "c"]):
        assert ax.get_title(loc="left") == uid
        assert [line.get_label() for line in ax.get_lines()] == ["history", "RNN", "Naive"]
        assert bands(ax) == []


def test_forecast_draws_history_of_four_horizons_and_at_least_36_steps():
    history = history_frame(ids=("a",), n=80)
    fig = plot_forecast(history, forecast_frame(history, h=12))
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 48
    fig = plot_forecast(history, forecast_frame(history, h=1))  # not 4 points: context
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 36
    fig = plot_forecast(history, forecast_frame(history, h=1), history_steps=60)
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 60
    with pytest.raises(ValueError, match="history_steps must be a positive integer"):
        plot_forecast(history, forecast_frame(history, h=1), history_steps=0)


def test_forecast_draws_all_history_when_shorter_than_four_horizons():
    history = history_frame(ids=("a",), n=10)
    fig = plot_forecast(history, forecast_frame(history, h=6))
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 10


def test_forecast_draws_a_band_per_level_lighter_when_wider():
    history = history_frame(ids=("a", "b"))
    fig = plot_forecast(history, forecast_frame(history, models=("RNN",), levels=(80, 95)))
    for ax in fig.axes:
        drawn = bands(ax)
        assert len(drawn) == 2
        assert [band.get_label() for band in drawn] == ["80% interval", "95% interval"]
        assert drawn[0].get_alpha() > drawn[1].get_alpha()


def edges(ax, label):
    return [line for line in ax.get_lines() if line.get_label() == label]


def test_several_models_bands_are_drawn_as_their_edges():
    """Filled, two models' bands piled up into one muddy shade."""
    history = history_frame(ids=("a",))
    forecast = forecast_frame(history, levels=(80, 95))
    fig = plot_forecast(history, forecast)
    ax = fig.axes[0]
    assert bands(ax) == []
    assert [line.get_linestyle() for line in edges(ax, "80% interval")] == ["--", "--"]
    assert [line.get_linestyle() for line in edges(ax, "95% interval")] == [":", ":"]
    low = [line for line in ax.get_lines() if line.get_label() == "80% interval"][0]
    np.testing.assert_array_equal(low.get_ydata(), forecast["RNN-lo-80"].to_numpy(float)[:6])
    legend = {text.get_text(): handle for text, handle
              in zip(fig.legends[0].get_texts(), fig.legends[0].legend_handles)}
    assert legend["80% interval"].get_linestyle() == "--"


def test_forecast_model_colours_are_the_same_in_every_panel():
    history = history_frame()
    fig = plot_forecast(history, forecast_frame(history))
    colours = [[line.get_color() for line in ax.get_lines()] for ax in fig.axes]
    assert all(c == colours[0] for c in colours)
    assert len(set(colours[0])) == 3


def test_forecast_has_one_legend_naming_history_and_models():
    history = history_frame()
    fig = plot_forecast(history, forecast_frame(history, levels=(90,)))
    assert len(fig.legends) == 1
    labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert labels == ["history", "RNN", "Naive", "90% interval"]


def test_forecast_max_series_limits_the_panels():
    history = history_frame(ids=("a", "b", "c", "d", "e"))
    assert len(plot_forecast(history, forecast_frame(history)).axes) == 4
    assert len(plot_forecast(history, forecast_frame(history), max_series=2).axes) == 2


def test_forecast_ids_choose_and_order_the_panels():
    history = history_frame()
    fig = plot_forecast(history, forecast_frame(history), ids=["c", "a"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["c", "a"]


def test_forecast_accepts_a_single_id_as_a_scalar():
    history = history_frame()
    fig = plot_forecast(history, forecast_frame(history), ids="b")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["b"]


def test_unknown_ids_raise_naming_them_and_some_valid_ones():
    history = history_frame()
    with pytest.raises(ValueError, match=r"\['zz', 'yy'\].*valid ids include 'a', 'b', 'c'"):
        plot_forecast(history, forecast_frame(history), ids=["a", "zz", "yy"])
    with pytest.raises(DataError, match="'zz'"):
        plot_backtest(cv_frame(), ids="zz")


def test_ids_given_as_text_find_series_with_integer_ids():
    history = history_frame(ids=(7, 12))
    fig = plot_forecast(history, forecast_frame(history), ids=["12"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["12"]


def test_forecast_with_integer_ds_uses_a_numeric_axis():
    history = history_frame(dates=False)
    fig = plot_forecast(history, forecast_frame(history))
    line = fig.axes[0].get_lines()[1]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(39, 46))  # from the last actual
    assert fig.axes[-1].get_xlabel() == "time step"


def test_each_forecast_line_starts_at_the_last_actual_without_a_marker_there():
    """No gap between the history and the forecast; the forecast's markers only on its
    own points."""
    history = history_frame(ids=("a",))
    forecast = forecast_frame(history)
    fig = plot_forecast(history, forecast)
    past, *models = fig.axes[0].get_lines()
    for line, model in zip(models, ["RNN", "Naive"], strict=True):
        assert line.get_xdata()[0] == past.get_xdata()[-1]
        assert line.get_ydata()[0] == past.get_ydata()[-1]
        np.testing.assert_array_equal(line.get_ydata()[1:], forecast[model].to_numpy(float))
        assert line.get_markevery() == slice(1, None)
    alone = plot_forecast(history.iloc[:0], forecast)  # no history: nothing to join
    assert len(alone.axes[0].get_lines()[0].get_xdata()) == len(forecast)


def test_axes_are_labelled_as_asked_or_by_default():
    history = history_frame()
    fig = plot_forecast(history, forecast_frame(history), value_label="units",
                        time_label="week")
    assert [ax.get_ylabel() for ax in fig.axes] == ["units"] * 3
    assert fig.axes[-1].get_xlabel() == "week"
    fig = plot_backtest(cv_frame(dates=True), value_label="units")
    assert fig.axes[0].get_ylabel() == "units" and fig.axes[-1].get_xlabel() == "date"
    assert plot_forecast(history, forecast_frame(history)).axes[0].get_ylabel() == "value"


def test_forecast_of_a_single_series_with_integer_ids_writes_a_png(tmp_path):
    history = history_frame(ids=(7,))
    forecast = forecast_frame(history, levels=(80, 95))
    fig = plot_forecast(history, forecast, path=tmp_path / "f.png")
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title(loc="left") == "7"
    assert_png(tmp_path / "f.png")


def test_forecast_without_model_columns_raises():
    history = history_frame()
    with pytest.raises(DataError, match="no model columns"):
        plot_forecast(history, forecast_frame(history)[["unique_id", "ds"]])


def test_history_without_y_raises_naming_the_column():
    history = history_frame()
    with pytest.raises(MissingColumnError, match=r"history lacks columns \['y'\]"):
        plot_forecast(history.drop(columns="y"), forecast_frame(history))


@pytest.mark.parametrize("max_series", [0, -1, 1.5, True])
def test_max_series_must_be_a_positive_integer(max_series):
    history = history_frame()
    with pytest.raises(ValueError, match="max_series"):
        plot_forecast(history, forecast_frame(history), max_series=max_series)


def test_plotting_leaves_the_inputs_unchanged():
    history = history_frame()
    forecast = forecast_frame(history, levels=(80,))
    before = history.copy(), forecast.copy()
    plot_forecast(history, forecast)
    pd.testing.assert_frame_equal(history, before[0])
    pd.testing.assert_frame_equal(forecast, before[1])


def test_figures_are_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    history = history_frame()
    plot_forecast(history, forecast_frame(history))
    plot_training(training_frame())
    plot_backtest(cv_frame())
    assert plt.get_fignums() == open_before


# -- plot_training -------------------------------------------------------------------------
def test_training_draws_training_and_validation_lines_per_member():
    fig = plot_training(training_frame(members=3))
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    styles = [line.get_linestyle() for line in ax.get_lines()]
    assert styles == ["-", "--"] * 3
    assert ax.get_xlabel() == "epoch"
    assert len(ax.collections) == 3  # the best validation epoch of each member


def test_training_without_validation_draws_only_training_lines():
    fig = plot_training(training_frame(members=2, validation=False))
    assert len(fig.axes[0].get_lines()) == 2
    assert len(fig.axes[0].collections) == 0


def test_training_uses_a_log_scale_only_when_loss_spans_more_than_ten_times():
    assert plot_training(training_frame(spread=100.0)).axes[0].get_yscale() == "log"
    assert plot_training(training_frame(spread=3.0)).axes[0].get_yscale() == "linear"


def test_training_without_member_column_is_one_member(tmp_path):
    frame = training_frame(members=1).drop(columns=["member", "seconds"])
    fig = plot_training(frame, path=tmp_path / "t.png")
    assert len(fig.axes[0].get_lines()) == 2
    assert_png(tmp_path / "t.png")


def test_training_labels_each_run_by_lookback_and_member():
    choose = training_frame(members=1).assign(run=0, member=-1, lookback=12)
    member = training_frame(members=1, validation=False).assign(run=1, member=0, lookback=12)
    fig = plot_training(pd.concat([choose, member], ignore_index=True))
    (ax,) = fig.axes
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:2] == ["lookback 12, chooses epochs", "lookback 12, member 1"]
    assert len(ax.collections) == 1  # only the run that chose the epochs has validation
    assert "2 runs" in ax.get_title()


def test_training_of_an_empty_history_raises():
    with pytest.raises(DataError, match="empty"):
        plot_training(training_frame().iloc[:0])


# -- plot_backtest -------------------------------------------------------------------------
@pytest.mark.parametrize("dates", [False, True])
def test_backtest_draws_actuals_a_line_per_model_and_cutoff_and_the_cutoffs(dates):
    fig = plot_backtest(cv_frame(ids=("a", "b"), n_windows=3, dates=dates))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels.count("actual") == 1
        assert labels.count("RNN") == labels.count("Naive") == 3
        assert labels.count("cutoff") == 3
        cutoffs = [line for line in ax.get_lines() if line.get_label() == "cutoff"]
        assert all(line.get_linestyle() == ":" for line in cutoffs)


def test_backtest_actuals_are_drawn_once_per_date_when_windows_overlap():
    frame = cv_frame(ids=("a",), h=4, n_windows=2)
    frame["ds"] = frame["ds"] - np.repeat([0, 2], 4)  # second window starts 2 steps later
    frame["cutoff"] = frame.groupby("cutoff")["ds"].transform("min") - 1
    fig = plot_backtest(frame)
    actual = fig.axes[0].get_lines()[0]
    assert len(actual.get_xdata()) == frame["ds"].nunique()


def test_backtest_colours_models_alike_across_panels():
    fig = plot_backtest(cv_frame(ids=("a", "b", "c")))
    by_panel = [{line.get_label(): line.get_color() for line in ax.get_lines()} for ax in fig.axes]
    assert all(colours == by_panel[0] for colours in by_panel)


def test_backtest_of_a_single_series_with_bands_writes_a_png(tmp_path):
    frame = cv_frame(ids=("only",), models=("RNN",))
    frame["RNN-lo-80"], frame["RNN-hi-80"] = frame["RNN"] - 1, frame["RNN"] + 1
    fig = plot_backtest(frame, path=tmp_path / "b.png")
    assert len(fig.axes) == 1
    assert len(bands(fig.axes[0])) == 2  # one per cutoff
    assert_png(tmp_path / "b.png")


def test_backtest_bands_of_overlapping_windows_are_drawn_as_their_edges():
    frame = cv_frame(ids=("only",), models=("RNN",), h=4)
    frame["RNN-lo-80"], frame["RNN-hi-80"] = frame["RNN"] - 1, frame["RNN"] + 1
    overlapping = frame.assign(ds=frame["ds"] - 2 * (frame["cutoff"] > 20),
                               cutoff=frame["cutoff"] - 2 * (frame["cutoff"] > 20))
    ax = plot_backtest(overlapping).axes[0]
    assert bands(ax) == [] and len(edges(ax, "80% interval")) == 2  # one per cutoff
    assert len(bands(plot_backtest(frame).axes[0])) == 2  # apart: filled


def test_backtest_needs_a_cutoff_column():
    with pytest.raises(MissingColumnError, match="cutoff"):
        plot_backtest(cv_frame().drop(columns="cutoff"))
