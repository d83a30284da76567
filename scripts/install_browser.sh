#!/usr/bin/env bash
# Install what the browser tests need: Debian's chromium (Playwright drives it via executable_path;
# `playwright install` cannot download browsers here) and fonts-noto-cjk, so that the glossary's Chinese
# terms render as characters rather than boxes in the pages and screenshots. Idempotent: installs only what
# is missing.
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
want=()
[ -x "$CHROMIUM" ] || want+=(chromium fonts-dejavu-core)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || want+=(fonts-noto-cjk)
if [ ${#want[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null; then
  echo "[browser] missing ${want[*]} and this user cannot apt-get install them" >&2
  exit 0   # the browser tests then fail under CI=true and skip otherwise
fi
SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo -n"
echo "[browser] installing ${want[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
"$CHROMIUM" --version
