#!/usr/bin/env bash
# Renders infra/docker/nginx.conf (the gateway routing compose uses as is) for an nginx run
# outside containers: listen address, upstream addresses and pid/log/temp paths change, the
# routing does not. Used by scripts/services.sh (the local gateway on 127.0.0.1:8080) and the
# e2e gateway test (a gateway on a free port in front of the test platform).
#
#   bash scripts/lib/gateway.sh render OUT_CONF RUN_DIR LISTEN INVENTORY CART ORDER PAYMENT
#       LISTEN and the four upstreams are host:port (e.g. 127.0.0.1:8080 127.0.0.1:3001 ...)
#   bash scripts/lib/gateway.sh start CONF      start nginx (master pid in RUN_DIR/nginx.pid)
#   bash scripts/lib/gateway.sh reload CONF | stop CONF
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ensure_nginx() {
  command -v nginx >/dev/null && return 0
  echo "[gateway] installing nginx (Debian nginx-light)" >&2
  # Two callers may install at once (the e2e gateway test and the deploy checks): wait for
  # dpkg's lock rather than fail on it.
  local wait=(-o DPkg::Lock::Timeout=300)
  DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq nginx-light >/dev/null 2>&1 \
    || { apt-get "${wait[@]}" update -qq && DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq nginx-light >/dev/null; }
}

render() {
  local out="$1" run="$2" listen="$3" inv="$4" cart="$5" order="$6" pay="$7"
  mkdir -p "$run"
  # Started as root, nginx's workers run as `nobody` and buffer a request body over 16 kB in
  # RUN_DIR/body: a run dir only its owner may enter (mktemp -d makes 0700) turned every such
  # request into a 500 (found by schemathesis: open() ".../body/0000000001" failed (13: Permission denied)).
  chmod 755 "$run"
  # Every substitution must hit exactly once; a routing file that drifted fails loudly here.
  local src="$ROOT/infra/docker/nginx.conf"
  for pat in 'listen 8080;' 'server inventory:3001;' 'server cart:3002;' 'server order:3003;' 'server payment:3004;' 'events {}' 'access_log /dev/stdout gateway;'; do
    [ "$(grep -cF "$pat" "$src")" = 1 ] || { echo "[gateway] $src: expected exactly one '$pat'" >&2; exit 1; }
  done
  sed -e "s|listen 8080;|listen $listen;|" \
      -e "s|server inventory:3001;|server $inv;|; s|server cart:3002;|server $cart;|" \
      -e "s|server order:3003;|server $order;|; s|server payment:3004;|server $pay;|" \
      -e "s|events {}|pid $run/nginx.pid; error_log $run/nginx-error.log; events {}|" \
      -e "s|access_log /dev/stdout gateway;|access_log $run/nginx-access.log gateway; client_body_temp_path $run/body; proxy_temp_path $run/proxy; fastcgi_temp_path $run/fcgi; uwsgi_temp_path $run/uwsgi; scgi_temp_path $run/scgi;|" \
      "$src" >"$out"
}

# -e: nginx opens its default error log before reading the config; point it at RUN_DIR too.
run_dir_of() { sed -n 's|.*pid \([^;]*\)/nginx.pid;.*|\1|p' "$1" | head -n1; }

case "${1:-}" in
  render) shift; render "$@" ;;
  ensure) ensure_nginx ;;
  start)
    ensure_nginx
    run="$(run_dir_of "$2")"
    nginx -t -q -e "$run/nginx-error.log" -c "$2"
    nginx -e "$run/nginx-error.log" -c "$2" </dev/null >/dev/null 2>&1 ;;
  reload) run="$(run_dir_of "$2")"; nginx -e "$run/nginx-error.log" -c "$2" -s reload ;;
  stop) run="$(run_dir_of "$2")"; nginx -e "$run/nginx-error.log" -c "$2" -s quit ;;
  *) echo "usage: $0 render OUT RUN_DIR LISTEN INVENTORY CART ORDER PAYMENT | ensure | start|reload|stop CONF" >&2; exit 2 ;;
esac
