import sys

import numpy as np
import pandas as pd
import pytest

from rnncast import Naive, SeasonalNaive, compare, cross_validation
from rnncast.evaluate import paired_difference

comparison = sys.modules["rnncast.evaluate.comparison"]


def test_equal_errors_give_a_zero_difference_that_decides_nothing():
    errors = np.array([1.0, 2.0, 3.0, 4.0])
    result = paired_difference(errors, errors)
    assert (result.mean, result.low, result.high, result.better) == (0, 0, 0, 0)
    assert result.series == 4 and not result.decided


def test_a_constant_lead_on_every_series_is_decided_with_a_point_interval():
    baseline = np.array([1.0, 5.0, 2.0, 8.0, 3.0, 4.0, 7.0, 6.0, 9.0, 2.5])
    result = paired_difference(baseline - 0.5, baseline)
    assert result.mean == pytest.approx(-0.5)
    assert result.low == pytest.approx(-0.5) and result.high == pytest.approx(-0.5)
    assert result.better == 1.0 and result.series == 10 and result.decided


def test_fewer_than_ten_series_decide_nothing_whatever_the_interval():
    baseline = np.array([1.0, 5.0, 2.0, 8.0, 3.0, 4.0, 7.0, 6.0, 9.0])
    result = paired_difference(baseline - 0.5, baseline)
    assert result.high < 0 and result.series == 9 and not result.decided
    one = paired_difference([1.0], [2.0])
    assert one.low == one.high == -1.0 and not one.decided


def test_series_missing_either_error_are_left_out():
    errors = np.array([1.0, np.nan, 3.0, 2.0])
    baseline = np.array([2.0, 1.0, np.nan, 1.0])
    result = paired_difference(errors, baseline)
    assert result.series == 2
    assert result.mean == pytest.approx(0.0)  # (1 - 2 + 2 - 1) / 2
    assert result.better == 0.5


def test_the_interval_matches_the_normal_approximation_for_many_series():
    rng = np.random.default_rng(3)
    difference = rng.normal(0.2, 1.0, 4000)
    result = paired_difference(difference, np.zeros_like(difference), n_resamples=4000)
    half_width = 1.96 * difference.std() / np.sqrt(difference.size)
    assert result.low == pytest.approx(difference.mean() - half_width, abs=0.006)
    assert result.high == pytest.approx(difference.mean() + half_width, abs=0.006)
    assert result.decided


def test_a_wider_confidence_gives_a_wider_interval():
    rng = np.random.default_rng(4)
    errors, baseline = rng.gamma(2.0, size=200), rng.gamma(2.0, size=200)
    narrow = paired_difference(errors, baseline, confidence=0.5)
    wide = paired_difference(errors, baseline, confidence=0.99)
    assert wide.low < narrow.low < narrow.mean < narrow.high < wide.high


def test_the_same_seed_gives_the_same_interval_whatever_the_block_size(monkeypatch):
    rng = np.random.default_rng(5)
    errors, baseline = rng.normal(size=300), rng.normal(size=300)
    first = paired_difference(errors, baseline, n_resamples=500, seed=7)
    monkeypatch.setattr(comparison, "RESAMPLE_BLOCK", 300 * 7)  # 72 blocks of 7
    again = paired_difference(errors, baseline, n_resamples=500, seed=7)
    other_seed = paired_difference(errors, baseline, n_resamples=500, seed=8)
    assert again == first
    assert (other_seed.low, other_seed.high) != (first.low, first.high)


@pytest.mark.parametrize("errors, baseline, options, message", [
    ([1.0, 2.0], [1.0], {}, "same length"),
    ([[1.0]], [[1.0]], {}, "1-D"),
    ([1.0], [1.0], {"confidence": 95}, "between 0 and 1"),
    ([1.0], [1.0], {"n_resamples": 0}, "positive integer"),
    ([1.0], [1.0], {"n_resamples": 2.5}, "positive integer"),
    ([np.nan], [1.0], {}, "no series has an error for both"),
])
def test_bad_arguments_are_refused_with_what_to_give(errors, baseline, options, message):
    with pytest.raises(ValueError, match=message):
        paired_difference(errors, baseline, **options)


def _seasonal_panel(n_series=12, length=48):
    rng = np.random.default_rng(0)
    months = pd.date_range("2020-01-01", periods=length, freq="MS")
    return pd.concat([
        pd.DataFrame({"unique_id": f"s{k}", "ds": months,
                      "y": 50 + 10 * np.sin(2 * np.pi * np.arange(length) / 12)
                      + rng.normal(0, 1, length)})
        for k in range(n_series)])


def test_compare_puts_each_model_against_the_baseline_for_each_metric():
    cv = cross_validation(_seasonal_panel(), [SeasonalNaive(12), Naive(12)], h=12,
                          n_windows=2)
    table = compare(cv, "Naive", metrics=("mae", "mase"))
    assert list(table["model"]) == ["SeasonalNaive", "SeasonalNaive"]
    assert list(table["metric"]) == ["mae", "mase"]
    # on strongly seasonal data the seasonal naive forecast wins on every series
    assert (table["high"] < 0).all() and table["decided"].all()
    assert (table["better"] == 1.0).all() and (table["series"] == 12).all()


def test_compare_differences_are_the_per_series_errors_differences():
    frame = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 3), "ds": np.tile([1, 2, 3], 2),
                          "y": [1.0, 2, 3, 4, 5, 6]})
    frame["close"] = frame["y"] + 1.0
    frame["far"] = frame["y"] + np.repeat([3.0, 2.0], 3)
    table = compare(frame, "close", metrics="mae")
    row = table.iloc[0]
    assert row["model"] == "far" and row["difference"] == pytest.approx(1.5)  # (2 + 1) / 2
    assert row["low"] >= 1.0 and row["high"] <= 2.0 and row["better"] == 0.0


def test_compare_names_the_models_when_the_baseline_is_unknown():
    frame = pd.DataFrame({"unique_id": "a", "ds": [1, 2], "y": [1.0, 2.0],
                          "Naive": [1.0, 1.0], "Drift": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"'SeasonalNaive'.*\['Naive', 'Drift'\]"):
        compare(frame, "SeasonalNaive")
    with pytest.raises(ValueError, match="add another model"):
        compare(frame.drop(columns="Drift"), "Naive")
    with pytest.raises(ValueError, match=r"models \['Theta'\] are not other model columns"):
        compare(frame, "Naive", models=["Theta"])


def test_compare_can_put_only_the_named_models_against_the_baseline():
    cv = cross_validation(_seasonal_panel(), [SeasonalNaive(12), Naive(12)], h=12)
    table = compare(cv, "Naive", metrics="mase", models="SeasonalNaive")
    assert list(table["model"]) == ["SeasonalNaive"]
    assert table["difference"].iloc[0] == pytest.approx(
        compare(cv, "Naive", metrics="mase")["difference"].iloc[0])



def test_compare_warns_when_there_are_too_few_series_for_its_intervals():
    frame = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "ds": [1, 2, 1, 2],
                          "y": [1.0, 2.0, 3.0, 4.0], "close": [1.5, 2.5, 3.5, 4.5],
                          "far": [3.0, 4.0, 5.0, 6.0]})
    with pytest.warns(comparison.FewSeriesWarning, match="only 2 series to compare on"):
        table = compare(frame, "close", metrics="mae")
    assert not table["decided"].any()
