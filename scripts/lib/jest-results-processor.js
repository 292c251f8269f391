// Jest `testResultsProcessor` (wired in jest.preset.js): writes every Jest run's results, in the
// same shape as `jest --json`, to <TEST_RESULTS_DIR or repo/.test-results>/<package>.json so
// scripts/lib/summarize-tests.js can print one total for the whole monorepo. Returns the results
// unchanged, as Jest requires.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

function formatLikeJestJson(results) {
  try {
    // @jest/test-result is the module `jest --json` itself formats with; resolve it from jest's
    // own install so the shape matches the Jest version in use.
    const from = path.dirname(require.resolve('jest/package.json', { paths: [process.cwd(), ROOT] }));
    const { formatTestResults } = require(require.resolve('@jest/test-result', { paths: [from, ROOT] }));
    return formatTestResults(results);
  } catch {
    return results;
  }
}

function packageName(dir) {
  try {
    const name = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
    if (name) return name;
  } catch {
    // no package.json: fall back to the folder name
  }
  return path.basename(dir);
}

module.exports = function writeJsonResults(results) {
  try {
    const dir = process.env.TEST_RESULTS_DIR || path.join(ROOT, '.test-results');
    fs.mkdirSync(dir, { recursive: true });
    const pkg = packageName(process.cwd());
    const base = pkg.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '__');
    // Within one `npm test` (which starts from an empty folder) a package that runs Jest more
    // than once keeps every run's report; a Jest run by hand just replaces the package's report.
    let file = path.join(dir, `${base}.json`);
    if (process.env.TEST_RESULTS_DIR) {
      for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `${base}.${n}.json`);
    }
    const report = { package: pkg, ...formatLikeJestJson(results) };
    fs.writeFileSync(file, JSON.stringify(report, null, 2));
  } catch (err) {
    // Never turn a reporting problem into a test failure; the summary notices the missing file.
    process.stderr.write(`[jest-results-processor] could not write results: ${err && err.message}\n`);
  }
  // Jest exits by itself once nothing keeps its process alive. A handle a test left open (seen:
  // a kafkajs broker socket in the e2e suite, after every test had passed, which neither
  // forceExit nor a worker process ended) would hold a finished run open until npm test's
  // timeout. The results are written by now, so end the process then, with their verdict; the
  // timer is unref'd, so a run that exits normally is not delayed.
  const failed = results.numFailedTests > 0 || results.numFailedTestSuites > 0 || results.numRuntimeErrorTestSuites > 0;
  setTimeout(() => {
    process.stderr.write('[jest-results-processor] Jest still running 15 s after its results: ending it\n');
    process.exit(failed ? 1 : 0);
  }, 15_000).unref();
  return results;
};
