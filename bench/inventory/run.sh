#!/usr/bin/env bash
# Inventory reservation benchmark (see reserve-bench.js). Needs the platform and a build:
#   npm run bench -- inventory        (or: bash bench/inventory/run.sh after a build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec node bench/inventory/reserve-bench.js
