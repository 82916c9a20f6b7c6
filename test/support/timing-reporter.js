'use strict';
// Mocha reporter: the spec reporter, plus the wall time of each test file (its hooks included) written as
// JSON to $TEST_TIMINGS at the end, so that scripts/test.js can balance the files between its parallel runs.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    /** @type {Record<string, number>} */
    const seconds = {};
    /** @type {Map<object, number>} */
    const started = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent && suite.parent.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const begun = started.get(suite);
      if (begun === undefined) return;
      const file = path.relative(process.cwd(), suite.file).split(path.sep).join('/');
      seconds[file] = Math.round(((seconds[file] ?? 0) + (Date.now() - begun) / 1000) * 10) / 10;
    });
    runner.once(EVENT_RUN_END, () => {
      const out = process.env.TEST_TIMINGS;
      if (out) fs.writeFileSync(out, JSON.stringify(seconds, null, 2) + '\n');
    });
  }
}

module.exports = TimingReporter;
