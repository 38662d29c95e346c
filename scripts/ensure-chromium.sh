#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the browser tests, and poppler-utils (pdftoppm,
# the report test renders the PDF), only if missing.
# Never downloads a browser build of its own: both come from Debian's packages.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver && -x /usr/bin/pdftoppm ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: apt-get not found; install chromium and chromium-driver by hand" >&2
  exit 1
fi
SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver poppler-utils >/dev/null
/usr/bin/chromium --version
