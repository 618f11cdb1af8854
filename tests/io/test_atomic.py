"""Atomic writes: the target is replaced whole or left as it was, with no leftovers."""

import os

import pandas as pd
import pytest

from rnncast.io import atomic_write, write_csv_atomic


def forecast_frame():
    return pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-01-01"]),
            "Naive": [1.5, 1.5, -2.25],
        }
    )


def test_write_csv_atomic_writes_the_frame_without_its_index(tmp_path):
    path = tmp_path / "forecast.csv"
    write_csv_atomic(forecast_frame(), path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "unique_id,ds,Naive"
    back = pd.read_csv(path, parse_dates=["ds"])
    pd.testing.assert_frame_equal(back, forecast_frame(), check_dtype=False)
    assert os.listdir(tmp_path) == ["forecast.csv"]


def test_write_csv_atomic_replaces_an_existing_file(tmp_path):
    path = tmp_path / "forecast.csv"
    path.write_text("old contents\n")
    write_csv_atomic(forecast_frame(), path)
    assert path.read_text().startswith("unique_id,ds,Naive")
    assert os.listdir(tmp_path) == ["forecast.csv"]


def test_failed_csv_write_leaves_the_existing_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "forecast.csv"
    path.write_text("old contents\n")

    def to_csv_failing_midway(self, handle, **options):
        handle.write("unique_id,ds,Na")
        raise OSError("No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv_failing_midway)
    with pytest.raises(OSError, match="No space left"):
        write_csv_atomic(forecast_frame(), path)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["forecast.csv"]


def test_atomic_write_keeps_the_target_untouched_until_the_block_ends(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with atomic_write(path) as handle:
        handle.write(b"new")
        handle.flush()
        assert path.read_bytes() == b"old"
    assert path.read_bytes() == b"new"


def test_atomic_write_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        write_csv_atomic(forecast_frame(), tmp_path / "missing" / "forecast.csv")
