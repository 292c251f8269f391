// Starts localstripe (a stateful Stripe fake, installed from PyPI by scripts/localstripe.sh on
// first use) on 127.0.0.1 and a free port, plus a recording HTTP hop in front of it so tests
// can see exactly what the Stripe SDK sent (idempotency keys).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LocalStripe {
  /** Where the service should send Stripe API calls (the recording hop). */
  port: number;
  /** localstripe itself. */
  directPort: number;
  requests: RecordedRequest[];
  /** GET/POST straight to localstripe with the secret key. */
  api(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'localstripe.sh');

export interface LocalStripeOptions {
  /** Held before the hop passes localstripe's answer back (a slow network: the call has happened). */
  holdResponse?: (req: RecordedRequest) => Promise<void>;
}

export async function startLocalStripe(secretKey: string, opts: LocalStripeOptions = {}): Promise<LocalStripe> {
  const child: ChildProcess = spawn('bash', [SCRIPT, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const directPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`localstripe did not start in time: ${stderr}`)), 180_000);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/LISTENING (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`localstripe exited with ${code}: ${stderr}`));
    });
  });
  child.removeAllListeners('exit');

  const auth = `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`;
  const api = async (method: 'GET' | 'POST', p: string, form?: Record<string, string>) => {
    const res = await fetch(`http://127.0.0.1:${directPort}${p}`, {
      method,
      headers: { authorization: auth, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };
  // Ready when it answers an API call.
  for (let i = 0; ; i += 1) {
    try {
      await api('GET', '/v1/customers');
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const requests: RecordedRequest[] = [];
  const hop: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: body.toString('utf8') };
      requests.push(recorded);
      const upstream = httpRequest(
        { host: '127.0.0.1', port: directPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${directPort}` } },
        (up) => {
          void (opts.holdResponse?.(recorded) ?? Promise.resolve()).then(() => {
            if (res.destroyed) {
              up.resume(); // the client gave up waiting: drain the answer nobody reads
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          });
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));

  return {
    port: (hop.address() as AddressInfo).port,
    directPort,
    requests,
    api,
    async stop() {
      await new Promise<void>((resolve) => hop.close(() => resolve()));
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
