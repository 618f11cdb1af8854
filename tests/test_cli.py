"""The command, run as a user runs it: a real subprocess."""

import subprocess
import sys


def rnncast(*args):
    return subprocess.run([sys.executable, "-m", "rnncast", *args], capture_output=True,
                          text=True, timeout=300)


def test_check_gradients_reports_every_parameter_and_passes():
    result = rnncast("check-gradients", "--cell", "gru", "--hidden", "4", "--layers", "2")
    assert result.returncode == 0, result.stderr
    for name in ("input", "initial_h", "weight_ih_l0", "weight_hh_l1", "bias_hh_l1"):
        assert name in result.stdout
    assert "OK: worst" in result.stdout


def test_demo_trains_the_seed_configuration_and_compares_with_naive():
    result = rnncast("demo", "--epochs", "30")
    assert result.returncode == 0, result.stderr
    assert "naive" in result.stdout and "forecast for day 16" in result.stdout


def test_bad_option_exits_with_status_2_and_no_traceback():
    result = rnncast("check-gradients", "--hidden", "0")
    assert result.returncode == 2
    assert "must be a positive integer" in result.stderr
    assert "Traceback" not in result.stderr
