import numpy as np
import pytest

import rnncast.data.scalers as scalers
from rnncast.data.scalers import (
    centred_moving_average,
    is_seasonal,
    season_shares,
    seasonal_indices,
    seasonal_naive_scale,
    series_statistics,
    smoothing_weights,
    window_statistics,
)


def test_window_scale_is_the_mean_absolute_seasonal_change():
    windows = np.array([[1.0, 2.0, 4.0, 7.0, 11.0, 16.0],
                        [5.0, 1.0, 5.0, 1.0, 5.0, 1.0]])
    level, scale = window_statistics(windows, season=2)
    np.testing.assert_allclose(level[:, 0], [41 / 6, 3.0])
    np.testing.assert_allclose(scale[:, 0], [(3 + 5 + 7 + 9) / 4, 0.0 + 3.0])
    # the second window repeats every 2 steps: no seasonal change, so its level is used
    level, scale = window_statistics(windows, season=1)
    np.testing.assert_allclose(scale[:, 0], [3.0, 4.0])


def test_a_window_no_longer_than_a_season_uses_the_change_over_one_step():
    windows = np.array([[1.0, 3.0, 2.0, 6.0]])
    np.testing.assert_allclose(window_statistics(windows, season=12)[1], [[7 / 3]])
    np.testing.assert_allclose(window_statistics(windows, season=4)[1], [[7 / 3]])


@pytest.mark.parametrize("window, expected", [
    ([7.0, 7.0, 7.0], 7.0), ([0.0, 0.0, 0.0], 1.0), ([-2.0, -2.0], 2.0), ([5.0], 5.0),
])
def test_a_window_without_change_falls_back_to_its_level_or_one(window, expected):
    level, scale = window_statistics(np.array([window]), season=1)
    assert level[0, 0] == window[0] and scale[0, 0] == expected


def test_series_statistics_are_each_series_mean_and_spread():
    values = np.array([1.0, 3.0, 10.0, 10.0, 10.0])
    mean, scale = series_statistics(values, np.array([0, 2, 5]))
    np.testing.assert_allclose(mean, [2.0, 10.0])
    np.testing.assert_allclose(scale, [1.0, 10.0])


def test_seasonal_naive_scale_is_each_series_mean_absolute_seasonal_change():
    series = [[1.0, 2.0, 4.0, 7.0, 11.0],  # longer than the season of 2: lag 2
              [5.0, 1.0],  # not longer than a season: lag 1
              [3.0, 3.0, 3.0],  # no change: falls back to its level
              [0.0],  # one value, no change, level 0: 1
              [-4.0, 0.0, 4.0, -4.0]]
    values = np.concatenate(series)
    starts = np.concatenate([[0], np.cumsum([len(s) for s in series])])
    np.testing.assert_allclose(seasonal_naive_scale(values, starts, season=2),
                               [(3 + 5 + 7) / 3, 4.0, 3.0, 1.0, (8 + 4) / 2])
    np.testing.assert_allclose(seasonal_naive_scale(values, starts, season=1),
                               [(1 + 2 + 3 + 4) / 4, 4.0, 3.0, 1.0, (4 + 4 + 8) / 3])


PATTERN = np.array([1.2, 0.8, 1.0, 1.1, 0.9, 1.0, 1.3, 0.7, 1.0, 1.0, 1.05, 0.95])
# a tourist season: the peak six times the trough
STRONG = np.array([1.0, 1.5, 1.6, 1.6, 1.8, 1.2, 0.6, 0.4, 0.3, 0.5, 0.5, 0.6])


