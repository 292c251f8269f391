# syntax=docker/dockerfile:1
# The image of ONE service, chosen by the SERVICE build argument:
#
#   docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=inventory -t sudamall/inventory .
#   docker run --rm -e DATABASE_URL=... sudamall/inventory npx --no prisma migrate deploy   # one-shot migration
#
# One parametrized file rather than four copies: the four builds are identical but for the
# workspace name, and four copies would drift. Each service still gets its own image, its own
# tag (its package.json version) and its own build (`--filter=@sudamall/<service>...` compiles
# only it and the packages it depends on; no other service's code enters the image).
#
# Stages: build (whole toolchain, dev deps, compiles) → prod-deps (`npm ci --omit=dev` for this
# service only) → runtime (production deps + compiled code + prisma/ for migrations, non-root).
# Migrations are NOT run at start: `npx --no prisma migrate deploy` is a separate one-shot
# command (compose `migrate-<service>`, k8s Job `<service>-migrate`). The Prisma CLI is in the
# production tree because @prisma/client declares it as a peer dependency (npm installs peers),
# so the same image migrates; `--no` forbids npx from ever downloading anything.
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=inventory|cart|order|payment" >&2; exit 1; }
WORKDIR /repo
# Only packages/* and the chosen service enter the build: npm ci accepts a lockfile whose other
# workspaces are absent (checked), so no other service's code is ever in the context used.
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY services/${SERVICE} ./services/${SERVICE}
RUN npm ci --no-audit --no-fund --workspace @sudamall/${SERVICE} --include-workspace-root \
 && npx turbo run build --filter=@sudamall/${SERVICE}...

FROM ${NODE_IMAGE} AS prod-deps
ARG SERVICE
WORKDIR /repo
COPY --from=build /repo/package.json /repo/package-lock.json ./
COPY --from=build /repo/packages/shared/package.json ./packages/shared/package.json
COPY --from=build /repo/packages/proto/package.json ./packages/proto/package.json
COPY --from=build /repo/services/${SERVICE}/package.json ./services/${SERVICE}/package.json
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @sudamall/${SERVICE} \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE} NPM_CONFIG_UPDATE_NOTIFIER=false
# Heap sized to the pod (limit 384Mi, request 192Mi): V8 otherwise grows the heap lazily toward
# a quarter of the *host's* memory. Measured under the checkout benchmark: RSS 150-175 MB with
# these limits vs 230-320 MB and still growing without, for ~5% fewer checkouts per second.
# Same value in scripts/services.sh (npm run up) and the checkout benchmark.
ENV NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=4"
WORKDIR /app
# The whole prod-deps tree: root node_modules AND the workspaces' own nested node_modules
# (npm nests a dependency under packages/<name>/node_modules when the hoisted version differs;
# packages/shared has some), with the workspace symlinks in node_modules/@sudamall.
COPY --from=prod-deps --chown=node:node /repo ./
COPY --from=build --chown=node:node /repo/packages/shared/dist ./packages/shared/dist
COPY --from=build --chown=node:node /repo/packages/proto/dist ./packages/proto/dist
COPY --from=build --chown=node:node /repo/services/${SERVICE}/dist ./services/${SERVICE}/dist
COPY --from=build --chown=node:node /repo/services/${SERVICE}/prisma ./services/${SERVICE}/prisma
COPY --from=build --chown=node:node /repo/services/${SERVICE}/prisma.config.ts ./services/${SERVICE}/prisma.config.ts
# uid 1000 (the image's `node` user): k8s runAsUser 1000 / runAsNonRoot match it.
USER 1000:1000
WORKDIR /app/services/${SERVICE}
# node is PID 1 and handles SIGTERM itself (src/main.ts drains); no shell in between.
CMD ["node", "dist/main.js"]
