#!/usr/bin/env node
// Soak: many creates and updates, `--concurrency` in flight, against an emulator (in a child
// process, so this process's RSS is the client's alone) that faults `--fault-rate` of all
// requests at random: 503 and 429 with retry-after, connections dropped before the request is
// applied, and answers lost after it was applied. Every call carries its own Idempotency-Key.
//
// Then it checks, one for one, the client's record of each call against the emulator's journal
// of applied mutations: every call ended in a success or a typed APIError; every success was
// applied exactly once with the outcome the client saw; no key was applied twice; no mutation
// was applied that the client did not ask for; and memory in use (live JS objects plus the C
// allocator's handed-out bytes, with no call in flight) stayed within 10 % of its level after
// warm-up. RSS is reported beside it. Prints a JSON summary; exits 1 if a check failed.
//
//   node scripts/soak.mjs [--calls 100000] [--concurrency 64] [--fault-rate 0.1]

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import Kernel from 'kernel-native';

// The binding itself, for its allocator statistics (`__mallocInUse`).
const native = createRequire(import.meta.url)('../lib/native.js');

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '64' },
    'fault-rate': { type: 'string', default: '0.1' },
  },
});
const calls = Number(args.calls);
const concurrency = Number(args.concurrency);
const faultRate = Number(args['fault-rate']);
if (!(calls >= 2 && calls % 2 === 0) || !(concurrency >= 1) || !(faultRate >= 0 && faultRate < 1)) {
  console.error('usage: soak.mjs [--calls EVEN>=2] [--concurrency N>=1] [--fault-rate 0..<1]');
  process.exit(2);
}
const pairs = calls / 2;

/** The emulator in a child process; resolves to its url and key. */
async function startEmulatorProcess() {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { startEmulator } from 'kernel-native/emulator';
       const emu = await startEmulator();
       console.log(JSON.stringify({ url: emu.url, apiKey: emu.apiKey }));
       process.stdin.resume();
       process.stdin.on('end', () => emu.close().then(() => process.exit(0)));`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { child, ...JSON.parse(line) };
}

// Four kinds of fault, equally likely, together `faultRate` of all requests.
const perKind = 1 - (1 - faultRate) ** (1 / 4);
const FAULTS = [
  { status: 503, headers: { 'retry-after-ms': '1' } },
  { status: 429, headers: { 'retry-after': '0' } },
  { drop: true },
  { dropAfter: true },
];

async function emulatorGet(emu, path) {
  const response = await fetch(`${emu.url}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return response.json();
}

/** FNV-1a: the client's view of an id in 4 bytes, so the record does not grow RSS. */
function hashId(id) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const OK = 1;
// Outcome codes after OK: one per error class seen.
const errorCodes = new Map();
function errorCode(error) {
  const name = error instanceof Kernel.APIError ? error.constructor.name : `UNTYPED ${error?.constructor?.name}`;
  if (!errorCodes.has(name)) errorCodes.set(name, { code: errorCodes.size + 2, count: 0, example: String(error?.message) });
  const entry = errorCodes.get(name);
  entry.count++;
  return entry.code;
}

const wantedStatus = (pair) => (pair % 2 === 0 ? 'succeeded' : 'failed');
const createKey = (pair) => `soak-create-${pair}`;
const updateKey = (pair) => `soak-update-${pair}`;

const emu = await startEmulatorProcess();
const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey });

// The client's record, preallocated: outcome code and invocation id hash per call.
const createOutcome = new Uint8Array(pairs);
const updateOutcome = new Uint8Array(pairs);
const createdIdHash = new Uint32Array(pairs);
const updatedStatusOk = new Uint8Array(pairs);

const mib = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const memorySummary = ({ rss, heapUsed, malloc, inUse }) => ({
  rss: mib(rss),
  jsHeapUsed: mib(heapUsed),
  mallocInUse: malloc === null ? null : mib(malloc),
  inUse: inUse === null ? null : mib(inUse),
});
let next = 0;
let settled = 0;
// The first pairs warm up pools, JIT and allocator; memory is compared after them.
const warmupPairs = Math.min(5_000, Math.floor(pairs / 10));

