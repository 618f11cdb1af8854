#!/usr/bin/env bash
# Sets up rnncast with its test extra (PyTorch as the gradient oracle) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
