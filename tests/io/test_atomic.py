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


# A process that starts replacing ``target`` and stalls halfway: it writes part of the
# new content, says "writing" and sleeps, so the test can kill it mid-save.
STALLED_SAVE = """
import sys, time
import numpy as np
import pandas as pd
from rnncast.io import load_model, save_model, write_csv_atomic

kind, target = sys.argv[1], sys.argv[2]

def stall(handle, *args, **kwargs):
    handle.write(b"half of the new" if "b" in getattr(handle, "mode", "b") else "half,")
    handle.flush()
    print("writing", flush=True)
    time.sleep(60)

if kind == "model":
    np.savez = stall
    save_model(load_model(target), target)
else:
    pd.DataFrame.to_csv = lambda self, handle, **kwargs: stall(handle)
    write_csv_atomic(pd.DataFrame({"a": [1]}), target)
"""


@pytest.mark.parametrize("kind", ["model", "forecast"])
def test_a_kill_during_a_save_leaves_the_old_file_and_no_temporary_file(kind, tmp_path):
    import signal
    import subprocess
    import sys

    import numpy as np

    from rnncast.io import load_model, save_model
    from rnncast.models import Naive

    target = tmp_path / ("model.rnncast" if kind == "model" else "forecast.csv")
    if kind == "model":
        save_model(Naive(2).fit(np.arange(10.0)), target)
    else:
        write_csv_atomic(forecast_frame(), target)
    before = target.read_bytes()
    process = subprocess.Popen([sys.executable, "-c", STALLED_SAVE, kind, str(target)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing", process.stderr.read()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left behind
    if kind == "model":
        assert np.isfinite(load_model(target).predict().Naive).all()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and links")
def test_a_replaced_file_keeps_its_permissions_and_a_link_stays_a_link(tmp_path):
    target = tmp_path / "model.csv"
    write_csv_atomic(forecast_frame(), target)
    os.chmod(target, 0o600)  # a model file holds the training data
    write_csv_atomic(forecast_frame(), target)
    assert os.stat(target).st_mode & 0o777 == 0o600
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    write_csv_atomic(forecast_frame().head(1), link)
    assert link.is_symlink() and len(pd.read_csv(target)) == 1


def test_writing_onto_a_folder_says_so_and_leaves_nothing(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r"out: is a folder; name a file to write"):
        write_csv_atomic(forecast_frame(), folder)
    assert os.listdir(tmp_path) == ["out"] and os.listdir(folder) == []
