#!/usr/bin/env bash
# Run the four services locally as background processes (built code, dev databases), and the
# nginx gateway in front of them on one port, as the API gateway routes in production.
#
#   bash scripts/services.sh start    migrate each dev database, start what is not running, wait for readiness
#   bash scripts/services.sh stop     SIGTERM each service (graceful: drains, flushes the outbox) and the gateway
#   bash scripts/services.sh status
#
# Logs: .local/logs/<service>.log (pino JSON). Needs `npm run build` and scripts/platform.sh up first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOGS="$ROOT/.local/logs"
RUN="$ROOT/.local/run"
mkdir -p "$LOGS" "$RUN"

SERVICES=(inventory cart order payment)
declare -A HTTP_PORT=([inventory]=3001 [cart]=3002 [order]=3003 [payment]=3004)
declare -A GRPC_PORT=([inventory]=50051 [cart]=50052 [order]=50053 [payment]=50054)
GATEWAY_PORT="${GATEWAY_PORT:-8080}"

# JWT_SECRET and STRIPE_WEBHOOK_SECRET: the caller's, else the ones generated once into
# .local/secrets.env (scripts/lib/local-secrets.sh); never a fixed string from the repository.
# shellcheck source=lib/local-secrets.sh
. "$ROOT/scripts/lib/local-secrets.sh"
local_secrets_load "$ROOT"
: "${PAYMENT_WINDOW_SECONDS:=900}"
export PAYMENT_WINDOW_SECONDS

log() { printf '[services] %s\n' "$*"; }

service_env() {
  local s="$1"
  echo "NODE_ENV=development LOG_LEVEL=${LOG_LEVEL:-info}" \
    "HTTP_HOST=127.0.0.1 HTTP_PORT=${HTTP_PORT[$s]} GRPC_HOST=127.0.0.1 GRPC_PORT=${GRPC_PORT[$s]}" \
    "DATABASE_URL=postgresql://sudamall:sudamall@127.0.0.1:5432/$s" \
    "KAFKA_BROKERS=127.0.0.1:9092 REDIS_URL=redis://127.0.0.1:6379" \
    "INVENTORY_GRPC_URL=127.0.0.1:50051 CART_GRPC_URL=127.0.0.1:50052 ORDER_GRPC_URL=127.0.0.1:50053 PAYMENT_GRPC_URL=127.0.0.1:50054"
}

running() { local pid; pid="$(cat "$RUN/$1.pid" 2>/dev/null || true)"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

wait_ready() {
  local s="$1" port="${HTTP_PORT[$1]}"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then return 0; fi
    running "$s" || { log "$s exited while starting; last log lines:"; tail -n 20 "$LOGS/$s.log" >&2; return 1; }
    sleep 0.5
  done
  log "$s not ready after 60 s; last log lines:"; tail -n 20 "$LOGS/$s.log" >&2; return 1
}

start() {
  for s in "${SERVICES[@]}"; do
    if running "$s"; then log "$s already running (pid $(cat "$RUN/$s.pid"))"; continue; fi
    log "$s: migrate dev database"
    (cd "$ROOT/services/$s" && env DATABASE_URL="postgresql://sudamall:sudamall@127.0.0.1:5432/$s" npx prisma migrate deploy >"$LOGS/$s.migrate.log" 2>&1) \
      || { tail -n 20 "$LOGS/$s.migrate.log" >&2; exit 1; }
    log "$s: start on http ${HTTP_PORT[$s]} / grpc ${GRPC_PORT[$s]}"
    # exec: the recorded pid is node's own, so `stop` signals the service itself; every stdio
    # stream is redirected, so no caller's pipe is held open by a service left running.
    # NODE_OPTIONS: the heap sizing the image sets (services/<name>/Dockerfile).
    # shellcheck disable=SC2046
    (cd "$ROOT/services/$s" && export NODE_OPTIONS="${SERVICE_NODE_OPTIONS:---max-old-space-size=128 --max-semi-space-size=4}" \
      && exec env $(service_env "$s") node dist/main.js) >>"$LOGS/$s.log" 2>&1 </dev/null &
    echo $! >"$RUN/$s.pid"
  done
  for s in "${SERVICES[@]}"; do wait_ready "$s"; log "$s ready"; done
  gateway_start
}

# The gateway is Debian's nginx running infra/docker/nginx.conf (the routing compose uses),
# rendered by scripts/lib/gateway.sh for 127.0.0.1 ports; logs in .local/run/gateway/.
GATEWAY_RUN="$RUN/gateway"
GATEWAY_CONF="$GATEWAY_RUN/nginx.conf"
gateway_start() {
  bash "$ROOT/scripts/lib/gateway.sh" render "$GATEWAY_CONF" "$GATEWAY_RUN" "127.0.0.1:$GATEWAY_PORT" \
    "127.0.0.1:${HTTP_PORT[inventory]}" "127.0.0.1:${HTTP_PORT[cart]}" "127.0.0.1:${HTTP_PORT[order]}" "127.0.0.1:${HTTP_PORT[payment]}"
  if [ -f "$GATEWAY_RUN/nginx.pid" ] && kill -0 "$(cat "$GATEWAY_RUN/nginx.pid")" 2>/dev/null; then
    bash "$ROOT/scripts/lib/gateway.sh" reload "$GATEWAY_CONF"
  else
    bash "$ROOT/scripts/lib/gateway.sh" start "$GATEWAY_CONF"
  fi
  log "gateway on http://127.0.0.1:$GATEWAY_PORT"
}

stop() {
  for s in "${SERVICES[@]}"; do
    if running "$s"; then
      local pid; pid="$(cat "$RUN/$s.pid")"
      log "$s: SIGTERM $pid"; kill -TERM "$pid"
      # 30 s, the k8s terminationGracePeriodSeconds: draining consumers and the outbox takes seconds.
      for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && { log "$s: still running, SIGKILL"; kill -KILL "$pid"; }
    fi
    rm -f "$RUN/$s.pid"
  done
  if [ -f "$GATEWAY_RUN/nginx.pid" ] && kill -0 "$(cat "$GATEWAY_RUN/nginx.pid")" 2>/dev/null; then
    bash "$ROOT/scripts/lib/gateway.sh" stop "$GATEWAY_CONF"; log "gateway stopped"
  fi
  # A gateway started by an older launcher (config and pid directly in .local/run).
  if [ -f "$RUN/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx.pid")" 2>/dev/null; then
    nginx -c "$RUN/nginx.conf" -s quit; log "gateway (old layout) stopped"
  fi
}

status() {
  for s in "${SERVICES[@]}"; do
    if running "$s"; then log "$s  http ${HTTP_PORT[$s]}  grpc ${GRPC_PORT[$s]}  up (pid $(cat "$RUN/$s.pid"))"; else log "$s  down"; fi
  done
  if [ -f "$GATEWAY_RUN/nginx.pid" ] && kill -0 "$(cat "$GATEWAY_RUN/nginx.pid")" 2>/dev/null; then
    log "gateway  http://127.0.0.1:$GATEWAY_PORT  up (pid $(cat "$GATEWAY_RUN/nginx.pid"))"
  else
    log "gateway  down"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
