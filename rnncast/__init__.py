"""rnncast: time-series forecasting with RNN, GRU and LSTM written out in NumPy."""

__version__ = "0.1.0"
