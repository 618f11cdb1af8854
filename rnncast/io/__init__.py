"""Files: fitted models saved as data (``save_model`` / ``load_model``) and atomic writes
of forecast tables (``write_csv_atomic``)."""

from rnncast.io.atomic import atomic_write, write_csv_atomic
from rnncast.io.model_file import load_model, save_model

__all__ = ["save_model", "load_model", "write_csv_atomic", "atomic_write"]
