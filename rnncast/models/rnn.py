"""The global RNN forecaster: one network trained on windows of every series.

A window reads ``lookback`` past values, scaled (by default by that window's own mean
and its mean seasonal change, so series of any magnitude train together), and the
network's head emits the next ``horizon`` values at once (direct multi-step), or one
value that is fed back ``horizon`` times (``recursive=True``, the seed notebook's
one-step model). With ``levels``, the head emits quantiles too, trained with the
pinball loss, and the forecast carries prediction intervals.

Each window's loss is weighted by its scale over its series' in-sample seasonal naive
error, so what training minimises is the MASE of the windows' forecasts.

Centring and scaling hide how far a window sits above zero. Where the series never go
below zero and are not seasonally adjusted, and there are enough windows to learn from,
the network reads it as a second input: log(window mean / window scale).

Where a window is too short to show two seasons, or there are too few windows for the
network to learn the seasonal pattern itself, the seasonal series are first divided by
their seasonal indices (a classical decomposition) and the forecast is multiplied by
them again.

The forecast combines an ensemble: by default one member per lookback of one, two and
three horizons (or seasons, when longer), ``n_ensemble`` members per lookback with
different seeds (two in seasonal data with enough windows, one otherwise); in data
without a season, one GRU and one LSTM member per lookback, a
series shorter than a member's lookback is forecast without that member (the shortest
lookback's members forecast every series), and the forecast is the members' median
where there are enough windows to train on, their mean otherwise.
Each member's epoch count is chosen by a run of its own that holds out every series'
last horizon and stops early on it; the member then trains on all windows, the most
recent included, for twice that count.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import sys
import time
import warnings
from concurrent import futures
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd

from rnncast.data.bootstrap import bootstrap_panel_values
from rnncast.data.panel import Panel
from rnncast.data.scalers import (
    MIN_SEASONS,
    SCALERS,
    SMOOTHING_GRID,
    WEAK_SEASON_SHARE,
    has_seasonal_factors,
    seasonal_indices,
    seasonal_naive_scale,
    series_statistics,
    smoothing_weights,
    window_statistics,
)
from rnncast.data.windows import gather, pad_short_series, window_positions
from rnncast.errors import (
    DataError,
    TrainingError,
    TrainingInterrupted,
    WorkerError,
    stacklevel_outside_rnncast,
)
from rnncast.models.base import Forecaster, _check_levels, is_count, warn_once_per_fit
from rnncast.models.processes import (
    can_start_processes,
    resolve_jobs,
    stop_requested,
    worker_pool,
)
from rnncast.nn import (
    GRU,
    LSTM,
    RNN,
    SGD,
    Adam,
    AdamW,
    Linear,
    RecurrentRegressor,
    clip_grad_norm,
    kernels,
)
from rnncast.nn.losses import output_loss

logger = logging.getLogger(__name__)

CELLS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}
OPTIMIZERS = {"adam": Adam, "adamw": AdamW, "sgd": SGD}
WINDOW_WEIGHTS = ("mase", "equal")
PAD_WITH = ("first", "mean")


# Training health. A tanh unit beyond |h| = 0.99 sits on a flat tail where its
# derivative 1 - h^2 is below 0.02: it passes almost no gradient back in time.
SATURATED = 0.99
STUCK_SATURATION = 0.5  # share of saturated hidden values above which training is stuck
LARGE_INPUT = 8.0  # scaled inputs beyond this (99th percentile) saturate tanh units
VANISHED_GRAD_NORM = 1e-6  # a gradient norm below this with the loss still high: stuck
STUCK_LOSS = 1e-3  # scaled loss above which a vanished gradient means stuck, not done
MAX_RECOVERIES = 5  # non-finite steps recovered from (rate halved each time) per run

# Small data: fewer training windows (of the shortest lookback) than this. There, a
# smaller network: on M3's validation windows 16 units beat 32 in the yearly and
# "other" groups (fewer than 10,000 windows each) and lost in the quarterly and monthly
# ones (14,000 and more). And seasonal data are seasonally adjusted even where the
# windows hold two seasons: the network learns the pattern worse than the classical
# decomposition gives it. On M3's quarterly series fitted alone, in panels of 5, 20 and
# 120 (21 to 2,473 windows), adjusting cut MASE by 12% to 22% at three origins; in the
# whole group it helped at origins 2 and 3 (8,427 and 3,994 windows) and hurt at
# origin 1 (13,932).
SMALL_DATA_WINDOWS = 10_000
SMALL_DATA_HIDDEN_SIZE = 16
HIDDEN_SIZE = 32

# Default anchor: where the network's outputs are measured from. Below this many
# training windows (of the shortest lookback) the network learns little, and what it
# does not learn falls back on the anchor: the window's mean lags behind a trend, its
# last value (a naive forecast) does not. On M3 series fitted alone or in panels of 5
# or 20, below 1,000 windows, at three validation origins, the last value cut MASE over
# the four groups by 5% to 43%, and did better than choosing the anchor on each fit's
# held-out horizon; with 120 series per fit (about 2,000 windows and more) the anchors
# differed by 4% or less but for one case (docs/benchmarks.md, "Small data").
# In data without a season, the default there is the last value plus half the window's
# mean step for each step ahead ("drift"; the Theta method likewise extrapolates half
# the trend): on M3 yearly and "other" series fitted alone, at three origins and under
# two seeds, it beat the last value in all 12 comparisons (by 0.5% to 20%), in panels
# of 5 in 9 of 12. In seasonal data it did worse (single monthly series: 3.6% to 8.5%).
# There the default is an exponentially weighted level of the window's values (weight
# 0.7 on the last value, 0.21 on the one before, ...; "level"): less noisy than the
# last value, and still recent. On M3 monthly series fitted alone and in panels of 5 it
# beat the last value in all 12 comparisons (by 3.0% to 6.8%), on quarterly ones in 10
# of 12 (by up to 2.4%; the other two 0.6% and 0.1% worse). A weight of 0.5 did better
# on the monthly series and worse than the last value on most quarterly ones; each
# series' own weight, fitted to its history, does better than one weight for all
# (``LEVEL_SMOOTHING_GRID``).
# Below this many windows the default anchor is the drift or the level, not the
# window's mean, and neither the level input nor the members' median is used.
VERY_SMALL_DATA_WINDOWS = 1_000
ANCHORS = ("mean", "last", "level", "drift")

# How the members' forecasts combine (``combine=None``): their median in data without
# a season from VERY_SMALL_DATA_WINDOWS windows on, their mean otherwise. On the
# validation windows (MASE averaged over three origins, seeds 0 to 2 then 3 to 5), the
# median of the default members did better than their mean on M3's yearly series (0.8%
# and 1.1%, at each origin under both seed sets; likewise with six GRU or six LSTM
# members), on M3's "other" series (0.9% and 0.3%) and, under one seed set of two, on
# Tourism's yearly series (0.6%; 0.4% worse under the other). Below 1,000 windows it did
# not: M1's yearly series 0.2% and 0.5% worse, M3's yearly and "other" series in panels
# of 5 and 20 level. In seasonal data the mean did better: M3's quarterly series, 0.5%
# with the three default members, 0.4% with six GRU or with GRU and LSTM members.
COMBINES = ("mean", "median")
# Members per lookback (``n_ensemble=None``) in seasonal data from
# VERY_SMALL_DATA_WINDOWS windows on; one elsewhere. Each member chooses its own epoch
# count, so two members are two independent fits. On the validation windows (origins 1
# to 3, seeds 0 to 2) the mean of two fits did better than one, or as well, at every
# origin of six collections: M3 quarterly 1.083 / 1.189 / 1.398 against 1.088 / 1.190 /
# 1.398, M3 monthly 0.844 / 0.932 / 0.866 against 0.846 / 0.935 / 0.870, Tourism
# quarterly and monthly, M1 quarterly and monthly (by 0% to 1%). Two members after one
# shared epoch-choosing run did less (M3 quarterly 1.081 / 1.189 / 1.401). It doubles
# the fitting time. In data without a season more members did not help (M3 yearly,
# twelve members 3.261 / 3.272 / 2.443 against six 3.267 / 3.272 / 2.446).
SEASONAL_ENSEMBLE = 2
DRIFT_SHARE = 0.5  # of the window's mean step, added per step ahead by the drift anchor
# The "level" anchor's smoothing weights (of a window's newest value), one chosen per
# series by simple exponential smoothing of its history (``level_smoothing=None``).
# Against one weight of 0.7 for every series, on the validation windows of M3, Tourism
# and M1 fitted one and five series at a time (origins 1 to 3, quarterly and monthly
# series together): MASE lower in 16 of 18 comparisons under each of seeds 0 and 1, by
# up to 4.1%, and higher in the other 2, by 0.1% to 0.7%; lower on short histories in
# all nine rows measured (docs/benchmarks.md, "Small data").
LEVEL_SMOOTHING_GRID = SMOOTHING_GRID
# Below VERY_SMALL_DATA_WINDOWS, a series of fewer than this many seasons that fails the
# seasonality test keeps the share of its seasonal factors that fits its history best
# (``rnncast.data.scalers.season_shares``), not half of them: the test cannot tell with
# so few pairs at the season's lag, and a network that sees a few series cannot learn
# what factors too weak or too strong leave. On real monthly and quarterly series of
# M3, Tourism and M1 cut to two to three seasons and fitted 1 to 177 at a time (under
# 1,000 windows), MASE was lower in 21 of 22 comparisons (by 1.9% to 32%, means of two
# seeds) and 0.3% higher in the other; with hundreds of series (1,000 to 10,000
# windows) it was worse in 5 of 10 cases (every quarterly group cut so, by up to 8%),
# and on longer series it made little difference (docs/benchmarks.md, "Short seasonal
# histories: each series' own share of its factors").
OWN_SHARE_SEASONS = 3

# The level input (``level_input``): log(window mean / window scale), clipped to
# LEVEL_INPUT_RANGE, then centred on LEVEL_INPUT_CENTRE and divided by
# LEVEL_INPUT_SPREAD. The clip keeps an all-zero window (log 0) finite, and treats every
# window whose mean is more than e^4 (about 55) times its mean change alike: what the
# input says is how near zero a series is, and such a window is far from it. On M3's
# "other" group (smooth series: the last window of 75% of them is more than 55 times
# its mean change), means of six seeds, the input clipped at 8 was 2% worse than none
# at the third of three validation origins (6% on the longer series); clipped at 4 it
# was within 0.4% there, and kept part of its lead at the first two. The yearly and
# quarterly groups, whose windows are mostly below the clip (a median 13 and 14 times
# their mean change), did the same with either.
LEVEL_INPUT_RANGE = (-2.0, 4.0)
LEVEL_INPUT_CENTRE = 3.0
LEVEL_INPUT_SPREAD = 4.0

# The drift input (``drift_input``): a series' mean change per step before the window
# (its value at the window's first input minus its first value, over the steps
# between), over the window's scale, clipped to +-DRIFT_INPUT_CLIP: the long-run trend
# that a window of a few values cannot see. 0 where the window starts its series.
DRIFT_INPUT_CLIP = 2.0
# Bootstrapped copies of each series trained on beside it in data without a season
# (``bootstrap_copies``; ``rnncast.data.bootstrap``).
BOOTSTRAP_COPIES = 1
BOOTSTRAP_STREAM = 7  # the copies' random stream: seed [seed, 7], apart from the members'

# Default cells (``cell=None``). In data without a season, members of both cells. On
# the validation windows (MASE averaged over three origins, six seeds), one GRU and one
# LSTM member per lookback did better than two GRU members on M3's yearly series (0.7%
# lower, all at the later origins; level at the first, where the series are longest)
# and on M1's (0.6%; below 1,000 windows there), and tied on Tourism's yearly series
# (0.2% higher) and M3's "other" series (0.1% higher); M3's yearly and "other" series
# fitted 5 or 20 at a time (one seed) gave 0.1% to 0.3% higher and 0.4% to 0.5% lower.
# The LSTM alone did better on M3's and M1's yearly series and worse on the other two.
# In seasonal data (M3's quarterly and monthly groups, three seeds) the mix tied with
# the GRU (0.4% lower, 0.3% higher) at twice the cost, so there the GRU trains alone.
MIXED_CELLS = ("gru", "lstm")

# Default lookbacks, in horizons (or seasons, when longer): one member reads each.
DEFAULT_LOOKBACK_MULTIPLES = (1, 2, 3)
# A refit trains on one more window per series than the run that chose its epoch
# count, which stops at the first low of a noisy held-out loss. Twice that count did
# better than 1.5 times on the validation windows of M3, Tourism and M1: MASE over
# three origins 0.2% to 0.8% lower in 8 of their 10 groups, level in M1's monthly
# group and 0.1% higher in M3's (docs/benchmarks-log.md).
REFIT_EPOCHS = 2.0


class ShortSeriesWarning(UserWarning):
    """Some series are too short to give a training window and were left out of training."""


class TrainingStuckWarning(UserWarning):
    """Training ran but cannot learn: most recurrent units are saturated, or the
    gradients vanished while the loss is still high. The message says the likely cause
    and the fix."""


# What a network's outputs are changes from, in words (the window's mean: not said).
ANCHOR_DESCRIPTIONS = {"last": "each window's last value",
                       "level": "each window's smoothed level",
                       "drift": "each window's last value and half its drift"}


def _run_label(tags, anchor):
    """What a progress bar calls one training run."""
    what = "choosing epochs" if tags["member"] < 0 else f"member {tags['member'] + 1}"
    label = f"{tags['cell'].upper()}, lookback {tags['lookback']}, {what}"
    if anchor in ANCHOR_DESCRIPTIONS:
        label += f", from {ANCHOR_DESCRIPTIONS[anchor]}"
    return label


def _progress_bar(enabled, total, label, unit):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label, unit=unit, leave=False, file=sys.stderr,
                dynamic_ncols=True)


def _fit_cell_in_worker(learner, cell, lookback, windows):
    """In a worker process: ``learner._fit_cell`` for one (cell, lookback), from no
    members. Returns its members, their lookbacks, the epoch counts its held-out runs
    chose (``refit_epochs_`` entries), its history records and its warnings as
    (message, category), for ``RNNForecaster._keep_from_workers``. The parent's Ctrl-C
    ends it as Ctrl-C ends a fit in one process, with what was learnt kept."""
    learner.networks_, learner.member_lookbacks_, history = [], [], []
    with warnings.catch_warnings(record=True) as caught, kernels.single_threaded_blas():
        warnings.simplefilter("always")
        try:
            learner._fit_cell(cell, lookback, windows, history)
        except TrainingInterrupted as stop:
            history += stop.history
    chosen = {key: epochs for key, epochs in learner.refit_epochs_.items()
              if key[:2] == (cell, lookback)}
    return (learner.networks_, learner.member_lookbacks_, chosen, history,
            [(str(warning.message), warning.category) for warning in caught])


def _collect(pending, done, bar):
    """Move each worker's result from ``pending`` (task: future) to ``done`` (by task)
    as it comes; a worker's error is raised here, and ``WorkerError`` if a worker died."""
    while pending:
        # with a timeout, so that Ctrl-C is seen within 0.1 s on every platform
        futures.wait(pending.values(), timeout=0.1, return_when=futures.FIRST_COMPLETED)
        for task in [task for task in pending if pending[task].done()]:
            try:
                done[task] = pending.pop(task).result()
            except BrokenProcessPool as error:  # every task left fails alike
                cell, lookback = task
                raise WorkerError(
                    f"a worker process ended without returning its members ({len(pending) + 1} "
                    f"member set(s) unfinished, the {cell.upper()} members of lookback "
                    f"{lookback} among them): it was killed (by the system when memory ran "
                    f"out, say) or crashed. Fit with n_jobs=1 (--jobs 1) to train in this "
                    f"process, or with fewer processes to use less memory.") from error
            if bar is not None:
                bar.update()


