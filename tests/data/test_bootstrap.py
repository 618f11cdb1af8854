"""Bootstrapped copies of series without a season (rnncast.data.bootstrap)."""

import numpy as np
import pytest

from rnncast.data.bootstrap import (
    MIN_COPY_LENGTH,
    bootstrap_panel_values,
    bootstrapped_copies,
    box_cox,
    guerrero_lambda,
    inverse_box_cox,
    local_linear_trend,
    moving_block_bootstrap,
)


def test_guerrero_chooses_the_log_where_noise_grows_with_the_level_and_none_where_it_does_not():
    rng = np.random.default_rng(0)
    multiplicative = np.exp(np.linspace(0, 4, 200) + rng.normal(0, 0.1, 200))  # 1 to 55
    additive = 20 + 2 * np.arange(200) + rng.normal(0, 2.0, 200)  # 20 to 418
    assert guerrero_lambda(multiplicative) <= 0.1
    assert guerrero_lambda(additive) == 1.0
    assert guerrero_lambda(np.repeat([3.0, 5.0], [2, 2])) == 1.0  # flat blocks: no transform


@pytest.mark.parametrize("lam", [0.0, 0.37, 1.0])
def test_box_cox_inverts(lam):
    x = np.array([0.5, 1.0, 7.0, 120.0])
    np.testing.assert_allclose(inverse_box_cox(box_cox(x, lam), lam), x, rtol=1e-12)


def test_inverse_box_cox_gives_zero_below_the_transforms_range():
    assert inverse_box_cox(np.array([-3.0]), 0.5)[0] == 0.0  # -3 < -1 / 0.5


def _weighted_line_at(z, t, neighbours):
    """The loess fit at time t, computed directly: nearest neighbours, tricube
    weights, weighted least squares."""
    times = np.arange(len(z))
    nearest = np.argsort(np.abs(times - t), kind="stable")[:neighbours]
    reach = np.abs(times[nearest] - t).max()
    weight = (1 - (np.abs(times[nearest] - t) / reach) ** 3) ** 3
    design = np.stack([np.ones(neighbours), times[nearest] - t], axis=1)
    root = np.sqrt(weight)[:, None]
    coefficients = np.linalg.lstsq(design * root, z[nearest] * root[:, 0], rcond=None)[0]
    return coefficients[0]


@pytest.mark.parametrize("n", [6, 7, 12, 25])
def test_local_linear_trend_is_weighted_least_squares_over_the_nearest_values(n):
    z = np.random.default_rng(n).normal(size=n).cumsum()
    expected = [_weighted_line_at(z, t, 6) for t in range(n)]
    np.testing.assert_allclose(local_linear_trend(z), expected, rtol=1e-9, atol=1e-9)


def test_local_linear_trend_reproduces_a_line():
    line = 3.0 + 0.5 * np.arange(20)
    np.testing.assert_allclose(local_linear_trend(line), line, rtol=1e-12)


def test_moving_block_bootstrap_lays_whole_blocks_end_to_end():
    n, block = 23, 4
    remainder = np.arange(n, dtype=float)
    out = moving_block_bootstrap(remainder, block, np.random.default_rng(1))
    assert out.shape == (n,) and np.isin(out, remainder).all()
    runs = np.split(out, np.flatnonzero(np.diff(out) != 1) + 1)  # consecutive stretches
    # inside: whole blocks (two drawn blocks may happen to continue one another)
    assert all(len(run) % block == 0 for run in runs[1:-1])
    assert len(runs[0]) >= 1 and len(runs) >= n // block
    assert sum(len(run) for run in runs) == n


def test_copies_keep_the_length_and_vary_only_the_noise():
    rng = np.random.default_rng(2)
    x = 100 + 3 * np.arange(30) + rng.normal(0, 2, 30)
    copies = bootstrapped_copies(x, 3, np.random.default_rng(0))
    assert len(copies) == 3 and all(c.shape == x.shape for c in copies)
    assert not np.allclose(copies[0], copies[1])
    for copy in copies:  # the same trend: the straight line fitted to each is alike
        assert np.polyfit(np.arange(30), copy, 1)[0] == pytest.approx(3.0, abs=0.3)
    again = bootstrapped_copies(x, 3, np.random.default_rng(0))
    for a, b in zip(copies, again, strict=True):
        np.testing.assert_array_equal(a, b)  # the same generator, the same copies


def test_a_noiseless_line_has_nothing_to_resample():
    line = 10.0 + 2.0 * np.arange(12)
    for copy in bootstrapped_copies(line, 2, np.random.default_rng(0)):
        np.testing.assert_allclose(copy, line, rtol=1e-9)


def test_series_with_values_at_or_below_zero_are_resampled_untransformed():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 20).cumsum()
    x[0] = -5.0
    copy = bootstrapped_copies(x, 1, np.random.default_rng(0))[0]
    assert np.isfinite(copy).all() and (copy < 0).any()


def test_short_series_get_no_copies():
    assert bootstrapped_copies(np.arange(1.0, MIN_COPY_LENGTH), 2,
                               np.random.default_rng(0)) == []
    assert bootstrapped_copies(np.arange(1.0, 20.0), 0, np.random.default_rng(0)) == []


def test_panel_copies_follow_the_series_with_their_source():
    rng = np.random.default_rng(4)
    series = [rng.uniform(5, 10, n) for n in (12, 4, 9)]
    values = np.concatenate(series)
    starts = np.array([0, 12, 16, 25])
    out, out_starts, source = bootstrap_panel_values(values, starts, 2,
                                                     np.random.default_rng(0), min_length=8)
    # the second series (4 values) is too short for a copy
    np.testing.assert_array_equal(source, [0, 0, 2, 2])
    np.testing.assert_array_equal(out_starts, [0, 12, 16, 25, 37, 49, 58, 67])
    np.testing.assert_array_equal(out[:25], values)
    assert out.shape == (67,)
