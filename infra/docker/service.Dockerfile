# One Dockerfile for every service: `docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=inventory .`
# Multi-stage: the build stage compiles the whole workspace graph the service needs; the
# runtime stage carries production dependencies only and runs as a non-root user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /repo
COPY package.json package-lock.json turbo.json tsconfig.base.json jest.preset.js ./
COPY packages ./packages
COPY services/${SERVICE} ./services/${SERVICE}
RUN npm ci --no-audit --no-fund --workspace @sudamall/${SERVICE} --include-workspace-root \
 && npx turbo run build --filter=@sudamall/${SERVICE}... \
 && npm prune --omit=dev --workspace @sudamall/${SERVICE}

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY --from=build --chown=node:node /repo/node_modules ./node_modules
COPY --from=build --chown=node:node /repo/packages/shared/package.json ./packages/shared/package.json
COPY --from=build --chown=node:node /repo/packages/shared/dist ./packages/shared/dist
COPY --from=build --chown=node:node /repo/packages/proto/package.json ./packages/proto/package.json
COPY --from=build --chown=node:node /repo/packages/proto/dist ./packages/proto/dist
COPY --from=build --chown=node:node /repo/services/${SERVICE}/package.json ./services/${SERVICE}/package.json
COPY --from=build --chown=node:node /repo/services/${SERVICE}/dist ./services/${SERVICE}/dist
COPY --from=build --chown=node:node /repo/services/${SERVICE}/prisma ./services/${SERVICE}/prisma
COPY --from=build --chown=node:node /repo/services/${SERVICE}/prisma.config.ts ./services/${SERVICE}/prisma.config.ts
USER node
WORKDIR /app/services/${SERVICE}
# Migrations are a separate one-shot command (compose `migrate-*` services, k8s Job):
#   docker run IMAGE npx prisma migrate deploy
CMD ["node", "dist/main.js"]
