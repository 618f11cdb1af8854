"""Model files: a fitted forecaster saved as data, never as code.

A model file (``model.rnncast``, any name) is one uncompressed ``.npz`` archive, written
by ``np.savez`` and read with ``allow_pickle=False``:

- ``header``: UTF-8 JSON, stored as a uint8 array, holding
  ``format`` ("rnncast-model"), ``format_version``, ``rnncast_version`` (the writer),
  ``model_class`` (one of rnncast's own forecasters, by name: a file never names code
  to import), ``params`` (``get_params()``), ``fitted`` (small fitted values:
  ``lookback_``, ``quantiles_``, ``season_length_``, ``columns_`` (the column names
  ``fit`` read), ...), ``series`` (ids with their
  type, the frequency, each series' first and last time stamp), ``arrays`` (the name,
  shape and dtype of every other entry) and ``checksum``.
- numeric arrays only (bool, integer, float), named by path:
  ``panel/values``, ``panel/starts`` (the training data: ``predict()`` without new data
  forecasts from it), ``member{k}/recurrent/{weight_ih_l0, ...}`` and
  ``member{k}/head/{weight, bias}`` (PyTorch's names), ``history/{column}`` (its
  numeric columns; the text ones, the cell, are in the header's ``history_text``),
  ``series_stats/mean`` and ``series_stats/scale`` (``scaler="series"``) and
  ``conformal_scores``, the last ones when the model has them.

``checksum`` is ``"sha256:<hex>"`` over every array in name order (its name, dtype,
shape, then its bytes) followed by the header without ``checksum`` in canonical JSON
(sorted keys, no spaces), so any change after writing is caught on load, whether a
damaged byte or a hand-edited parameter.

A reader accepts ``format_version`` up to its own; a newer file gets an error asking
for a newer rnncast. A loaded model forecasts bit for bit as the saved one did (same
machine, same backend).
"""

from __future__ import annotations

import errno
import hashlib
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

import rnncast
from rnncast.data.panel import Frequency, Panel
from rnncast.errors import ModelFileError, NotFittedError
from rnncast.io.atomic import atomic_write
from rnncast.models.base import Forecaster
from rnncast.models.baselines import Drift, Naive, SeasonalNaive, WindowAverage
from rnncast.models.rnn import (
    ANCHORS,
    CELLS,
    COMBINES,
    PAD_WITH,
    RNNForecaster,
    _Network,
    is_level_smoothing,
)

FORMAT = "rnncast-model"
FORMAT_VERSION = 1

MODEL_CLASSES = {
    cls.__name__: cls for cls in (RNNForecaster, Naive, SeasonalNaive, Drift, WindowAverage)
}

# Every public fitted attribute (``name_``) a class may have, all stored in the file.
# save_model refuses a model with any other, rather than write a file whose model
# would forecast differently once loaded.
_FITTED_BASE = {"panel_", "conformal_scores_", "columns_"}
_FITTED = {
    "RNNForecaster": _FITTED_BASE
    | {"hidden_size_", "season_length_", "deseasonalize_", "weak_season_share_",
       "min_seasons_", "own_share_seasons_",
       "forecast_from_padding_", "pad_with_",
       "partial_windows_", "anchor_", "level_smoothing_", "level_input_", "drift_input_",
       "bootstrap_copies_", "combine_",
       "n_ensemble_", "lookback_",
       "member_lookbacks_", "cells_", "refit_epochs_", "skipped_ids_",
       "quantiles_", "networks_",
       "history_", "series_stats_"},
    "SeasonalNaive": _FITTED_BASE | {"season_length_"},
}

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats: no objects, no text
_READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    KeyError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    # a damaged zip header can ask for a compression method, version or flag that
    # zipfile does not implement
    NotImplementedError,
)


