#!/usr/bin/env bash
# Sets up rnncast with its test extra (PyTorch as the gradient oracle) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# A worker process per core this process may use, at most 8 (pytest-xdist); "-n 0"
# among the arguments runs the tests in this process instead. Not "-n auto": with psutil
# installed it counts the machine's physical cores, whatever this process is allowed.
workers="$(.venv/bin/python -c 'from rnncast.nn.kernels import usable_cores
print(min(usable_cores(), 8))')"
exec .venv/bin/python -m pytest -n "$workers" "$@"
