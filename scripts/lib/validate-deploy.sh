#!/usr/bin/env bash
# Validates every deployment description in the repository, with the real tools, offline:
#
#   1. docker-compose.yml   `docker compose config` (Compose v2, built from its Go module), then
#                           each service's compose environment is loaded through that service's
#                           own config schema (services/<name>/dist/config.js): it would start.
#   2. infra/k8s            `kustomize build` of each overlay, kubeconform -strict against the
#                           Kubernetes JSON schemas, and each Deployment's environment (ConfigMaps
#                           + Secret references) through the service's config schema.
#   3. the gateway          nginx -t of infra/docker/nginx.conf as the local launcher renders it,
#                           and its routes == the Ingress routes (same prefix → same service).
#   4. the Dockerfiles      each services/<name>/Dockerfile is what its template gives
#                           (scripts/lib/dockerfiles.js --check), and passes BuildKit's own
#                           Dockerfile checks (the rules of `docker build --check`), run offline by
#                           scripts/lib/dockerfile-check (a Go program over BuildKit's frontend).
#
#   bash scripts/lib/validate-deploy.sh               install what is missing, then validate all
#   bash scripts/lib/validate-deploy.sh --install     install only (several callers at once wait
#                                                     for one install: a lock in the tools folder)
#   bash scripts/lib/validate-deploy.sh compose | k8s [dev|prod] | gateway | dockerfiles   one check
#
# `npm test` runs each check as a test (tests/deploy), with the install started early in the
# background by scripts/test.sh so that it overlaps the platform start.
#
# Tools are cached in $SUDAMALL_TOOLS (default ~/.cache/sudamall/deploy-tools), pinned, and
# installed only when missing: kustomize and kubeconform with `go install`, Compose by building
# its module (its go.mod has replace directives, so `go install pkg@version` refuses it), the
# schemas from the PyPI package kubernetes-validate (its wheel ships them; kubeconform's default
# download from GitHub is not reachable here), normalised once for kubeconform.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${SUDAMALL_TOOLS:-$HOME/.cache/sudamall/deploy-tools}"
BIN="$TOOLS/bin"
KUSTOMIZE_VERSION=v5.8.0
KUBECONFORM_VERSION=v0.7.0
COMPOSE_VERSION=v2.40.3
SCHEMAS_PACKAGE_VERSION=1.37.0          # PyPI kubernetes-validate: schemas for k8s 1.25 … 1.37
K8S_VERSION="${K8S_VERSION:-1.33.0}"
SCHEMAS="$TOOLS/k8s-schemas/$SCHEMAS_PACKAGE_VERSION"

log() { printf '[validate-deploy] %s\n' "$*"; }
fail() { printf '[validate-deploy] FAIL: %s\n' "$*" >&2; exit 1; }
mkdir -p "$BIN"
export PATH="$BIN:/usr/local/go/bin:$PATH"

need_go() {
  command -v go >/dev/null || fail "Go is needed to install the validators (go install through the module proxy)"
}

install_go_tool() { # name module@version
  local name="$1" spec="$2" stamp="$BIN/.$1.version"
  [ -x "$BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$spec" ] && return 0
  need_go
  log "installing $name ($spec)"
  GOBIN="$BIN" GOFLAGS=-buildvcs=false go install "$spec"
  echo "$spec" >"$stamp"
}

