#!/usr/bin/env bash
# Schemathesis (PyPI, the OpenAPI fuzzer the e2e suite runs through the gateway:
# tests/e2e/test/schemathesis.test.ts), in a Python virtual environment of the project's own.
#
#   bash scripts/lib/schemathesis.sh --install   create / update the venv only (several callers
#                                                at once wait for one install: a lock beside it)
#   bash scripts/lib/schemathesis.sh --bin       install if needed, print the schemathesis path
#   bash scripts/lib/schemathesis.sh ARGS...     install if needed, then `schemathesis ARGS...`
#
# The versions are pinned exactly, dependencies too (scripts/lib/schemathesis-requirements.txt);
# the venv is rebuilt only when that file changes (a stamp holds its hash), so a warm call costs
# a few milliseconds. `npm test` starts the install in the background while the platform starts.
# Location: $SUDAMALL_SCHEMATHESIS_VENV (default ~/.cache/sudamall/schemathesis).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REQUIREMENTS="$ROOT/scripts/lib/schemathesis-requirements.txt"
VENV="${SUDAMALL_SCHEMATHESIS_VENV:-$HOME/.cache/sudamall/schemathesis}"
STAMP="$VENV/.requirements.sha256"

log() { printf '[schemathesis] %s\n' "$*" >&2; }
fail() { printf '[schemathesis] FAIL: %s\n' "$*" >&2; exit 1; }

install() {
  local want; want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  [ -x "$VENV/bin/schemathesis" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] && return 0
  mkdir -p "$(dirname "$VENV")"
  exec 9>"$VENV.lock"
  flock 9
  # Another caller may have finished the install while this one waited for the lock.
  if [ -x "$VENV/bin/schemathesis" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then flock -u 9; return 0; fi
  command -v python3 >/dev/null || fail "python3 is needed (3.9 or newer)"
  log "installing $(grep -E '^schemathesis==' "$REQUIREMENTS") into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || fail "python3 -m venv failed (Debian: apt-get install -y python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS" \
    || fail "pip install -r $REQUIREMENTS failed"
  echo "$want" >"$STAMP"
  flock -u 9
}

case "${1:-}" in
  --install) install; log "ready: $("$VENV/bin/schemathesis" --version)" ;;
  --bin) install; echo "$VENV/bin/schemathesis" ;;
  '') fail "usage: $0 --install | --bin | ARGS... (passed to schemathesis)" ;;
  *) install; exec "$VENV/bin/schemathesis" "$@" ;;
esac
