#!/usr/bin/env bash
# The chaos suite: each scenario file starts its own platform (the four built services, own
# databases, own topic prefix, own Redis), drives a steady checkout stream, injects its fault and
# prints what it did, what it measured and the invariant checker's verdict.
#
#   npm run chaos                      # every scenario that harms nobody else
#   CHAOS_SHARED=1 npm run chaos       # also restart the shared Kafka and PostgreSQL (last; other
#                                      # suites on this machine see the outage too)
#   npm run chaos -- 03 05             # only the scenario files whose names contain 03 or 05
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/platform.sh up
# The scenarios run the built services (dist/): build what is missing or stale.
npx turbo run build --filter='./services/*' --output-logs=errors-only || echo "[chaos] build failed: running the dist/ already there"

mapfile -t files < <(ls chaos/scenarios/*.chaos.ts | sort)
selected=()
for f in "${files[@]}"; do
  base="$(basename "$f")"
  if [ "$#" -gt 0 ]; then
    for want in "$@"; do [[ "$base" == *"$want"* ]] && selected+=("$f"); done
  elif [[ "$base" == *shared* ]]; then
    [ "${CHAOS_SHARED:-}" = 1 ] && selected+=("$f")
  else
    selected+=("$f")
  fi
done

passed=0; failed=0; failures=()
for f in "${selected[@]}"; do
  echo "=== $(basename "$f")"
  if (cd chaos && npx jest --config jest.config.js "scenarios/$(basename "$f")"); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failures+=("$(basename "$f")")
  fi
done
echo "chaos: ${passed} passed, ${failed} failed${failures:+ (${failures[*]})}"
[ "$failed" -eq 0 ]
