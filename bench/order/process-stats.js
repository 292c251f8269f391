// CPU time and memory of processes, read from /proc (Linux): what the checkout benchmark
// reports per order and watches for growth. No dependency, no sampling overhead worth noting
// (one small file read per process per second).
'use strict';
const { readFileSync, readdirSync } = require('node:fs');

const CLOCK_TICKS = 100; // USER_HZ on Linux x86-64

/** User + system CPU milliseconds a process has used so far (undefined once it is gone). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS; // utime, stime
  } catch {
    return undefined;
  }
}

/** Resident memory in MB: PSS when the kernel gives it (shared pages split fairly), else RSS. */
function memoryMb(pid, kind = 'rss') {
  try {
    if (kind === 'pss') {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) return Number(m[1]) / 1024;
    }
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Pids whose command line matches `pattern` (e.g. every PostgreSQL backend). */
function pidsMatching(pattern) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (pattern.test(cmd)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU milliseconds of the whole machine so far (all cores): `busy` (everything but idle and I/O
 * wait), and two parts of it no process is charged with: `interrupts` (irq + softirq: where the
 * kernel runs much of the loopback network stack) and `steal` (the hypervisor's other guests).
 */
function machineCpuMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  const ms = (ticks) => (ticks * 1000) / CLOCK_TICKS;
  return { busy: ms(user + nice + system + irq + softirq + steal), interrupts: ms(irq + softirq), steal: ms(steal) };
}

/**
 * Groups of processes, resolved again at every reading (PostgreSQL backends come and go):
 * `{ name: () => pids[] }`. `cpu()` gives each group's CPU ms so far (a backend that ended since
 * the last reading takes its time with it, so PostgreSQL's figure is a lower bound);
 * `memory()` each group's resident MB (PSS for groups that share pages, like PostgreSQL).
 */
class ProcessGroups {
  constructor(groups, { pssGroups = [] } = {}) {
    this.groups = groups;
    this.pss = new Set(pssGroups);
  }

  cpu() {
    const out = {};
    for (const [name, pids] of Object.entries(this.groups)) out[name] = pids().reduce((n, pid) => n + (cpuMs(pid) ?? 0), 0);
    return out;
  }

  memory() {
    const out = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      out[name] = pids().reduce((n, pid) => n + (memoryMb(pid, this.pss.has(name) ? 'pss' : 'rss') ?? 0), 0);
    }
    return out;
  }
}

module.exports = { cpuMs, memoryMb, pidsMatching, machineCpuMs, ProcessGroups };
