#!/usr/bin/env bash
# Creates .venv in the repository and installs rnncast into it with the extras named
# in $1 (e.g. "test"). Safe to run again. pip's output goes to .venv/install.log and
# is shown only if the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python_bin="$(command -v python3.11 || command -v python3)"
if [ ! -x .venv/bin/python ]; then
    "$python_bin" -m venv .venv
fi
target="."
[ -n "$extras" ] && target=".[$extras]"
if ! .venv/bin/python -m pip install -e "$target" > .venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "setup failed: see the pip output above (also in .venv/install.log)" >&2
    exit 1
fi
