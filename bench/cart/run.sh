#!/usr/bin/env bash
# Cart HTTP benchmark (see cart-bench.js). Needs the platform and a build:
#   npm run bench -- cart        (or: bash bench/cart/run.sh after a build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec node bench/cart/cart-bench.js
