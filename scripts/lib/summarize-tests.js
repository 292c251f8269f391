#!/usr/bin/env node
// Sums the Jest JSON reports in .test-results/ (written by jest-results-processor.js) and prints
// one plain line for the whole run, alone on its line: `N passed, M failed` (`, K skipped` when
// K > 0, counting pending and todo tests). Exits 1 when a test failed, a Jest run failed (suite
// that could not run, failed globalSetup, ...) or no test ran at all; 0 otherwise.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const dir = process.env.TEST_RESULTS_DIR || path.join(ROOT, '.test-results');

const files = fs.existsSync(dir)
  ? fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];
let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
const failures = [];
const MAX_LISTED = 30;

for (const file of files) {
  let r;
  try {
    r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch (err) {
    problems.push(`${file}: unreadable report (${err.message})`);
    continue;
  }
  const p = r.numPassedTests || 0;
  const f = r.numFailedTests || 0;
  const s = (r.numPendingTests || 0) + (r.numTodoTests || 0);
  passed += p;
  failed += f;
  skipped += s;
  const brokenSuites = r.numFailedTestSuites || 0; // includes suites that could not run at all
  console.log(
    `[tests] ${r.package || file}: passed=${p} failed=${f} skipped=${s} suites=${r.numTotalTestSuites || 0}` +
      (brokenSuites ? ` failed-suites=${brokenSuites}` : ''),
  );
  for (const suite of r.testResults || []) {
    const file = path.relative(ROOT, suite.name || '');
    const failedTests = (suite.assertionResults || []).filter((a) => a.status === 'failed');
    for (const a of failedTests) failures.push(`${file} › ${a.fullName || a.title}`);
    if (suite.status === 'failed' && failedTests.length === 0) {
      const firstLine =
        String(suite.message || '')
          .split('\n')
          .map((l) => l.trim())
          .find((l) => l && !l.startsWith('●')) || 'failed to run';
      // eslint-disable-next-line no-control-regex -- because Jest's messages carry terminal colour codes (ESC [ ... m) to strip
      failures.push(`${file} (suite did not run: ${firstLine.replace(/\u001b\[[0-9;]*m/g, '').slice(0, 200)})`);
    }
  }
  if (r.success === false && f === 0) problems.push(`${r.package || file}: Jest reported failure (failed suites: ${brokenSuites})`);
}

// The failing tests again at the very end of the log, where a reader looks first.
for (const f of failures.slice(0, MAX_LISTED)) console.log(`[tests] FAILED ${f}`);
if (failures.length > MAX_LISTED) console.log(`[tests] ... and ${failures.length - MAX_LISTED} more`);
for (const p of problems) console.log(`[tests] ${p}`);
if (passed + failed === 0) console.log('[tests] no test ran');
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || problems.length > 0 || passed + failed === 0 ? 1 : 0);
