import { isIP } from 'node:net';

// Which hops may tell a service who the client is (X-Forwarded-For): only the gateway's. Read by
// fastify's `trustProxy` (proxy-addr), so the names and forms here are the ones it understands.

/** proxy-addr's named ranges: loopback 127.0.0.0/8 + ::1, linklocal, uniquelocal (private ranges). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `TRUSTED_PROXIES` ("loopback", "10.0.0.7,10.1.0.0/16") as the list fastify's trustProxy takes. */
export function parseTrustedProxies(value: string): string[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Why a `TRUSTED_PROXIES` value is unusable (empty when it is fine); each entry is named. */
export function trustedProxiesProblems(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  const entries = parseTrustedProxies(value);
  if (entries.length === 0) return ['TRUSTED_PROXIES must name at least one address, CIDR range or loopback'];
  const bad = entries.filter((entry) => {
    if (NAMED_RANGES.has(entry)) return false;
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return true;
    if (prefix === undefined) return false;
    if (!/^\d{1,3}$/.test(prefix)) return true;
    return Number(prefix) > (family === 4 ? 32 : 128);
  });
  return bad.length > 0 ? [`TRUSTED_PROXIES has entries that are not an IP address, a CIDR range or loopback/linklocal/uniquelocal: ${bad.join(', ')}`] : [];
}