# -- save -------------------------------------------------------------------------------
def save_model(model: Forecaster, path) -> None:
    """Write a fitted forecaster to ``path`` (e.g. ``"model.rnncast"``), atomically.

    The file is written beside ``path`` under a temporary name and renamed onto it
    once complete, so an existing file at ``path`` is replaced whole or not at all.

    Parameters
    ----------
    model : RNNForecaster, Naive, SeasonalNaive, Drift or WindowAverage
        Fitted.
    path : str or os.PathLike

    Raises
    ------
    NotFittedError
        ``model`` has not been fitted.
    ModelFileError
        ``model`` is not one of rnncast's forecasters, or holds a parameter or series
        id that JSON cannot carry.
    OSError
        The file cannot be written (no such directory, no permission, disk full).
    """
    arrays, header = _encode(model)
    header["checksum"] = _checksum(arrays, header)
    text = json.dumps(
        header, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    arrays["header"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)


def _encode(model) -> tuple[dict[str, np.ndarray], dict]:
    class_name = type(model).__name__
    if MODEL_CLASSES.get(class_name) is not type(model):
        raise ModelFileError(
            f"save_model writes rnncast's own forecasters ({', '.join(MODEL_CLASSES)}); "
            f"{type(model).__module__}.{class_name} is not one of them."
        )
    if not hasattr(model, "panel_"):
        raise NotFittedError(f"{model.name} is not fitted yet: call fit(df) before saving it.")
    known = _FITTED.get(class_name, _FITTED_BASE)
    unknown = sorted(
        k for k in vars(model) if k.endswith("_") and not k.startswith("_") and k not in known
    )
    if unknown:
        raise ModelFileError(
            f"{class_name} has attributes {unknown} that model files do not store, so the "
            "loaded model could forecast differently. Delete them if you set them; if "
            "rnncast did, rnncast.io.model_file must learn to store them (please report it)."
        )

    panel = model.panel_
    arrays = {"panel/values": panel.values, "panel/starts": panel.starts}
    fitted = {}
    if model.conformal_scores_ is not None:
        arrays["conformal_scores"] = model.conformal_scores_
    if hasattr(model, "columns_"):
        fitted["columns_"] = {k: _to_json(v, f"column name {k}")
                              for k, v in model.columns_.items()}
    if isinstance(model, SeasonalNaive):
        fitted["season_length_"] = int(model.season_length_)
    if isinstance(model, RNNForecaster):
        fitted.update(_encode_rnn(model, panel, arrays))
    params = {
        name: _to_json(value, f"parameter {name!r}") for name, value in model.get_params().items()
    }
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "rnncast_version": rnncast.__version__,
        "model_class": class_name,
        "params": params,
        "fitted": fitted,
        "series": _encode_series(panel),
    }
    arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    for name, array in arrays.items():
        if array.dtype.kind not in _NUMERIC_KINDS:  # only a bug in this module gets here
            raise ModelFileError(
                f"array {name!r} has dtype {array.dtype}; model files hold numeric arrays only."
            )
    header["arrays"] = {
        name: {"shape": list(array.shape), "dtype": array.dtype.str}
        for name, array in sorted(arrays.items())
    }
    return arrays, header


def _encode_rnn(model: RNNForecaster, panel: Panel, arrays: dict) -> dict:
    for k, network in enumerate(model.networks_):
        for layer_name, layer in (("recurrent", network.recurrent), ("head", network.head)):
            for name, value in layer.params.items():
                arrays[f"member{k}/{layer_name}/{name}"] = value
    for column in model.history_.columns:
        if model.history_[column].dtype.kind in _NUMERIC_KINDS:
            arrays[f"history/{column}"] = model.history_[column].to_numpy()
    if hasattr(model, "series_stats_"):
        ids = panel.ids.tolist()
        if set(model.series_stats_) != set(ids):
            raise ModelFileError(
                "series_stats_ does not cover exactly the fitted series; "
                "refit the model before saving it."
            )
        mean, scale = zip(*(model.series_stats_[i] for i in ids)) if ids else ((), ())
        arrays["series_stats/mean"] = np.array(mean, dtype=np.float64)
        arrays["series_stats/scale"] = np.array(scale, dtype=np.float64)
    quantiles = model.quantiles_
    return {
        "lookback_": int(model.lookback_),
        "season_length_": int(model.season_length_),
        "deseasonalize_": bool(model.deseasonalize_),
        "weak_season_share_": float(model.weak_season_share_),
        "min_seasons_": int(model.min_seasons_),
        "own_share_seasons_": int(model.own_share_seasons_),
        "forecast_from_padding_": bool(model.forecast_from_padding_),
        "pad_with_": str(model.pad_with_),
        "partial_windows_": bool(model.partial_windows_),
        "anchor_": str(model.anchor_),
        "level_smoothing_": (None if model.level_smoothing_ is None
                             else float(model.level_smoothing_)),
        "level_input_": bool(model.level_input_),
        "drift_input_": bool(model.drift_input_),
        "bootstrap_copies_": int(model.bootstrap_copies_),
        "combine_": str(model.combine_),
        "n_ensemble_": int(model.n_ensemble_),
        "member_lookbacks_": [int(lookback) for lookback in model.member_lookbacks_],
        "cells_": [str(cell) for cell in model.cells_],
        "member_cells_": [str(cell) for cell in model.member_cells_],
        "refit_epochs_": [[str(cell), int(lookback), int(member), int(epochs)]
                          for (cell, lookback, member), epochs
                          in model.refit_epochs_.items()],
        "quantiles_": None if quantiles is None else [float(q) for q in quantiles],
        "skipped_ids_": _ids_to_json(model.skipped_ids_),
        "members": len(model.networks_),
        "history_columns": [str(c) for c in model.history_.columns],
        # text columns (the cell) go in the header: the arrays are numeric only
        "history_text": {str(column): [str(v) for v in model.history_[column]]
                         for column in model.history_.columns
                         if model.history_[column].dtype.kind not in _NUMERIC_KINDS},
    }


