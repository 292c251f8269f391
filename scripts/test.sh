#!/usr/bin/env bash
# `npm test`: everything a fresh clone needs to run the whole test suite against real servers.
#   1. install node_modules when missing or when package-lock.json changed since the last install
#   2. start PostgreSQL, Redis and Kafka (scripts/platform.sh up; fast when already running)
#   3. build every workspace (turbo); lint the monorepo (`npm run lint`'s three checks, each
#      counted as a test in the summary); migrate the public schema of each <service>_test
#      database, then run every workspace's `test` script (turbo, 2 at a time)
#   4. print one summary line for the whole run: `N passed, M failed[, K skipped]`
# Extra arguments go to `turbo run test`, e.g. `npm test -- --filter=@sudamall/inventory`
# (a --filter also narrows the build to that package and its dependencies).
# Exits non-zero when a test failed, a lint check failed, a package's Jest run failed, or no test ran at all.
# A narrowed run (any argument) skips the lint, which covers the whole monorepo; so does SUDAMALL_SKIP_LINT=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 NEXT_TELEMETRY_DISABLED=1
# Several `npm test` runs at once in one checkout would mix their reports: give each its own
# folder then, e.g. TEST_RESULTS_DIR=/tmp/my-results npm test -- --filter=@sudamall/cart
export TEST_RESULTS_DIR="${TEST_RESULTS_DIR:-$ROOT/.test-results}"

now_ms() { date +%s%3N; }
T_START="$(now_ms)"
# Reports of an earlier run must never count in this one's totals.
rm -rf "$TEST_RESULTS_DIR"
mkdir -p "$TEST_RESULTS_DIR"
phase() { printf '\n[test] ==== %s\n' "$*"; }
took() { printf '[test] %s took %d s\n' "$1" "$(( ($(now_ms) - $2) / 1000 ))"; }

# ---- 1. dependencies
phase "dependencies"
t="$(now_ms)"
STAMP="node_modules/.sudamall-lock-hash"
LOCK_HASH="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ]; then
  echo "[test] node_modules missing: npm ci"
  npm ci --no-audit --no-fund
  echo "$LOCK_HASH" >"$STAMP"
elif [ "$(cat "$STAMP" 2>/dev/null || true)" != "$LOCK_HASH" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "[test] package-lock.json changed since the last install: npm ci"
    npm ci --no-audit --no-fund
  else
    # On a working machine other people's processes use node_modules right now: `npm ci` would
    # delete it under them, so sync it in place (under the shared npm lock) instead.
    echo "[test] package-lock.json changed since the last install: npm install (in place)"
    flock /tmp/sudamall-npm.lock npm install --no-audit --no-fund
    # npm install may have rewritten the lock file: stamp what is there now.
    LOCK_HASH="$(sha256sum package-lock.json | cut -d' ' -f1)"
  fi
  echo "$LOCK_HASH" >"$STAMP"
else
  echo "[test] node_modules up to date with package-lock.json"
fi
took "dependencies" "$t"

# ---- 2. servers (and, meanwhile, the deploy validators)
# The deployment checks (tests/deploy) need kustomize, kubeconform and Compose built from their
# Go modules (~2 min of CPU on a fresh machine, cached after): start that now, in the
# background, so it overlaps the platform start, which mostly waits on downloads and Kafka.
# The tests wait for it (validate-deploy.sh serialises installs with a lock).
if [ $# -eq 0 ] && [ -z "${SUDAMALL_SKIP_DEPLOY_TOOLS:-}" ]; then  # not for a narrowed run
  echo "[test] installing the deploy validators in the background (log: $TEST_RESULTS_DIR/deploy-tools.log)"
  (bash scripts/lib/validate-deploy.sh --install >"$TEST_RESULTS_DIR/deploy-tools.log" 2>&1 || true) &
fi
# Likewise schemathesis's Python venv (pinned, ~15 s on a fresh machine) for the e2e fuzz run
# (tests/e2e/test/schemathesis.test.ts, which waits for this install or does it itself).
if [ -z "${SUDAMALL_SKIP_SCHEMATHESIS_INSTALL:-}" ]; then
  (bash scripts/lib/schemathesis.sh --install >"$TEST_RESULTS_DIR/schemathesis-install.log" 2>&1 || true) &
fi
phase "platform"
t="$(now_ms)"
bash scripts/platform.sh up
took "platform" "$t"

# ---- 3. build and test
# A --filter given for the tests also narrows the build (turbo builds the dependencies too).
BUILD_ARGS=()
prev=""
for arg in "$@"; do
  case "$arg" in
    --filter=*|-F=*) BUILD_ARGS+=("$arg") ;;
  esac
  case "$prev" in
    --filter|-F) BUILD_ARGS+=("$prev" "$arg") ;;
  esac
  prev="$arg"