def test_seasonal_indices_recover_a_multiplicative_pattern_and_leave_the_rest():
    t = np.arange(60)
    seasonal = (100 + t) * PATTERN[t % 12]
    noise = 100 + np.random.default_rng(0).normal(0, 1, 40)
    short = (100 + np.arange(20)) * PATTERN[np.arange(20) % 12]  # under two seasons
    negative = seasonal - 150  # has values <= 0
    values = np.concatenate([seasonal, noise, short, negative])
    starts = np.array([0, 60, 100, 120, 180])
    indices = seasonal_indices(values, starts, season=12)
    assert indices.shape == (4, 12)
    np.testing.assert_allclose(indices[0], PATTERN / PATTERN.mean(), atol=2e-3)
    np.testing.assert_array_equal(indices[2:], 1.0)
    np.testing.assert_array_equal(seasonal_indices(values, starts, season=1), 1.0)
    # the noise fails the seasonality test: its own factors, halfway to 1
    assert not is_seasonal(noise, 12)
    assert 0 < np.abs(indices[1] - 1).max() < 0.01


def test_two_seasons_are_enough_for_seasonal_factors_one_value_fewer_is_not():
    t = np.arange(24)
    two_seasons = (100 + t) * PATTERN[t % 12]
    values = np.concatenate([two_seasons, two_seasons[:23]])
    indices = seasonal_indices(values, np.array([0, 24, 47]), season=12)
    # 12 pairs at the season's lag are too few to pass the seasonality test: half factors
    assert not is_seasonal(two_seasons, 12)
    np.testing.assert_allclose(indices[0], 1 + 0.5 * (PATTERN / PATTERN.mean() - 1),
                               atol=1e-3)
    np.testing.assert_array_equal(indices[1], 1.0)


def test_a_series_that_fails_the_seasonality_test_keeps_half_its_factors(monkeypatch):
    import rnncast.data.scalers as scalers

    t = np.arange(48)
    weak = (100 + t) * (1 + 0.2 * (PATTERN[t % 12] - 1))
    weak += np.random.default_rng(3).normal(0, 3, 48)
    starts = np.array([0, 48])
    assert not is_seasonal(weak, 12)
    half = seasonal_indices(weak, starts, season=12)[0]
    monkeypatch.setattr(scalers, "is_seasonal", lambda series, season: True)
    full = seasonal_indices(weak, starts, season=12)[0]
    assert np.abs(full - 1).max() > 0.01
    np.testing.assert_allclose(half - 1, scalers.WEAK_SEASON_SHARE * (full - 1), rtol=1e-12)
    assert scalers.WEAK_SEASON_SHARE == 0.5


def test_season_shares_minimise_each_series_one_step_squared_error():
    rng = np.random.default_rng(4)
    t = np.arange(30)
    series = [
        (100 + t) * STRONG[t % 12] * rng.lognormal(0, 0.03, 30),  # strong: keep all
        100 + rng.normal(0, 5, 30),  # no season: keep none
        (100 + t) * (1 + 0.3 * (PATTERN[t % 12] - 1)) + rng.normal(0, 2, 30),
    ]
    values = np.concatenate(series)
    starts = np.array([0, 30, 60, 90])
    which = np.arange(3)
    full = seasonal_indices(values, starts, season=12, weak_share=1.0)
    shares = season_shares(values, starts, which, full)

    def least_squared_errors(y, factors):
        """SES of y / factors, multiplied back, at its best weight: a loop per weight."""
        f = factors[np.arange(len(y)) % 12]
        best = np.inf
        for weight in scalers.SMOOTHING_GRID:
            level, total = y[0] / f[0], 0.0
            for k in range(1, len(y)):
                total += (y[k] - level * f[k]) ** 2
                level += weight * (y[k] / f[k] - level)
            best = min(best, total)
        return best

    for k, y in enumerate(series):
        errors = [least_squared_errors(y, 1 + share * (full[k] - 1))
                  for share in scalers.SEASON_SHARE_GRID]
        assert shares[k] == scalers.SEASON_SHARE_GRID[int(np.argmin(errors))]
    assert shares[0] == 1.0


