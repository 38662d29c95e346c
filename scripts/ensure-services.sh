#!/usr/bin/env bash
# Install Debian's PostgreSQL, Redis and nginx for the scaled test (tests/scaled), only if missing.
# Never starts the system-wide services: the test runs its own private instances as another user,
# in a temporary directory, on free ports of 127.0.0.1.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
[[ -x /usr/bin/redis-server ]] || missing+=(redis-server)
[[ -x /usr/sbin/nginx ]] || missing+=(nginx)
[[ -x /usr/sbin/runuser ]] || missing+=(util-linux)

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-services: apt-get not found; install ${missing[*]} by hand" >&2
  exit 1
fi
SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-services: installing ${missing[*]} (Debian packages)..."
LOG="$(mktemp)"
$SUDO apt-get update -qq >"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
# policy-rc.d 101: the packages' post-install scripts must not start the system-wide services.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=0
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $POLICY >/dev/null
  $SUDO chmod +x $POLICY
  ADDED_POLICY=1
fi
trap '[[ $ADDED_POLICY -eq 1 ]] && $SUDO rm -f $POLICY; rm -f "$LOG"' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
echo "ensure-services: $(ls -d /usr/lib/postgresql/*/bin | head -1), $(/usr/bin/redis-server --version | cut -d' ' -f1-3), $(/usr/sbin/nginx -v 2>&1)"
