#!/usr/bin/env node
// Checks that a deployment description gives each service what its own config schema needs,
// by loading the environment through services/<name>/dist/config.js (the code the service runs
// at start), plus the wiring around it. Used by scripts/lib/validate-deploy.sh.
//
//   node check-deploy-env.js compose <docker compose config --format json output>
//   node check-deploy-env.js k8s <kustomize build output>
//   node check-deploy-env.js routes <infra/docker/nginx.conf> <infra/k8s/base/ingress.yaml>
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const SERVICES = ['inventory', 'cart', 'order', 'payment'];
const problems = [];
const problem = (msg) => problems.push(msg);

function loaderOf(service) {
  const mod = require(path.join(ROOT, 'services', service, 'dist', 'config.js'));
  const name = Object.keys(mod).find((k) => /^(load\w*Config|readConfig)$/.test(k) && typeof mod[k] === 'function');
  if (!name) throw new Error(`services/${service}/src/config.ts exports no load*Config/readConfig`);
  return mod[name];
}

/** Loads the environment through the service's schema; returns the config or records why not. */
function checkEnv(where, service, env) {
  try {
    return loaderOf(service)(env);
  } catch (err) {
    problem(`${where}: ${service} would not start: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

function parseYamlDocs(file) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    // `yaml` is in the workspace tree (a dependency of the toolchain); Python's is the fallback.
    return require('yaml')
      .parseAllDocuments(text)
      .map((d) => d.toJSON())
      .filter(Boolean);
  } catch (err) {
    if (err && err.code !== 'MODULE_NOT_FOUND') throw err;
    const json = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))'], { input: text });
    return JSON.parse(json.toString());
  }
}

function compose(file) {
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  const services = config.services ?? {};
  for (const s of SERVICES) {
    const svc = services[s];
    if (!svc) {
      problem(`compose: no service ${s}`);
      continue;
    }
    const env = Object.fromEntries(
      Object.entries(svc.environment ?? {})
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    const cfg = checkEnv('compose', s, env);
    const migrate = services[`migrate-${s}`];
    if (!migrate) {
      problem(`compose: no migrate-${s} one-shot service`);
      continue;
    }
    if (migrate.image !== svc.image) problem(`compose: migrate-${s} runs ${migrate.image}, ${s} runs ${svc.image}`);
    if ((migrate.command ?? []).join(' ') !== 'npx --no prisma migrate deploy')
      problem(`compose: migrate-${s} command is not "npx --no prisma migrate deploy"`);
    if (migrate.environment?.DATABASE_URL !== env.DATABASE_URL)
      problem(`compose: migrate-${s} migrates ${migrate.environment?.DATABASE_URL}, ${s} uses ${env.DATABASE_URL}`);
    if (svc.depends_on?.[`migrate-${s}`]?.condition !== 'service_completed_successfully') problem(`compose: ${s} does not wait for migrate-${s} to complete`);
    const probe = (svc.healthcheck?.test ?? []).join(' ');
    if (cfg && !probe.includes(`:${cfg.HTTP_PORT}/readyz`)) problem(`compose: ${s} healthcheck does not probe /readyz on HTTP_PORT ${cfg.HTTP_PORT}`);
    if (svc.build?.dockerfile !== `services/${s}/Dockerfile`) problem(`compose: ${s} is not built from services/${s}/Dockerfile`);
    if (migrate.build && migrate.build.dockerfile !== svc.build?.dockerfile) problem(`compose: migrate-${s} is built from another Dockerfile than ${s}`);
  }
  for (const infra of ['postgres', 'redis', 'kafka', 'stripe-mock', 'gateway']) if (!services[infra]) problem(`compose: no ${infra} service`);
  // Published ports listen on loopback unless the operator says otherwise (GATEWAY_BIND).
  for (const [name, svc] of Object.entries(services)) {
    for (const p of svc.ports ?? []) {
      if (p.published !== undefined && p.host_ip !== '127.0.0.1')
        problem(`compose: ${name} publishes ${p.published} on ${p.host_ip ?? 'every interface'}, not 127.0.0.1`);
    }
  }
  if (services.kafka && !/broker,controller/.test(String(services.kafka.environment?.KAFKA_PROCESS_ROLES)))
    problem('compose: kafka is not a KRaft broker+controller');
}

// Generated, like a cluster's own: production refuses any secret written in the repository.
const SECRET_PLACEHOLDERS = {
  url: 'postgresql://user:password@postgres:5432/db',
  secret: require('node:crypto').randomBytes(48).toString('hex'),
  'stripe-webhook-secret': `whsec_${require('node:crypto').randomBytes(24).toString('hex')}`,
};

function k8s(file) {
  const docs = parseYamlDocs(file);
  const byKind = (kind) => docs.filter((d) => d.kind === kind);
  const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
  const secrets = new Map(byKind('Secret').map((c) => [c.metadata.name, c]));
  const configs = {};
  for (const s of SERVICES) {
    const dep = byKind('Deployment').find((d) => d.metadata.name === s);
    if (!dep) {
      problem(`k8s: no Deployment ${s}`);
      continue;
    }
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    const env = {};
    for (const from of c.envFrom ?? []) {
      const name = from.configMapRef?.name;
      if (!configMaps.has(name)) problem(`k8s: ${s} reads ConfigMap ${name}, which is not in the build`);
      Object.assign(env, configMaps.get(name) ?? {});
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = String(e.value);
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        // Secrets are created outside the manifests (prod) or generated (dev): a placeholder of the right form.
        env[e.name] = SECRET_PLACEHOLDERS[ref.key] ?? `placeholder-${ref.key}`;
        const generated = secrets.get(ref.name);
        if (generated && !(ref.key in (generated.data ?? {})) && !(ref.key in (generated.stringData ?? {}))) {
          problem(`k8s: ${s} reads key ${ref.key} of Secret ${ref.name}, which has no such key`);
        }
      }
    }
    const cfg = checkEnv(`k8s Deployment ${s}`, s, env);
    if (!cfg) continue;
    configs[s] = cfg;
    const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (ports.http !== cfg.HTTP_PORT) problem(`k8s: ${s} containerPort http ${ports.http} != HTTP_PORT ${cfg.HTTP_PORT}`);
    if (ports.grpc !== cfg.GRPC_PORT) problem(`k8s: ${s} containerPort grpc ${ports.grpc} != GRPC_PORT ${cfg.GRPC_PORT}`);
    if (c.readinessProbe?.httpGet?.path !== '/readyz') problem(`k8s: ${s} readiness is not GET /readyz`);
    if (c.livenessProbe?.grpc?.port !== cfg.GRPC_PORT) problem(`k8s: ${s} liveness is not the gRPC health protocol on GRPC_PORT`);
    const sc = { ...(pod.securityContext ?? {}), ...(c.securityContext ?? {}) };
    if (sc.runAsNonRoot !== true || sc.allowPrivilegeEscalation !== false) problem(`k8s: ${s} may run as root or escalate`);
    if (!c.resources?.requests || !c.resources?.limits) problem(`k8s: ${s} has no resource requests/limits`);
    const svc = byKind('Service').find((x) => x.metadata.name === s);
    const svcPorts = new Set((svc?.spec.ports ?? []).map((p) => p.targetPort));
    if (!svcPorts.has('http') || !svcPorts.has('grpc')) problem(`k8s: Service ${s} does not expose http and grpc`);
    for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
      if (!byKind(kind).some((x) => x.metadata.name === s)) problem(`k8s: no ${kind} ${s}`);
    }
    const job = byKind('Job').find((j) => j.metadata.name === `${s}-migrate`);
    if (!job) {
      problem(`k8s: no Job ${s}-migrate`);
      continue;
    }
    const jc = job.spec.template.spec.containers[0];
    if (jc.image !== c.image) problem(`k8s: Job ${s}-migrate runs ${jc.image}, the Deployment ${c.image}`);
    if ((jc.command ?? []).join(' ') !== 'npx --no prisma migrate deploy') problem(`k8s: Job ${s}-migrate does not run npx --no prisma migrate deploy`);
    const dbRef = (cont) => JSON.stringify((cont.env ?? []).find((e) => e.name === 'DATABASE_URL')?.valueFrom);
    if (dbRef(jc) !== dbRef(c)) problem(`k8s: Job ${s}-migrate and Deployment ${s} read DATABASE_URL from different places`);
  }
  networkPolicies(docs, configs);
}

/**
 * NetworkPolicy per service: its gRPC port reachable only from the services that call it (those
 * whose config declares `<SERVICE>_GRPC_URL`), its HTTP port only from other namespaces (the
 * ingress controller, the metrics scraper), never from every pod or address.
 */
function networkPolicies(docs, configs) {
  const policies = docs.filter((d) => d.kind === 'NetworkPolicy');
  const key = (labels) => `${labels?.['app.kubernetes.io/name']}/${labels?.['app.kubernetes.io/component']}`;
  for (const s of SERVICES) {
    const dep = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === s);
    if (!dep) continue;
    const pods = key(dep.spec.template.metadata.labels);
    const policy = policies.find((p) => key(p.spec.podSelector?.matchLabels) === pods);
    if (!policy) {
      problem(`k8s: no NetworkPolicy selects the ${s} pods`);
      continue;
    }
    if (!(policy.spec.policyTypes ?? []).includes('Ingress')) problem(`k8s: NetworkPolicy ${policy.metadata.name} does not restrict ingress`);
    const ports = Object.fromEntries((dep.spec.template.spec.containers[0].ports ?? []).map((p) => [p.name, p.containerPort]));
    const peersOn = (portName) => {
      const peers = [];
      for (const rule of policy.spec.ingress ?? []) {
        const covers = !rule.ports || rule.ports.some((p) => p.port === portName || p.port === ports[portName]);
        if (!covers) continue;
        if (!rule.from || rule.from.length === 0) {
          problem(`k8s: NetworkPolicy ${s} opens ${portName} to everyone`);
          continue;
        }
        peers.push(...rule.from);
      }
      return peers;
    };
    for (const peer of peersOn('grpc')) {
      if (peer.ipBlock || peer.namespaceSelector || !peer.podSelector)
        problem(`k8s: NetworkPolicy ${s} opens grpc beyond the namespace's service pods: ${JSON.stringify(peer)}`);
    }
    const grpcPeers = peersOn('grpc')
      .map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'])
      .filter(Boolean)
      .sort();
    const callers = SERVICES.filter((t) => t !== s && configs[t] && `${s.toUpperCase()}_GRPC_URL` in configs[t]).sort();
    if (grpcPeers.join(',') !== callers.join(','))
      problem(`k8s: NetworkPolicy ${s} lets [${grpcPeers.join(',')}] reach its gRPC port; its callers are [${callers.join(',')}]`);
    for (const peer of peersOn('http')) {
      if (peer.ipBlock || !peer.namespaceSelector)
        problem(`k8s: NetworkPolicy ${s} opens http to ${JSON.stringify(peer)} (only the ingress controller and the scraper's namespaces)`);
    }
  }
}

