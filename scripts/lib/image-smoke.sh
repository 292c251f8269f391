#!/usr/bin/env bash
# Builds a service's runtime image layout WITHOUT Docker (these machines have no engine), with
# the same steps as services/<name>/Dockerfile, then runs it the way compose and k8s do:
# the one-shot migration, then the service with NODE_ENV=production, until /readyz answers,
# then SIGTERM and a clean exit. Catches what `docker compose config` cannot: a runtime tree
# missing a module, a migration that needs a dev dependency, a config the image cannot satisfy.
#
#   bash scripts/lib/image-smoke.sh inventory [--from-source]
#
# Default: the prod-deps stage is reproduced (npm ci --omit=dev for the workspace) and the
# compiled dist/ comes from the working tree (run `npm run build` first); migrations always
# come from HEAD. --from-source also reproduces the build stage (npm ci with dev deps + turbo
# build of only this service and packages/*) from HEAD's packages/* and service, as the image's
# context holds them.
# Needs PostgreSQL (the <service>_test database), Redis and Kafka on 127.0.0.1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICE="${1:?usage: image-smoke.sh inventory|cart|order|payment [--from-source]}"
FROM_SOURCE="${2:-}"
WORK="$(mktemp -d /tmp/sudamall-image-smoke-XXXXXX)"
PID=""
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '[image-smoke %s] %s\n' "$SERVICE" "$*"; }
started=$(date +%s)

BUILD="$ROOT"
if [ "$FROM_SOURCE" = "--from-source" ]; then
  log "build stage: npm ci + turbo build --filter=@sudamall/$SERVICE... in a context of packages/* and services/$SERVICE only"
  BUILD="$WORK/build"; mkdir -p "$BUILD"
  cp "$ROOT"/{package.json,package-lock.json,turbo.json,tsconfig.base.json} "$BUILD/"
  # As an image is built from a commit: HEAD's files, not the working tree's.
  (cd "$ROOT" && git archive HEAD packages "services/$SERVICE") | tar -x -C "$BUILD"
  (cd "$BUILD" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error --workspace "@sudamall/$SERVICE" --include-workspace-root \
    && npx turbo run build "--filter=@sudamall/$SERVICE..." --output-logs=errors-only) >"$WORK/build.log" 2>&1 \
    || { tail -n 30 "$WORK/build.log" >&2; exit 1; }
fi
for d in packages/shared/dist packages/proto/dist "services/$SERVICE/dist"; do
  [ -d "$BUILD/$d" ] || { echo "missing $BUILD/$d: run npm run build first" >&2; exit 1; }
done

log "prod-deps stage: npm ci --omit=dev --workspace @sudamall/$SERVICE"
APP="$WORK/app"; mkdir -p "$APP/packages/shared" "$APP/packages/proto" "$APP/services/$SERVICE"
cp "$ROOT"/{package.json,package-lock.json} "$APP/"
for p in packages/shared packages/proto "services/$SERVICE"; do cp "$ROOT/$p/package.json" "$APP/$p/"; done
(cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error --workspace "@sudamall/$SERVICE") >"$WORK/deps.log" 2>&1 \
  || { tail -n 30 "$WORK/deps.log" >&2; exit 1; }

log "runtime stage: dist of the service and its packages, prisma/ (node_modules: $(du -sh "$APP/node_modules" | cut -f1))"
for d in packages/shared/dist packages/proto/dist "services/$SERVICE/dist"; do
  cp -r "$BUILD/$d" "$APP/$d"
done
# Migrations as committed at HEAD: the shared <service>_test database must never receive a
# migration someone is still writing in the working tree (a failed one blocks every later
# `migrate deploy` on that database until it is resolved).
(cd "$ROOT" && git archive HEAD "services/$SERVICE/prisma" "services/$SERVICE/prisma.config.ts") | tar -x -C "$APP"

DB="postgresql://sudamall:sudamall@127.0.0.1:5432/${SERVICE}_test"
BASE_ENV=(PATH="$PATH" HOME="$WORK/home" NODE_ENV=production npm_config_cache="$WORK/npm" NPM_CONFIG_UPDATE_NOTIFIER=false DATABASE_URL="$DB")
mkdir -p "$WORK/home"
log "one-shot migration: npx --no prisma migrate deploy"
(cd "$APP/services/$SERVICE" && env -i "${BASE_ENV[@]}" npx --no prisma migrate deploy) >"$WORK/migrate.log" 2>&1 \
  || { tail -n 30 "$WORK/migrate.log" >&2; exit 1; }

port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
HTTP=$(port); GRPC=$(port)
log "start: node dist/main.js (NODE_ENV=production, http $HTTP, grpc $GRPC)"
(cd "$APP/services/$SERVICE" && exec env -i "${BASE_ENV[@]}" HTTP_HOST=127.0.0.1 GRPC_HOST=127.0.0.1 HTTP_PORT="$HTTP" GRPC_PORT="$GRPC" \
  JWT_SECRET="$(node -e 'process.stdout.write(require("crypto").randomBytes(48).toString("hex"))')" JWT_HS256_IN_PRODUCTION=true KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}" KAFKA_TOPIC_PREFIX="smoke$RANDOM." \
  REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" STRIPE_WEBHOOK_SECRET="whsec_$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))')" \
  node dist/main.js) >"$WORK/service.log" 2>&1 </dev/null &
PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$HTTP/readyz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { tail -n 30 "$WORK/service.log" >&2; log "FAIL: exited while starting"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$HTTP/readyz" >/dev/null || { tail -n 30 "$WORK/service.log" >&2; log "FAIL: not ready after 60 s"; exit 1; }
log "ready; SIGTERM"
kill -TERM "$PID"
for _ in $(seq 1 120); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$PID" 2>/dev/null; then log "FAIL: still running 30 s after SIGTERM"; exit 1; fi
wait "$PID" && code=0 || code=$?
PID=""
[ "$code" = 0 ] || { tail -n 20 "$WORK/service.log" >&2; log "FAIL: exit status $code after SIGTERM"; exit 1; }
log "OK: migrated, ready, drained and exited 0 ($(( $(date +%s) - started )) s)"
