"""Accuracy metrics, rolling-origin cross-validation and paired comparisons."""

from rnncast.evaluate.comparison import PairedDifference, compare, paired_difference
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
    "compare",
    "paired_difference",
    "PairedDifference",
]