def _encode_series(panel: Panel) -> dict:
    if panel.first_ds.dtype.kind == "M":
        first = np.datetime_as_string(panel.first_ds).tolist()
        last = np.datetime_as_string(panel.last_ds).tolist()
    else:
        first, last = panel.first_ds.tolist(), panel.last_ds.tolist()
    return {
        "ids": _ids_to_json(panel.ids),
        "ids_dtype": panel.ids.dtype.str,
        "frequency": {"alias": panel.frequency.alias, "step": int(panel.frequency.step)},
        "ds_dtype": panel.first_ds.dtype.str,
        "first_ds": first,
        "last_ds": last,
    }


def _ids_to_json(ids: np.ndarray) -> list:
    out = []
    for value in ids.tolist():
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            out.append(value)
        else:
            raise ModelFileError(
                f"series id {value!r} ({type(value).__name__}) cannot be written to a model "
                "file: ids must be strings or integers. Convert the id column before fit, "
                "e.g. df['unique_id'] = df['unique_id'].astype(str)."
            )
    return out


def _to_json(value, what: str):
    """``value`` as JSON types: numpy scalars to Python ones, tuples and arrays to lists,
    dtypes to their names."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not np.isfinite(value):
            raise ModelFileError(f"{what} is {value!r}; model files hold finite numbers only.")
        return value
    if isinstance(value, np.generic):
        return _to_json(value.item(), what)
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, list | tuple | np.ndarray):
        return [
            _to_json(v, what) for v in (value.tolist() if isinstance(value, np.ndarray) else value)
        ]
    raise ModelFileError(
        f"{what} is {value!r} ({type(value).__name__}), which a model file "
        "cannot hold: use numbers, strings, booleans, None or lists of them."
    )


def _checksum(arrays: dict[str, np.ndarray], header: dict) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(json.dumps([name, array.dtype.str, list(array.shape)]).encode("utf-8"))
        digest.update(array)  # its buffer: the bytes in C order, no copy
    unsigned = {k: v for k, v in header.items() if k != "checksum"}
    digest.update(
        json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8"
        )
    )
    return "sha256:" + digest.hexdigest()


# -- load -------------------------------------------------------------------------------
def load_model(path) -> Forecaster:
    """Read a model written by ``save_model``: the same forecaster, fitted, ready to predict.

    Only data is read (``np.load(..., allow_pickle=False)``): a file holding Python
    objects is refused without unpickling them, and the class is chosen from
    rnncast's own forecasters by name.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Forecaster
        Its forecasts equal the saved model's bit for bit.

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (an ``OSError``, like every problem of reaching the file;
        ``ModelFileError`` is kept for what the file holds).
    ModelFileError
        Not an rnncast model file, or damaged (truncated, not an archive, missing or
        malformed entries, object arrays); changed after it was written (checksum); or
        written in a newer format version than this rnncast reads.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            errno.ENOENT,
            "no such model file; check the path (save_model(model, path) writes one)",
            str(path),
        )
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "a folder, not a model file; name the file save_model wrote",
            str(path))
    with open(path, "rb") as handle:
        if handle.read(4) != b"PK\x03\x04":  # every zip archive, hence every .npz, begins so
            raise _damaged(path, "it is not a .npz (zip) archive")
        handle.seek(0)
        try:
            archive = np.load(handle, allow_pickle=False)
        except _READ_ERRORS as error:
            raise _damaged(path, f"the archive cannot be opened ({error})") from None
        with archive:
            header = _read_header(archive, path)
            arrays = _read_arrays(archive, header, path)
    if header.get("checksum") != _checksum(arrays, header):
        raise ModelFileError(
            f"{path}: the checksum does not match its contents: the file was changed or "
            "damaged after it was written. Restore it from a copy, or fit and save the "
            "model again (save_model, or rnncast fit)."
        )
    try:
        return _decode(header, arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, ModelFileError):
            raise ModelFileError(f"{path}: {error}") from None
        raise _damaged(
            path, f"its contents do not make a model ({type(error).__name__}: {error})"
        ) from None


