#!/usr/bin/env bash
# End-to-end checkout benchmark (see checkout-bench.js). Needs the platform and a build:
#   npm run bench -- order        (or: bash bench/order/run.sh after a build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec node bench/order/checkout-bench.js