done

# --continue=dependencies-successful: one package that fails to build or test must not hide the
# results of the others; the tests of a package whose build failed are skipped (and fail the run).
phase "build"
t="$(now_ms)"
set +e
npx turbo run build --continue=dependencies-successful "${BUILD_ARGS[@]+"${BUILD_ARGS[@]}"}"
BUILD_RC=$?
set -e
took "build" "$t"

# Lint after the build: the type-aware rules read the workspaces' built types (dist, generated
# code). Each check of `npm run lint` (package.json: lint:eslint, lint:prettier, lint:proto) runs
# even when another failed, and is written as a test of a "lint" report beside Jest's, so a lint
# failure fails the run and counts in its summary line.
if [ $# -eq 0 ] && [ -z "${SUDAMALL_SKIP_LINT:-}" ]; then
  phase "lint"
  t="$(now_ms)"
  LINT_RESULTS=()
  for check in lint:eslint lint:prettier lint:proto; do
    c="$(now_ms)"
    if npm run -s "$check"; then status=passed; else status=failed; fi
    LINT_RESULTS+=("$status:$check:$(($(now_ms) - c))")
    echo "[test] npm run $check: $status"
  done
  node scripts/lib/lint-report.js "${LINT_RESULTS[@]}"
  took "lint" "$t"
fi

# The public schema of every <service>_test database, migrated once, before any suite starts.
# The end-to-end suites run the built services on these databases, and the services' own suites
# work in schemas of their own (payment) or migrate only when they happen to run first (order,
# cart, inventory): on a fresh machine nothing else guarantees the tables exist in time.
phase "test databases"
t="$(now_ms)"
MIGRATE_PIDS=()
for s in inventory cart order payment; do
  (cd "services/$s" && DATABASE_URL="postgresql://sudamall:sudamall@127.0.0.1:5432/${s}_test" \
    npx --no prisma migrate deploy >"$TEST_RESULTS_DIR/migrate-${s}_test.log" 2>&1) &
  MIGRATE_PIDS+=("$!")
done
i=0
for s in inventory cart order payment; do
  if ! wait "${MIGRATE_PIDS[$i]}"; then
    echo "[test] prisma migrate deploy failed on ${s}_test:"; tail -n 20 "$TEST_RESULTS_DIR/migrate-${s}_test.log"
    exit 1
  fi
  i=$((i + 1))
done
took "test databases" "$t"

phase "test"
t="$(now_ms)"
# A Jest that never exits (a client left open) must not eat CI's 90 minutes: stop the tests after
# SUDAMALL_TEST_TIMEOUT (40 minutes unless set).
set +e
timeout --kill-after=30s "${SUDAMALL_TEST_TIMEOUT:-40m}" \
  npx turbo run test --concurrency=2 --continue=dependencies-successful "$@"
TURBO_RC=$?
set -e
took "test" "$t"
if [ "$TURBO_RC" -eq 124 ] || [ "$TURBO_RC" -eq 137 ]; then
  echo "[test] the tests did not finish within ${SUDAMALL_TEST_TIMEOUT:-40m}: stopped (a Jest that never exits? look for open handles)"
fi

# ---- 4. summary (last, so the totals are the final line of the log)
phase "summary"
took "npm test" "$T_START"
if [ "$BUILD_RC" -ne 0 ]; then
  echo "[test] turbo run build failed (exit $BUILD_RC): see the build output above"
fi
if [ "$TURBO_RC" -ne 0 ]; then
  echo "[test] turbo run test failed (exit $TURBO_RC): see the package output above (turbo lists the failed tasks)"
fi
set +e
node scripts/lib/summarize-tests.js
SUMMARY_RC=$?
set -e
if [ "$TURBO_RC" -ne 0 ]; then exit "$TURBO_RC"; fi
if [ "$BUILD_RC" -ne 0 ]; then exit "$BUILD_RC"; fi
exit "$SUMMARY_RC"