function routes(nginxFile, ingressFile) {
  const norm = (p) => p.replace(/\/+$/, '');
  const gateway = new Map();
  for (const m of fs.readFileSync(nginxFile, 'utf8').matchAll(/location\s+([^\s{=]+)\s*\{[^}]*proxy_pass\s+http:\/\/([a-z]+)/g)) {
    gateway.set(norm(m[1]), m[2]);
  }
  const ingress = new Map();
  for (const doc of parseYamlDocs(ingressFile)) {
    for (const rule of doc.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) ingress.set(norm(p.path), p.backend.service.name);
    }
  }
  const all = new Set([...gateway.keys(), ...ingress.keys()]);
  for (const p of all) {
    if (gateway.get(p) !== ingress.get(p)) problem(`routes: ${p} → gateway ${gateway.get(p) ?? '(none)'}, Ingress ${ingress.get(p) ?? '(none)'}`);
  }
  for (const p of ['/api/v1/products', '/api/v1/carts', '/api/v1/orders', '/api/v1/accounts', '/api/v1/payments', '/admin']) {
    if (!gateway.has(p)) problem(`routes: the gateway does not route ${p}`);
  }
  if (![...gateway.keys()].some((p) => p.startsWith('/ws/'))) problem('routes: the gateway routes no /ws/* path');
  console.log(`[validate-deploy] routes: ${gateway.size} gateway prefixes, ${ingress.size} Ingress prefixes`);
}

const [mode, ...files] = process.argv.slice(2);
if (mode === 'compose') compose(files[0]);
else if (mode === 'k8s') k8s(files[0]);
else if (mode === 'routes') routes(files[0], files[1]);
else {
  console.error('usage: check-deploy-env.js compose FILE | k8s FILE | routes NGINX_CONF INGRESS_YAML');
  process.exit(2);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`[validate-deploy] ${p}`);
  process.exit(1);
}
console.log(`[validate-deploy] ${mode}: every service's environment loads through its config schema; wiring consistent`);
