"""Forecasters: one protocol (``Forecaster``), the statistical baselines and the RNN."""

from rnncast.models.base import Forecaster, IntervalWarning
from rnncast.models.baselines import Drift, Naive, SeasonalNaive, WindowAverage
from rnncast.models.rnn import RNNForecaster, ShortSeriesWarning, TrainingStuckWarning

__all__ = [
    "Forecaster", "RNNForecaster", "ShortSeriesWarning", "TrainingStuckWarning",
    "IntervalWarning",
    "Naive", "SeasonalNaive", "Drift", "WindowAverage",
]
