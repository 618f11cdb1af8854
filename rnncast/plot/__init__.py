"""Figures: forecasts with their intervals, training curves, backtests.

Needs matplotlib (not a core dependency). Every function returns a
``matplotlib.figure.Figure`` built without ``pyplot`` and saves a PNG when given
``path``::

    from rnncast.plot import plot_forecast
    plot_forecast(sales, model.predict(levels=[80, 95]), path="forecast.png")
"""

from rnncast.plot.figures import plot_backtest, plot_forecast, plot_training

__all__ = ["plot_forecast", "plot_training", "plot_backtest"]
