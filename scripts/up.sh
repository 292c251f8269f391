#!/usr/bin/env bash
# `npm run up`: bring the whole platform up on this machine and run the demo checkout.
#   1. node_modules (npm ci when missing or stale)
#   2. PostgreSQL, Redis, Kafka (scripts/platform.sh up)
#   3. build every workspace (turbo)
#   4. migrate and start the four services + the nginx gateway on :8080 (scripts/services.sh start)
#   5. the demo: a seller lists products, three buyers check out (paid, declined then paid, lapsed)
# Everything stays up afterwards; `npm run down` stops it all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1
# The platform keeps its 15-minute payment window: the demo's third buyer asks for a short
# window on that one order (order's test mode), so nothing short stays in force afterwards.
# JWT and webhook secrets generated once into .local/secrets.env (never a fixed string): the
# services and the demo's tokens (its admin JWT included) use them.
# shellcheck source=lib/local-secrets.sh
. scripts/lib/local-secrets.sh
local_secrets_load "$ROOT"

echo "[up] 1/5 dependencies"; bash scripts/lib/ensure-deps.sh
echo "[up] 2/5 platform";     bash scripts/platform.sh up
echo "[up] 3/5 build";        npx turbo run build --output-logs=errors-only
echo "[up] 4/5 services";     bash scripts/services.sh start
echo "[up] 5/5 demo";         node scripts/demo/demo.mjs
