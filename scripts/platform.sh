#!/usr/bin/env bash
# Local platform for development, tests and CI: PostgreSQL 15, Redis and a single-node Kafka 4
# (KRaft), all on 127.0.0.1. There is no Docker engine here, so the real servers run directly
# from Debian packages (PostgreSQL, Redis) and from Maven Central jars (Kafka).
#
#   bash scripts/platform.sh up      install what is missing, start what is stopped (idempotent)
#   bash scripts/platform.sh down    stop Kafka, Redis and PostgreSQL gracefully
#   bash scripts/platform.sh status  show each server and its port
#
# Everything the script creates lives under .local/ (git-ignored) except the Debian packages.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
KAFKA_DIR="$LOCAL/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/server.log"
# Bump when scripts/lib/kafka-pom.xml changes, so existing checkouts fetch the new jars.
KAFKA_VERSION="4.1.1"
REDIS_DIR="$LOCAL/redis"

# PostgreSQL 15 (what the project is tested on); a machine whose Debian ships another major
# version uses that one instead (see pick_pg_version).
PG_VERSION="${SUDAMALL_PG_VERSION:-15}"
PG_PORT=5432
REDIS_PORT=6379
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
DATABASES=(inventory cart order payment inventory_test cart_test order_test payment_test)

log() { printf '[platform] %s\n' "$*"; }
die() { printf '[platform] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
# step NAME CMD...: runs one step and prints how long it took.
step() {
  local name="$1"; shift
  local t0; t0="$(now_ms)"
  "$@"
  log "$name ready ($(( $(now_ms) - t0 )) ms)"
}

# Root can install packages directly; anyone else needs sudo (when it exists).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Replaces the current (sub)shell with a server command that inherits no file descriptor beyond
# stdin/stdout/stderr: a server that kept our lock, or a pipe of the shell or CI runner that
# called us, would block them. Always call it in a subshell: `( exec_detached cmd ... )`.
exec_detached() {
  local me=$BASHPID fd
  for fd in $(ls "/proc/$me/fd"); do
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  if declare -F "$1" >/dev/null; then "$@"; exit $?; fi  # a function (as_root) cannot be exec'd
  exec "$@"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- PostgreSQL
psql_admin() {
  # Peer authentication as the postgres OS user works on a fresh cluster before any role exists.
  if [ "$(id -un)" = postgres ]; then psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"
  else as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; fi
}

pick_pg_version() {
  if [ ! -d "/usr/lib/postgresql/$PG_VERSION" ] && [ -d /usr/lib/postgresql ]; then
    local newest; newest="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
    if [ -n "$newest" ]; then
      log "PostgreSQL $PG_VERSION not installed; using PostgreSQL $newest"
      PG_VERSION="$newest"
    fi
  fi
}

pg_up() {
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    apt_install postgresql
  fi
  pick_pg_version
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
    log "creating PostgreSQL $PG_VERSION cluster 'main'"
    as_root pg_createcluster "$PG_VERSION" main >/dev/null
  fi
  if pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -qx online; then
    log "PostgreSQL $PG_VERSION already running"
  else
    log "starting PostgreSQL $PG_VERSION"
    ( exec_detached as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start )
  fi
  local i
  for i in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL does not accept connections on 127.0.0.1:$PG_PORT"

  # Role and databases: one psql round trip to learn what exists, then create only what is missing.
  local have
  have="$(psql_admin -At -d postgres -c "select 'role:'||rolname from pg_roles where rolname='sudamall' union all select 'db:'||datname from pg_database")"
  if ! grep -qx 'role:sudamall' <<<"$have"; then
    log "creating role sudamall"
    psql_admin -d postgres -c "CREATE ROLE sudamall LOGIN SUPERUSER PASSWORD 'sudamall'"
  fi
  local db
  for db in "${DATABASES[@]}"; do
    if ! grep -qx "db:$db" <<<"$have"; then
      log "creating database $db"
      psql_admin -d postgres -c "CREATE DATABASE \"$db\" OWNER sudamall"
    fi
  done
}

pg_down() {
  pick_pg_version
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -qx online; then
    log "stopping PostgreSQL $PG_VERSION"
    as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main stop -m fast
  else
    log "PostgreSQL not running"
  fi
}

# ---------------------------------------------------------------- Redis
redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG; }

redis_up() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
  fi
  if redis_ping; then
    log "Redis already running"
    return
  fi
  mkdir -p "$REDIS_DIR"
  log "starting Redis"
  ( exec_detached redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" )
  local i
  for i in $(seq 1 50); do redis_ping && return; sleep 0.1; done
  die "Redis does not answer on 127.0.0.1:$REDIS_PORT (see $REDIS_DIR/redis.log)"
}

redis_down() {
  if redis_ping; then
    log "stopping Redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 50); do redis_ping || return 0; sleep 0.1; done
    die "Redis did not stop"
  else
    log "Redis not running"
  fi
}

# ---------------------------------------------------------------- Kafka
# Alive and really our broker (a stale pidfile may name a recycled pid).
kafka_pid_alive() {
  [ -f "$KAFKA_PID" ] || return 1
  local pid; pid="$(cat "$KAFKA_PID")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

kafka_fetch() {
  local stamp="$KAFKA_LIBS/.version"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$KAFKA_VERSION" ]; then return; fi
  command -v java >/dev/null || apt_install default-jre-headless
  command -v mvn >/dev/null || apt_install maven
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into .local/kafka/libs"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  if ! mvn -q -B -f "$ROOT/scripts/lib/kafka-pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" \
    >"$KAFKA_DIR/mvn.log" 2>&1; then
    cat "$KAFKA_DIR/mvn.log" >&2
    rm -rf "$KAFKA_LIBS"
    die "could not resolve Kafka from Maven Central (see above)"
  fi
  echo "$KAFKA_VERSION" >"$stamp"
}

kafka_java() { java -Xmx512m -Dlog4j2.configurationFile="$ROOT/scripts/lib/kafka-log4j2.yaml" -cp "$KAFKA_LIBS/*" "$@"; }

kafka_configure() {
  mkdir -p "$KAFKA_DIR"
  local want
  want="$(cat <<EOF
# Written by scripts/platform.sh: single-node Kafka (broker + controller, KRaft) for local use.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
# One node: internal topics must not wait for replicas that will never exist.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests create many short-lived consumer groups: do not wait before the first rebalance.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
# Local data is disposable: keep it small.
log.retention.hours=24
log.segment.bytes=67108864
EOF
)"
  if [ ! -f "$KAFKA_PROPS" ] || [ "$(cat "$KAFKA_PROPS")" != "$want" ]; then
    printf '%s\n' "$want" >"$KAFKA_PROPS"
  fi
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)"
    log "formatting Kafka log dir (cluster id $cluster_id)"
    mkdir -p "$KAFKA_DATA"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" --ignore-formatted >/dev/null
  fi
}

