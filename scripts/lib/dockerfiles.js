#!/usr/bin/env node
// Writes each service's Dockerfile (services/<name>/Dockerfile) from the one template,
// infra/docker/service.Dockerfile.template, with the service's name and its default ports
// (read from its src/config.ts). Each service ships from a Dockerfile of its own, and the four
// cannot drift apart: they are generated, and `--check` (run by tests/deploy) fails when a
// committed Dockerfile differs from what the template gives.
//
//   node scripts/lib/dockerfiles.js           write the four Dockerfiles
//   node scripts/lib/dockerfiles.js --check   exit 1, naming the file, if any is out of date
'use strict';
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const TEMPLATE = 'infra/docker/service.Dockerfile.template';
const SERVICES = ['inventory', 'cart', 'order', 'payment'];

/** The default port the service's config schema declares, e.g. `HTTP_PORT: Type.Integer({ default: 3001, ...`. */
function defaultPort(service, name) {
  const config = readFileSync(join(ROOT, 'services', service, 'src', 'config.ts'), 'utf8');
  const m = new RegExp(`\\b${name}:\\s*Type\\.Integer\\(\\{\\s*default:\\s*(\\d+)`).exec(config);
  if (!m) throw new Error(`services/${service}/src/config.ts declares no default ${name}`);
  return m[1];
}

function render(service) {
  const values = {
    GENERATED_NOTE: `Generated from ${TEMPLATE} by scripts/lib/dockerfiles.js: edit the template, then run it.`,
    SERVICE: service,
    HTTP_PORT: defaultPort(service, 'HTTP_PORT'),
    GRPC_PORT: defaultPort(service, 'GRPC_PORT'),
  };
  return readFileSync(join(ROOT, TEMPLATE), 'utf8').replace(/@([A-Z_]+)@/g, (whole, key) => {
    if (!(key in values)) throw new Error(`${TEMPLATE}: unknown placeholder ${whole}`);
    return values[key];
  });
}

function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const service of SERVICES) {
    const path = join(ROOT, 'services', service, 'Dockerfile');
    const wanted = render(service);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === wanted) continue;
    if (check) stale.push(`services/${service}/Dockerfile`);
    else {
      writeFileSync(path, wanted);
      console.log(`wrote services/${service}/Dockerfile`);
    }
  }
  if (stale.length > 0) {
    console.error(`out of date with ${TEMPLATE}: ${stale.join(', ')} (run node scripts/lib/dockerfiles.js)`);
    process.exit(1);
  }
  if (check) console.log(`dockerfiles: the ${SERVICES.length} service Dockerfiles match ${TEMPLATE}`);
}

main();
