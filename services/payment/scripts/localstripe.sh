#!/usr/bin/env bash
# Runs localstripe (a stateful fake of Stripe's API, from PyPI) on 127.0.0.1 for development and
# the payment tests. Installs it on first use into <repo>/.local/localstripe (idempotent, fast
# when present). Prints "LISTENING <port>" once it accepts connections.
#   scripts/localstripe.sh [--install-only] [port]     (port 0 or none: a free port)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${SUDAMALL_LOCALSTRIPE_VENV:-$root/.local/localstripe}"
version="1.15.10"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import localstripe" 2>/dev/null; then
  mkdir -p "$(dirname "$venv")"
  # flock: parallel test files must not build the same venv at once.
  (
    flock 9
    if ! "$venv/bin/python" -c "import localstripe" 2>/dev/null; then
      python3 -m venv "$venv" >&2
      "$venv/bin/pip" install --quiet --disable-pip-version-check "localstripe==$version" >&2
    fi
  ) 9>"$(dirname "$venv")/.localstripe.lock"
fi

if [ "${1:-}" = "--install-only" ]; then exit 0; fi
exec "$venv/bin/python" "$here/localstripe-server.py" "${1:-0}"