kafka_up() {
  if kafka_pid_alive && port_open "$KAFKA_PORT"; then
    log "Kafka already running (pid $(cat "$KAFKA_PID"))"
  elif kafka_pid_alive; then
    log "Kafka is starting (pid $(cat "$KAFKA_PID")); waiting for it"
  elif port_open "$KAFKA_PORT"; then
    log "something already listens on 127.0.0.1:$KAFKA_PORT; using it as Kafka"
  else
    step "Kafka jars" kafka_fetch
    kafka_configure
    log "starting Kafka $KAFKA_VERSION (log: .local/kafka/server.log)"
    # setsid: the broker outlives this script and the terminal/CI step that ran it.
    ( exec_detached setsid java -Xmx512m -Xms256m -XX:+UseG1GC \
      -Dlog4j2.configurationFile="$ROOT/scripts/lib/kafka-log4j2.yaml" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" ) >>"$KAFKA_LOG" 2>&1 </dev/null &
    echo $! >"$KAFKA_PID"
  fi
  # Fail fast when the broker dies while starting (bad data dir, port taken, ...) instead of
  # letting create-topics wait for its whole timeout.
  local i
  for i in $(seq 1 600); do
    port_open "$KAFKA_PORT" && break
    # Only whether the process lives: a broker spawned a moment ago may still be the shell that
    # is about to exec java, so its command line does not say kafka.Kafka yet.
    if ! kill -0 "$(cat "$KAFKA_PID")" 2>/dev/null; then
      tail -n 30 "$KAFKA_LOG" >&2 2>/dev/null || true
      die "Kafka exited while starting (log: $KAFKA_LOG)"
    fi
    sleep 0.1
  done
  # Wait for a real metadata answer, then make sure the service topics exist.
  node "$ROOT/scripts/lib/create-topics.js" || {
    tail -n 30 "$KAFKA_LOG" >&2 2>/dev/null || true
    die "Kafka did not become ready on 127.0.0.1:$KAFKA_PORT"
  }
}

kafka_down() {
  if kafka_pid_alive; then
    local pid; pid="$(cat "$KAFKA_PID")"
    log "stopping Kafka (pid $pid)"
    kill -TERM "$pid"
    local i
    for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "Kafka did not stop in 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$KAFKA_PID"
  else
    rm -f "$KAFKA_PID"
    if port_open "$KAFKA_PORT"; then
      log "Kafka on 127.0.0.1:$KAFKA_PORT was not started by this script; leaving it alone"
    else
      log "Kafka not running"
    fi
  fi
}

# ---------------------------------------------------------------- commands
status_line() {
  local name="$1" port="$2" up="$3"
  if [ "$up" = 1 ]; then printf '%-11s 127.0.0.1:%-5s up\n' "$name" "$port"
  else printf '%-11s 127.0.0.1:%-5s DOWN\n' "$name" "$port"; fi
}

cmd_status() {
  local rc=0 pg=0 redis=0 kafka=0
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then pg=1; else rc=1; fi
  if command -v redis-cli >/dev/null && redis_ping; then redis=1; else rc=1; fi
  if port_open "$KAFKA_PORT"; then kafka=1; else rc=1; fi
  status_line PostgreSQL "$PG_PORT" "$pg"
  status_line Redis "$REDIS_PORT" "$redis"
  status_line Kafka "$KAFKA_PORT" "$kafka"
  return "$rc"
}

# The saga dashboard's browser tests drive Debian's chromium (playwright-core, no downloaded
# browser); installed once, only when missing.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then return 0; fi
  apt_install chromium
}

