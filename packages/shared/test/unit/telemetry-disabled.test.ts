import { execFileSync } from 'node:child_process';
import path from 'node:path';

// OTEL_SDK_DISABLED=true turns the whole SDK off, and with it the instrumentations: constructing
// one patches its library whether or not the SDK starts (no-op spans on every query otherwise).
// Instrumentations hook Node's own require, which Jest replaces, so this runs in a child process
// against the built module.

const SHARED = path.join(__dirname, '..', '..');

function pgPatchedAfterStart(env: Record<string, string>): boolean {
  const script = `
    const { startTelemetry } = require('./dist/telemetry');
    startTelemetry({ serviceName: 'telemetry-disabled-test' });
    const pg = require('pg');
    process.stdout.write(String(typeof pg.Client.prototype.query.__wrapped === 'boolean'));
  `;
  const { OTEL_SDK_DISABLED: _inherited, ...inherited } = process.env;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: SHARED, env: { ...inherited, ...env }, encoding: 'utf8' });
  return out.trim() === 'true';
}

it('patches node-postgres when the SDK is on', () => {
  expect(pgPatchedAfterStart({})).toBe(true);
});

it('leaves node-postgres alone when OTEL_SDK_DISABLED=true', () => {
  expect(pgPatchedAfterStart({ OTEL_SDK_DISABLED: 'true' })).toBe(false);
});
