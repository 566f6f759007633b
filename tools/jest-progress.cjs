'use strict';
/**
 * `npm test`'s progress: one line per test file as it finishes, numbered against the total, so a long run on a
 * busy machine shows where it is ("[suite 12 of 87] PASS test/api/hosts.test.ts (24 tests, 3.1 s)"). A failing
 * file's messages follow its line at once; jest's summary reporter repeats them at the end.
 */
const path = require('node:path');

class ProgressReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.total = 0;
    this.done = 0;
    this.startedAt = Date.now();
  }

  onRunStart(results) {
    this.total = results.numTotalTestSuites;
    this.startedAt = Date.now();
    process.stdout.write(`running ${this.total} test files\n`);
  }

  onTestResult(_test, result) {
    this.done += 1;
    const file = path.relative(this.rootDir, result.testFilePath);
    const failed = result.numFailingTests > 0 || result.testExecError;
    const seconds = ((result.perfStats.end - result.perfStats.start) / 1000).toFixed(1);
    const tests = result.numPassingTests + result.numFailingTests + result.numPendingTests;
    const elapsed = Math.round((Date.now() - this.startedAt) / 1000);
    process.stdout.write(`[suite ${this.done} of ${this.total}, ${elapsed} s] ${failed ? 'FAIL' : 'PASS'} ${file} `
      + `(${tests} tests, ${seconds} s)\n`);
    if (failed) process.stdout.write(`${result.failureMessage ?? result.testExecError?.message ?? ''}\n`);
  }
}

module.exports = ProgressReporter;
