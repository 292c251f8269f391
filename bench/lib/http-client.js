// The load generators' HTTP client: keep-alive HTTP/1.1 on node:http, the body sent as one Buffer
// with its content-length, the answer collected as Buffers and JSON-parsed once.
// Why not the global fetch: on this two-core machine the load generator shares the cores with
// what it measures, so its own CPU per request is taken from the servers; fetch (undici and its
// WHATWG streams) cost several times more per request than this. The peer (Vendure, bench/peers)
// is driven by this same client, so the comparison stays fair.
'use strict';
const http = require('node:http');

/**
 * A client with its own keep-alive pool. `maxSockets` (per origin) should be at least the number
 * of requests in flight at once: a request beyond it waits for a free socket, and that wait
 * would be counted as the server's latency.
 */
function createHttpClient({ maxSockets }) {
  // Idle sockets are closed after 4 s, before the server's keep-alive timeout (Node's default is
  // 5 s, which Vendure keeps), as undici does, so a request is not sent on a socket being closed.
  const agent = new http.Agent({ keepAlive: true, maxSockets, timeout: 4000 });

  /**
   * Sends one request; resolves with `{ status, ok, headers, json }` whatever the status
   * (`headers` as node:http gives them, names in lower case; `json` is null when the body is not
   * JSON), rejects only when no answer came.
   */
  function request(method, url, { headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body);
      const req = http.request(url, { method, agent, headers: payload ? { ...headers, 'content-length': payload.length } : headers }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          let json = null;
          try {
            json = JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8'));
          } catch {
            // not JSON (or empty): null, as `res.json().catch(() => null)` gave
          }
          resolve({ status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300, headers: res.headers, json });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  return { request, close: () => agent.destroy() };
}

module.exports = { createHttpClient };
