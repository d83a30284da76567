#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned requirements into it.
# Sourced by build_book.sh and test.sh; safe to run repeatedly.
#
# The interpreter is $PYTHON if set, else `python3`. It is checked FIRST, against pyproject.toml's
# requires-python (the one place the supported range is written): an unsupported or missing Python
# stops here with one sentence instead of a pip resolver dump. A Debian system Python without its
# venv module (package python3.X-venv) gets it from apt-get when we are root; otherwise we say so.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

# requires-python = ">=3.11,<3.14"  ->  lowest supported minor 11, first unsupported minor 14
_gd_range="$(sed -n 's/^requires-python = ">=3\.\([0-9]*\),<3\.\([0-9]*\)"$/\1 \2/p' "$ROOT/pyproject.toml")"
read -r _gd_lo _gd_end <<< "$_gd_range"
_gd_want="Python 3.$_gd_lo to 3.$((_gd_end - 1))"

# the one sentence a newcomer sees; the caller then stops (return when sourced, exit when run)
_gd_stop() { echo "[setup] $1" >&2; }

# "3.11.2" for any Python from 2.7 on, empty if it cannot run
_gd_version() { "$1" -c 'import sys; print("%d.%d.%d" % tuple(sys.version_info[:3]))' 2>/dev/null || true; }

_gd_supported() {  # $1 = "X.Y.Z"
  local major minor
  IFS=. read -r major minor _ <<< "$1"
  [ "$major" = 3 ] && [ "$minor" -ge "$_gd_lo" ] && [ "$minor" -lt "$_gd_end" ]
}

if [ -z "$_gd_range" ]; then
  _gd_stop "pyproject.toml has no requires-python line of the form \">=3.X,<3.Y\", so setup cannot tell which Python is supported."
  return 1 2>/dev/null || exit 1
fi

if [ -x "$VENV/bin/python" ]; then
  _gd_v="$(_gd_version "$VENV/bin/python")"
  if [ -z "$_gd_v" ] || ! _gd_supported "$_gd_v"; then
    _gd_stop "The existing $VENV uses Python ${_gd_v:-that no longer runs}, but this course needs $_gd_want: delete it (rm -rf .venv) and rerun, with PYTHON=/path/to/python3.X if python3 is not one of those."
    return 1 2>/dev/null || exit 1
  fi
  if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    echo "[setup] $VENV has no pip (an interrupted setup?): creating it again"
    rm -rf "$VENV"
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  _gd_v="$(_gd_version "$PY")"
  if [ -z "$_gd_v" ]; then
    _gd_stop "No Python found at '$PY': this course needs $_gd_want (set PYTHON=/path/to/python3.X to choose one)."
    return 1 2>/dev/null || exit 1
  fi
  if ! _gd_supported "$_gd_v"; then
    _gd_stop "'$PY' is Python $_gd_v, but this course needs $_gd_want (set PYTHON=/path/to/python3.X to choose one)."
    return 1 2>/dev/null || exit 1
  fi
  if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
    # Debian and Ubuntu ship the venv module of their system Python in a separate package
    _gd_pkg="python3.$(IFS=. read -r _ m _ <<< "$_gd_v"; echo "$m")-venv"
    _gd_real="$(readlink -f "$(command -v "$PY")")"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [[ "$_gd_real" == /usr/bin/* ]]; then
      echo "[setup] $PY has no venv module: installing Debian's $_gd_pkg with apt-get"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$_gd_pkg" >/dev/null
    else
      _gd_stop "'$PY' (Python $_gd_v) has no venv module: install it (on Debian or Ubuntu, as root: apt-get install $_gd_pkg) or set PYTHON=/path/to/python3.X to another $_gd_want."
      return 1 2>/dev/null || exit 1
    fi
  fi
  echo "[setup] creating $VENV with Python $_gd_v ($PY)"
  "$PY" -m venv "$VENV"
fi

stamp="$VENV/.requirements.sha"
want="$(cat "$ROOT/requirements.txt" "$ROOT/constraints.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing requirements into $VENV"
  (cd "$ROOT" && "$VENV/bin/python" -m pip install -q --upgrade pip -c constraints.txt)
  (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -r requirements.txt)
  echo "$want" > "$stamp"
fi
unset -f _gd_stop _gd_version _gd_supported
unset _gd_range _gd_lo _gd_end _gd_want _gd_v _gd_pkg _gd_real
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
# Do NOT export MPLBACKEND here: Jupyter kernels (book build, nbval, JupyterLab) inherit it, and with
# MPLBACKEND=Agg plt.show() in a notebook displays nothing, so the book would lose its figures.
# Headless matplotlib picks Agg by itself.
unset MPLBACKEND