def test_a_short_series_that_fails_the_test_can_keep_the_share_its_history_fits():
    t = np.arange(30)
    strong = (100 + t) * STRONG[t % 12]  # two and a half seasons
    assert not is_seasonal(strong, 12)  # 18 pairs at lag 12: the test is weak here
    longer = (100 + np.arange(40)) * STRONG[np.arange(40) % 12]  # three seasons and more
    assert not is_seasonal(longer, 12)
    values, starts = np.concatenate([strong, longer]), np.array([0, 30, 70])
    half = seasonal_indices(values, starts, season=12)
    own = seasonal_indices(values, starts, season=12, own_share_below=3)
    full = seasonal_indices(values, starts, season=12, weak_share=1.0)
    np.testing.assert_allclose(half - 1, 0.5 * (full - 1), rtol=1e-12)
    # the short series keeps the share it fits best (all of it); the longer one, half
    assert season_shares(values, starts, np.array([0]), full[:1])[0] == 1.0
    np.testing.assert_array_equal(own[0], full[0])
    np.testing.assert_array_equal(own[1], half[1])
    # a series that passes the test keeps all its factors
    seasonal = (100 + np.arange(60)) * PATTERN[np.arange(60) % 12]
    assert is_seasonal(seasonal, 12)
    np.testing.assert_array_equal(
        seasonal_indices(seasonal, np.array([0, 60]), 12, own_share_below=6),
        seasonal_indices(seasonal, np.array([0, 60]), 12, weak_share=0.0))


def test_seasonal_indices_are_phased_from_each_series_first_value():
    t = np.arange(3, 63)  # the series starts at step 3 of the pattern
    values = (100 + t) * PATTERN[t % 12]
    indices = seasonal_indices(values, np.array([0, 60]), season=12)
    np.testing.assert_allclose(indices[0], np.roll(PATTERN, -3) / PATTERN.mean(), atol=2e-3)


def test_seasonality_test_uses_the_autocorrelation_at_the_season():
    t = np.arange(48)
    assert is_seasonal(10 + np.sin(2 * np.pi * t / 4), 4)
    assert not is_seasonal(np.random.default_rng(1).normal(size=48), 4)
    assert not is_seasonal(np.full(48, 3.0), 4)  # constant: no autocorrelation at all


def test_centred_moving_average_is_a_2_by_m_average_for_even_seasons():
    series = np.arange(10.0)
    average = centred_moving_average(series, 4)
    assert np.isnan(average[:2]).all() and np.isnan(average[-2:]).all()
    np.testing.assert_allclose(average[2:-2], series[2:-2])  # a line averages to itself
    np.testing.assert_allclose(centred_moving_average(np.array([3.0, 6, 9, 3, 6, 9]), 3),
                               [np.nan, 6, 6, 6, 6, np.nan])


GRID = np.round(np.arange(0.1, 1.0001, 0.05), 2)


def test_smoothing_weights_minimise_each_series_one_step_squared_error():
    rng = np.random.default_rng(3)
    series = [50 + rng.normal(0, 2, 60),  # steady and noisy: smooth it much
              rng.normal(0, 1, 80).cumsum(),  # a random walk: follow the last value
              np.full(12, 7.0),  # constant: every weight fits, the smallest is taken
              np.array([4.0]),  # one value: nothing to fit
              rng.normal(0, 1, 5).cumsum()]
    values = np.concatenate(series)
    starts = np.concatenate([[0], np.cumsum([len(y) for y in series])])
    weights = smoothing_weights(values, starts, GRID)

    def squared_errors(y, weight):
        level, total = y[0], 0.0
        for value in y[1:]:
            total += (value - level) ** 2
            level += weight * (value - level)
        return total

    for y, weight in zip(series, weights):
        errors = [squared_errors(y, w) for w in GRID]
        assert weight == GRID[int(np.argmin(errors))]
    assert weights[0] <= 0.2 and weights[1] >= 0.8
    assert weights[2] == weights[3] == 0.1
