// A WebSocket client for tests of live streams: collects every frame and the close code.
import WebSocket from 'ws';
import type { LiveMessage } from './http/live-updates';

export interface LiveTestClient {
  ws: WebSocket;
  /** Every JSON frame received so far, in order. */
  messages: LiveMessage[];
  /** Resolves when the connection closes (1006 when the server terminated it). */
  closed: Promise<{ code: number; reason: string }>;
  /** The first message (already received or still to come) matching the predicate. */
  next(match: (m: LiveMessage) => boolean, timeoutMs?: number): Promise<LiveMessage>;
  close(): void;
}

export interface LiveConnectOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Appended as `?token=` (browsers cannot set headers on a WebSocket). */
  queryToken?: string;
  /** Offered as the subprotocol `bearer.<token>` (the browser way that keeps it out of URLs). */
  protocolToken?: string;
  /** false makes a dead client: it never answers the server's pings. */
  autoPong?: boolean;
}

/** Connects to `baseUrl` (`ws://127.0.0.1:<port>`) + path and resolves once the socket is open. */
export async function connectLive(baseUrl: string, path: string, opts: LiveConnectOptions = {}): Promise<LiveTestClient> {
  const url = opts.queryToken ? `${baseUrl}${path}?token=${encodeURIComponent(opts.queryToken)}` : `${baseUrl}${path}`;
  const ws = new WebSocket(url, opts.protocolToken ? [`bearer.${opts.protocolToken}`] : [], {
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    autoPong: opts.autoPong ?? true,
  });
  const messages: LiveMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    // A Buffer: the client keeps ws's default binaryType ('nodebuffer').
    messages.push(JSON.parse((raw as Buffer).toString('utf8')) as LiveMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => undefined); // a terminated connection is an expected outcome in these tests

  const next = (match: (m: LiveMessage) => boolean, timeoutMs = 15000) =>
    new Promise<LiveMessage>((resolve, reject) => {
      const check = () => {
        const found = messages.find(match);
        if (found) {
          cleanup();
          resolve(found);
        } else if (ws.readyState === WebSocket.CLOSED) {
          cleanup();
          reject(new Error(`connection closed before a matching message; got ${JSON.stringify(messages)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return { ws, messages, closed, next, close: () => ws.close() };
}
