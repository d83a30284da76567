#!/usr/bin/env bash
# Build the HTML book from clean into _build/html (all notebooks executed, warnings are errors).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
bash scripts/vendor.sh   # pinned MathJax/require.js/html-manager for the offline book (idempotent)
rm -rf _build/html _build/.doctrees _build/jupyter_execute
start=$(date +%s)
jupyter-book build . --all -W --keep-going -n
echo "[book] built _build/html/index.html in $(( $(date +%s) - start )) s"
