"""Reading the user's data files: CSV and Parquet, with errors that say what to do."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from rnncast.errors import DataError

PARQUET_SUFFIXES = (".parquet", ".pq")
# pandas before 3 parses floats to within a unit in the last place unless asked for
# "round_trip"; pandas 3 parses them exactly and deprecates the option
ROUND_TRIP_OPTION = int(pd.__version__.split(".")[0]) < 3


def read_table(path, columns=None, *, thousands=None, decimal=None,
               text_columns=()) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    ``columns``: the columns to read when known (a large file's other columns are
    never loaded); None reads all. ``text_columns``: CSV columns read as written, as
    text (ids: ``007`` stays ``007`` rather than becoming 7, and ``NA`` is an id, not a
    missing value; only an empty field is missing). Parquet keeps its own types, and
    an index it was saved with (``df.set_index([...]).to_parquet()``) becomes columns
    again. CSV compressed as .gz, .bz2 or .xz is read. ``thousands``: the character
    between groups of thousands in the file's numbers (",", ".", " "), dropped; ``decimal``: the
    decimal mark ("." or ","). Without either, "." marks decimals, except in a file
    whose fields are split by ";", where a comma does (12,5); there a column whose
    every comma could as well group thousands (1,040) is refused as ambiguous. Raises
    ``FileNotFoundError`` for a missing file and ``DataError`` for one that cannot be
    read as a table.
    """
    if thousands is not None and thousands == decimal:
        raise ValueError(f"thousands and decimal are both {thousands!r}: numbers need "
                         f"two different marks.")
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. Check the path.")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return _read_parquet(path, columns)
    try:
        delimiter, sample = _sniff_delimiter(path)
        _check_field_counts(path, sample, delimiter)
        header = pd.read_csv(path, sep=delimiter, nrows=0).columns
        # Only the needed columns of a large file are parsed; when a named column is
        # absent everything is read so that validation can name the close matches.
        usecols = list(columns) if columns and set(columns) <= set(header) else None
        marks_given = thousands is not None or decimal is not None
        options = {"sep": delimiter, "thousands": thousands,
                   "decimal": decimal or ("," if thousands == "." else ".")}
        if ROUND_TRIP_OPTION:  # a number rnncast wrote reads back as the same float
            options["float_precision"] = "round_trip"
        frame = pd.read_csv(path, usecols=usecols, **options)
        text = [name for name in text_columns if name in frame.columns]
        if text:  # read again as written, without pandas' guesses of type and "NA"; in
            # one read, converters still turn "NA" into NaN under pandas 3, and sparing
            # only these columns from NA detection needs pandas' private list of NA words
            frame[text] = pd.read_csv(path, sep=delimiter, usecols=text, dtype=str,
                                      keep_default_na=False, na_values=[""])[text]
    except UnicodeDecodeError as error:
        # pandas decodes in chunks, and error.start counts from the chunk's start
        where = _first_non_utf8(path) or f"{error.reason}"
        raise DataError(f"{path}: not UTF-8 text ({where}). Save it as UTF-8 CSV.") from error
    except pd.errors.EmptyDataError as error:
        raise DataError(f"{path}: the file is empty. Give a CSV with a header row and "
                        "data rows.") from error
    except DataError:
        raise
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(f"{path}: cannot read it as CSV ({error}).") from error
    blank = frame.isna().all(axis=1).to_numpy()  # rows of empty fields (;;) a spreadsheet left
    if blank.any():
        frame = frame[~blank]
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no data rows.")
    if delimiter == ";" and not marks_given:
        # a European CSV: fields split by ';' because ',' marks decimals (12,5)
        frame = _with_decimal_commas_read(frame, path)
    return frame


def _read_parquet(path: Path, columns) -> pd.DataFrame:
    try:
        try:
            frame = pd.read_parquet(path, columns=columns)
        except (KeyError, ValueError):  # a named column may be in the saved index
            frame = pd.read_parquet(path)
        if any(name is not None for name in frame.index.names):
            frame = frame.reset_index()  # id and time saved as the index: columns again
        if columns and set(columns) <= set(frame.columns):
            frame = frame[list(columns)]
        return frame
    except ImportError as error:
        raise DataError(f"{path}: reading Parquet needs pyarrow: pip install pyarrow "
                        "(or save the data as CSV).") from error
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read it as Parquet ({error}).") from error


# formats a table might be named for that rnncast does not write (it writes CSV text)
NOT_WRITTEN = {".xlsx": "Excel", ".xls": "Excel", ".xlsm": "Excel", ".ods": "OpenDocument",
               ".json": "JSON", ".feather": "Feather", ".arrow": "Arrow", ".h5": "HDF5",
               ".hdf5": "HDF5", ".pkl": "pickle", ".pickle": "pickle"}


def check_table_suffix(path) -> None:
    """``ValueError`` for a file name whose suffix promises a format ``write_table``
    does not write (it writes Parquet for .parquet/.pq and CSV otherwise)."""
    kind = NOT_WRITTEN.get(Path(path).suffix.lower())
    if kind is not None:
        raise ValueError(f"{path}: rnncast writes tables as CSV or Parquet, not {kind}; "
                         f"name a .csv (or .csv.gz) or .parquet file.")


