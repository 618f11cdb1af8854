"""Writing files atomically: a reader sees the old file or the new one, never half of one.

Everything is written to a temporary file in the target's directory (so the final
rename stays on one file system), flushed and ``fsync``-ed, then ``os.replace``-d onto
the target. If anything fails on the way, the temporary file is removed and an
existing target is left as it was.

Where the system allows (Linux, ``O_TMPFILE``), the temporary file has no name until
it is complete: a process killed mid-write (SIGKILL, power loss) leaves nothing behind,
because the kernel drops an unnamed file when its last descriptor closes. It gets a
name beside the target only after the final ``fsync``, just before the rename.
Elsewhere it is created as ``.{name}.{random}.tmp``, which a kill can leave behind
(never the target half-written).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
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
    path = _destination(path)
    existing_mode = _mode_of(path)
    fd, temp = _create_unnamed(path)
    if fd is None:
        fd, temp = _create_temp(path)
    try:
        with os.fdopen(fd, mode, **open_options) as handle:
            yield handle
            handle.flush()
            if existing_mode is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), existing_mode)  # a 0600 model file stays 0600
            os.fsync(handle.fileno())
            if temp is None:  # complete now: give it a name beside the target
                temp = _link_unnamed(handle.fileno(), path)
        os.replace(temp, path)
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise
    _sync_directory(path.parent)


# compressed CSV by the last suffix, as pandas infers it from a path
CSV_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}


def write_csv_atomic(frame: pd.DataFrame, path, *, index: bool = False, **to_csv_options) -> None:
    """Write ``frame`` as UTF-8 CSV to ``path`` atomically (see ``atomic_write``),
    compressed where the name ends in .gz, .bz2, .xz, .zst or .zip.

    ``index`` and ``to_csv_options`` go to ``DataFrame.to_csv``; the index is left out
    by default, as forecast frames carry ``unique_id`` and ``ds`` as columns.
    """
    compression = CSV_COMPRESSIONS.get(Path(path).suffix.lower())
    if compression is not None:  # pandas cannot infer it from the temporary file's handle
        with atomic_write(path, "wb") as handle:
            frame.to_csv(handle, index=index, compression=compression, encoding="utf-8",
                         **to_csv_options)
        return
    # newline="": to_csv writes its own line endings (pandas asks for this on handles)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=index, **to_csv_options)


def _destination(path) -> Path:
    """The file to replace: ``~`` expanded, and a symbolic link's target, so that the
    link stays a link to the new file. An existing folder is an error before any work."""
    path = Path(path).expanduser()
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder; name a file to write in it.")
    return path


def _mode_of(path: Path) -> int | None:
    """Permission bits of an existing file, which its replacement keeps."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _create_unnamed(path: Path) -> tuple[int | None, None]:
    """An unnamed file in ``path``'s directory (``O_TMPFILE``), or (None, None) where
    the system or file system has none, or cannot name it later (no /proc)."""
    flags = getattr(os, "O_TMPFILE", 0)
    if not flags or not os.path.isdir("/proc/self/fd") or not path.parent.is_dir():
        return None, None
    try:
        return os.open(path.parent, flags | os.O_RDWR, 0o666), None
    except OSError:  # e.g. EOPNOTSUPP on file systems without O_TMPFILE
        return None, None


def _link_unnamed(fd: int, path: Path) -> Path:
    """Give the unnamed file ``fd`` a temporary name beside ``path``; where linking is
    refused, copy it to a named temporary file instead."""
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        for _ in range(100):
            name = f".{path.name}.{secrets.token_hex(6)}.tmp"
            try:
                # dst_dir_fd makes CPython call linkat(AT_SYMLINK_FOLLOW): link() would
                # try to link the /proc symlink itself, across file systems
                os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=directory,
                        follow_symlinks=True)
                return path.parent / name
            except FileExistsError:
                continue
            except OSError:
                break
    finally:
        os.close(directory)
    copy, temp = _create_temp(path)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            os.write(copy, chunk)
        os.fsync(copy)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    finally:
        os.close(copy)
    return temp


def check_directory(path, option: str = "") -> None:
    """``FileNotFoundError`` unless the folder ``path`` would be written in exists, and
    ``IsADirectoryError`` where ``path`` is itself a folder; ``option`` names where the
    path came from (``" (--plot)"``)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder{option}; name a file to write in it.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"{path.parent}: no such directory to write {path.name} in{option}; create it "
            "first.")


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file ``.{name}.{random}.tmp`` beside ``path``: (descriptor, path).

    Created with mode 0o666 less the umask, like any new file, rather than
    ``tempfile``'s 0o600, because it becomes the user's file once renamed.
    """
    directory = path.parent
    check_directory(path)
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
