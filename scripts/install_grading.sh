#!/usr/bin/env bash
# Install the system packages grading needs, with apt-get, when missing (as root):
#   bubblewrap  the sandbox every student kernel runs in (grading/sandbox.py)
#   util-linux  prlimit and setpriv (resource limits, the unprivileged uid)
#   postgresql  a server the tests start on loopback, to test the PostgreSQL gradebook
#   nodejs      MathJax typesets feedback pages offline (grading/feedback.py)
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v prlimit >/dev/null && command -v setpriv >/dev/null || need+=(util-linux)
[ -x "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | head -1)" ] || need+=(postgresql)
command -v node >/dev/null || need+=(nodejs)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "[grading] missing ${need[*]}: install them as root (apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "[grading] installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