class _Network(RecurrentRegressor):
    """The forecaster's network: recurrent layers and a linear head on the last layer's
    final state (``rnncast.nn.RecurrentRegressor``), and the random stream that drew
    its weights."""

    def __init__(self, cell, hidden_size, num_layers, dropout, outputs, dtype, rng,
                 input_size=1):
        # dropout acts between stacked layers; one layer has none (and would warn)
        super().__init__(CELLS[cell](input_size, hidden_size, num_layers,
                                     dropout=dropout if num_layers > 1 else 0.0,
                                     dtype=dtype, seed=rng),
                         Linear(hidden_size, outputs, dtype=dtype, seed=rng))
        self.cell = cell
        self.rng = rng  # the stream that drew the weights goes on to shuffle batches

    def saturation(self):
        """Share of the top layer's hidden values of the last pass with |h| > 0.99."""
        return float(np.mean(np.abs(self.top_states()) > SATURATED))

    def weights(self):
        return [layer.flat_params.copy() for layer in self.layers]

    def load_weights(self, weights):
        for layer, flat in zip(self.layers, weights):
            layer.flat_params[...] = flat


def is_real_number(value) -> bool:
    """An int or a float, NumPy's included; not a bool."""
    return not isinstance(value, bool) and isinstance(
        value, int | float | np.integer | np.floating)


def is_level_smoothing(value) -> bool:
    """A valid ``level_smoothing`` (or fitted ``level_smoothing_``): None, or in (0, 1]."""
    return value is None or (is_real_number(value) and 0 < value <= 1)


def _leading_means(values, starts, counts) -> np.ndarray:
    """(S,) each series' mean over its first ``counts`` (S,) values (at least one)."""
    counts = np.clip(counts, 1, np.diff(starts))
    totals = np.concatenate([[0.0], np.cumsum(values)])
    return (totals[starts[:-1] + counts] - totals[starts[:-1]]) / counts


def _never_negative(panel) -> np.ndarray:
    """(S,) bool: the series whose values are all >= 0."""
    return np.minimum.reduceat(panel.values, panel.starts[:-1]) >= 0


