#!/usr/bin/env node
// Writes the lint checks scripts/test.sh ran as a Jest-shaped report, <TEST_RESULTS_DIR>/lint.json,
// so scripts/lib/summarize-tests.js counts each check as a test: a failed check fails the run
// and shows in its summary line (and by name among the FAILED lines).
//   node scripts/lib/lint-report.js passed:lint:eslint:61234 failed:lint:prettier:2345 ...
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const dir = process.env.TEST_RESULTS_DIR || path.join(ROOT, '.test-results');

const checks = process.argv.slice(2).map((arg) => {
  const [status, ...rest] = arg.split(':');
  const duration = Number(rest.pop());
  return { status: status === 'passed' ? 'passed' : 'failed', script: rest.join(':'), duration };
});
const failed = checks.filter((c) => c.status === 'failed').length;
const report = {
  package: 'lint',
  success: failed === 0,
  numPassedTests: checks.length - failed,
  numFailedTests: failed,
  numPendingTests: 0,
  numTodoTests: 0,
  numTotalTestSuites: 1,
  numFailedTestSuites: failed > 0 ? 1 : 0,
  testResults: [
    {
      name: path.join(ROOT, 'package.json'),
      status: failed > 0 ? 'failed' : 'passed',
      assertionResults: checks.map((c) => ({ status: c.status, title: c.script, fullName: `npm run ${c.script}`, duration: c.duration })),
    },
  ],
};
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'lint.json'), JSON.stringify(report, null, 2));
