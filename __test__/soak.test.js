'use strict';
// The short variant of `npm run soak`: 4 000 creates and updates, 64 in flight, 10 % of
// requests faulted by the emulator, every outcome checked against the emulator's journal.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { runProcess } = require('./helpers/child');

const SCRIPT = path.join(__dirname, '..', 'scripts', 'soak.mjs');

/** Runs scripts/soak.mjs with `args`; killed after 60 s. */
function runSoak(args) {
  return runProcess(process.execPath, ['--expose-gc', SCRIPT, ...args], { budget: 60_000 });
}

test('soak: every call ends in success or a typed error, and the journal matches one for one', async () => {
  const result = await runSoak(['--calls', '4000', '--concurrency', '64', '--fault-rate', '0.1']);
  assert.equal(result.signal, null, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.deepEqual(summary.problems, [], result.stdout);
  assert.equal(result.code, 0, result.stdout + result.stderr);

  assert.equal(summary.calls, 4000);
  assert.equal(summary.untypedErrors, 0);
  assert.equal(summary.succeeded + summary.typedErrors + summary.updatesNotSentAfterFailedCreate, 4000);
  // The faults really happened, at about the asked-for share, and lost answers were replayed.
  assert.ok(summary.faultedShare > 0.05 && summary.faultedShare < 0.15, `faulted share ${summary.faultedShare}`);
  assert.ok(summary.replayedForRepeatedKeys > 0, 'no lost answer was replayed');
  // Each success was applied once; a failed call was applied at most once.
  assert.ok(summary.journalEntries >= summary.succeeded);
  assert.ok(summary.journalEntries <= summary.succeeded + summary.typedErrors);
  // Memory is measured with no call in flight, including the allocator's bytes in use.
  assert.ok(summary.memoryAtEndMiB.mallocInUse > 0, JSON.stringify(summary.memoryAtEndMiB));
  assert.ok(summary.inUseRatio > 0);
  for (const name of Object.keys(summary.errorsByClass)) {
    assert.match(name, /^(APIConnectionError|APIConnectionTimeoutError|RateLimitError|InternalServerError)$/);
  }
});

test('soak: bad arguments are refused', async () => {
  const result = await runSoak(['--calls', '3']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /usage: soak\.mjs/);
});

test('soak: with --fault-rate 0 nothing is faulted and every call succeeds', async () => {
  const result = await runSoak(['--calls', '2000', '--fault-rate', '0']);
  const summary = JSON.parse(result.stdout);
  assert.deepEqual(summary.problems, [], result.stdout);
  assert.equal(result.code, 0);
  assert.equal(summary.faultsInjected, 0);
  assert.equal(summary.succeeded, 2000);
  assert.equal(summary.journalEntries, 2000);
});
