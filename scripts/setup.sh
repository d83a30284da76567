#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned requirements into it.
# Sourced by build_book.sh and test.sh; safe to run repeatedly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
stamp="$VENV/.requirements.sha"
want="$(cat "$ROOT/requirements.txt" "$ROOT/constraints.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing requirements into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -r requirements.txt)
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
# Do NOT export MPLBACKEND here: Jupyter kernels (book build, nbval, JupyterLab) inherit it, and with
# MPLBACKEND=Agg plt.show() in a notebook displays nothing, so the book would lose its figures.
# Headless matplotlib picks Agg by itself.
unset MPLBACKEND
