#!/usr/bin/env node
// Where a V8 CPU profile (`node --cpu-prof`, or BENCH_CPU_PROF=<dir> in the benchmarks) spends
// its time, as text: self time by package (node_modules/<pkg>, the project's own workspaces,
// node internals, GC, idle) and the top functions by self time.
//   node bench/profile-summary.js <file.cpuprofile> [top=25]
// The last table charges every busy sample to the nearest project function on its stack
// (services/*, packages/*): the project's code paths with all the library time they cause.
// (For a flame graph, open the same file in Chrome DevTools' Performance panel or speedscope.)
'use strict';
const { readFileSync } = require('node:fs');

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

// Self time per node: each sample names the node that was on top; timeDeltas are µs between samples.
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function bucket(frame) {
  const url = frame.url || '';
  if (!url) {
    if (['(idle)', '(program)', '(garbage collector)'].includes(frame.functionName)) return frame.functionName;
    return '(native)';
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  const ws = /\/(services\/[^/]+|packages\/[^/]+)\//.exec(url);
  return ws ? ws[1] : url;
}

const byBucket = new Map();
const byFunction = new Map();
for (const [id, us] of selfUs) {
  const frame = nodes.get(id).callFrame;
  const b = bucket(frame);
  byBucket.set(b, (byBucket.get(b) ?? 0) + us);
  const fn = `${frame.functionName || '(anonymous)'}  ${frame.url ? `${frame.url.replace(/^.*\/(node_modules|services|packages)\//, '$1/')}:${frame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const pctOf = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const busy = total - (byBucket.get('(idle)') ?? 0);
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
console.log('\nself time by package:');
for (const [b, us] of [...byBucket].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pctOf(us)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${b}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pctOf(us)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${fn}`);

// Busy time charged to the nearest project frame on the stack.
const isProject = (frame) => /\/(services|packages)\/[^/]+\/(dist|src)\//.test(frame.url || '');
const byProjectFrame = new Map();
for (const [id, us] of selfUs) {
  const own = nodes.get(id).callFrame;
  if (['(idle)', '(program)', '(garbage collector)'].includes(own.functionName)) continue;
  let cur = id;
  let label = '(no project frame on the stack: library timers, sockets, startup)';
  while (cur !== undefined) {
    const f = nodes.get(cur).callFrame;
    if (isProject(f)) {
      label = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/(services|packages)\//, '$1/')}:${f.lineNumber + 1}`;
      break;
    }
    cur = parentOf.get(cur);
  }
  byProjectFrame.set(label, (byProjectFrame.get(label) ?? 0) + us);
}
console.log(`\nbusy time by nearest project function (top ${top}):`);
for (const [fn, us] of [...byProjectFrame].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pctOf(us)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${fn}`);
