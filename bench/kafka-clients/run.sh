#!/usr/bin/env bash
# kafkajs beside @platformatic/kafka on the messaging port's workload (see kafka-clients-bench.js).
# Needs the platform:   npm run bench -- kafka-clients      (or: bash bench/kafka-clients/run.sh)
# Installs @platformatic/kafka first, when missing or when bench/kafka-clients/client/package-lock.json
# changed, into a folder of its own outside the npm workspaces (KAFKA_CLIENTS_DIR, default
# .local/peers/kafka-clients): nothing of it enters the services' dependencies or the root
# package-lock.json. kafkajs is the root node_modules' (the one the services use).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TEMPLATE=bench/kafka-clients/client
export KAFKA_CLIENTS_DIR="${KAFKA_CLIENTS_DIR:-.local/peers/kafka-clients}"
if [ ! -f "$KAFKA_CLIENTS_DIR/node_modules/@platformatic/kafka/package.json" ] || ! cmp -s "$TEMPLATE/package-lock.json" "$KAFKA_CLIENTS_DIR/package-lock.json"; then
  echo "installing @platformatic/kafka (pinned by $TEMPLATE/package-lock.json) into $KAFKA_CLIENTS_DIR"
  mkdir -p "$KAFKA_CLIENTS_DIR"
  cp "$TEMPLATE/package.json" "$TEMPLATE/package-lock.json" "$KAFKA_CLIENTS_DIR/"
  # No install scripts: its only native piece (@node-rs/crc32) is a prebuilt optional package.
  # npm warns that it and two of its helpers declare Node >= 22: kafka-clients-bench.js runs it on
  # Node 20 with the one missing built-in (Promise.withResolvers) supplied.
  (cd "$KAFKA_CLIENTS_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
exec node bench/kafka-clients/kafka-clients-bench.js