install_compose() {
  local stamp="$BIN/.docker-compose.version"
  if [ ! -x "$BIN/docker-compose" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$COMPOSE_VERSION" ]; then
    need_go
    log "building docker compose $COMPOSE_VERSION from its Go module (a few minutes, once)"
    local dir src
    dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$dir" ] || fail "could not download github.com/docker/compose/v2@$COMPOSE_VERSION"
    src="$TOOLS/src/compose-$COMPOSE_VERSION"
    rm -rf "$src"; mkdir -p "$TOOLS/src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
    (cd "$src" && GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$BIN/docker-compose" ./cmd)
    rm -rf "$src"
    echo "$COMPOSE_VERSION" >"$stamp"
  fi
  # Also as a docker CLI plugin, so `docker compose ...` works where the docker CLI is installed
  # (unless a working plugin is already there; -e is false for a dangling link).
  if [ ! -e "$HOME/.docker/cli-plugins/docker-compose" ]; then
    mkdir -p "$HOME/.docker/cli-plugins"
    ln -sf "$BIN/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
  fi
}

install_schemas() {
  [ -f "$SCHEMAS/.done" ] && return 0
  log "fetching Kubernetes JSON schemas (PyPI kubernetes-validate==$SCHEMAS_PACKAGE_VERSION)"
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check \
    "kubernetes-validate==$SCHEMAS_PACKAGE_VERSION" -d "$tmp" || fail "pip download kubernetes-validate failed"
  rm -rf "$SCHEMAS"; mkdir -p "$SCHEMAS"
  python3 - "$tmp"/kubernetes_validate-*.whl "$SCHEMAS" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
prefix = 'kubernetes_validate/kubernetes-json-schema/'
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith('.json') and '-local-strict/' in name:
            target = os.path.join(out, name[len(prefix):])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'wb') as f:
                f.write(z.read(name))
PY
  # The package's schemas carry an https $id and refs to "/api/_definitions.json" (resolved by
  # its own Python registry). For kubeconform, drop the $id and make the refs file-relative.
  node -e '
    const fs = require("fs"), path = require("path");
    for (const dir of fs.readdirSync(process.argv[1])) {
      const d = path.join(process.argv[1], dir);
      for (const f of fs.readdirSync(d)) {
        const p = path.join(d, f), s = JSON.parse(fs.readFileSync(p, "utf8"));
        delete s.$id; delete s.id;
        fs.writeFileSync(p, JSON.stringify(s).replace(/"\/api\/_definitions\.json#/g, "\"_definitions.json#"));
      }
    }' "$SCHEMAS"
  rm -rf "$tmp"
  touch "$SCHEMAS/.done"
}

install_dockerfile_check() { # built from scripts/lib/dockerfile-check, again when its module changes
  local src="$ROOT/scripts/lib/dockerfile-check" stamp="$BIN/.dockerfile-check.version" sum
  sum="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -d' ' -f1)"
  [ -x "$BIN/dockerfile-check" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ] && return 0
  need_go
  log "building dockerfile-check (BuildKit's Dockerfile checks, offline)"
  (cd "$src" && GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$BIN/dockerfile-check" .)
  echo "$sum" >"$stamp"
}

install_all() {
  # One install at a time: scripts/test.sh starts one in the background while tests may call us.
  exec 9>"$TOOLS/.install.lock"
  flock 9
  install_go_tool kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  install_go_tool kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  install_compose
  install_schemas
  install_dockerfile_check
  flock -u 9
}

ensure_built() { # each service's dist/config.js is what the environment checks load
  local missing=()
  for s in inventory cart order payment; do [ -f "$ROOT/services/$s/dist/config.js" ] || missing+=("--filter=@sudamall/$s"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "building ${missing[*]} (the environment checks load dist/config.js)"
  (cd "$ROOT" && npx turbo run build "${missing[@]}" --output-logs=errors-only >/dev/null)
}

validate_compose() {
  log "compose: docker compose config"
  local json; json="$(mktemp)"
  # The file requires its secrets (${JWT_SECRET:?...}): without them it must not render at all.
  if (cd "$ROOT" && env -u JWT_SECRET -u STRIPE_WEBHOOK_SECRET docker-compose -f docker-compose.yml config --quiet >/dev/null 2>&1); then
    fail "docker compose config accepted docker-compose.yml without JWT_SECRET and STRIPE_WEBHOOK_SECRET (they must be required)"
  fi
  # With generated ones, as `bash scripts/lib/local-secrets.sh` writes them for a local stack.
  local jwt webhook
  jwt="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(48).toString("hex"))')"
  webhook="whsec_$(node -e 'process.stdout.write(require("node:crypto").randomBytes(48).toString("hex"))')"
  (cd "$ROOT" && JWT_SECRET="$jwt" STRIPE_WEBHOOK_SECRET="$webhook" docker-compose -f docker-compose.yml config --quiet) || fail "docker compose config rejected docker-compose.yml"
  (cd "$ROOT" && JWT_SECRET="$jwt" STRIPE_WEBHOOK_SECRET="$webhook" docker-compose -f docker-compose.yml config --format json >"$json")
  node "$ROOT/scripts/lib/check-deploy-env.js" compose "$json" || fail "compose environment does not satisfy a service's config"
  rm -f "$json"
}

validate_k8s() {
  for overlay in "$@"; do
    # kubeconform reads only *.yaml / *.yml / *.json files.
    local out report; out="$(mktemp --suffix=.yaml)"
    log "k8s: kustomize build overlays/$overlay + kubeconform -strict (Kubernetes $K8S_VERSION)"
    kustomize build "$ROOT/infra/k8s/overlays/$overlay" >"$out" || fail "kustomize build overlays/$overlay"
    report="$(kubeconform -strict -summary -kubernetes-version "$K8S_VERSION" \
      -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      "$out")" || { echo "$report" >&2; fail "kubeconform rejected overlays/$overlay"; }
    echo "$report"
    # Every resource validated against a schema: none skipped, none missing.
    echo "$report" | grep -Eq 'Valid: [1-9][0-9]*, Invalid: 0, Errors: 0, Skipped: 0' || fail "kubeconform validated nothing in overlays/$overlay"
    node "$ROOT/scripts/lib/check-deploy-env.js" k8s "$out" || fail "overlays/$overlay: a Deployment's environment does not satisfy its service's config"
    rm -f "$out"
  done
}

validate_gateway() {
  log "gateway: nginx -t of the rendered routing, routes == Ingress routes"
  local run; run="$(mktemp -d)"
  bash "$ROOT/scripts/lib/gateway.sh" render "$run/nginx.conf" "$run" 127.0.0.1:18080 \
    127.0.0.1:3001 127.0.0.1:3002 127.0.0.1:3003 127.0.0.1:3004
  bash "$ROOT/scripts/lib/gateway.sh" ensure || fail "could not install nginx"
  nginx -t -q -e "$run/nginx-error.log" -c "$run/nginx.conf" || fail "nginx -t rejected infra/docker/nginx.conf"
  rm -rf "$run"
  node "$ROOT/scripts/lib/check-deploy-env.js" routes "$ROOT/infra/docker/nginx.conf" "$ROOT/infra/k8s/base/ingress.yaml" \
    || fail "gateway routes and Ingress routes differ"
}

validate_dockerfiles() {
  log "dockerfiles: generated from infra/docker/service.Dockerfile.template, BuildKit's checks"
  node "$ROOT/scripts/lib/dockerfiles.js" --check || fail "a service Dockerfile is out of date with its template"
  (cd "$ROOT" && dockerfile-check services/*/Dockerfile) || fail "BuildKit's Dockerfile checks found problems"
}

started=$(date +%s)
check="${*:-all}"
install_all
case "${1:-all}" in
  --install) log "tools ready in $BIN"; exit 0 ;;
  compose) ensure_built; validate_compose ;;
  k8s) shift; ensure_built; if [ $# -eq 0 ]; then validate_k8s dev prod; else validate_k8s "$@"; fi ;;
  gateway) validate_gateway ;;
  dockerfiles) validate_dockerfiles ;;
  all) ensure_built; validate_compose; validate_k8s dev prod; validate_gateway; validate_dockerfiles ;;
  *) fail "unknown check '$1' (compose | k8s [dev|prod] | gateway | dockerfiles | --install)" ;;
esac
log "$check: valid ($(( $(date +%s) - started )) s)"
