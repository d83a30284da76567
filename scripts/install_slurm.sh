#!/usr/bin/env bash
# Install Debian's Slurm (slurmctld, slurmd, the client commands) and MUNGE, with apt-get, when missing (as root).
# tests/test_grading_slurm.py runs this, then starts its own one-node cluster in a temporary directory
# (its own munge key, slurm.conf and daemons, no systemd) to run the instructor guide's job array.
# Only the packages are installed: no service is enabled or started, and /etc/slurm is left alone.
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
for cmd in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
  command -v "${cmd%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${cmd%%:*}" ] || need+=("${cmd##*:}")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "[slurm] missing ${need[*]}: install them as root (apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "[slurm] installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
# no init system here: keep the packages' maintainer scripts from starting the services
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
