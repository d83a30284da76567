#!/usr/bin/env bash
# Pass every test: gdcore unit tests, notebooks under nbval, the nbgrader round trip,
# the book build and the browser tests. Sets itself up on a fresh machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
bash scripts/vendor.sh   # offline JS for the book build (idempotent)
if [ -x scripts/install_browser.sh ]; then scripts/install_browser.sh; fi
bash scripts/install_grading.sh   # bubblewrap (the grading sandbox), postgresql (gradebook tests), nodejs
python -m pytest "$@"
