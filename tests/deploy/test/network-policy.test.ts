// The NetworkPolicy of each service, as the prod overlay builds it: its gRPC port reachable only
// from the services whose config names it as a peer (cart → inventory, cart → order,
// order → inventory, order → cart, order → payment, payment → order), its HTTP port only from the ingress
// controller's (and the scraper's) namespace. And the wiring check refuses a policy that drifts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const ROOT = join(__dirname, '..', '..', '..');
const TOOLS_BIN = join(process.env.SUDAMALL_TOOLS ?? join(homedir(), '.cache', 'sudamall', 'deploy-tools'), 'bin');

interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: unknown;
}
interface Policy {
  kind: string;
  metadata: { name: string };
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: Array<{ from?: Peer[]; ports?: Array<{ port: string | number }> }>;
  };
}

let docs: Array<Record<string, unknown>>;

function check(mutated: Array<Record<string, unknown>>): { status: number | null; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-')), 'build.yaml');
  writeFileSync(file, mutated.map((d) => stringify(d)).join('---\n'));
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'lib', 'check-deploy-env.js'), 'k8s', file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
const policy = (d: Array<Record<string, unknown>>, name: string) =>
  d.find((x) => x.kind === 'NetworkPolicy' && (x as unknown as Policy).metadata.name === name) as unknown as Policy;
const grpcPeers = (p: Policy) =>
  p.spec.ingress
    .filter((r) => r.ports?.some((x) => x.port === 'grpc'))
    .flatMap((r) => r.from ?? [])
    .map((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'])
    .sort();

beforeAll(() => {
  // validate-deploy installs the tools and builds each service's dist/config.js the check loads.
  const v = spawnSync('bash', [join(ROOT, 'scripts', 'lib', 'validate-deploy.sh'), 'k8s', 'prod'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (v.status !== 0) throw new Error(`validate-deploy.sh k8s prod failed:\n${v.stdout}${v.stderr}`);
  const built = spawnSync(join(TOOLS_BIN, 'kustomize'), ['build', join(ROOT, 'infra', 'k8s', 'overlays', 'prod')], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (built.status !== 0) throw new Error(built.stderr);
  docs = parseAllDocuments(built.stdout).map((d) => d.toJSON() as Record<string, unknown>);
});

describe('NetworkPolicy per service', () => {
  it('lets only the real callers reach each gRPC port, and only other namespaces (ingress, scraper) the HTTP port', () => {
    expect(Object.fromEntries(['inventory', 'cart', 'order', 'payment'].map((s) => [s, grpcPeers(policy(docs, s))]))).toEqual({
      inventory: ['cart', 'order'],
      cart: ['order'],
      order: ['cart', 'payment'],
      payment: ['order'],
    });
    for (const s of ['inventory', 'cart', 'order', 'payment']) {
      const p = policy(docs, s);
      expect(p.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': s, 'app.kubernetes.io/component': 'api' });
      expect(p.spec.policyTypes).toEqual(['Ingress']);
      const http = p.spec.ingress.filter((r) => r.ports?.some((x) => x.port === 'http')).flatMap((r) => r.from ?? []);
      expect(http.map((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']).sort()).toEqual(['ingress-nginx', 'monitoring']);
      expect(http.some((f) => f.ipBlock !== undefined)).toBe(false);
      // Every rule names its port: none opens the pod as a whole.
      expect(p.spec.ingress.every((r) => (r.ports?.length ?? 0) > 0 && (r.from?.length ?? 0) > 0)).toBe(true);
    }
    expect(check(docs).status).toBe(0);
  });

  it('the deploy check refuses a policy that lets a non-caller in, drops a caller, or opens a port to everyone', () => {
    const clone = () => structuredClone(docs);
    const extra = clone();
    policy(extra, 'payment').spec.ingress[0].from!.push({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cart', 'app.kubernetes.io/component': 'api' } },
    });
    expect(check(extra).output).toContain('NetworkPolicy payment lets [cart,order] reach its gRPC port; its callers are [order]');

    const missing = clone();
    policy(missing, 'order').spec.ingress[0].from!.pop();
    expect(check(missing).output).toContain('NetworkPolicy order lets [cart] reach its gRPC port; its callers are [cart,payment]');

    const open = clone();
    policy(open, 'inventory').spec.ingress.push({ ports: [{ port: 'grpc' }] });
    expect(check(open).output).toContain('NetworkPolicy inventory opens grpc to everyone');

    const anyAddress = clone();
    const cartHttp = policy(anyAddress, 'cart').spec.ingress.find((r) => r.ports?.some((x) => x.port === 'http'));
    cartHttp!.from!.push({ ipBlock: { cidr: '0.0.0.0/0' } });
    expect(check(anyAddress).output).toContain('NetworkPolicy cart opens http to {"ipBlock":{"cidr":"0.0.0.0/0"}}');

    const none = clone().filter((d) => !(d.kind === 'NetworkPolicy' && (d as unknown as Policy).metadata.name === 'payment'));
    expect(check(none).output).toContain('no NetworkPolicy selects the payment pods');
  });
});
