#!/usr/bin/env bash
# Install the Debian packages the tests use, only if missing:
#   chromium, chromium-driver  the browser tests (never a browser build of its own)
#   poppler-utils              pdftoppm/pdftotext: the report test renders the PDF
#   zbar-tools                 zbarimg: the counter QR sheet test decodes its codes
#   kubernetes-client          kubectl kustomize: the Kubernetes manifests render (no cluster)
set -euo pipefail

need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [[ ${#need[@]} -eq 0 ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-packages: apt-get not found; install by hand: ${need[*]}" >&2
  exit 1
fi
SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO="sudo"
fi
echo "==> Debian packages for the tests: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