async function onePair(pair) {
  let id;
  try {
    const created = await client.invocations.create(
      { app_name: 'soak', action_name: 'run', version: '1', payload: `{"pair":${pair}}` },
      { idempotencyKey: createKey(pair) },
    );
    id = created.id;
    createdIdHash[pair] = hashId(id);
    createOutcome[pair] = OK;
  } catch (error) {
    createOutcome[pair] = errorCode(error);
  }
  settled++;
  if (id === undefined) {
    settled++; // no update for a create that failed: counted as skipped, see below
    return;
  }
  try {
    const updated = await client.invocations.update(
      id,
      { status: wantedStatus(pair), output: `{"pair":${pair}}` },
      { idempotencyKey: updateKey(pair) },
    );
    updateOutcome[pair] = OK;
    updatedStatusOk[pair] = updated.id === id && updated.status === wantedStatus(pair) ? 1 : 0;
  } catch (error) {
    updateOutcome[pair] = errorCode(error);
  }
  settled++;
}

// RSS in MiB at each tenth of the run, to show the trend rather than two points.
const rssTrace = [];
let nextTrace = calls / 10;

async function worker(until) {
  while (next < until) {
    await onePair(next++);
    if (settled >= nextTrace) {
      nextTrace += calls / 10;
      rssTrace.push(mib(process.memoryUsage().rss));
    }
  }
}

/**
 * Memory with no call in flight, after a full collection. `inUse` is what a leak would grow:
 * the JS heap's live objects plus the bytes the C allocator has handed out (the addon's and
 * Node's). RSS also counts what V8 and the allocator keep in reserve for reuse.
 */
function quiescentMemory() {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const malloc = native.__mallocInUse();
  return { rss, heapUsed, malloc, inUse: malloc === null ? null : heapUsed + malloc };
}


