"""Writing files atomically: a reader sees the old file or the new one, never half of one.

Everything is written to a temporary file in the target's directory (so the final
rename stays on one file system), flushed and ``fsync``-ed, then ``os.replace``-d onto
the target. If anything fails on the way, the temporary file is removed and an
existing target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb", **open_options) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write. Its directory must exist.
    mode : {"wb", "w"}
        Binary or text; ``open_options`` (``encoding``, ``newline``) go to ``open``.

    Yields
    ------
    file object
        Write to it inside the ``with`` block. An exception inside the block (or in
        the final flush, sync or rename) removes the temporary file, leaves ``path``
        untouched and propagates.
    """
    path = Path(path)
    fd, temp = _create_temp(path)
    try:
        with os.fdopen(fd, mode, **open_options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_directory(path.parent)


def write_csv_atomic(frame: pd.DataFrame, path, *, index: bool = False, **to_csv_options) -> None:
    """Write ``frame`` as UTF-8 CSV to ``path`` atomically (see ``atomic_write``).

    ``index`` and ``to_csv_options`` go to ``DataFrame.to_csv``; the index is left out
    by default, as forecast frames carry ``unique_id`` and ``ds`` as columns.
    """
    # newline="": to_csv writes its own line endings (pandas asks for this on handles)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=index, **to_csv_options)


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file ``.{name}.{random}.tmp`` beside ``path``: (descriptor, path).

    Created with mode 0o666 less the umask, like any new file, rather than
    ``tempfile``'s 0o600, because it becomes the user's file once renamed.
    """
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory}: no such directory to write {path.name} in; create it first."
        )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory}: cannot create a temporary file to write {path.name}.")


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); best effort, as some file systems refuse."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