class RNNForecaster(Forecaster):
    """A global RNN/GRU/LSTM forecaster over many series.

    Parameters
    ----------
    horizon : int
        Steps to forecast.
    cell : {"rnn", "gru", "lstm"}, a list of them, or None
        The recurrent cell; with several, ``n_ensemble`` members of each cell read each
        lookback, and each cell's epochs are chosen by a held-out run of its own. None:
        GRU and LSTM members in data without a season (on the validation windows of
        M3's and M1's yearly series, one GRU and one LSTM member per lookback did 0.7%
        and 0.6% better than two GRU members; on Tourism's yearly series and M3's
        "other" series they tied), the GRU alone in seasonal data (in M3's quarterly and
        monthly groups the mix tied with it, at twice the cost). ``cells_`` says which
        after ``fit``, ``member_cells_`` each member's.
    hidden_size : int or None
        Units per recurrent layer. None: 32, or 16 when the shortest lookback gives
        fewer than 10,000 training windows (a smaller network learns better from little
        data; on M3's validation windows this held for the yearly and "other" groups
        and failed for the larger quarterly and monthly ones). ``hidden_size_`` says
        which after ``fit``.
    num_layers, dropout : stacked layers; dropout between them.
    lookback : int, sequence of int, or None
        Past values each window reads; with several, ``n_ensemble`` members read each.
        None: one, two and three times the horizon or the season, whichever is
        longer (series shorter than a window are padded on the left).
    loss : {"mae", "mse", "huber"}
        Training loss on scaled values (with ``levels``, the pinball loss is used).
    window_weights : {"mase", "equal"}
        ``"mase"``: each window's loss is weighted by the scale its values were divided
        by over its series' in-sample seasonal naive error (the MASE denominator), so
        that with ``loss="mae"`` training minimises the MASE of the windows' forecasts,
        the metric series are judged by, rather than an error relative to each window's
        own variation. Weights are normalised to a mean of 1. On M3's validation windows
        this lowered MASE, most in the quarterly group. ``"equal"``: every window
        weighs the same.
    scaler : {"window", "series", "none"}
        Per-window normalisation (default: centred on the window's mean, divided by
        its mean absolute change over a season, the in-window seasonal naive error
        that MASE divides by) or per-series standardisation. Whatever
        the scaler, a series whose last ``lookback`` values are all equal (constant,
        all-zero) is forecast flat at that value. ``"none"`` feeds the values as they
        are: only for data already on a unit scale (sales of about 100 saturate every
        tanh unit, and training warns with ``TrainingStuckWarning``).
    anchor : {"mean", "last", "level", "drift"} or None
        What the network's outputs are added to: the window's mean (its inputs are
        centred on it); its last value, so that the network predicts the change from
        the last value and a network that has learnt little forecasts close to naive;
        ``"level"``, an exponentially weighted mean of the window (weight a on the
        last value, a(1 - a) on the one before, ..., ``level_smoothing``), a naive
        forecast with less noise; or
        ``"drift"``, the last value plus, for each step ahead, half the window's mean
        step ((last - first) / (lookback - 1)), so that it falls back on a damped
        trend. None: where the shortest lookback gives fewer than 1,000 training
        windows (a few short series), ``"drift"`` for data without a season and
        ``"level"`` for seasonal data; ``"mean"`` otherwise. Fitted to a single M3
        yearly series, the mean anchor left forecasts lagging behind the trend and
        worse than naive; against the last value, the drift did better on single
        yearly and "other" series (by 0.5% to 20% at three origins), the level on
        single monthly ones (by 4.8% to 6.8%). ``anchor_`` says which after ``fit``.
    level_smoothing : float in (0, 1] or None
        The ``"level"`` anchor's weight a of a window's last value. None: each series'
        own, the weight of simple exponential smoothing fitted to its (seasonally
        adjusted) history: of 0.1, 0.15, ..., 1, the one with the least squared
        one-step-ahead error. A steady, noisy series gets a small weight, one that
        wanders like a random walk a weight near 1 (its last value). Each forecast's
        history chooses it afresh, as it does the seasonal factors. Against 0.7 for
        every series (the default before), on single series and panels of five of M3,
        Tourism and M1: MASE lower in 16 of 18 comparisons under each of two seeds, by
        up to 4.1%, and 0.1% to 0.7% higher in the other two. ``level_smoothing_``
        after ``fit``.
    level_input : bool or None
        Feed the network, beside each window's scaled values, a second input constant
        over the window: log(window mean / window scale), clipped to [-2, 4]. Centring
        and scaling hide it; for a series that cannot go below zero it says how far the
        window sits above zero in its own units of change, so how far it can fall and
        how large its changes are against its level (a window more than about 55 times
        its mean change is far from zero, whatever the ratio). None: True where every
        series is never negative, ``scaler="window"``, ``log=False``, the series are
        not seasonally adjusted and the shortest lookback gives 1,000 training windows
        or more. On M3's validation windows (MASE averaged over three origins) it did
        1.2% better in the yearly group and 0.6% in the "other" group (six seeds each),
        3.1% in the quarterly group (three seeds); in the monthly group, the seasonally
        adjusted one, it did no better (six seeds, clipped at 8: 1.6% worse at the
        first origin, 1.6% better at the third). Fitted to 1, 5 or 20 series at a time
        (below 1,000 windows) it was as often worse as better. ``level_input_`` says
        which after ``fit``.
    drift_input : bool or None
        Feed the network one more input constant over the window: its series' mean
        change per step before the window (the value at the window's first input minus
        the series' first value, over the steps between), over the window's scale,
        clipped to [-2, 2]; 0 for a window that starts its series. A window of a few
        yearly values cannot see the trend of the decades before it. None: True in
        data without a season (yearly, integer steps). ``drift_input_`` after ``fit``.
    bootstrap_copies : int or None
        Train on this many resamples of each series beside it: Box-Cox transformed,
        its trend (loess over 6 values) kept and the rest resampled in blocks of up to
        8 values (the moving block bootstrap of Bergmeir, Hyndman and Benítez, 2016;
        ``rnncast.data.bootstrap``), drawn from ``seed``. Only the given series are
        forecast, and every default above is chosen from them alone. Data without a
        season only (the blocks would break up a season). None: 1 in data without a
        season, 0 with one; each copy adds the series' training time.

        Together (the default in data without a season), on the validation windows
        of three origins: M3's yearly series 0.7% behind at the first origin, 2.1% and
        0.4% ahead at the others (six seeds); Tourism's yearly series 1.3% and 1.6%
        ahead at the first and third, 0.6% behind at the second; M1's yearly series
        (under 1,000 windows) 3.3% to 6.6% ahead at all three; M3's "other" series
        0.3% and 1.6% ahead, 0.1% behind (three seeds). Fitted five M3 series at a
        time: the yearly ones 1.0% and 0.7% ahead and 1.8% behind, the "other" ones
        0.6% to 1.5% behind (one seed). Each lever alone traded one origin for
        another (docs/benchmarks.md, "How the defaults were chosen").
        ``bootstrap_copies_`` after ``fit``.
    log : bool
        Model log(y); needs every value > 0.
    deseasonalize : bool or None
        Divide each seasonal series by its classical decomposition's seasonal indices
        before anything else, and multiply the forecast by them. A series counts as
        seasonal when its autocorrelation at the season's lag passes a 90% test (as in
        the M4 benchmarks); one that fails it is divided by factors halfway to 1, as
        short seasonal series often fail it; below 1,000 training windows, one of fewer
        than three seasons (too short for the test to tell) by the share of its factors
        that fits its own history best (``OWN_SHARE_SEASONS``). Series with a value
        <= 0, shorter than two seasons, or without a season (yearly data) are left as
        they are. None: when the shortest lookback holds fewer than two seasons, too
        few for the network to tell the seasonal pattern from the rest, or gives fewer
        than 10,000 training windows, too few to learn it from. On M3's validation
        windows the first rule separated the monthly group (horizon 18, season 12),
        where it lowered MASE, from the quarterly one (horizon 8, season 4, 13,932
        windows at the first origin), where it raised it; the second lowered MASE by
        12% to 22% for quarterly series fitted alone or in panels of 5 to 120.
        ``deseasonalize_`` says whether it was applied.
    season_share : float in [0, 1], "own" or None
        How much of its seasonal factors' departure from 1 a series that fails the
        seasonality test keeps (0: none, 1: all). "own": a series of fewer than three
        seasons keeps the share, of 0, 1/4, 1/2, 3/4 and all, with which simple
        exponential smoothing of its adjusted values, multiplied back by the factors,
        forecasts its own history best one step ahead; longer ones keep half. None:
        "own" below 1,000 training windows, half otherwise. On real monthly and
        quarterly series cut to two to three seasons and fitted 1 to 177 at a time,
        "own" lowered MASE in 21 of 22 comparisons (by up to 32%); on whole groups of
        hundreds of such series it did worse as often as better (every quarterly group
        worse, by up to 8%), and on 30 weekly products of 143 weeks it halved the
        error in the Christmas week (docs/benchmarks.md). ``weak_season_share_`` and
        ``own_share_seasons_`` (3 with "own", 0 otherwise) after ``fit``.
    epochs, batch_size, optimizer ({"adam", "adamw", "sgd"}), learning_rate,
    weight_decay, max_grad_norm (None: no clipping)
    windows_per_epoch : int or None
        Sample this many training windows per epoch (for large data); None uses all.
    partial_windows : bool or None
        Also train on each series' last ``horizon - 1`` windows, whose horizon runs
        past the series' end: their loss counts only the targets the series has, and a
        series' most recent values are inputs as well as targets, as they are when it
        is forecast. False: only windows with a whole horizon of targets. None: True
        for data with a season, False otherwise. On M3's validation windows they
        lowered MASE at each of three origins in the quarterly and monthly groups (by
        0.6% to 4%); in the yearly and "other" groups they helped at the first origin
        and hurt at the third. ``partial_windows_`` says which after ``fit``.
    early_stopping : bool
        Hold out the last ``horizon`` of each series and stop when the loss on it has
        not improved for ``patience`` epochs (at most ``epochs``). False: every member
        trains ``epochs`` epochs on all windows.
    refit : bool
        With early stopping, use a held-out run only to choose a member's epoch count,
        then train the member on all windows for twice the best epoch (capped by
        ``epochs``): the last horizon is the most informative part of a series, and
        leaving it out cost accuracy on M3. False: each member is a held-out run that
        keeps its best weights (cheaper: one run per member instead of two).
    n_ensemble : int or None
        Members per lookback and cell, each with its own epoch-choosing run, member k
        trained with seeds ``(seed, lookback, k + 1)``: as many independent fits, their
        forecasts combined. None: 2 in seasonal data
        where the shortest lookback gives 1,000 training windows or more, 1 otherwise.
        Two did better than one on the validation windows of M3's, Tourism's and M1's
        quarterly and monthly series (by 0% to 1% at every origin) at twice the fitting
        time; in data without a season they did not help. ``n_ensemble_`` says which
        after ``fit``.
    combine : {"mean", "median"} or None
        How each series' forecast combines the members that forecast it (each quantile
        head alike). None: the median in data without a season (yearly, or
        integer steps) where the shortest lookback gives 1,000 training windows or
        more, the mean otherwise. The median of the default members did better than
        their mean on M3's yearly and "other" validation windows (by 0.3% to 1.1% over
        three origins and two sets of seeds), and worse in seasonal data (M3's quarterly
        series) and below 1,000 windows (M1's yearly series). ``combine_`` says which
        after ``fit``.
    forecast_from_padding : bool or None
        True: every member forecasts every series, a series shorter than a member's
        lookback padded on the left with its first value. False: such a series is
        forecast by the members whose lookback it fills, so that no member forecasts
        from padding (the shortest lookback's members forecast every series). None:
        False for data without a season (yearly, or integer steps), True otherwise.
        On M3's yearly group, leaving the padded members out lowered MASE at each of
        three validation origins (by 0.4% to 3.3%); on the quarterly and monthly groups
        it helped at the first origin and hurt at the second.
        ``forecast_from_padding_`` says which after ``fit``.
    pad_with : {"first", "mean"} or None
        What a series shorter than a window is padded with on the left: its first
        value, or the mean of its values (those the window reads). None: "mean" in
        data with a season, "first" otherwise. The first value of a seasonal series is
        one phase of its season and, for a product launched recently, its launch level;
        the mean is a better guess at what came before. On M3's seasonal groups the mean
        lowered MASE by 0.2% (monthly) and 0.7% (quarterly) over three validation
        origins, means of two seeds; on the yearly group it raised it by 0.6%.
        ``pad_with_`` says which after ``fit``.
    recursive : bool
        Train a one-step model and roll it forward (the seed notebook's way).
    levels : sequence of float or None
        Interval levels in percent (e.g. ``[80, 95]``) for quantile heads.
    seasonal_inputs : bool or None
        Feed each step's position in the season (as sine and cosine of the month of
        year, day of week, ...) beside its value; None: when the data's frequency has
        a season. Off by default: on M3 it did not help (benchmarks/accuracy.py).
    season_length : int or None
        Steps per season, for the lookbacks (whole seasons when longer than the
        horizon), seasonal adjustment, the window scale and seasonal inputs. None: the
        frequency's (7 daily, 12 monthly, 24 hourly, 48 half-hourly; see
        ``Frequency.season_length``); give it when another cycle rules the data, such
        as the week in half-hourly electricity demand (336). ``season_length_`` says
        which after ``fit``; 1 means none.
    drop_short : bool
        Series shorter than a window are padded on the left with their first value,
        and series too short to hold out a validation horizon train without one; a
        series with no more than ``horizon`` observations cannot give a single window.
        Such series are left out of training with a ``ShortSeriesWarning`` naming
        them (True), or raise (False). They are still forecast, from what they have.
    seed : int
    dtype : {"float32", "float64"}
    progress : bool
        Show a progress bar per training run on stderr (epoch, losses, time left); with
        ``n_jobs`` > 1, one bar over the member sets (one per cell and lookback).
    n_jobs : int or None
        Processes that train members at once: the members of each cell and lookback
        (with the run that chooses their epochs) train in one of them. -1: one per core
        this process may use; 1 or None: none besides this one. The forecast is the
        same, bit for bit: each member has its own random stream. On 2 cores, 2 cut a
        fit of the default three lookbacks by about 40% (``docs/forecasting.md``).
        Workers are forked on Linux; elsewhere they are spawned, and a script must
        then fit under ``if __name__ == "__main__":``. Ctrl-C stops each worker's run
        with its best weights kept, as in one process.

    Attributes after ``fit``: ``history_`` (DataFrame, one row per epoch of each
    training run: run, member (-1 for a run that only chose the epoch count), cell,
    lookback, anchor_last (the run's outputs were measured from the window's end, by any anchor
    but ``"mean"``), epoch, loss, val_loss (on the held-out horizon; both weighted as
    ``window_weights`` says), grad_norm (mean global gradient norm before clipping),
    saturation (share of the top recurrent layer's hidden values with |h| > 0.99 on the
    epoch's first batch), learning_rate (lowered after non-finite steps), seconds),
    ``hidden_size_``, ``deseasonalize_``, ``weak_season_share_`` (the share of their
    seasonal factors kept by series that fail the seasonality test),
    ``own_share_seasons_`` (such series shorter than this many seasons keep the share
    that fits their history best instead; 0: none), ``min_seasons_``
    (the seasons a series needs for seasonal factors),
    ``partial_windows_``, ``anchor_``, ``level_smoothing_`` (None: each series' own),
    ``level_input_``, ``combine_``, ``lookback_`` (the
    longest lookback), ``member_lookbacks_`` (each member's), ``cells_``, ``member_cells_``
    (each member's), ``n_ensemble_``, ``refit_epochs_`` (the epochs member k of each
    (cell, lookback) trained, by (cell, lookback, k), when chosen by a held-out run),
    ``skipped_ids_``.

    Training health: a step whose loss or gradients are NaN or inf is not taken; the
    last good weights are restored, the learning rate halved and the step retried, up
    to ``MAX_RECOVERIES`` times per run, then ``TrainingError``. When training ends
    with most units saturated, or with vanished gradients and a high loss, fit warns
    with ``TrainingStuckWarning`` naming the likely cause and fix. Ctrl-C stops
    training with the best weights so far and raises ``TrainingInterrupted``, which
    carries the model fitted so far (``.model``) when at least one epoch ended.
    """

    def __init__(self, horizon, *, cell=None, hidden_size=None, num_layers=1, dropout=0.0,
                 lookback=None, loss="mae", window_weights="mase", scaler="window",
                 anchor=None, level_smoothing=None, level_input=None, drift_input=None,
                 bootstrap_copies=None, log=False,
                 deseasonalize=None, season_share=None, epochs=100,
                 batch_size=64, optimizer="adam", learning_rate=1e-3, weight_decay=0.0,
                 max_grad_norm=1.0, windows_per_epoch=None, partial_windows=None,
                 early_stopping=True, patience=10, refit=True, n_ensemble=None,
                 combine=None, forecast_from_padding=None, pad_with=None, recursive=False,
                 levels=None, seasonal_inputs=False, season_length=None, drop_short=True, seed=0,
                 dtype="float32", progress=False, n_jobs=1, alias=None,
                 conformal_windows=0):
        super().__init__(horizon, alias=alias, conformal_windows=conformal_windows)
        self.cell, self.hidden_size, self.num_layers = cell, hidden_size, num_layers
        self.dropout, self.lookback, self.loss, self.scaler = dropout, lookback, loss, scaler
        self.window_weights, self.anchor, self.level_input = window_weights, anchor, level_input
        self.level_smoothing = level_smoothing
        self.drift_input, self.bootstrap_copies = drift_input, bootstrap_copies
        self.log, self.epochs, self.batch_size, self.optimizer = log, epochs, batch_size, optimizer
        self.deseasonalize, self.season_share = deseasonalize, season_share
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.max_grad_norm, self.windows_per_epoch = max_grad_norm, windows_per_epoch
        self.partial_windows = partial_windows
        self.early_stopping, self.patience, self.n_ensemble = early_stopping, patience, n_ensemble
        self.combine = combine
        self.refit, self.forecast_from_padding = refit, forecast_from_padding
        self.pad_with = pad_with
        self.recursive, self.levels, self.drop_short = recursive, levels, drop_short
        self.seasonal_inputs, self.season_length = seasonal_inputs, season_length
        self.seed, self.dtype, self.progress, self.n_jobs = seed, dtype, progress, n_jobs

    @property
    def name(self) -> str:
        return self.alias or "RNNForecaster"

    # -- fit -------------------------------------------------------------------------
    def _check_params(self):
        choices = {"scaler": (self.scaler, SCALERS),
                   "optimizer": (self.optimizer, OPTIMIZERS),
                   "loss": (self.loss, ("mae", "mse", "huber")),
                   "window_weights": (self.window_weights, WINDOW_WEIGHTS)}
        for name, (value, allowed) in choices.items():
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of {sorted(allowed)}.")
        self._requested_cells()
        for name in ("num_layers", "epochs", "batch_size", "patience"):
            self._check_horizon(getattr(self, name), name)
        for name in ("hidden_size", "n_ensemble"):
            if getattr(self, name) is not None:
                self._check_horizon(getattr(self, name), name)
        if self.deseasonalize not in (None, True, False):
            raise ValueError(f"deseasonalize must be True, False or None (decide from the "
                             f"data), got {self.deseasonalize!r}.")
        if self.anchor is not None and self.anchor not in ANCHORS:
            raise ValueError(f"anchor={self.anchor!r} is not one of {list(ANCHORS)} or None "
                             f"(decide from the data).")
        if self.combine is not None and self.combine not in COMBINES:
            raise ValueError(f"combine={self.combine!r} is not one of {list(COMBINES)} or "
                             f"None (decide from the data).")
        if self.level_input not in (None, True, False):
            raise ValueError(f"level_input must be True, False or None (decide from the "
                             f"data), got {self.level_input!r}.")
        if self.level_input and self.scaler != "window":
            raise ValueError(f"level_input=True reads each window's mean over its scale, "
                             f"which only scaler='window' measures; with "
                             f"scaler={self.scaler!r}, leave level_input=None or False.")
        if self.drift_input not in (None, True, False):
            raise ValueError(f"drift_input must be True, False or None (decide from the "
                             f"data), got {self.drift_input!r}.")
        if self.bootstrap_copies is not None and not is_count(self.bootstrap_copies):
            raise ValueError(f"bootstrap_copies must be a whole number of copies per series "
                             f"(0: none), or None (decide from the data), got "
                             f"{self.bootstrap_copies!r}.")
        if self.partial_windows not in (None, True, False):
            raise ValueError(f"partial_windows must be True, False or None (decide from the "
                             f"data), got {self.partial_windows!r}.")
        if self.pad_with not in (None, *PAD_WITH):
            raise ValueError(f"pad_with={self.pad_with!r} is not one of {list(PAD_WITH)} "
                             f"or None (decide from the data).")
        if self.forecast_from_padding not in (None, True, False):
            raise ValueError(f"forecast_from_padding must be True, False or None (decide "
                             f"from the data), got {self.forecast_from_padding!r}.")
        if isinstance(self.lookback, list | tuple | np.ndarray):
            if len(self.lookback) == 0:
                raise ValueError("lookback=[] names no lookback: give one or more "
                                 "positive integers, or None for the default.")
            for lookback in self.lookback:
                self._check_horizon(lookback, "lookback")
        elif self.lookback is not None:
            self._check_horizon(self.lookback, "lookback")
        if self.windows_per_epoch is not None:
            self._check_horizon(self.windows_per_epoch, "windows_per_epoch")
        if self.season_length is not None:
            self._check_horizon(self.season_length, "season_length")
        resolve_jobs(self.n_jobs)
        for name in ("log", "early_stopping", "refit", "recursive", "drop_short", "progress"):
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):  # "no" or "False" would read as True
                raise ValueError(f"{name} must be True or False, got {value!r}.")
        if not (self.seasonal_inputs is None or isinstance(self.seasonal_inputs, bool | np.bool_)):
            raise ValueError(f"seasonal_inputs must be True, False or None (decide from the "
                             f"data), got {self.seasonal_inputs!r}.")
        for name in ("learning_rate", "dropout", "weight_decay", "max_grad_norm"):
            value = getattr(self, name)
            if name == "max_grad_norm" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | np.number) \
                    or not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}.")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}.")
        share = self.season_share
        if not (share is None or (isinstance(share, str) and share == "own")
                or (is_real_number(share) and 0 <= share <= 1)):
            raise ValueError(f"season_share must be a number in [0, 1] (the share of its "
                             f"seasonal factors a series that fails the seasonality test "
                             f"keeps), 'own' (each such series under three seasons keeps "
                             f"the share its history fits), or None to decide from the "
                             f"data, got {share!r}.")
        if not is_level_smoothing(self.level_smoothing):
            raise ValueError(f"level_smoothing must be in (0, 1] (the weight of a window's "
                             f"last value in the level anchor), or None for each series' "
                             f"own, got {self.level_smoothing!r}.")
        for name in ("weight_decay", "max_grad_norm"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) \
                or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer (members are seeded with "
                             f"(seed, lookback, k)), got {self.seed!r}.")
        if self.levels is not None and self.recursive:
            raise ValueError("levels (quantile heads) need the direct model: "
                             "set recursive=False, or use conformal_windows for intervals.")
        levels = self._levels()  # checked; 80 alone is [80]
        if len(set(levels)) != len(levels):
            raise ValueError(f"levels={self.levels!r} names a level twice; give each once.")
        if levels and self.loss != "mae":
            # the pinball loss at 0.5 is half the MAE: the point forecast is a median
            raise ValueError(
                f"loss={self.loss!r} with levels: quantile heads train on the pinball loss, "
                f"and their point forecast is the median (what loss='mae' gives), so "
                f"loss={self.loss!r} would be ignored. For the median with intervals, leave "
                f"loss='mae'; for a mean with intervals, give conformal_windows=K instead "
                f"of levels.")

    def _option_warnings(self) -> None:
        # before _check_params: a dropout of the wrong type is its error, not a warning
        if isinstance(self.dropout, int | float) and self.dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"dropout={self.dropout} does nothing with num_layers=1: it acts between "
                "stacked layers. Set num_layers=2 or more, or leave dropout=0.",
                UserWarning, stacklevel=stacklevel_outside_rnncast())

    def _levels(self) -> list:
        """The trained levels as a list (``levels`` as given: None, a number, a list)."""
        return _check_levels(self.levels)

    def _quantiles(self):
        """[0.5, lo_1, hi_1, lo_2, hi_2, ...] for the trained levels."""
        quantiles = [0.5]
        for level in self._levels():
            quantiles += [0.5 - level / 200, 0.5 + level / 200]
        return np.array(quantiles)

    def _lookbacks(self, panel):
        """The distinct lookbacks members read, shortest first."""
        if self.lookback is None:
            return self._default_lookbacks(panel)
        if isinstance(self.lookback, int | np.integer):
            return (int(self.lookback),)
        return tuple(sorted({int(lookback) for lookback in self.lookback}))

    def _default_lookbacks(self, panel):
        """One, two and three times the horizon or the season, whichever is longer
        (at least 2). Members that read different spans of the past err differently,
        and their mean beat each of them on M3's validation windows
        (benchmarks/accuracy.py --validate). Shorter series are padded, so the
        lookbacks are not capped by the data."""
        season = self.season_length_
        unit = max(self.horizon, season if season > 1 else 0, 2)
        return tuple(k * unit for k in DEFAULT_LOOKBACK_MULTIPLES)

    def _deseasonalizes(self, panel, lookbacks, training_windows):
        if self.deseasonalize is not None:
            return bool(self.deseasonalize)
        season = self.season_length_
        too_short_to_see = min(lookbacks) < 2 * season
        too_few_to_learn = training_windows < SMALL_DATA_WINDOWS
        return season > 1 and (too_short_to_see or too_few_to_learn)

    def _season_shares(self, training_windows) -> tuple[float, int]:
        """``weak_season_share_`` and ``own_share_seasons_`` (see ``season_share``)."""
        if self.season_share is None:
            return WEAK_SEASON_SHARE, (OWN_SHARE_SEASONS
                                       if training_windows < VERY_SMALL_DATA_WINDOWS else 0)
        if isinstance(self.season_share, str):  # "own"
            return WEAK_SEASON_SHARE, OWN_SHARE_SEASONS
        return float(self.season_share), 0

    def _bootstrap_copies(self, seasonal) -> int:
        if self.bootstrap_copies is None:
            return 0 if seasonal else BOOTSTRAP_COPIES
        if self.bootstrap_copies and seasonal:
            raise ValueError(
                f"bootstrap_copies={self.bootstrap_copies} resamples series without a "
                f"season, but this data has a season of {self.season_length_} steps, "
                f"which the copies' blocks would break up. Leave bootstrap_copies=None "
                f"(none in seasonal data), or give season_length=1 if the data has no "
                f"season.")
        return int(self.bootstrap_copies)

    def _with_bootstrapped_copies(self, values, panel):
        """(values, panel) to train on: ``values`` (N,) in model space and ``panel``,
        with ``bootstrap_copies_`` resamples of each series long enough to train on
        after them (``rnncast.data.bootstrap``), each with its series' id and dates.
        Drawn from the forecaster's seed, so the same seed and data give the same
        copies."""
        if not self.bootstrap_copies_:
            return values, panel
        rng = np.random.default_rng([self.seed, BOOTSTRAP_STREAM])
        min_length = (1 if self.recursive else self.horizon) + 1
        values, starts, source = bootstrap_panel_values(
            values, panel.starts, self.bootstrap_copies_, rng, min_length)
        return values, dataclasses.replace(
            panel, values=values, starts=starts,
            ids=np.concatenate([panel.ids, panel.ids[source]]),
            first_ds=np.concatenate([panel.first_ds, panel.first_ds[source]]),
            last_ds=np.concatenate([panel.last_ds, panel.last_ds[source]]), _stamps=None)

    def _level_input(self, panel, training_windows):
        if self.level_input is not None:
            return bool(self.level_input)
        return (self.scaler == "window" and not self.log and not self.deseasonalize_
                and training_windows >= VERY_SMALL_DATA_WINDOWS
                and bool(_never_negative(panel).all()))

    def _requested_cells(self) -> tuple | None:
        """The cells ``cell`` names, checked (None: decide from the data)."""
        if self.cell is None:
            return None
        cells = (self.cell,) if isinstance(self.cell, str) else self.cell
        if not isinstance(cells, list | tuple) or len(cells) == 0:
            raise ValueError(f"cell={self.cell!r} names no cell: give one of {sorted(CELLS)}, "
                             f"a list of them, or None (decide from the data).")
        for cell in cells:
            if cell not in CELLS:
                raise ValueError(f"cell={cell!r} is not one of {sorted(CELLS)}; give one "
                                 f"of them, a list of them, or None (decide from the data).")
        if len(set(cells)) < len(cells):
            raise ValueError(f"cell={list(cells)!r} names a cell twice; to train more "
                             f"members of one cell, raise n_ensemble.")
        return tuple(cells)

    def _cells(self) -> tuple:
        cells = self._requested_cells()
        if cells is not None:
            return cells
        return MIXED_CELLS if self.season_length_ == 1 else ("gru",)

    def _pad_with(self):
        return self.pad_with or ("mean" if self.season_length_ > 1 else "first")

    def _default_anchor(self, training_windows):
        if training_windows >= VERY_SMALL_DATA_WINDOWS:
            return "mean"
        return "level" if self.season_length_ > 1 else "drift"

    def _combine(self, training_windows):
        if self.combine is not None:
            return self.combine
        if self.season_length_ == 1 and training_windows >= VERY_SMALL_DATA_WINDOWS:
            return "median"
        return "mean"

    def _n_ensemble(self, training_windows):
        if self.n_ensemble is not None:
            return int(self.n_ensemble)
        if self.season_length_ > 1 and training_windows >= VERY_SMALL_DATA_WINDOWS:
            return SEASONAL_ENSEMBLE
        return 1

    def _hidden_size(self, training_windows):
        if self.hidden_size is not None:
            return int(self.hidden_size)
        if training_windows < SMALL_DATA_WINDOWS:
            return SMALL_DATA_HIDDEN_SIZE
        return HIDDEN_SIZE

    def _fit_panel(self, panel: Panel) -> None:
        self._check_params()
        self.season_length_ = (int(self.season_length) if self.season_length is not None
                               else panel.frequency.season_length)
        longest = int(np.argmax(panel.lengths))
        if self.season_length is not None and self.season_length_ > panel.lengths[longest]:
            # lookbacks of whole seasons would be all padding, and as large as asked (the
            # frequency's season may exceed short series: their lookbacks are padded)
            raise ValueError(
                f"season_length={self.season_length_} is longer than the longest series "
                f"({panel.lengths[longest]} values, {panel.ids[longest]!r}): no series holds "
                f"a whole season. Give the steps after which the pattern repeats (e.g. "
                f"{panel.frequency.season_length} for {panel.frequency.describe()}), or leave "
                f"it out.")
        self.pad_with_ = self._pad_with()
        lookbacks = self._lookbacks(panel)
        windows_count = self._whole_windows(panel, lookbacks[0])
        self.deseasonalize_ = self._deseasonalizes(panel, lookbacks, windows_count)
        self.weak_season_share_, self.own_share_seasons_ = self._season_shares(windows_count)
        self.min_seasons_ = MIN_SEASONS
        seasonal = self.season_length_ > 1
        self.forecast_from_padding_ = (seasonal if self.forecast_from_padding is None
                                       else bool(self.forecast_from_padding))
        self.partial_windows_ = (seasonal if self.partial_windows is None
                                 else bool(self.partial_windows))
        self.level_input_ = self._level_input(panel, windows_count)
        self.drift_input_ = (not seasonal if self.drift_input is None
                             else bool(self.drift_input))
        self.bootstrap_copies_ = self._bootstrap_copies(seasonal)
        values = self._transform_values(panel, fitting=True)
        if self.deseasonalize:
            self._warn_if_none_adjusted(panel)
        self.skipped_ids_ = panel.ids[:0]
        self.quantiles_ = self._quantiles() if self._levels() else None
        self.lookback_ = max(lookbacks)
        self.networks_, self.member_lookbacks_, self.refit_epochs_ = [], [], {}
        self.cells_ = self._cells()
        self.hidden_size_ = self._hidden_size(windows_count)
        self.anchor_ = self.anchor or self._default_anchor(windows_count)
        self.level_smoothing_ = (None if self.level_smoothing is None
                                 else float(self.level_smoothing))
        self.combine_ = self._combine(windows_count)
        self.n_ensemble_ = self._n_ensemble(windows_count)
        # the copies train beside the series; every choice above was the series' own
        values, panel = self._with_bootstrapped_copies(values, panel)
        self._level_weights = self._series_level_weights(values, panel)
        history = []
        try:
            self._fit_members(values, panel, lookbacks, history)
        except TrainingInterrupted as stop:
            self.history_ = pd.DataFrame(history + stop.history)
            stop.history = self.history_
            raise
        self.history_ = pd.DataFrame(history)

    def _seasonally_adjusted(self) -> np.ndarray:
        """(S,) bool: the fitted series whose values were divided by seasonal factors
        (all False without ``deseasonalize_``)."""
        index = getattr(self, "_seasonal_index", None)  # (S, season): all 1 if left as is
        if not self.deseasonalize_ or index is None:
            return np.zeros(self.panel_.n_series, dtype=bool)
        return (index != 1).any(axis=1)

    def _warn_if_none_adjusted(self, panel):
        """``deseasonalize=True`` that adjusts no series is a request not carried out:
        say why, rather than leave it to the fit summary."""
        if (self._seasonal_index != 1).any():
            return
        season = self.season_length_
        if season < 2:
            why = (f"their frequency, {panel.frequency.describe()}, has no season; give "
                   f"season_length=N, the N steps after which the pattern repeats")
        elif has_seasonal_factors(panel.values, panel.starts, season, self.min_seasons_).any():
            why = ("no series shows a seasonal pattern to divide out: each one long enough "
                   "has factors of 1, or fits its own history best without them")
        else:
            why = (f"every series has a value at or below zero or fewer than "
                   f"{self.min_seasons_} seasons ({self.min_seasons_ * season} values) to "
                   f"estimate seasonal factors from")
        warnings.warn(f"deseasonalize=True adjusted none of the {panel.n_series} series: "
                      f"{why}. The network is trained on the values as they are.",
                      UserWarning, stacklevel=stacklevel_outside_rnncast())

    def _training_windows(self, values, panel, lookback, report_short):
        """Scaled windows of every series for one lookback: inputs (N, L, F), targets
        (N, steps_out), and the weights (N, steps_out) of each target's loss when
        training on all windows and when holding out each series' last horizon (0 for
        a target past the series' end, or inside the held-out horizon); held_in (N,)
        bool: windows with a target before the held-out horizon, valid (N,) bool: the
        windows that forecast it."""
        season = self.season_length_
        steps_out = 1 if self.recursive else self.horizon
        margin = self.horizon if self.early_stopping else 0
        span = lookback + steps_out
        # partial windows: the last steps_out - 1 of each series, whose horizon runs past
        # its end, so that their inputs reach the most recent values
        past_end = steps_out - 1 if self.partial_windows_ else 0
        padded, starts, lengths, positions, series = self._window_layout(
            values, panel, lookback, past_end)
        padding = lengths - panel.lengths  # (S,) values added in front of each series
        own_margin = np.where(lengths >= span + margin, margin, 0)  # (S,)
        offset = positions - starts[series]
        # (N,) values after each window's inputs in its series: target k exists if k < known
        known = lengths[series] - offset - lookback
        known_held_in = known - own_margin[series]  # (N,) of them before the held-out horizon
        held_in = known_held_in >= (1 if self.partial_windows_ else steps_out)
        valid = (own_margin[series] > 0) & (known_held_in <= 0) & (known >= steps_out)
        if report_short:
            self._report_short(panel, np.bincount(series[held_in], minlength=panel.n_series))
        first_step = offset - padding[series]  # (N,) time index of each window's first input
        # (N,) each window's series' first value (the left padding repeats or precedes it)
        first_value = padded[starts[series] + padding[series]]
        inputs, targets, window_scale = self._scaled_windows(
            padded, positions, series, lookback, steps_out, season, (first_value, first_step))
        weights = np.ones(len(positions))
        if self.window_weights == "mase":
            # a loss on values divided by window_scale, times window_scale / naive_scale,
            # is the loss on values divided by the series' MASE denominator
            naive_scale = seasonal_naive_scale(values, panel.starts, season)  # (S,)
            weights = window_scale / naive_scale[series]
            weights /= weights.mean()
        step = np.arange(steps_out)
        targets[step >= known[:, None]] = 0  # past the end: another series' values, or NaN
        target_weights = weights[:, None] * (step < known[:, None])  # (N, steps_out)
        held_in_weights = weights[:, None] * (step < known_held_in[:, None])
        inputs = self._with_season(inputs, panel, series, first_step)
        return (inputs, targets, target_weights.astype(self.dtype),
                held_in_weights.astype(self.dtype), held_in, valid)

    def _whole_windows(self, panel, lookback):
        """How many training windows with a whole horizon of targets ``lookback`` gives
        (the shortest lookback gives the most); the series' lengths alone decide it."""
        return self._window_layout(panel.values, panel, lookback)[3].size

    def _window_layout(self, values, panel, lookback, past_end=0):
        """Where the training windows of ``lookback`` lie: (padded values, each padded
        series' start (S + 1,) and length (S,), each window's first position (N,) and
        series (N,)). Every series with more than ``steps_out`` values teaches the
        network: one too short for a window is padded on the left with its first value
        (and one too short to also hold out a validation horizon trains without one).
        ``past_end``: also this many windows per series whose horizon runs past its
        end, by 1 to ``past_end`` steps; NaN follows the last series for them to read."""
        steps_out = 1 if self.recursive else self.horizon
        span = lookback + steps_out
        # a series too short for a window yields one, its inputs the values before its
        # last steps_out: "mean" padding repeats their mean
        pad_values = (_leading_means(values, panel.starts, panel.lengths - steps_out)
                      if self.pad_with_ == "mean" else None)
        padded, starts = pad_short_series(values, panel.starts, span, steps_out + 1,
                                          pad_values)
        lengths = np.diff(starts)
        positions, series = window_positions(starts, lengths + past_end, span)
        if past_end:
            keep = lengths[series] >= span  # a series too short for one whole window
            positions, series = positions[keep], series[keep]
            padded = np.concatenate([padded, np.full(past_end, np.nan)])
        return padded, starts, lengths, positions, series

    def _fit_members(self, values, panel, lookbacks, history):
        """Train every lookback's members, in ``n_jobs`` processes when more than one.

        BLAS runs on one thread throughout, in this process and in the workers. Its
        thread count changes the bits of the NumPy loops' products, so that a forecast
        would otherwise depend on the cores and on ``n_jobs``; and at a forecaster's
        sizes a second thread does not pay (the NumPy loops fitted M3's quarterly group
        in 58 s with one thread and two alike, and two workers with two threads each
        contended for two cores: 15 s against 10 s on the yearly group)."""
        with kernels.single_threaded_blas():
            self._fit_members_here_or_apart(values, panel, lookbacks, history)

    def _fit_members_here_or_apart(self, values, panel, lookbacks, history):
        def windows_of(lookback):
            # the same series are too short whatever the lookback: report them once
            return self._training_windows(values, panel, lookback,
                                          report_short=lookback == lookbacks[0])

        tasks = [(cell, lookback) for lookback in lookbacks for cell in self.cells_]
        jobs = min(resolve_jobs(self.n_jobs), len(tasks))
        if jobs > 1 and can_start_processes():
            # all lookbacks' windows at once: each worker is sent those it trains on
            self._fit_apart(tasks, {lookback: windows_of(lookback) for lookback in lookbacks},
                            history, jobs)
            return
        for lookback in lookbacks:
            self._fit_lookback(lookback, windows_of(lookback), history)

    def _fit_apart(self, tasks, windows, history, jobs):
        """``_fit_cell`` for each (cell, lookback) of ``tasks`` in ``jobs`` worker
        processes; the members, epoch counts and history come out in the order and with
        the numbers that training them one after another gives. A cell whose members
        take their epoch count from a shorter lookback (``_fit_cell``) trains after the
        rest. Ctrl-C ends each worker's run as it ends a run in one process: the best
        weights so far are kept, and ``TrainingInterrupted`` follows."""
        def borrows_epochs(task):
            *_, valid = windows[task[1]]
            return self._borrows_epochs(valid)

        waves = [[task for task in tasks if not borrows_epochs(task)],
                 [task for task in tasks if borrows_epochs(task)]]
        done, pending, interrupted = {}, {}, False
        bar = _progress_bar(self.progress, len(tasks),
                            f"training {len(tasks)} member sets in {jobs} processes", "set")
        pool, stop = worker_pool(jobs)
        try:
            try:
                for wave in filter(None, waves):
                    learner = copy.copy(self)
                    learner.progress = False  # bars from several processes would garble
                    learner.refit_epochs_ = {key: epochs for task in tasks if task in done
                                             for key, epochs in done[task][2].items()}
                    # the longest lookbacks first, so that no worker starts one last
                    for task in sorted(wave, key=lambda task: -task[1]):
                        pending[task] = pool.submit(
                            _fit_cell_in_worker, learner, *task, windows[task[1]])
                    _collect(pending, done, bar)
            except KeyboardInterrupt:
                stop.set()  # each run ends at its next batch, keeping its best weights
                interrupted = True
                _collect(pending, done, bar)  # a second Ctrl-C stops waiting for them
        finally:
            # after an error too (a worker's, a second Ctrl-C) the runs still going end
            # at their next batch, and the sets not started are dropped
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()
        self._keep_from_workers(tasks, done, history)
        if interrupted:
            raise TrainingInterrupted([])

    def _keep_from_workers(self, tasks, done, history):
        """Add the workers' members, epoch counts and history in the order of
        ``tasks``, numbering runs and members as one process would have."""
        for task in tasks:
            if task not in done:
                continue
            networks, lookbacks, epochs, records, caught = done[task]
            first_run = 1 + max((record["run"] for record in history), default=-1)
            first_member = len(self.networks_)
            for record in records:
                record["run"] += first_run
                if record["member"] >= 0:
                    record["member"] += first_member
            history += records
            self.networks_ += networks
            self.member_lookbacks_ += lookbacks
            self.refit_epochs_.update(epochs)
            for message, category in caught:
                warn_once_per_fit(message, category)

    def _fit_lookback(self, lookback, windows, history):
        """Train the ``n_ensemble_`` members of each cell that read ``lookback`` values.

        With early stopping and ``refit``, each member's epoch count is chosen by a run
        of its own (another seed) that holds out each series' last horizon and finds the
        epoch where the loss on it is lowest; the member then trains on all windows, the
        held-out ones included, for ``REFIT_EPOCHS`` times that many epochs (when no
        series is long enough to hold out a horizon beyond this lookback, as many as the
        same member of the previous lookback). Two members are two independent fits:
        the epoch count a held-out horizon chooses is noisy, and averaging two choices
        did better than two members of one. Without ``refit``, each member is such a
        held-out run and keeps its best weights.
        """
        for cell in self.cells_:
            self._fit_cell(cell, lookback, windows, history)

    def _fit_cell(self, cell, lookback, windows, history):
        inputs, targets, weights, held_in_weights, held_in, valid = windows
        every = (inputs, targets, weights)
        split = None  # (held-in windows, held-out ones): what early stopping trains and scores
        if self.early_stopping and valid.any():
            split = ((inputs[held_in], targets[held_in], held_in_weights[held_in]),
                     (inputs[valid], targets[valid], weights[valid]))
        borrows = self._borrows_epochs(valid)
        for k in range(self.n_ensemble_):
            self._fit_member(cell, lookback, k, every, split, borrows, history)

    def _fit_member(self, cell, lookback, k, every, split, borrows, history):
        """Member k of (cell, lookback): its epoch-choosing run (seed ``(seed, lookback,
        0)`` for the first member, ``(seed, lookback, 0, k)`` after it), then its
        training (seed ``(seed, lookback, k + 1)``). ``every``: all windows' (inputs,
        targets, weights); ``split``: their early-stopping (held-in, held-out) parts, or
        None; ``borrows``: whether the epochs come from a shorter lookback
        (``_borrows_epochs``)."""
        features = every[0].shape[2]
        (train, held_out), epochs = (split or (every, None)), self.epochs
        chooser = None
        chosen_before = [key for key in self.refit_epochs_
                         if key[0] == cell and key[1] < lookback and key[2] == k]
        if held_out is not None and self.refit:
            chooser_seed = [self.seed, lookback, 0] + ([k] if k else [])
            chooser = self._network(cell, features, chooser_seed)
            run = self._run(chooser, train, held_out, epochs, lookback, history, keep=False)
            scored = run.val_loss.notna().any()
            best_epoch = int(run.epoch[run.val_loss.idxmin()]) if scored else len(run)
            epochs = min(self.epochs, int(np.ceil(REFIT_EPOCHS * best_epoch)))
            self.refit_epochs_[cell, lookback, k] = epochs
            train, held_out = every, None
        elif borrows and chosen_before:
            # no series is long enough to hold out a horizon beyond this lookback:
            # train as long as this member of the longest lookback that could
            epochs = self.refit_epochs_[max(chosen_before)]
        kept = len(self.networks_)
        # the same seeds for every cell: a GRU member is the same whether or not LSTM
        # members train beside it
        network = self._network(cell, features, [self.seed, lookback, k + 1])
        try:
            self._run(network, train, held_out, epochs, lookback, history, keep=True)
        except TrainingInterrupted:
            if chooser is not None and len(self.networks_) == kept:
                # Ctrl-C before the member's first epoch ended: the run that chose its
                # epochs is a member trained as refit=False trains them
                self._keep(chooser, lookback)
            raise

    def _borrows_epochs(self, valid):
        """Whether a lookback's members take their epoch count from a shorter lookback's
        (``_fit_cell``): refit after early stopping, and no series long enough to hold
        out a horizon beyond this lookback (``valid``: its held-out windows)."""
        return self.early_stopping and self.refit and not valid.any()

    def _network(self, cell, input_size, seed):
        steps_out = 1 if self.recursive else self.horizon
        outputs = steps_out * (1 if self.quantiles_ is None else len(self.quantiles_))
        return _Network(cell, self.hidden_size_, self.num_layers, self.dropout,
                        outputs, self.dtype, np.random.default_rng(seed), input_size=input_size)

    def _run(self, network, train, valid, epochs, lookback, history, keep):
        """Train ``network``; keep it as an ensemble member if ``keep``. Appends its
        records (run, member, cell, lookback, epoch, ...) to ``history``; returns them."""
        run = 1 + max((record["run"] for record in history), default=-1)
        member = len(self.networks_) if keep else -1
        tags = {"run": run, "member": member, "cell": network.cell, "lookback": lookback,
                "anchor_last": self.anchor_ != "mean"}
        try:
            records = self._train(network, train, valid, network.rng, epochs, tags)
        except TrainingInterrupted as stop:
            if stop.history:  # an epoch ended: keep what was learnt
                self._keep(network, lookback)
            raise
        history += records
        if keep:
            self._keep(network, lookback)
        return pd.DataFrame(records)

    def _keep(self, network, lookback):
        self.networks_.append(network)
        self.member_lookbacks_.append(lookback)

    @property
    def member_cells_(self) -> list:
        """Each member's cell, in the order of ``networks_``."""
        return [network.cell for network in self.networks_]

    def _usable_after_interrupt(self) -> bool:
        return bool(getattr(self, "networks_", None))

    def _report_short(self, panel, train_windows):
        short = panel.ids[train_windows == 0]
        if len(short) == 0:
            return
        needed = (1 if self.recursive else self.horizon) + 1
        names = ", ".join(repr(s) for s in short[:5]) + (" ..." if len(short) > 5 else "")
        verb = "has" if len(short) == 1 else "have"
        message = (f"{len(short)} series {verb} fewer than {needed} observations (one input "
                   f"value and a horizon of {needed - 1} to learn from): {names}.")
        if len(short) == panel.n_series:
            raise DataError(f"No series is long enough to train on: {message} Forecast a "
                            "shorter horizon, or use a baseline such as Naive.")
        if not self.drop_short:
            raise DataError(f"{message} Pass drop_short=True to train without them.")
        warnings.warn(f"{message} They are left out of training and forecast from the "
                      "history they have.", ShortSeriesWarning,
                      stacklevel=stacklevel_outside_rnncast())
        self.skipped_ids_ = short

    def _transform_values(self, panel, fitting):
        """Values in model space: seasonally adjusted, log, per-series standardised,
        each if asked."""
        values = panel.values
        if self.deseasonalize_:
            season = self.season_length_
            self._seasonal_index = seasonal_indices(  # (S, m)
                values, panel.starts, season, self.weak_season_share_, self.min_seasons_,
                own_share_below=self.own_share_seasons_)
            series = np.repeat(np.arange(panel.n_series), panel.lengths)  # (N,) of each value
            step = np.arange(len(values)) - panel.starts[series]  # (N,) within its series
            values = values / self._seasonal_index[series, step % season]
        if self.log:
            bad = values <= 0
            if bad.any():
                first = int(np.searchsorted(panel.starts, np.flatnonzero(bad)[0], "right") - 1)
                raise DataError(f"log=True needs values > 0, but series {panel.ids[first]!r} "
                                f"has {float(values[bad][0])!r}. Use log=False.")
            values = np.log(values)
        if self.scaler == "series":
            mean, scale = series_statistics(values, panel.starts)
            if fitting:
                self.series_stats_ = dict(zip(panel.ids.tolist(), zip(mean, scale)))
            else:  # known series keep their fitted statistics; new ones use their own
                known = [self.series_stats_.get(i) for i in panel.ids.tolist()]
                mean = np.array([k[0] if k else m for k, m in zip(known, mean)])
                scale = np.array([k[1] if k else s for k, s in zip(known, scale)])
            values = (values - np.repeat(mean, panel.lengths)) / np.repeat(scale, panel.lengths)
            self._series_scale = (mean, scale)
        return values

    def _scaled_windows(self, values, positions, series, lookback, steps_out, season,
                        before):
        """Inputs (N, L, F0) and targets (N, steps_out) of the windows at
        ``positions`` of ``series`` (N,), as the network sees them (``_scaled_inputs``,
        which reads ``before``), and the scale (N,) each was divided by (1: none)."""
        windows = gather(values, positions, lookback)  # (N, L)
        targets = gather(values, positions + lookback, steps_out)  # (N, steps_out)
        level, scale = self._window_level_scale(windows, season)  # (N, 1) each
        anchor = self._anchor_values(windows, level, series)  # (N, 1)
        targets = (targets - anchor) / scale
        return (self._scaled_inputs(windows, level, scale, before), targets.astype(self.dtype),
                scale[:, 0])

    def _scaled_inputs(self, windows, level, scale, before):
        """What the network reads of windows (N, L) of level and scale (N, 1): (N, L, 1)
        values centred on the level and divided by the scale, then channels constant
        over each window. With ``level_input_``, log(level / scale), which the centring
        and scaling hide: for a series that cannot go below zero, how far the window
        sits above zero in its own units of change, so how far it can fall and how
        large its changes are relative to it. With ``drift_input_``, the series' mean
        change per step before the window over the scale (``DRIFT_INPUT_CLIP``): the
        trend of the history the window leaves out. before: (first value of each
        window's series (N,), the time index of its first input in the series (N,),
        0 or less where it starts or is padded)."""
        scaled = ((windows - level) / scale)[:, :, None]  # (N, L, 1)
        channels = [scaled]
        if self.level_input_:
            with np.errstate(divide="ignore"):  # an all-zero window: log 0, clipped below
                height = np.log(np.abs(level) / scale)  # (N, 1)
            height = ((np.clip(height, *LEVEL_INPUT_RANGE) - LEVEL_INPUT_CENTRE)
                      / LEVEL_INPUT_SPREAD)
            channels.append(np.broadcast_to(height[:, :, None], scaled.shape))
        if self.drift_input_:
            first_value, first_step = before
            drift = np.where(first_step > 0, (windows[:, 0] - first_value)
                             / np.maximum(first_step, 1), 0.0)  # (N,) per step
            drift = np.clip(drift[:, None] / scale, -DRIFT_INPUT_CLIP, DRIFT_INPUT_CLIP)
            channels.append(np.broadcast_to(drift[:, :, None], scaled.shape))
        return np.concatenate(channels, axis=2).astype(self.dtype)

    def _season(self, panel) -> int:
        """Season length fed to the network as inputs, or 1 for none."""
        return 1 if self.seasonal_inputs is False else self.season_length_

    def _with_season(self, inputs, panel, series, first_step):
        """Network inputs (N, L, F): the scaled inputs (N, L, F0) of
        ``_scaled_inputs``, plus sin and cos of each step's season phase when the data
        has a season. series, first_step: (N,) the series of each window and the time
        index of its first input within that series."""
        season = self._season(panel)
        if season == 1:
            return inputs
        start_phase = panel.frequency.season_phase(panel.first_ds, season)[series]  # (N,)
        phase = (start_phase + first_step)[:, None] + np.arange(inputs.shape[1])  # (N, L)
        angle = 2 * np.pi * np.mod(phase, season) / season
        cycle = np.stack([np.sin(angle), np.cos(angle)], axis=2)  # (N, L, 2)
        return np.concatenate([inputs, cycle], axis=2).astype(self.dtype)

    def _batch_loss(self, prediction, target, weight):
        """Loss and its gradient for a batch; prediction (B, outputs), target (B, steps),
        weight (B, steps) per target."""
        return output_loss(prediction, target, self._loss_name(), weight=weight,
                           quantiles=self.quantiles_)

    def _loss_name(self):
        """The training loss: the pinball loss with quantile heads, else ``loss``."""
        return self.loss if self.quantiles_ is None else "pinball"

    # overflow shows up as a non-finite loss or norm, handled in the loop
    @np.errstate(over="ignore", invalid="ignore")
    def _train(self, network, train, valid, rng, epochs, tags):
        """Train one network for at most ``epochs``; its history, one record per epoch
        (starting with ``tags``).

        A step whose loss or gradient norm is not finite is not taken: the weights go
        back to the last ones whose loss and gradients were finite, the learning rate
        is halved (with a fresh optimizer state) and the batch is tried again, at most
        ``MAX_RECOVERIES`` times per member before ``TrainingError``. A Ctrl-C ends
        training with the best weights so far and raises ``TrainingInterrupted``.
        """
        inputs, targets, weights = train
        learning_rate, recoveries = self.learning_rate, 0
        optimizer = self._optimizer(network, learning_rate)
        best_loss, best_weights, stale, history = np.inf, network.weights(), 0, []
        good = network.weights()  # the last weights whose loss and gradients were finite
        run = f"run {tags['run']} (lookback {tags['lookback']})"
        bar = _progress_bar(self.progress, epochs, _run_label(tags, self.anchor_), "epoch")
        try:
            for epoch in range(epochs):
                started = time.perf_counter()
                network.recurrent.train()
                count = len(inputs)
                if self.windows_per_epoch and self.windows_per_epoch < count:
                    order = rng.choice(count, self.windows_per_epoch, replace=False)
                else:
                    order = rng.permutation(count)
                total, norms, saturation = 0.0, [], np.nan
                for start in range(0, len(order), self.batch_size):
                    if stop_requested():  # in a worker process: Ctrl-C in its parent
                        raise KeyboardInterrupt
                    batch = order[start : start + self.batch_size]
                    while True:
                        loss, norm = self._gradients(network, inputs[batch], targets[batch],
                                                     weights[batch])
                        if np.isfinite(loss) and np.isfinite(norm):
                            break
                        recoveries += 1
                        if recoveries > MAX_RECOVERIES:
                            raise TrainingError(self._divergence_message(
                                run, epoch, loss, norm, learning_rate))
                        network.load_weights(good)
                        learning_rate /= 2
                        optimizer = self._optimizer(network, learning_rate)
                        logger.warning("%s epoch %d: loss %s, gradient norm %s; "
                                       "restored the last good weights, learning rate now "
                                       "%.3g", run, epoch + 1, loss, norm, learning_rate)
                    if start == 0:
                        saturation = network.saturation()
                    for keep, layer in zip(good, network.layers):
                        np.copyto(keep, layer.flat_params)
                    optimizer.step()
                    total += loss * len(batch)
                    norms.append(norm)
                record = {**tags, "epoch": epoch + 1, "loss": total / len(order),
                          "val_loss": np.nan, "grad_norm": float(np.mean(norms)),
                          "saturation": saturation, "learning_rate": learning_rate}
                if valid is not None:
                    network.recurrent.eval()
                    record["val_loss"] = self._batch_loss(network.forward(valid[0]),
                                                          valid[1], valid[2])[0]
                    if record["val_loss"] < best_loss:
                        best_loss, best_weights, stale = record["val_loss"], network.weights(), 0
                    else:
                        stale += 1
                record["seconds"] = time.perf_counter() - started
                history.append(record)
                logger.debug("%s epoch %d loss %.5f val %.5f", run, epoch + 1,
                             record["loss"], record["val_loss"])
                if bar is not None:
                    shown = {"loss": f"{record['loss']:.4f}"}
                    if valid is not None:  # members trained on all windows have none
                        shown["val"] = f"{record['val_loss']:.4f}"
                    bar.set_postfix(shown, refresh=False)
                    bar.update()
                if valid is not None and stale >= self.patience:
                    break
        except KeyboardInterrupt:
            self._finish(network, valid, best_weights, good, bar)
            raise TrainingInterrupted(history) from None
        self._finish(network, valid, best_weights, good, bar)
        self._check_health(history, inputs, network.cell)
        return history

    def _optimizer(self, network, learning_rate):
        return OPTIMIZERS[self.optimizer](network.layers, lr=learning_rate,
                                          weight_decay=self.weight_decay)

    def _gradients(self, network, inputs, targets, weights):
        """Loss of a batch, its gradients in the layers (clipped if asked) and their
        global norm before clipping."""
        loss = network.loss_and_gradients(inputs, targets, self._loss_name(), weight=weights,
                                          quantiles=self.quantiles_)
        if self.max_grad_norm:
            return loss, clip_grad_norm(network.layers, self.max_grad_norm)
        return loss, float(np.sqrt(sum(float(np.dot(layer.flat_grads, layer.flat_grads))
                                       for layer in network.layers)))

    @staticmethod
    def _finish(network, valid, best_weights, good, bar):
        """Close the bar and keep the best weights (the last finite ones without
        validation)."""
        if bar is not None:
            bar.close()
        if valid is not None:
            network.load_weights(best_weights)
        elif not all(np.isfinite(layer.flat_params).all() for layer in network.layers):
            network.load_weights(good)
        network.recurrent.eval()

    def _divergence_message(self, run, epoch, loss, norm, learning_rate):
        return (f"training diverged: {run} epoch {epoch + 1} gave loss {loss} and "
                f"gradient norm {norm} again after restoring the last good weights and "
                f"halving the learning rate {MAX_RECOVERIES} times (from "
                f"{self.learning_rate:g} to {learning_rate:g}). Likely causes: values too "
                f"large for {self.dtype} (use scaler='window' or 'series', or "
                "dtype='float64'), or a learning rate far too high (lower learning_rate, "
                "keep max_grad_norm set).")

    def _check_health(self, history, inputs, cell):
        """Warn when a member's training ran but could not learn; inputs (N, L, F) are
        the scaled windows it trained on."""
        if not history:
            return
        last = history[-1]
        if last["saturation"] > STUCK_SATURATION:
            reach = float(np.percentile(np.abs(inputs[:, :, 0]), 99))
            if self.scaler == "none":
                cause = ("the inputs reach the network unscaled (scaler='none'): scale "
                         "them with scaler='window' or 'series'")
            elif reach > LARGE_INPUT:
                cause = (f"the scaled inputs reach +-{reach:.0f}: each window is divided "
                         "by its mean absolute change over a season, which a strongly "
                         "seasonal series with little noise makes small. Seasonally "
                         "adjust it (deseasonalize=True; positive values only), use "
                         "scaler='series', or a lookback of one season")
            else:
                cause = ("the weights grew too large: lower learning_rate, or keep "
                         "max_grad_norm set")
            warn_once_per_fit(f"training is stuck: {last['saturation']:.0%} of the "
                              f"{cell} units' hidden values are saturated (|h| > "
                              f"{SATURATED}), so almost no gradient flows back and the "
                              "forecasts hardly depend on the inputs. Likely cause: "
                              f"{cause}.", TrainingStuckWarning)
        elif last["grad_norm"] < VANISHED_GRAD_NORM and last["loss"] > STUCK_LOSS:
            warn_once_per_fit(f"training is stuck: the gradient norm fell to "
                              f"{last['grad_norm']:.1e} while the loss is still "
                              f"{last['loss']:.3g}, so the weights no longer change. Likely "
                              "cause: vanishing gradients through a long lookback; use "
                              "cell='gru' or 'lstm', a shorter lookback, or a higher "
                              "learning_rate.", TrainingStuckWarning)

    # -- forecast --------------------------------------------------------------------
    def _last_windows(self, values, panel, lookback):
        """The last ``lookback`` model-space values of each series (S, L); series
        shorter than that are padded on the left with their first value, or with their
        mean (``pad_with_ == "mean"``)."""
        ends = panel.starts[1:]
        begins = np.maximum(ends - lookback, panel.starts[:-1])
        index = ends[:, None] - lookback + np.arange(lookback)
        windows = values[np.maximum(index, begins[:, None])]
        if self.pad_with_ == "mean":
            means = _leading_means(values, panel.starts, panel.lengths)  # (S,)
            windows = np.where(index < begins[:, None], means[:, None], windows)
        return windows

    def _forecast_panel(self, panel, horizon):
        values = self._transform_values(panel, fitting=False)
        self._level_weights = self._series_level_weights(values, panel)
        members = []
        first_values = values[panel.starts[:-1]]  # (S,) each series' first, model space
        with kernels.single_threaded_blas():  # as in training: the cores change no bit
            for network, lookback in zip(self.networks_, self.member_lookbacks_):
                history = self._last_windows(values, panel, lookback)  # (S, L)
                first_step = panel.lengths - lookback  # (S,) may be negative: padded
                where = (panel, np.arange(panel.n_series), first_step, first_values)
                members.append(self._member_forecast(network, history, where))
        forecast = self._combined(np.stack(members), panel.lengths)  # (S, h, Q)
        if self.scaler == "series":
            mean, scale = self._series_scale
            forecast = forecast * scale[:, None, None] + mean[:, None, None]
        if self.log:
            forecast = np.exp(np.minimum(forecast, np.log(np.finfo(np.float64).max) - 1))
        if self.deseasonalize_:
            season = self._seasonal_index.shape[1]
            steps = panel.lengths[:, None] + np.arange(forecast.shape[1])  # (S, h)
            forecast = forecast * np.take_along_axis(self._seasonal_index, steps % season,
                                                     axis=1)[:, :, None]
        if forecast.shape[2] > 1:
            forecast = self._rearranged(forecast)
        # a series that never went below zero (sales, counts) is not forecast below it:
        # with actuals >= 0, max(f, 0) is never further from them than f
        forecast = np.where(_never_negative(panel)[:, None, None],
                            np.maximum(forecast, 0.0), forecast)
        self._quantile_cache = (panel, forecast)
        return forecast[:, :, 0]

    def _rearranged(self, forecast):
        """Quantile outputs (S, h, Q) sorted into the order of their levels, so that no
        two cross and the median (the point forecast, Q index 0) lies inside every
        interval; each output keeps its place in ``_quantiles()``."""
        order = np.argsort(self._quantiles(), kind="stable")  # (Q,) lowest level first
        rearranged = np.empty_like(forecast)
        rearranged[:, :, order] = np.sort(forecast, axis=2)
        return rearranged

    def _forecasting_members(self, lengths):
        """(M, S) bool: which members forecast each series of ``lengths`` (S,) values.
        All of them with ``forecast_from_padding_``; otherwise those whose lookback the
        series fills with its own values, and the shortest lookback's always."""
        lookbacks = np.array(self.member_lookbacks_)
        if self.forecast_from_padding_:
            return np.ones((len(lookbacks), len(lengths)), dtype=bool)
        return (lookbacks[:, None] <= lengths) | (lookbacks == lookbacks.min())[:, None]

    def _combined(self, members, lengths):
        """Each series' mean or median (``combine_``; S, h, Q) over the members
        (M, S, h, Q) that forecast it."""
        used = self._forecasting_members(lengths)  # (M, S)
        if self.combine_ == "median":
            # the members left out of a series are NaN to the median; each series has
            # at least the shortest lookback's members
            return np.nanmedian(np.where(used[:, :, None, None], members, np.nan), axis=0)
        if self.forecast_from_padding_:
            return np.mean(members, axis=0)
        summed = np.where(used[:, :, None, None], members, 0.0).sum(axis=0)
        return summed / used.sum(axis=0)[:, None, None]

    def _member_forecast(self, network, history, where):
        """(S, h, Q) in model space, from windows (S, L); ``where`` says where they lie,
        for ``_with_season`` and ``_scaled_inputs``: (panel, series, first_step (S,) the
        time index of each window's first input, first_value (S,) its series' first)."""
        panel, series, first_step, first_value = where
        season_length = self.season_length_
        if self.recursive:
            window, steps = history.copy(), []
            for k in range(self.horizon):
                level, scale = self._window_level_scale(window, season_length)
                inputs = self._with_season(
                    self._scaled_inputs(window, level, scale, (first_value, first_step + k)),
                    panel, series, first_step + k)
                anchor = self._anchor_values(window, level, series)  # (S, 1)
                step = network.forward(inputs)
                step = step.astype(np.float64) * scale  # (S, 1)
                flat = np.ptp(window, axis=1) == 0  # (S,) flat window: its value, flat
                step[flat] = window[flat, -1:] - anchor[flat]
                step += anchor
                steps.append(step)
                window = np.concatenate([window[:, 1:], step], axis=1)
            return np.concatenate(steps, axis=1)[:, :, None]
        level, scale = self._window_level_scale(history, season_length)
        inputs = self._with_season(
            self._scaled_inputs(history, level, scale, (first_value, first_step)), panel,
            series, first_step)
        out = network.forward(inputs).astype(np.float64)
        quantiles = 1 if self.quantiles_ is None else len(self.quantiles_)
        out = out.reshape(len(history), self.horizon, quantiles) * scale[:, :, None]
        anchor = self._anchor_values(history, level, series)  # (S, 1)
        # A flat window carries no scale of variation: forecast its value, flat, rather
        # than an arbitrary fallback scale times the network's output (with any scaler:
        # a constant series standardised by "series" is all 0, and net(0) is not 0).
        flat = np.ptp(history, axis=1) == 0  # (S,)
        out[flat] = (history[flat, -1:] - anchor[flat])[:, :, None]
        return out + anchor[:, :, None]

    def _series_level_weights(self, values, panel):
        """(S,) each series' weight of a window's last value in the level anchor, from
        its model-space ``values``; None for another anchor."""
        if self.anchor_ != "level":
            return None
        if self.level_smoothing_ is not None:
            return np.full(panel.n_series, self.level_smoothing_)
        return smoothing_weights(values, panel.starts, LEVEL_SMOOTHING_GRID)

    def _anchor_values(self, windows, level, series):
        """(N, 1), or (N, steps out) for the drift: what the network's outputs for
        windows (N, L) of ``series`` (N,) are added to."""
        if self.anchor_ == "mean":
            return level
        last = windows[:, -1:]  # (N, 1)
        if self.anchor_ == "last":
            return last
        if self.anchor_ == "level":
            # exponential smoothing over the window, started at its first value, with
            # its series' weight a: a(1-a)^k on the value k steps before the last, the
            # rest on the first
            smoothing = self._level_weights[series][:, None]  # (N, 1)
            age = np.arange(windows.shape[1] - 1, -1, -1)  # (L,) steps before the last
            weights = smoothing * (1 - smoothing) ** age  # (N, L)
            weights[:, 0] = (1 - smoothing[:, 0]) ** age[0]
            return np.sum(windows * weights, axis=1, keepdims=True)
        mean_step = (last - windows[:, :1]) / max(windows.shape[1] - 1, 1)  # (N, 1)
        steps_ahead = np.arange(1, (1 if self.recursive else self.horizon) + 1)  # (h,)
        return last + DRIFT_SHARE * mean_step * steps_ahead

    def _window_level_scale(self, windows, season):
        if self.scaler == "window":
            return window_statistics(windows, season)
        return np.zeros((len(windows), 1)), np.ones((len(windows), 1))

    def _interval_panel(self, panel, point, level):
        trained = self._levels()
        if level in trained and self._quantile_cache[0] is panel:
            forecast = self._quantile_cache[1]  # (S, h, Q), rearranged: never crossing
            k = 1 + 2 * trained.index(level)
            h = point.shape[1]
            return forecast[:, :h, k], forecast[:, :h, k + 1]
        if self.conformal_scores_ is not None:
            lo, hi = super()._interval_panel(panel, point, level)
            return np.where(_never_negative(panel)[:, None], np.maximum(lo, 0.0), lo), hi
        raise ValueError(self._untrained_level(level)
                         or f"{self.name}: forecast the panel before its {level:g}% interval.")

    def _untrained_level(self, level) -> str | None:
        """Why ``level`` has no interval (None when it has one): neither a quantile head
        nor conformal calibration gives it."""
        trained = self._levels()
        if level in trained or super()._untrained_level(level) is None:
            return None
        return (f"level {level:g} was not trained: the model has levels {trained}. "
                f"Construct it with levels=[..., {level:g}], or with conformal_windows=K "
                "(K >= 1) for conformal intervals at any level.")
