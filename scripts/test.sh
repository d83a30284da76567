#!/usr/bin/env bash
# Pass every test. Sets itself up on a fresh machine, then runs four named stages, each timed:
#   1. lint    ruff over every .py file and notebook (rule set in pyproject.toml), zero findings
#   2. unit    the fast tests that need no book: gdcore, validation, plotting, the repository, the install
#   3. build   ONE from-clean book build with -W (scripts/build_book.sh); it executes every chapter, and a
#              cell that raises fails the build, so this is the notebooks' execution check
#   4. checks  everything that reads that build or runs kernels: executed chapters, every page in Chromium
#              (offline, accessibility), every link, grading of a hostile class, JupyterLab
# No notebook is executed twice. The machine has two cores, so stages overlap: the grading checks (which need
# no build) start with the unit tests and the build, the other checks when the build is done. Each part is
# timed on its own, and its output is printed whole when it ends (logs in _build/logs/). A failing part stops
# the run.
#
# With arguments, the stages are skipped and the arguments go to pytest (setup still runs), e.g.
#   bash scripts/test.sh tests/test_optim.py -x
#   bash scripts/test.sh --nbval-lax book/03_sgd.ipynb
# Tests that need the book build it themselves then, unless GD_BOOK_HTML points at one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
t0=$(date +%s)
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
bash scripts/vendor.sh   # offline JS for the book build, axe-core for the checks (idempotent)
if [ -x scripts/install_browser.sh ]; then scripts/install_browser.sh; fi   # chromium, fonts-noto-cjk
bash scripts/install_grading.sh   # bubblewrap (the grading sandbox), postgresql (gradebook tests), nodejs

if [ $# -gt 0 ]; then
  exec python -m pytest "$@"
fi

LOGS="$ROOT/_build/logs"
rm -rf "$LOGS" && mkdir -p "$LOGS"
SUMMARY=("$(printf '%-15s %4d s' setup "$(( $(date +%s) - t0 ))")")
declare -A PIDS=()

report() {  # report NAME RC SECONDS: print the log of NAME (if any) and its verdict, record its time
  local name="$1" rc="$2" took="$3"
  echo; echo "=== $name ==="
  if [ -f "$LOGS/$name.log" ]; then cat "$LOGS/$name.log"; fi
  SUMMARY+=("$(printf '%-15s %4d s' "$name" "$took")")
  echo "=== $name: $([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)") in $took s ==="
}

finish() {  # finish RC: on failure, stop everything still running, print the times and exit
  if [ "$1" -ne 0 ]; then
    for pid in "${PIDS[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
    printf '%s\n' "" "stage times:" "${SUMMARY[@]/#/  }" "  total           $(( $(date +%s) - t0 )) s: FAILED"
    exit "$1"
  fi
}

start() {  # start NAME COMMAND...: run in the background in its own process group, output to _build/logs/
  local name="$1"; shift
  echo "=== $name: started (log: _build/logs/$name.log) ==="
  setsid bash -c 's=$(date +%s); "${@:2}" > "$1.log" 2>&1; rc=$?; echo "$rc $(( $(date +%s) - s ))" > "$1.status"' \
    _ "$LOGS/$name" "$@" &
  PIDS[$name]=$!
}

join() {  # join NAME: wait for it, report it; returns its exit status
  local name="$1" rc took
  wait "${PIDS[$name]}" || true
  unset "PIDS[$name]"
  if [ -f "$LOGS/$name.status" ]; then read -r rc took < "$LOGS/$name.status"; else rc=1; took=0; fi
  report "$name" "$rc" "$took"
  return "$rc"
}

run() {  # run NAME COMMAND...: in the foreground
  local name="$1"; shift
  local s rc
  s=$(date +%s)
  set +e; "$@" > "$LOGS/$name.log" 2>&1; rc=$?; set -e
  report "$name" "$rc" "$(( $(date +%s) - s ))"
  return "$rc"
}

# 1. lint
run lint ruff check --no-cache . || finish $?

# 2, 3 and 4. The checks run in three groups (much of their time is spent waiting on kernels, servers and the
# browser, so they overlap well on two cores):
#   grading   the round trip of a hostile class through every assignment, and the sandbox itself
#   services  a real JupyterLab, the gradebook on PostgreSQL, a Slurm job array
#   book      the executed chapters, every page in Chromium, every link, no secrets in the pages
# The grading group reads no build, so it starts first and runs beside the unit tests and the one from-clean
# build (which leave a core idle: the build executes one notebook at a time). The other two groups read that
# build (GD_BOOK_HTML: nothing rebuilds it) and start when it is done.
GRADING=(tests/test_grading.py tests/test_sandbox.py)
SERVICES=(tests/test_jupyterlab.py tests/test_grading_scale.py tests/test_grading_slurm.py)
start checks-grading python -m pytest -m integration --durations=10 "${GRADING[@]}"
start build bash scripts/build_book.sh
run unit python -m pytest -m "not integration" --durations=5 || finish $?
join build || finish $?

export GD_BOOK_HTML="$ROOT/_build/html"
start checks-services python -m pytest -m integration --durations=10 "${SERVICES[@]}"
start checks-book python -m pytest -m integration --durations=10 "${GRADING[@]/#/--ignore=}" \
  "${SERVICES[@]/#/--ignore=}"
join checks-book || finish $?
join checks-services || finish $?
join checks-grading || finish $?

printf '%s\n' "" "stage times:" "${SUMMARY[@]/#/  }" "  total           $(( $(date +%s) - t0 )) s"
