#!/usr/bin/env bash
# Sets up rnncast in .venv and runs its demo on the bundled data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh fast
exec .venv/bin/rnncast demo "$@"
