#!/usr/bin/env sh
# Runs the Prisma CLI without ever downloading a native engine (binaries.prisma.sh is not
# reachable here). This service uses the JS query compiler + pg driver adapter
# (engineType "client", engine "js"), so no native query engine is needed; but the 6.19 CLI
# still checks for one before running. Pointing PRISMA_QUERY_ENGINE_LIBRARY at an existing
# placeholder file satisfies that check and nothing ever loads it.
set -e
here="$(cd "$(dirname "$0")/.." && pwd)"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-$here/scripts/no-native-query-engine}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
cd "$here"
exec npx --no-install prisma "$@"
