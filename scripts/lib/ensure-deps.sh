#!/usr/bin/env bash
# Install node_modules when missing or when package-lock.json changed since the last install.
# Fast (a hash comparison) when nothing changed. Used by `npm test` and `npm run up`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
STAMP="node_modules/.sudamall-lock-hash"
LOCK_HASH="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ]; then
  echo "[deps] node_modules missing: npm ci"
  npm ci --no-audit --no-fund
elif [ "$(cat "$STAMP" 2>/dev/null || true)" != "$LOCK_HASH" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "[deps] package-lock.json changed since the last install: npm ci"
    npm ci --no-audit --no-fund
  else
    # On a working machine other processes use node_modules right now: `npm ci` would delete it
    # under them, so sync it in place (under the shared npm lock) instead.
    echo "[deps] package-lock.json changed since the last install: npm install (in place)"
    flock /tmp/sudamall-npm.lock npm install --no-audit --no-fund
  fi
else
  echo "[deps] node_modules up to date with package-lock.json"
  exit 0
fi
echo "$LOCK_HASH" >"$STAMP"
