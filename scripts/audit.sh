#!/usr/bin/env bash
# Audit both environments' pinned requirements with pip-audit (default service: PyPI's JSON
# API on pypi.org; AUDIT_SERVICE=osv for api.osv.dev). Advisories listed in
# requirements/audit-ignore.txt are accepted; any other fails.
# Exit: 0 clean, 1 vulnerabilities found, 2 the vulnerability service gave no answer.
set -uo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT=${PIP_AUDIT:-.venv-gateway/bin/pip-audit}
SERVICE=${AUDIT_SERVICE:-pypi}
IGNORE_FILE=requirements/audit-ignore.txt
REQUIREMENTS=(requirements/rasa.txt requirements/gateway.txt requirements/rasa-dev.txt requirements/gateway-dev.txt)

ignore=()
while read -r line || [ -n "$line" ]; do
    id=$(echo "${line%%#*}" | tr -d '[:space:]')
    [ -n "$id" ] && ignore+=(--ignore-vuln "$id")
done < "$IGNORE_FILE"

status=0
for requirements in "${REQUIREMENTS[@]}"; do
    echo "==> pip-audit $requirements (service: $SERVICE, ${#ignore[@]} ignore arguments)"
    # --strict: a package the service has no data for fails the run instead of being skipped,
    # so an unreachable service can never look like "no known vulnerabilities".
    output=$("$PIP_AUDIT" -r "$requirements" --no-deps --disable-pip --strict \
        --vulnerability-service "$SERVICE" --progress-spinner off --timeout 20 "${ignore[@]}" 2>&1)
    code=$?
    if [ "$code" -ne 0 ]; then
        if echo "$output" | grep -q -i -E "could not be audited|ConnectionError|Max retries|NameResolution|Failed to resolve|ServiceError|timed out"; then
            echo "$output" | tail -n 1 | cut -c1-300 >&2
            echo "" >&2
            echo "audit: FAILED - the vulnerability service ($SERVICE) could not be reached or had no" >&2
            echo "audit: data for the pinned versions, so NOTHING was audited. Run 'make audit' where" >&2
            echo "audit: pypi.org's JSON API (or api.osv.dev with AUDIT_SERVICE=osv) is reachable." >&2
            exit 2
        fi
        status=1
    fi
    echo "$output" | grep -v -e "encouraged to fully hash" -e "Consider using a tool like"
done
if [ "$status" -ne 0 ]; then
    echo "" >&2
    echo "audit: FAILED - vulnerabilities found (above). Upgrade the pin, or, if Rasa 3.6 pins it," >&2
    echo "audit: add the id with the reason to $IGNORE_FILE." >&2
fi
exit $status
