#!/usr/bin/env bash
# Our checkout beside a peer's, Vendure 3.7 on PostgreSQL (see peers-bench.js). Needs the platform
# and a build:   npm run bench -- peers        (or: bash bench/peers/run.sh after a build)
# Installs Vendure first, when missing or when bench/peers/vendure/package-lock.json changed, into
# a folder of its own outside the npm workspaces (VENDURE_DIR, default .local/peers/vendure):
# nothing of it enters the services' dependencies or the root package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TEMPLATE=bench/peers/vendure
export VENDURE_DIR="${VENDURE_DIR:-.local/peers/vendure}"
if [ ! -f "$VENDURE_DIR/node_modules/@vendure/core/package.json" ] || ! cmp -s "$TEMPLATE/package-lock.json" "$VENDURE_DIR/package-lock.json"; then
  echo "installing Vendure (pinned by $TEMPLATE/package-lock.json) into $VENDURE_DIR"
  mkdir -p "$VENDURE_DIR"
  cp "$TEMPLATE/package.json" "$TEMPLATE/package-lock.json" "$VENDURE_DIR/"
  # No install scripts: bcrypt 6 loads its prebuilt binary (node-gyp-build), and the only other
  # script (@apollo/protobufjs's postinstall) just prints a version hint. npm warns that two of
  # graphql-tools' helpers (@whatwg-node/*) declare Node >= 22.15: they run on Node 20 here.
  (cd "$VENDURE_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
exec node bench/peers/peers-bench.js
