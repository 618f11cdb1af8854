import numpy as np
import pytest

from rnncast.errors import ShapeError
from rnncast.evaluate import coverage, mae, mape, mase, mase_scale, pinball_loss, rmse, smape


def test_mae_and_rmse_of_one_series():
    y, f = [1, 2, 3], [2, 2, 5]
    assert mae(y, f) == pytest.approx(1.0)  # (1 + 0 + 2) / 3
    assert rmse(y, f) == pytest.approx(np.sqrt(5 / 3))


def test_per_series_values_and_their_mean_over_series():
    y = np.array([[1.0, 1.0], [0.0, 0.0]])
    f = np.array([[2.0, 4.0], [0.0, 2.0]])
    np.testing.assert_allclose(rmse(y, f, per_series=True), [np.sqrt(5), np.sqrt(2)])
    assert rmse(y, f) == pytest.approx((np.sqrt(5) + np.sqrt(2)) / 2)
    np.testing.assert_allclose(mae(y, f, per_series=True), [2, 1])


def test_mape_leaves_out_zero_actuals():
    assert mape([0, 2, 4], [1, 1, 5]) == pytest.approx(37.5)  # (50 + 25) / 2


def test_mape_of_an_all_zero_series_is_nan_and_left_out_of_the_mean():
    y = np.array([[0.0, 0.0], [2.0, 4.0]])
    f = np.array([[1.0, 1.0], [1.0, 5.0]])
    per = mape(y, f, per_series=True)
    assert np.isnan(per[0]) and per[1] == pytest.approx(37.5)
    assert mape(y, f) == pytest.approx(37.5)


def test_smape_is_the_m3_definition_with_zero_over_zero_as_zero():
    # 200 |y - f| / (|y| + |f|): 0/0 -> 0, 200 * 2 / 4 = 100, 0
    assert smape([0, 1, 2], [0, 3, 2]) == pytest.approx(100 / 3)
    assert smape([1], [-1]) == pytest.approx(200)


def test_mase_scales_by_the_in_sample_naive_error():
    # lag-1 differences of [1, 3, 2, 5] are 2, 1, 3: scale 2; MAE 1
    assert mase([4, 6], [5, 5], insample=[1, 3, 2, 5], season_length=1) == pytest.approx(0.5)


def test_mase_scale_uses_the_seasonal_lag():
    # lag-3 differences of [1, 2, 3, 2, 4, 6] are 1, 2, 3
    np.testing.assert_allclose(mase_scale([1, 2, 3, 2, 4, 6], 3), [2.0])


def test_mase_scale_is_nan_for_a_series_no_longer_than_a_season():
    """No seasonal difference, no seasonal scale (utilsforecast's mase agrees); lag 1
    is the user's explicit choice."""
    assert np.isnan(mase_scale([[1, 3], [0, 0.5, 2.5]], 12)).all()
    np.testing.assert_allclose(mase_scale([[1, 3], [0, 0.5, 2.5]], 1), [2.0, 1.25])
    np.testing.assert_allclose(mase_scale(np.arange(14.0), 12), [12.0])


def test_mase_scale_leaves_out_the_nan_padding_of_ragged_series():
    padded = np.array([[np.nan, np.nan, 1.0, 2.0, 4.0], [1.0, 3.0, 2.0, np.nan, 5.0]])
    ragged = np.array([1.0, 2.0, 4.0])  # the first row without its padding
    np.testing.assert_allclose(mase_scale(padded, 1), [1.5, 1.5])  # |2-1|,|4-2|; |3-1|,|2-3|
    np.testing.assert_allclose(mase_scale(padded[:1], 1), mase_scale([ragged], 1))
    y, f = np.array([[3.0, 5.0]]), np.array([[4.0, 6.0]])
    assert mase(y, f, padded[:1], 1) == mase(y, f, [ragged], 1) == pytest.approx(1 / 1.5)


def test_mase_is_nan_for_a_history_that_repeats_each_season_up_to_rounding():
    t = np.arange(72)
    periodic = 10 + np.sin(2 * np.pi * t / 24)  # differences at lag 24 are about 1e-15
    nearly = periodic + 1e-6 * (t % 5)  # small but real differences

    per = mase(np.ones((2, 3)), np.zeros((2, 3)), [periodic, nearly], 24, per_series=True)

    assert np.isnan(per[0]) and np.isfinite(per[1])


def test_mase_is_nan_for_a_constant_or_single_value_history():
    y = np.ones((3, 2))
    f = np.zeros((3, 2))
    per = mase(
        y, f, [np.array([5.0, 5.0, 5.0]), np.array([7.0]), np.array([0.0, 2.0])], 1, per_series=True
    )
    assert np.isnan(per[0]) and np.isnan(per[1]) and per[2] == pytest.approx(0.5)
    assert mase(
        y, f, [np.array([5.0, 5.0, 5.0]), np.array([7.0]), np.array([0.0, 2.0])], 1
    ) == pytest.approx(0.5)


def test_mase_needs_one_history_per_series():
    with pytest.raises(ShapeError, match="one history per series"):
        mase(np.ones((2, 3)), np.ones((2, 3)), [np.arange(4.0)] * 3, 1)


def test_pinball_loss_weighs_under_and_over_forecasts_by_the_quantile():
    # q = 0.9: y - f = 2 costs 0.9 * 2; y - f = -2 costs 0.1 * 2
    assert pinball_loss([10, 10], [8, 12], q=0.9) == pytest.approx(1.0)
    assert pinball_loss([10, 10], [8, 12], q=0.5) == pytest.approx(1.0)
    assert pinball_loss([10], [12], q=0.25) == pytest.approx(1.5)


@pytest.mark.parametrize("q", [0, 1, 1.5])
def test_pinball_loss_rejects_a_quantile_outside_zero_one(q):
    with pytest.raises(ValueError, match="q is a quantile"):
        pinball_loss([1], [1], q)


def test_coverage_counts_actuals_inside_the_closed_interval():
    assert coverage([1, 2, 3, 4], lo=[0, 2, 4, 0], hi=[2, 3, 5, 3]) == pytest.approx(0.5)


def test_missing_actuals_are_left_out_and_missing_forecasts_give_nan():
    assert mae([1, np.nan, 3], [2, 100, 3]) == pytest.approx(0.5)
    per = mae(
        np.array([[1.0, 2.0], [1.0, 1.0]]), np.array([[np.nan, 2.0], [2.0, 2.0]]), per_series=True
    )
    assert np.isnan(per[0]) and per[1] == 1


@pytest.mark.parametrize("metric", [mae, rmse, mape, smape])
def test_a_missing_forecast_makes_the_mean_over_series_nan(metric):
    """Left out, the failed series would flatter the model: 0.0 here instead of NaN."""
    y = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    f = np.array([[1.0, 2.0, 3.0], [np.nan, 5.0, 6.0]])
    assert np.isnan(metric(y, f))
    assert metric(y, y) == 0.0  # and nothing missing: the plain mean
    assert np.isnan(mase(y, f, np.arange(10.0).reshape(2, 5), 1))
    assert np.isnan(coverage(y, lo=f, hi=y + 1))
    assert metric(np.array([[1.0, np.nan], [4.0, 5.0]]),  # no actual there: not missing
                  np.array([[1.0, np.nan], [4.0, 5.0]])) == 0.0


@pytest.mark.parametrize("metric", [mae, rmse, mape, smape])
def test_shapes_must_match(metric):
    with pytest.raises(ShapeError, match="same shape"):
        metric(np.ones(3), np.ones(4))
