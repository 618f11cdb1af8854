"""Accuracy metrics and rolling-origin cross-validation."""

from rnncast.evaluate.cross_validation import cross_validation, evaluate
from rnncast.evaluate.metrics import (
    coverage,
    mae,
    mape,
    mase,
    mase_scale,
    pinball_loss,
    rmse,
    smape,
)

__all__ = [
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "mase_scale",
    "pinball_loss",
    "coverage",
    "cross_validation",
    "evaluate",
]
