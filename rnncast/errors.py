"""rnncast's errors: one hierarchy under ``RnncastError`` so callers can catch them all."""

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def stacklevel_outside_rnncast() -> int:
    """``stacklevel`` for a ``warnings.warn`` in the caller that names the line that
    called into rnncast (the user's ``fit``, ``cross_validation``...), however deep
    inside the package the warning is raised: the caller of rnncast's outermost frame
    (decorators such as ``np.errstate`` put other frames in between)."""
    frame, level, outermost = sys._getframe(1), 1, 1  # the function that warns: level 1
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
            outermost = level
        frame, level = frame.f_back, level + 1
    return outermost + 1


class RnncastError(Exception):
    """Base class of every error rnncast raises on purpose."""


class ShapeError(RnncastError, ValueError):
    """An array has a shape the operation cannot take."""


class StateDictError(RnncastError, KeyError):
    """``load_state_dict`` got keys that are not the module's parameter names.

    A ``KeyError`` (as the mismatch is one of keys) that prints its message as written,
    not quoted the way ``KeyError`` prints a key."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotFittedError(RnncastError, RuntimeError):
    """A model was asked to predict before ``fit``."""


class DataError(RnncastError, ValueError):
    """The data cannot be used as given; the message says which series, column or value."""


class MissingColumnError(DataError):
    """A column named by ``id_col``, ``time_col`` or ``target_col`` is not in the frame."""


class ColumnTypeError(DataError):
    """A column holds values of the wrong kind: text in the target, dates that do not
    parse, a time zone to resolve."""


class MissingValueError(DataError):
    """The target holds NaN or inf (or a gap filled with NaN) and no fill was asked for."""


class DuplicateError(DataError):
    """A series has more than one row for the same time stamp."""


class GapError(DataError):
    """A series skips time stamps of its frequency and no ``fill_gaps`` was asked for."""


class MissingValuesAndGapsError(MissingValueError, GapError):
    """The target holds missing values and the series skip time stamps, neither filled:
    one error that names both, so that one run shows every fix the data need. Caught
    by ``except MissingValueError`` and by ``except GapError``."""


class FrequencyError(DataError):
    """The series' frequency cannot be inferred, or the series do not share one."""


class ModelFileError(RnncastError, ValueError):
    """A model file cannot be written or read: not an rnncast model file, damaged or
    changed after it was written (checksum), or from a newer rnncast."""


class TrainingError(RnncastError, RuntimeError):
    """Training diverged: the loss or the gradients stayed non-finite (NaN or inf) after
    the weights were restored and the learning rate lowered several times."""


class WorkerError(RnncastError, RuntimeError):
    """A worker process of ``n_jobs`` ended without returning its members: killed (by
    the system when memory ran out, say) or crashed. The message says which member
    set it was training."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was stopped by Ctrl-C (SIGINT).

    A ``KeyboardInterrupt``, so a script still stops. ``model`` is the forecaster with
    the best weights so far when at least one epoch ended (ready to predict and save),
    else None; ``history`` holds the epochs that ended.
    """

    def __init__(self, history=(), model=None):
        super().__init__("training interrupted")
        self.history = list(history)
        self.model = model
