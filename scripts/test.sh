#!/usr/bin/env bash
# Sets up rnncast with its test extra (PyTorch as the gradient oracle) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# -n auto: a worker process per core (pytest-xdist); "-n 0" among the arguments runs
# the tests in this process instead.
exec .venv/bin/python -m pytest -n auto "$@"