def _damaged(path, detail: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: not an rnncast model file or it is damaged: {detail}; re-save it with save_model."
    )


def _read_header(archive, path) -> dict:
    if "header" not in archive.files:
        raise _damaged(path, "it has no 'header' entry")
    try:
        raw = archive["header"]
    except _READ_ERRORS as error:
        raise _damaged(path, f"its header cannot be read ({error})") from None
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _damaged(
            path, f"its header is a {raw.dtype} array of shape {raw.shape}, not UTF-8 bytes"
        )
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _damaged(path, f"its header is not UTF-8 JSON ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise _damaged(path, f"its header names format {found!r}, not {FORMAT!r}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _damaged(path, f"its format_version is {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by rnncast {header.get('rnncast_version', '(unknown)')} in "
            f"model file format version {version}; this rnncast {rnncast.__version__} reads "
            f"format version {FORMAT_VERSION} and older. Upgrade rnncast "
            "(pip install -U rnncast) to load it."
        )
    return header


def _read_arrays(archive, header: dict, path) -> dict[str, np.ndarray]:
    declared = header.get("arrays")
    if not isinstance(declared, dict) or "header" in declared:
        raise _damaged(path, "its header has no valid 'arrays' table")
    entries = set(archive.files) - {"header"}
    if entries != set(declared):
        missing, extra = sorted(set(declared) - entries), sorted(entries - set(declared))
        raise _damaged(
            path, f"its entries do not match its header (missing {missing}, unexpected {extra})"
        )
    arrays = {}
    for name, spec in declared.items():
        try:
            dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
        except (KeyError, TypeError, ValueError):
            raise _damaged(path, f"its header declares {name!r} as {spec!r}") from None
        if dtype.kind not in _NUMERIC_KINDS:
            raise _damaged(
                path,
                f"entry {name!r} is declared {dtype} (only numeric arrays "
                "are read: objects would have to be unpickled)",
            )
        try:
            array = archive[name]  # allow_pickle=False: an object array raises, unread
        except _READ_ERRORS as error:
            raise _damaged(
                path, f"entry {name!r} cannot be read as a numeric array ({error})"
            ) from None
        if array.dtype != dtype or array.shape != shape:
            raise _damaged(
                path,
                f"entry {name!r} is {array.dtype} {array.shape}, its header says {dtype} {shape}",
            )
        arrays[name] = array
    return arrays


def _decode(header: dict, arrays: dict[str, np.ndarray]) -> Forecaster:
    class_name = header["model_class"]
    if class_name not in MODEL_CLASSES:
        raise ModelFileError(
            f"model class {class_name!r} is not one this rnncast "
            f"{rnncast.__version__} knows ({', '.join(MODEL_CLASSES)})."
        )
    cls = MODEL_CLASSES[class_name]
    params = header["params"]
    try:
        model = cls(**params)
    except TypeError as error:
        raise ModelFileError(
            f"the saved parameters of {class_name} do not fit this rnncast "
            f"{rnncast.__version__} ({error}); the file was written by rnncast "
            f"{header.get('rnncast_version')}."
        ) from None
    fitted = header["fitted"]
    model.panel_ = _decode_panel(header["series"], arrays)
    model.conformal_scores_ = arrays.get("conformal_scores")
    if "columns_" in fitted:  # files written before it was kept have none
        model.columns_ = dict(fitted["columns_"])
    if isinstance(model, SeasonalNaive):
        model.season_length_ = fitted["season_length_"]
    if isinstance(model, RNNForecaster):
        _decode_rnn(model, fitted, header["series"], arrays)
    return model


def _season_when_not_stored(frequency: Frequency) -> int:
    """The season length a model file written before it was stored was fitted with:
    the frequency's, except that steps shorter than a day then repeated over 24 hours
    or 60 minutes or seconds, divided by the step's multiple (15 minutes: 4)."""
    if frequency.alias is None:
        return 1
    offset = pd.tseries.frequencies.to_offset(frequency.alias)
    cycle = {"h": 24, "H": 24, "min": 60, "T": 60, "s": 60, "S": 60}.get(
        offset.rule_code.split("-")[0])
    if cycle is None:
        return frequency.season_length
    return max(1, cycle // offset.n) if offset.n > 1 else cycle


def _decode_panel(series: dict, arrays: dict) -> Panel:
    ids = _ids_from_json(series["ids"], series["ids_dtype"])
    values, starts = arrays["panel/values"], arrays["panel/starts"]
    ds_dtype = np.dtype(series["ds_dtype"])
    if ds_dtype.kind not in "Miu":
        raise ValueError(f"time stamps of dtype {ds_dtype}")
    first_ds = np.array(series["first_ds"], dtype=ds_dtype)
    last_ds = np.array(series["last_ds"], dtype=ds_dtype)
    if (
        values.dtype.kind != "f"
        or starts.dtype.kind not in "iu"
        or values.ndim != 1
        or starts.shape != (len(ids) + 1,)
        or first_ds.shape != ids.shape
        or last_ds.shape != ids.shape
        or starts[0] != 0
        or starts[-1] != len(values)
        or np.any(np.diff(starts) < 1)
    ):
        raise ValueError("the series' values, offsets, ids and time stamps do not agree")
    frequency = series["frequency"]
    return Panel(
        values=values,
        starts=starts.astype(np.int64),
        ids=ids,
        first_ds=first_ds,
        last_ds=last_ds,
        frequency=Frequency(frequency["alias"], frequency["step"]),
    )


def _ids_from_json(values: list, dtype: str) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind not in "OiuU" or not isinstance(values, list):
        raise ValueError(f"series ids of dtype {dtype}")
    if dtype.kind != "O":
        return np.array(values, dtype=dtype).reshape(len(values))
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise ValueError("series ids that are neither strings nor integers")
    ids = np.empty(len(values), dtype=object)
    ids[:] = values
    return ids


def _decode_rnn(model: RNNForecaster, fitted: dict, series: dict, arrays: dict) -> None:
    model.lookback_ = fitted["lookback_"]
    model.season_length_ = int(fitted.get("season_length_", 0)) or _season_when_not_stored(
        model.panel_.frequency)
    if model.season_length_ < 1:
        raise ValueError(f"a season of {model.season_length_} steps")
    model.deseasonalize_ = bool(fitted.get("deseasonalize_", False))  # older files: never
    # older files: a series that failed the seasonality test was left as it was
    model.weak_season_share_ = float(fitted.get("weak_season_share_", 0.0))
    # older files: seasonal factors only for series of three seasons or more
    model.min_seasons_ = int(fitted.get("min_seasons_", 3))
    if model.min_seasons_ < 2:
        raise ValueError(f"seasonal factors from {model.min_seasons_} seasons")
    # older files: every series that failed the seasonality test kept the same share
    model.own_share_seasons_ = int(fitted.get("own_share_seasons_", 0))
    if model.own_share_seasons_ < 0:
        raise ValueError(f"own seasonal shares below {model.own_share_seasons_} seasons")
    # older files: every member forecast every series
    model.forecast_from_padding_ = bool(fitted.get("forecast_from_padding_", True))
    # older files: short series padded with their first value
    model.pad_with_ = fitted.get("pad_with_", "first")
    if model.pad_with_ not in PAD_WITH:
        raise ValueError(f"an unknown padding {model.pad_with_!r}")
    model.anchor_ = fitted.get("anchor_", "mean")  # older files: outputs from the window mean
    if model.anchor_ not in ANCHORS:
        raise ValueError(f"an unknown anchor {model.anchor_!r}")
    # older files: the level anchor weighed every window's last value 0.7; None: each
    # series' own weight
    smoothing = fitted.get("level_smoothing_", 0.7)
    if not is_level_smoothing(smoothing):
        raise ValueError(f"a level smoothing weight of {smoothing!r}")
    model.level_smoothing_ = None if smoothing is None else float(smoothing)
    # older files: the networks read the scaled values (and season) only
    model.level_input_ = bool(fitted.get("level_input_", False))
    # older files: no drift input, and trained on the series alone
    model.drift_input_ = bool(fitted.get("drift_input_", False))
    model.bootstrap_copies_ = int(fitted.get("bootstrap_copies_", 0))
    model.combine_ = fitted.get("combine_", "mean")  # older files: the members' mean
    if model.combine_ not in COMBINES:
        raise ValueError(f"an unknown way to combine the members, {model.combine_!r}")
    # older files: trained on whole windows only
    model.partial_windows_ = bool(fitted.get("partial_windows_", False))
    # files written before lookback ensembles: every member reads lookback_
    model.member_lookbacks_ = [int(lookback) for lookback in fitted.get(
        "member_lookbacks_", [fitted["lookback_"]] * fitted["members"])]
    if len(model.member_lookbacks_) != fitted["members"] or min(model.member_lookbacks_) < 1:
        raise ValueError("member lookbacks that do not match the members")
    # older files: one cell, the model's, and epochs keyed by lookback alone
    member_cells = [str(cell) for cell in fitted.get(
        "member_cells_", [model.cell] * fitted["members"])]
    model.cells_ = tuple(str(cell) for cell in fitted.get("cells_", [model.cell]))
    if len(member_cells) != fitted["members"] or not set(member_cells) <= set(
            model.cells_) <= set(CELLS):
        raise ValueError("member cells that do not match the members")
    # older files: n_ensemble members shared one epoch count per (cell, lookback), the
    # one entry without a member; before cells, entries had no cell either
    model.n_ensemble_ = int(fitted.get("n_ensemble_", model.n_ensemble or 1))
    model.refit_epochs_ = {}
    for entry in fitted.get("refit_epochs_", []):
        if len(entry) == 4:
            cell, lookback, member, epochs = entry
        else:
            *cell, lookback, epochs = entry
            cell, member = cell[0] if cell else model.cells_[0], 0
        model.refit_epochs_[str(cell), int(lookback), int(member)] = int(epochs)
    quantiles = fitted["quantiles_"]
    model.quantiles_ = None if quantiles is None else np.array(quantiles, dtype=np.float64)
    model.skipped_ids_ = _ids_from_json(fitted["skipped_ids_"], series["ids_dtype"])
    model.networks_ = []
    # the hidden size may have been chosen from the data (hidden_size=None): the
    # weights say what it was
    model.hidden_size_ = int(arrays["member0/head/weight"].shape[1])
    for k in range(fitted["members"]):
        prefix = f"member{k}/"
        head_weight = arrays[f"{prefix}head/weight"]  # (outputs, hidden_size)
        # The seed only fills initial weights, all overwritten by the saved ones.
        network = _Network(
            member_cells[k],
            model.hidden_size_,
            model.num_layers,
            model.dropout,
            head_weight.shape[0],
            model.dtype,
            np.random.default_rng(0),
            input_size=arrays[f"{prefix}recurrent/weight_ih_l0"].shape[1],
        )
        for layer_name, layer in (("recurrent", network.recurrent), ("head", network.head)):
            names = [n for n in arrays if n.startswith(f"{prefix}{layer_name}/")]
            layer.load_state_dict({n.rsplit("/", 1)[1]: arrays[n] for n in names})
        network.recurrent.eval()
        model.networks_.append(network)
    text = fitted.get("history_text", {})  # older files: numeric columns only
    model.history_ = pd.DataFrame(
        {column: text[column] if column in text else arrays[f"history/{column}"]
         for column in fitted["history_columns"]}
    )
    if "series_stats/mean" in arrays:
        ids = model.panel_.ids.tolist()
        model.series_stats_ = dict(
            zip(ids, zip(arrays["series_stats/mean"], arrays["series_stats/scale"]))
        )
