"""rnncast: time-series forecasting with RNN, GRU and LSTM written out in NumPy.

The forecasting API (long frames ``unique_id, ds, y``; fit/predict; cross-validation):

    from rnncast import RNNForecaster, SeasonalNaive, cross_validation, evaluate
"""

__version__ = "0.1.0"

from rnncast.evaluate import compare, cross_validation, evaluate
from rnncast.models import Drift, Naive, RNNForecaster, SeasonalNaive, WindowAverage

__all__ = ["RNNForecaster", "Naive", "SeasonalNaive", "Drift", "WindowAverage",
           "cross_validation", "evaluate", "compare", "__version__"]
