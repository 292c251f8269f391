#!/usr/bin/env bash
# Memory soak: the checkout benchmark (bench/order) for 10 minutes (BENCH_SECONDS to change it).
# Watch the memory table at the end: each service's RSS from the first to the last fifth of the
# window must not grow, and stay within 200 MB; the whole platform (services, Kafka, PostgreSQL,
# Redis) within 3 GB. Progress (placed orders, RSS per service) every 10 s.
#   npm run bench -- soak
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH_SECONDS="${BENCH_SECONDS:-600}" exec node bench/order/checkout-bench.js