cmd_up() {
  local t0; t0="$(now_ms)"
  # Several people (and test runs) may call `up` at once: one at a time, the others then find
  # everything running.
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/platform.lock"
  flock 9
  # (Servers are started through `exec_detached`, so they do not inherit, and hold, this lock.)
  step PostgreSQL pg_up
  step Redis redis_up
  step Kafka kafka_up
  step Chromium ensure_chromium
  log "platform up ($(( $(now_ms) - t0 )) ms)"
}

cmd_down() {
  kafka_down
  redis_down
  pg_down
  log "platform down"
}

# One server down and up again (the chaos suite's broker and database outages; every suite on
# the machine sees them), under the same lock as `up`.
cmd_restart() {
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/platform.lock"
  flock 9
  "$1_down"
  step "$2" "$1_up"
}

# The topics test files and benchmarks left on the broker (scripts/lib/prune-topics.js). Not part
# of `up`: a suite or a bench running at that moment would lose its topics.
cmd_prune_topics() {
  node "$ROOT/scripts/lib/prune-topics.js"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  restart-kafka) cmd_restart kafka Kafka ;;
  restart-postgres) cmd_restart pg PostgreSQL ;;
  ensure-chromium) ensure_chromium ;;
  prune-topics) cmd_prune_topics ;;
  *) echo "usage: $0 up|down|status|restart-kafka|restart-postgres|ensure-chromium|prune-topics" >&2; exit 2 ;;
esac
