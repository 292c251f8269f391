#!/usr/bin/env node
// Socket writes of one running service, by peer, for a few seconds (not a test: a diagnostic to
// run beside `npm run bench -- order`). On these VMs a loopback write costs ~0.1 ms of CPU (the
// receiver's network stack runs inside the sender's syscall), so the number of writes a checkout
// makes is much of what it costs; this says where they go.
//
//   node bench/order/socket-writes.js <inventory|order|payment|cart> [seconds=5]
//
// Needs strace and ss (iproute2) and the right to trace the process (root here). Traces every
// thread of the service's process (`strace -f -p`): write, writev, sendmsg, sendto. Each write is
// attributed to its socket's peer port (PostgreSQL 5432, Kafka 9092, Redis 6379; any other port
// is a gRPC or HTTP peer, a fd that is no TCP socket an eventfd/pipe). For PostgreSQL it also
// counts the writes by the first message they carry (a simple query's text, or the prepared
// statement's name: PostgreSQL's log with log_statement=all maps names to texts). strace slows
// the process: compare the shares, not the rates, and divide by the checkouts in the same window.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const service = process.argv[2];
const seconds = Number(process.argv[3] ?? 5);
if (!service) {
  console.error('usage: node bench/order/socket-writes.js <service> [seconds]');
  process.exit(2);
}

/** The service's main process: `node ... dist/main.js` whose working directory is services/<name>. */
function servicePid(name) {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('dist/main.js') && path.basename(fs.readlinkSync(`/proc/${entry}/cwd`)) === name) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}

const pid = servicePid(service);
if (!pid) {
  console.error(`no running ${service} service (node dist/main.js in services/${service})`);
  process.exit(1);
}

// fd → peer port, from ss's process column (users:(("node",pid=1,fd=23))).
const peerOf = new Map();
for (const line of execFileSync('ss', ['-tnp'], { encoding: 'utf8' }).split('\n')) {
  if (!line.includes(`pid=${pid},`)) continue;
  const peer = line.trim().split(/\s+/)[4] ?? '';
  const port = peer.slice(peer.lastIndexOf(':') + 1);
  for (const m of line.matchAll(new RegExp(`pid=${pid},fd=(\\d+)`, 'g'))) peerOf.set(m[1], port);
}
/** strace's escaped string (\\n, \\0, \\210, \\"), as the bytes' characters. */
function fromStraceString(raw) {
  const simple = { n: '\n', t: '\t', v: '\v', f: '\f', r: '\r', '"': '"', '\\': '\\' };
  return raw.replace(/\\([0-7]{1,3}|.)/g, (_, e) => (/^[0-7]+$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : (simple[e] ?? e)));
}

const NAMES = { 5432: 'PostgreSQL', 9092: 'Kafka', 6379: 'Redis' };

const out = path.join(os.tmpdir(), `socket-writes-${service}-${process.pid}.txt`);
spawnSync('timeout', [String(seconds), 'strace', '-f', '-qq', '-s', '48', '-e', 'trace=write,writev,sendmsg,sendto', '-p', String(pid), '-o', out], {
  stdio: 'inherit',
});

const byPeer = new Map();
const byPgMessage = new Map();
const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
  const m = /^\d+\s+(?:write|writev|sendmsg|sendto)\((\d+), (.*)$/.exec(line);
  if (!m) continue;
  const port = peerOf.get(m[1]);
  const peer = port === undefined ? 'not a TCP socket (eventfd, pipe)' : (NAMES[port] ?? `port ${port} (gRPC / HTTP)`);
  bump(byPeer, peer);
  if (port === '5432') {
    // What the write carries: each buffer's first message, Q (a simple query: its text, past the
    // 4 length bytes) or B (a bind: the prepared statement's name), e.g.
    // "BEGIN + s_1bc5…" for a corked pair.
    const parts = [...m[2].matchAll(/"(Q|B)((?:\\.|[^"\\])*)"/g)].map(([, type, raw]) => {
      const text = fromStraceString(raw).slice(4); // past the message's 4 length bytes
      return type === 'B' ? (/s_[0-9a-f]{20}/.exec(text)?.[0] ?? 'unnamed statement') : text.replace(/\0.*$/s, '').slice(0, 36);
    });
    bump(byPgMessage, parts.join(' + ') || m[2].slice(0, 40));
  }
}
fs.rmSync(out, { force: true });

const total = [...byPeer.values()].reduce((a, b) => a + b, 0);
console.log(`${service} (pid ${pid}): ${total} writes in ${seconds} s`);
const print = (map, limit) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .forEach(([k, v]) => console.log(`  ${String(v).padStart(6)}  ${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`));
// Ephemeral ports (the buyers' HTTP connections, one each) fold into one line.
const folded = new Map();
for (const [k, v] of byPeer) {
  const key = /^port \d{5} /.test(k) && v < total / 100 ? 'ephemeral ports (HTTP clients), each < 1 %' : k;
  folded.set(key, (folded.get(key) ?? 0) + v);
}
print(folded, 12);
console.log('PostgreSQL writes by first message:');
print(byPgMessage, 15);
