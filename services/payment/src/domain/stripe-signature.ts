import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe's webhook signature scheme: header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`,
 * v1 = HMAC-SHA256(secret, `${t}.${rawBody}`). Checked over the exact bytes received (a
 * re-serialised JSON body would not match), in constant time, with a replay tolerance.
 */
export function verifyStripeSignature(
  rawBody: Buffer | string,
  header: string | undefined,
  secret: string,
  opts: { toleranceSeconds: number; nowSeconds: number },
): { ok: true; timestamp: number } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'missing Stripe-Signature header' };
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2).map((s) => s.trim());
    if (k === 't' && v && /^\d+$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v) signatures.push(v);
  }
  if (timestamp === null) return { ok: false, reason: 'no timestamp in Stripe-Signature' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature in Stripe-Signature' };
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  const matches = signatures.some((s) => {
    if (!/^[0-9a-f]+$/i.test(s)) return false;
    const given = Buffer.from(s, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'signature does not match' };
  if (Math.abs(opts.nowSeconds - timestamp) > opts.toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance' };
  return { ok: true, timestamp };
}

/** For tests and the local demo: the header a Stripe endpoint would send. */
export function signStripePayload(rawBody: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