def write_table(frame: pd.DataFrame, path) -> None:
    """Write ``frame`` atomically as Parquet when ``path`` ends in .parquet or .pq, as
    UTF-8 CSV otherwise (the index left out)."""
    from rnncast.io.atomic import atomic_write, write_csv_atomic

    path = Path(path).expanduser()
    check_table_suffix(path)
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        write_csv_atomic(frame, path)
        return
    try:
        import pyarrow  # noqa: F401  pandas' Parquet engine
    except ImportError as error:
        raise DataError(f"{path}: writing Parquet needs pyarrow: pip install pyarrow (or "
                        "name a .csv file).") from error
    frame = frame.copy(deep=False)
    frame.attrs = {}  # rnncast's own metadata (MASE scales of a backtest) is not JSON
    with atomic_write(path, "wb") as handle:
        frame.to_parquet(handle, index=False)


_DECIMAL_COMMA = r"^\s*-?\d+(,\d+)?\s*$"
# 1,040 reads as 1.04 with a decimal comma and as 1040 with a thousands comma (0,125
# only as a decimal: groups of thousands never follow a leading 0)
_THOUSANDS_OR_DECIMAL = r"^\s*-?[1-9]\d{0,2},\d{3}\s*$"


def _with_decimal_commas_read(frame: pd.DataFrame, path) -> pd.DataFrame:
    """``frame`` with each text column whose values are all numbers, some written with
    a decimal comma (12,5), converted to floats; the file is not read again. A column
    whose commas could each as well group thousands is refused."""
    converted = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            values = column.dropna().astype(str)
            with_comma = values[values.str.contains(",", regex=False)]
            if len(values) and values.str.match(_DECIMAL_COMMA).all() and len(with_comma):
                if with_comma.str.match(_THOUSANDS_OR_DECIMAL).all():
                    example = with_comma.iloc[0].strip()
                    raise DataError(
                        f"{path}: column {name!r} holds numbers such as {example!r}, which "
                        f"read as {example.replace(',', '.')} with a decimal comma and as "
                        f"{example.replace(',', '')} with a comma between thousands. Say "
                        f"which: thousands=',' or decimal=','.")
                text = column.astype(str).str.replace(",", ".", regex=False)
                converted[name] = pd.to_numeric(text.where(column.notna()))
    return frame.assign(**converted) if converted else frame


def _check_field_counts(path, sample: str, delimiter: str) -> None:
    """Rows of the sample with more or fewer fields than the header: pandas would read
    them silently (extra fields dropped or taken as an index, missing ones as NaN),
    shifting values into the wrong columns. Only the sniffed start is checked."""
    rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
    if rows:
        names = [name.strip() for name in rows[0]]
        twice = sorted({name for name in names if name and names.count(name) > 1})
        if twice:
            raise DataError(
                f"{path}: the header names {', '.join(repr(n) for n in twice)} more than "
                "once; a column read by name would be the first of them, silently. Rename "
                "or drop the others.")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise DataError(
                f"{path}: row {number} has {len(row)} fields but the header has "
                f"{len(rows[0])} (separator {delimiter!r}): {delimiter.join(row)[:80]!r}. "
                "Quote values that contain the separator (e.g. decimal commas), or fix "
                "that row.")


def _sniff_delimiter(path) -> tuple[str, str]:
    """The field separator, guessed from the start of the file (comma when unsure),
    and that start's complete lines."""
    with _open_binary(path) as handle:
        sample = handle.read(65536)
    complete_lines = sample[: sample.rfind(b"\n") + 1] or sample
    text = complete_lines.decode("utf-8")  # a UnicodeDecodeError is reported by the caller
    first_line = text.splitlines()[0] if text.strip() else ""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return (best if counts[best] > 0 else ","), text


def _first_non_utf8(path: Path) -> str | None:
    """Where the file's first byte that is not UTF-8 sits, as "<reason> at byte N
    (line L)" (N from 0, L from 1, in the decompressed text), or None if there is none."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0  # bytes and newlines before this chunk
    with _open_binary(path) as stream:
        while True:
            chunk = stream.read(1 << 20)
            pending = len(decoder.getstate()[0])  # the start of a character cut in two
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                # error.start counts from the pending bytes, which hold no newline
                inside = max(error.start - pending, 0)
                line = lines + chunk[:inside].count(b"\n") + 1
                return f"{error.reason} at byte {offset - pending + error.start} (line {line})"
            if not chunk:
                return None
            offset += len(chunk)
            lines += chunk.count(b"\n")


def _open_binary(path: Path):
    """The file's bytes, decompressed where its name ends in .gz, .bz2 or .xz (as
    pandas reads them)."""
    import bz2
    import gzip
    import lzma

    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix.lower())
    return opener(path, "rb") if opener else open(path, "rb")
