#!/usr/bin/env bash
# `npm run bench`: every benchmark under bench/ (not tests: they print figures beside a baseline
# measured in the same run). Needs the platform (started here) and a build.
#   npm run bench               all of them but the 10-minute soak
#   npm run bench -- inventory  one of them (bench/<name>/run.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/lib/ensure-deps.sh
bash scripts/platform.sh up
npx turbo run build --output-logs=errors-only
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  # The 10-minute soak runs only when named (`npm run bench -- soak`).
  for d in bench/*/; do [ -f "$d/run.sh" ] && [ "$(basename "$d")" != soak ] && names+=("$(basename "$d")"); done
fi
for name in "${names[@]}"; do
  echo "== bench/$name"
  bash "bench/$name/run.sh"
done
