"""rnncast's errors: one hierarchy under ``RnncastError`` so callers can catch them all."""


class RnncastError(Exception):
    """Base class of every error rnncast raises on purpose."""


class ShapeError(RnncastError, ValueError):
    """An array has a shape the operation cannot take."""


class NotFittedError(RnncastError, RuntimeError):
    """A model was asked to predict before ``fit``."""
