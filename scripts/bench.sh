#!/usr/bin/env bash
# `npm run bench`: every benchmark under bench/ (not tests: they print figures beside a baseline
# measured in the same run). Needs the platform (started here) and a build.
#   npm run bench               all of them but the 10-minute soak, peers and kafka-clients
#   npm run bench -- inventory  one of them (bench/<name>/run.sh)
#   npm run bench -- peers      ours beside Vendure (installs it into .local/peers/vendure first)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/lib/ensure-deps.sh
bash scripts/platform.sh up
npx turbo run build --output-logs=errors-only
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  # Run only when named: the 10-minute soak (`npm run bench -- soak`), the peers bench
  # (`npm run bench -- peers`, which runs bench/order again beside Vendure) and the Kafka client
  # comparison (`npm run bench -- kafka-clients`, a library choice rather than the platform's figure).
  for d in bench/*/; do
    case "$(basename "$d")" in soak | peers | kafka-clients) continue ;; esac
    [ -f "$d/run.sh" ] && names+=("$(basename "$d")")
  done
fi
for name in "${names[@]}"; do
  echo "== bench/$name"
  bash "bench/$name/run.sh"
done
