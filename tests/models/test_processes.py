"""RNNForecaster(n_jobs=...): members trained in worker processes come back as one
process trains them."""

import multiprocessing
import os
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import threadpoolctl

import rnncast.models.rnn as rnn_module
from rnncast.errors import NotFittedError, TrainingError, TrainingInterrupted, WorkerError
from rnncast.models.processes import resolve_jobs, stop_requested, worker_pool
from rnncast.models.rnn import RNNForecaster, TrainingStuckWarning
from rnncast.nn import kernels
from rnncast.seed_notebook import SEED_SALES
from tests.frames import long_frame
from tests.models.test_rnn import FAST, TINY, ar_series, monthly, poison_losses, sine_series

# a monkeypatch reaches the workers only when they are forked from this process
forked = pytest.mark.skipif(not sys.platform.startswith("linux"),
                            reason="workers are forked only on Linux")


def yearly_panel():
    """Data without a season: GRU and LSTM members of three lookbacks, six member sets."""
    series = ar_series([0.6, 0.2], 40, 6, seed=3, level=50.0)
    return long_frame(series, start="1980-01-01", freq="YS")


def assert_same_fit(one, many):
    pd.testing.assert_frame_equal(one.predict(), many.predict(), check_exact=True)
    pd.testing.assert_frame_equal(one.history_.drop(columns="seconds"),
                                  many.history_.drop(columns="seconds"), check_exact=True)
    assert list(one.refit_epochs_.items()) == list(many.refit_epochs_.items())
    assert one.member_lookbacks_ == many.member_lookbacks_
    assert one.member_cells_ == many.member_cells_
    for first, second in zip(one.networks_, many.networks_, strict=True):
        for a, b in zip(first.weights(), second.weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_members_trained_in_processes_are_bit_identical_to_one_process():
    df = yearly_panel()
    one = RNNForecaster(3, **FAST).fit(df)
    assert len(set(zip(one.member_cells_, one.member_lookbacks_))) == 6
    many = RNNForecaster(3, n_jobs=2, **FAST).fit(df)
    assert_same_fit(one, many)
    # runs and members are numbered as one process numbers them
    assert many.history_.run.is_monotonic_increasing
    assert sorted(set(many.history_.member) - {-1}) == list(range(len(many.networks_)))


def test_n_jobs_changes_nothing_in_a_seasonal_fit_with_more_processes_than_member_sets():
    df = monthly(sine_series(60, 4, seed=4))
    one = RNNForecaster(3, n_ensemble=2, **FAST).fit(df)
    many = RNNForecaster(3, n_ensemble=2, n_jobs=8, **FAST).fit(df)
    assert_same_fit(one, many)


@pytest.mark.parametrize("options", [
    {"refit": False}, {"early_stopping": False}, {"levels": [80]}, {"recursive": True},
    {"conformal_windows": 2}])
def test_n_jobs_changes_nothing_whatever_the_training_options(options):
    df = monthly(sine_series(48, 3, seed=5))
    settings = dict(lookback=[6, 12], **TINY, **options)
    one = RNNForecaster(3, **settings).fit(df)
    many = RNNForecaster(3, n_jobs=2, **settings).fit(df)
    assert_same_fit(one, many)
    if "levels" in options or "conformal_windows" in options:
        pd.testing.assert_frame_equal(one.predict(levels=[80]), many.predict(levels=[80]),
                                      check_exact=True)


def test_a_lookback_too_long_to_hold_out_trains_after_the_one_it_borrows_epochs_from():
    df = monthly(sine_series(29, 3, seed=8))  # 29 values: 12 + 3 + 3 held out fit, 24 not
    options = dict(patience=3, lookback=[12, 24], **FAST)
    one = RNNForecaster(3, **options).fit(df)
    many = RNNForecaster(3, n_jobs=2, **options).fit(df)
    assert_same_fit(one, many)
    long_member = many.history_[many.history_.lookback == 24]
    assert long_member.epoch.max() == many.refit_epochs_["gru", 12, 0]


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, "2", True])
def test_n_jobs_is_checked(n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be a positive integer, or -1"):
        RNNForecaster(3, n_jobs=n_jobs, **TINY).fit(monthly(sine_series(48, 2, seed=1)))


def test_n_jobs_minus_one_is_a_process_per_usable_core_and_none_is_one():
    assert resolve_jobs(-1) == kernels.usable_cores()
    assert resolve_jobs(None) == 1 and resolve_jobs(3) == 3


def test_a_stuck_fit_in_processes_warns_once_from_the_callers_line():
    # the seed notebook's unscaled setup (tests/models/test_rnn.py), two lookbacks
    model = RNNForecaster(1, cell="rnn", hidden_size=5, lookback=[3, 4], batch_size=4,
                          optimizer="sgd", learning_rate=1e-3, loss="mse", scaler="none",
                          recursive=True, early_stopping=False, epochs=20, n_jobs=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(SEED_SALES)
    stuck = [w for w in caught if w.category is TrainingStuckWarning]
    assert len(stuck) == 1 and stuck[0].filename == __file__
    assert "saturated" in str(stuck[0].message)


@forked
def test_a_training_error_in_a_worker_reaches_the_caller(monkeypatch):
    poison_losses(monkeypatch, set(range(1000)))
    with pytest.raises(TrainingError, match="diverged.*halving the learning rate 5 times"):
        RNNForecaster(3, lookback=[6, 12], n_jobs=2, **TINY).fit(
            monthly(sine_series(48, 3, seed=14)))


@forked
def test_a_worker_that_dies_is_an_error_naming_the_fix_not_a_wait_without_end(monkeypatch):
    # killed by the system for memory, say: a multiprocessing.Pool would wait for ever
    def dies_at_the_longest_lookback(self, cell, lookback, windows, history):
        if lookback == 12:
            os._exit(9)
        return original(self, cell, lookback, windows, history)

    original = RNNForecaster._fit_cell
    monkeypatch.setattr(RNNForecaster, "_fit_cell", dies_at_the_longest_lookback)
    model = RNNForecaster(3, lookback=[6, 12], n_jobs=2, **TINY)
    started = time.monotonic()
    with pytest.raises(WorkerError, match=r"a worker process ended without returning its "
                       r"members \(\d member set\(s\) unfinished, the GRU members of "
                       r"lookback \d+ among them\).*n_jobs=1 \(--jobs 1\)"):
        model.fit(monthly(sine_series(48, 3, seed=14)))
    assert time.monotonic() - started < 120
    with pytest.raises(NotFittedError):  # no half-fitted model is left
        model.predict()
    # the same forecaster fits again, in new worker processes
    monkeypatch.setattr(RNNForecaster, "_fit_cell", original)
    assert model.fit(monthly(sine_series(48, 3, seed=14))).member_lookbacks_ == [6, 12]


def _read_the_stop_flag_until_it_is_set():
    while not stop_requested():
        pass


@forked
def test_workers_ended_while_they_read_the_stop_flag_leave_the_parent_free_to_set_it():
    # when a worker dies the executor ends the others with SIGTERM, whatever they are
    # doing: a flag behind a lock (multiprocessing.Event) was left locked by one ended
    # while it read, and the parent's set() waited for ever, 3 times in 10 of this loop
    for _ in range(10):
        pool, stop = worker_pool(2)
        try:
            for _ in range(2):
                pool.submit(_read_the_stop_flag_until_it_is_set)
            time.sleep(0.3)  # both workers reading the flag, as fast as they can
            for process in multiprocessing.active_children():  # the pool's two workers
                process.terminate()
            setter = threading.Thread(target=stop.set, daemon=True)
            setter.start()
            setter.join(10)
            assert not setter.is_alive(), "set() waits on a lock an ended worker held"
            assert stop.is_set()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def test_a_daemonic_process_trains_its_members_itself(monkeypatch):
    def no_pool(processes):
        raise AssertionError("a daemonic process may not start workers")

    monkeypatch.setattr(rnn_module, "can_start_processes", lambda: False)
    monkeypatch.setattr(rnn_module, "worker_pool", no_pool)
    df = monthly(sine_series(48, 3, seed=2))
    alone = RNNForecaster(3, lookback=[6, 12], n_jobs=2, **TINY).fit(df)
    assert alone.member_lookbacks_ == [6, 12]


@forked
def test_ctrl_c_ends_each_workers_run_keeping_its_best_weights(monkeypatch):
    df = monthly(sine_series(48, 3, seed=18))
    original = RNNForecaster._fit_cell

    def endless_longest_lookback(self, cell, lookback, windows, history):
        if lookback == 12:  # in its worker: trains until the parent is interrupted
            self.epochs = self.patience = 10**6
        return original(self, cell, lookback, windows, history)

    interrupts = []
    collect = rnn_module._collect

    def interrupt_once_another_finished(pending, done, bar):
        if not interrupts:  # the first wait: Ctrl-C once the shorter lookback is back
            while not any(future.done() for future in pending.values()):
                time.sleep(0.01)
            if not all(future.done() for future in pending.values()):
                interrupts.append(1)
                raise KeyboardInterrupt  # Ctrl-C while the longest lookback still trains
        return collect(pending, done, bar)

    monkeypatch.setattr(RNNForecaster, "_fit_cell", endless_longest_lookback)
    monkeypatch.setattr(rnn_module, "_collect", interrupt_once_another_finished)
    with pytest.raises(TrainingInterrupted) as caught:
        RNNForecaster(3, lookback=[6, 12], n_jobs=2, **TINY).fit(df)
    assert interrupts == [1]
    model = caught.value.model
    assert model is not None and model.member_lookbacks_[0] == 6
    history = model.history_
    # the endless run stopped at the interrupt, with the epochs it had ended kept
    assert len(history[history.lookback == 12]) < 10**6
    assert model.member_lookbacks_ == [6] + [12] * int((history.lookback == 12).any())
    assert np.isfinite(model.predict().RNNForecaster).all()


def blas_threads():
    return {library["num_threads"] for library in threadpoolctl.threadpool_info()
            if library["user_api"] == "blas"}


@forked
def test_members_train_and_forecast_with_blas_on_one_thread_here_and_in_workers(monkeypatch):
    # BLAS's thread count changes the bits of the NumPy loops' products: a forecast
    # must depend neither on the cores nor on n_jobs
    original = RNNForecaster._train
    seen = []

    def checked_train(self, network, train, valid, rng, epochs, tags):
        threads = blas_threads()
        if threads != {1}:  # raised in a worker too, and so in the caller
            raise RuntimeError(f"BLAS ran on {threads} threads while training")
        seen.append(tags["lookback"])
        return original(self, network, train, valid, rng, epochs, tags)

    original_forecast = RNNForecaster._member_forecast

    def checked_forecast(self, network, history, season):
        seen.append(("forecast", tuple(blas_threads())))
        return original_forecast(self, network, history, season)

    monkeypatch.setattr(RNNForecaster, "_train", checked_train)
    monkeypatch.setattr(RNNForecaster, "_member_forecast", checked_forecast)
    before = blas_threads()
    df = monthly(sine_series(48, 3, seed=6))
    for n_jobs in (1, 2):
        RNNForecaster(3, lookback=[6, 12], n_jobs=n_jobs, **TINY).fit(df).predict()
    # the runs of this process (n_jobs=1) were checked, and every member's forecast
    assert {6, 12} <= set(seen)
    assert {entry for entry in seen if isinstance(entry, tuple)} == {("forecast", (1,))}
    assert blas_threads() == before  # and the caller's setting is back