// Warm the pool before faults start, then turn them on.
await client.invocations.list({ limit: 1 });
for (const fault of faultRate > 0 ? FAULTS : []) {
  const response = await fetch(`${emu.url}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...fault, rate: perKind }),
  });
  if (response.status !== 204) throw new Error(`adding a fault failed: ${response.status}`);
}
const before = await emulatorGet(emu, '/_emulator/stats');
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker(warmupPairs)));
const afterWarmup = quiescentMemory();
await Promise.all(Array.from({ length: concurrency }, () => worker(pairs)));
const seconds = (performance.now() - started) / 1000;
const atEnd = quiescentMemory();

await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
const stats = await emulatorGet(emu, '/_emulator/stats');
const { entries: journal } = await emulatorGet(emu, '/_emulator/journal');
emu.child.stdin.end();

// One for one: the journal against the client's record.
const problems = [];
const problem = (text) => problems.length < 20 && problems.push(text);
const appliedCreates = new Map();
const appliedUpdates = new Map();
for (const entry of journal) {
  const match = /^soak-(create|update)-(\d+)$/.exec(entry.idempotencyKey ?? '');
  if (!match) {
    problem(`journal entry ${entry.seq} has no soak key: ${JSON.stringify(entry)}`);
    continue;
  }
  const applied = match[1] === 'create' ? appliedCreates : appliedUpdates;
  const pair = Number(match[2]);
  if (applied.has(pair)) problem(`${entry.idempotencyKey} was applied twice`);
  applied.set(pair, entry);
}

const counts = { ok: 0, typedErrors: 0, untypedErrors: 0, skippedUpdates: 0, appliedButAnswerLost: 0 };
for (let pair = 0; pair < pairs; pair++) {
  const create = appliedCreates.get(pair);
  if (createOutcome[pair] === OK) {
    counts.ok++;
    if (!create) problem(`create ${pair} succeeded but was never applied`);
    else if (hashId(create.invocationId) !== createdIdHash[pair]) problem(`create ${pair}: the client got another id than was applied`);
  } else {
    counts.typedErrors++;
    if (create) counts.appliedButAnswerLost++;
  }
  const update = appliedUpdates.get(pair);
  if (createOutcome[pair] !== OK) {
    counts.skippedUpdates++;
    if (update) problem(`update ${pair} applied, but its create failed and it was never sent`);
    continue;
  }
  if (updateOutcome[pair] === OK) {
    counts.ok++;
    if (!update) problem(`update ${pair} succeeded but was never applied`);
    else if (update.invocationStatus !== wantedStatus(pair)) problem(`update ${pair} applied as ${update.invocationStatus}`);
    if (!updatedStatusOk[pair]) problem(`update ${pair}: the client got a wrong invocation back`);
  } else {
    counts.typedErrors++;
    if (update) counts.appliedButAnswerLost++;
  }
}
for (const [name, { count }] of errorCodes) if (name.startsWith('UNTYPED')) counts.untypedErrors += count;
counts.typedErrors -= counts.untypedErrors;
if (counts.untypedErrors > 0) problem(`${counts.untypedErrors} calls ended in an untyped error`);
if (stats.invocations !== appliedCreates.size) problem(`the emulator holds ${stats.invocations} invocations, the journal ${appliedCreates.size} creates`);

const requests = stats.requests - before.requests;
const faults = stats.faultsFired - before.faultsFired;
// The run proves nothing unless the faults really fired, at about the share asked for, and
// lost answers were really replayed.
const faultedShare = faults / requests;
if (faultRate === 0 && faults !== 0) problem(`${faults} faults fired with --fault-rate 0`);
if (faultRate > 0 && calls >= 1000) {
  if (Math.abs(faultedShare - faultRate) > 0.3 * faultRate) {
    problem(`${(faultedShare * 100).toFixed(1)} % of requests were faulted, not about ${faultRate * 100} %`);
  }
  if (stats.replayed - before.replayed === 0) problem('no lost answer was replayed for its repeated key');
}
const rssRatio = atEnd.rss / afterWarmup.rss;
const inUseRatio = atEnd.inUse === null ? null : atEnd.inUse / afterWarmup.inUse;
// A leak grows memory in use; with too few calls the comparison means nothing.
if (calls >= 100_000 && inUseRatio !== null && !(inUseRatio <= 1.1)) {
  problem(`memory in use grew from ${afterWarmup.inUse} to ${atEnd.inUse} bytes`);
}
if (globalThis.gc === undefined) problem('run with --expose-gc (npm run soak does): memory is compared after full collections');

const summary = {
  calls,
  concurrency,
  seconds: Math.round(seconds * 10) / 10,
  callsPerSecond: Math.round(calls / seconds),
  requestsSeen: requests,
  faultsInjected: faults,
  faultedShare: Math.round(faultedShare * 1000) / 1000,
  replayedForRepeatedKeys: stats.replayed - before.replayed,
  succeeded: counts.ok,
  typedErrors: counts.typedErrors,
  untypedErrors: counts.untypedErrors,
  updatesNotSentAfterFailedCreate: counts.skippedUpdates,
  appliedButAnswerLost: counts.appliedButAnswerLost,
  errorsByClass: Object.fromEntries([...errorCodes].map(([name, { count, example }]) => [name, { count, example }])),
  journalEntries: journal.length,
  memoryAfterWarmupMiB: memorySummary(afterWarmup),
  memoryAtEndMiB: memorySummary(atEnd),
  inUseRatio: inUseRatio === null ? null : Math.round(inUseRatio * 1000) / 1000,
  rssRatio: Math.round(rssRatio * 1000) / 1000,
  rssTraceMiB: rssTrace,
  problems,
};
console.log(JSON.stringify(summary, null, 2));
process.exitCode = problems.length === 0 ? 0 : 1;
