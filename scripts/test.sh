#!/usr/bin/env bash
# Pass every test. Sets itself up on a fresh machine, then runs four named stages, each timed:
#   1. lint    ruff over every .py file and notebook (rule set in pyproject.toml), zero findings
#   2. unit    the fast tests that need no book: gdcore, validation, plotting, the repository, the install
#   3. build   ONE from-clean book build with -W (scripts/build_book.sh); it executes every chapter, and a
#              cell that raises fails the build, so this is the notebooks' execution check
#   4. checks  everything that reads that build or runs kernels: executed notebooks, every page in
#              Chromium (offline, links, accessibility), grading of a hostile class, JupyterLab
# No notebook is executed twice. A stage that fails stops the run.
#
# With arguments, the stages are skipped and the arguments go to pytest (setup still runs), e.g.
#   bash scripts/test.sh tests/test_optim.py -x
# Tests that need the book build it themselves then, unless GD_BOOK_HTML points at one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
t0=$(date +%s)
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
bash scripts/vendor.sh   # offline JS for the book build (idempotent)
if [ -x scripts/install_browser.sh ]; then scripts/install_browser.sh; fi
bash scripts/install_grading.sh   # bubblewrap (the grading sandbox), postgresql (gradebook tests), nodejs

if [ $# -gt 0 ]; then
  exec python -m pytest "$@"
fi

declare -a SUMMARY=()
SUMMARY+=("setup   $(( $(date +%s) - t0 )) s")

stage() {  # stage NAME COMMAND...
  local name="$1"; shift
  local start rc
  start=$(date +%s)
  echo
  echo "=== stage: $name ==="
  set +e
  "$@"
  rc=$?
  set -e
  local took=$(( $(date +%s) - start ))
  SUMMARY+=("$(printf '%-7s %d s' "$name" "$took")")
  echo "=== stage: $name: $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)") in $took s ==="
  if [ $rc -ne 0 ]; then
    printf '%s\n' "" "stage times:" "${SUMMARY[@]/#/  }"
    exit "$rc"
  fi
}

stage lint   ruff check --no-cache .
stage unit   python -m pytest -m "not integration" --durations=5
stage build  bash scripts/build_book.sh
export GD_BOOK_HTML="$ROOT/_build/html"   # stage 4 reads this build; nothing rebuilds it
stage checks python -m pytest -m integration --durations=20

printf '%s\n' "" "stage times:" "${SUMMARY[@]/#/  }" "  total   $(( $(date +%s) - t0 )) s"
