"""The seed notebook's configuration trains correctly in rnncast."""

import numpy as np

from rnncast.seed_notebook import SEED_SALES, sliding_windows, train_seed_configuration


def test_windows_cover_every_day_after_the_lookback():
    inputs, targets = sliding_windows(SEED_SALES, 3)
    assert inputs.shape == (12, 3, 1) and targets.shape == (12, 1)
    np.testing.assert_array_equal(inputs[0, :, 0], [100, 90, 120])
    np.testing.assert_array_equal(targets[:, 0], SEED_SALES[3:])


def test_seed_configuration_has_exact_gradients_and_its_loss_falls():
    run = train_seed_configuration(epochs=200)
    assert max(run.gradient_errors.values()) < 1e-6, run.gradient_errors
    assert run.epoch_loss[-1] < 0.97 * run.epoch_loss[0]  # SGD at 0.001 learns slowly
    assert np.all(np.diff(run.epoch_loss[::20]) < 0)  # falls steadily, not by luck


def test_forecasts_come_back_in_sales_units():
    run = train_seed_configuration(epochs=50)
    assert 60 < run.next_value < 160  # the notebook's forecasts were near 0
    assert np.all((run.fitted > 60) & (run.fitted < 160))


def test_same_seed_gives_bit_identical_training():
    first, second = train_seed_configuration(epochs=5), train_seed_configuration(epochs=5)
    assert first.epoch_loss == second.epoch_loss
    assert first.next_value == second.next_value
