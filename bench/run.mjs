// npm run bench: kernel-native against @onkernel/sdk, a raw node:http client, the floor of our
// design (hyper behind the same thread hop, crates/kernel-bench-hop), the same floor through
// reqwest, and the pure-Rust floor, on one minimal local server, interleaved round by round;
// then cold starts over HTTPS (bench/cold-start.mjs); medians, ratios, JSON, SVG.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderChart } from './chart.mjs';
import { coldStartTable, measureColdStart } from './cold-start.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')));
const rounds = Number(args.get('rounds') ?? 5);
const coldRuns = Number(args.get('cold-runs') ?? 20);
const settings = {
  // Long enough for every contender to reach its steady state (JIT tiers, the garbage of the
  // construction loop collected) before its sequential calls are timed and their CPU counted.
  warmup: 2000,
  sequential: Number(args.get('sequential') ?? 2000),
  concurrency: [1, 64, 256],
  millis: Number(args.get('millis') ?? 1500),
};
const JS_CONTENDERS = ['kernel-native', '@onkernel/sdk', 'node:http', 'hyper + hop', 'reqwest + hop'];

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed`);
}

function capture(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

function startServer() {
  return new Promise((resolve, reject) => {
    const server = spawn(path.join(root, 'target/release/bench-server'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
    server.on('error', reject);
    server.stdout.setEncoding('utf8');
    server.stdout.once('data', (line) => {
      const url = /http:\/\/\S+/.exec(line)?.[0];
      if (url) resolve({ url, stop: () => server.kill() });
      else reject(new Error(`unexpected server output: ${line}`));
    });
  });
}

/** One worker run; resolves with its result and the time from its last await to its exit. */
function measure(name, url) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bench/worker.mjs'), name, url, JSON.stringify(settings)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const exitedAt = Date.now();
      if (code !== 0) return reject(new Error(`${name} worker exited with ${code}`));
      const [json, mark] = output.trim().split('\n');
      const result = JSON.parse(json);
      result.exitMs = exitedAt - Number(mark.split(' ')[1]);
      resolve(result);
    });
  });
}

function rustFloor(url) {
  const floor = path.join(root, 'target/release/rust-floor');
  const sequential = JSON.parse(capture(floor, [url, 'sequential', String(settings.sequential)]));
  const rates = {};
  for (const inFlight of settings.concurrency) {
    rates[inFlight] = JSON.parse(capture(floor, [url, 'throughput', String(inFlight), String(settings.millis)])).calls_per_s;
  }
  return { name: 'rust floor', p50Us: sequential.p50_us, p99Us: sequential.p99_us, rates };
}

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Build what is measured: the addon (release) and the server and floor binaries.
run(process.execPath, [path.join(root, 'scripts/ensure-built.js')]);
run('cargo', ['build', '--release', '--quiet', '-p', 'kernel-bench', '-p', 'kernel-bench-hop']);

const server = await startServer();
const runs = Object.fromEntries([...JS_CONTENDERS, 'rust floor'].map((name) => [name, []]));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const name of JS_CONTENDERS) {
      process.stderr.write(`round ${round}/${rounds}: ${name}\n`);
      runs[name].push(await measure(name, server.url));
    }
    process.stderr.write(`round ${round}/${rounds}: rust floor\n`);
    runs['rust floor'].push(rustFloor(server.url));
  }
  process.stderr.write('memory check (100 000 updates, 10 000 clients)\n');
  var memory = JSON.parse(capture(process.execPath, ['--expose-gc', path.join(root, 'bench/memory.mjs'), server.url]));
} finally {
  server.stop();
}
process.stderr.write(`cold start (${coldRuns} interleaved runs per contender, HTTPS, private CA)\n`);
const coldStart = await measureColdStart(coldRuns);

const summary = {};
for (const [name, results] of Object.entries(runs)) {
  summary[name] = {
    importMs: median(results.map((r) => r.importMs)),
    constructUs: median(results.map((r) => r.constructUs)),
    p50Us: median(results.map((r) => r.p50Us)),
    p99Us: median(results.map((r) => r.p99Us)),
    cpuUs: median(results.map((r) => r.cpuUs)),
    rssMiB: median(results.map((r) => r.rssMiB)),
    exitMs: median(results.map((r) => r.exitMs)),
    rates: Object.fromEntries(settings.concurrency.map((n) => [n, median(results.map((r) => r.rates[n]))])),
  };
}
const addon = fs.readdirSync(root).find((file) => file.endsWith('.node'));
const nodeBytes = fs.statSync(path.join(root, addon)).size;

// The table.
const names = Object.keys(summary);
const fmt = (value, digits = 1) => (value === undefined ? '-' : value.toFixed(digits));
const rows = [
  ['import (ms)', (s) => s.importMs],
  ['new client (us)', (s) => s.constructUs, 2],
  ['sequential p50 (us)', (s) => s.p50Us],
  ['sequential p99 (us)', (s) => s.p99Us],
  ['CPU per sequential call (us)', (s) => s.cpuUs],
  ...settings.concurrency.map((n) => [`calls/s at ${n} in flight`, (s) => s.rates[n], 0]),
  ['RSS after (MiB)', (s) => s.rssMiB],
  ['exit after last await (ms)', (s) => s.exitMs],
];
const native = summary['kernel-native'];
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);
const header = ['metric', ...names, 'vs sdk', 'vs node:http', 'vs hop floor', 'vs reqwest + hop', 'vs rust'];
const lines = [header];
for (const [label, pick, digits] of rows) {
  lines.push([
    label,
    ...names.map((name) => fmt(pick(summary[name]), digits)),
    ratio(pick(native), pick(summary['@onkernel/sdk'])),
    ratio(pick(native), pick(summary['node:http'])),
    ratio(pick(native), pick(summary['hyper + hop'])),
    ratio(pick(native), pick(summary['reqwest + hop'])),
    ratio(pick(native), pick(summary['rust floor'])),
  ]);
}
const widths = header.map((_, i) => Math.max(...lines.map((line) => line[i].length)));
const table = lines.map((line) => `| ${line.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`);
table.splice(1, 0, `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);

// The targets of the performance issue, as ratios measured in this run.
const sdk = summary['@onkernel/sdk'];
const raw = summary['node:http'];
const rust = summary['rust floor'];
const hop = summary['hyper + hop'];
const targets = [
  // Issue 14: within reach of the floor of our own design, in the same run.
  ['sequential p50 <= 1.15x hop floor', native.p50Us <= 1.15 * hop.p50Us],
  ['CPU per sequential call <= 1.3x hop floor', native.cpuUs <= 1.3 * hop.cpuUs],
  ...[64, 256].map((n) => [`${n} in flight >= 0.8x hop floor`, native.rates[n] >= 0.8 * hop.rates[n]]),
  ['RSS <= 1.05x node:http', native.rssMiB <= 1.05 * raw.rssMiB],
  ['sequential p50 <= 0.2x sdk', native.p50Us <= 0.2 * sdk.p50Us],
  ['sequential p50 <= 0.8x node:http', native.p50Us <= 0.8 * raw.p50Us],
  ['sequential p50 <= 1.25x rust floor', native.p50Us <= 1.25 * rust.p50Us],
  ...[64, 256].flatMap((n) => [
    [`${n} in flight >= 10x sdk`, native.rates[n] >= 10 * sdk.rates[n]],
    [`${n} in flight >= 2x node:http`, native.rates[n] >= 2 * raw.rates[n]],
    [`${n} in flight >= 0.85x rust floor`, native.rates[n] >= 0.85 * rust.rates[n]],
  ]),
  ['import <= 0.25x sdk', native.importMs <= 0.25 * sdk.importMs],
  ['cold start, first answer <= 0.5x sdk', coldStart['kernel-native'].answerMs <= 0.5 * coldStart['@onkernel/sdk'].answerMs],
  ['RSS <= 0.4x sdk', native.rssMiB <= 0.4 * sdk.rssMiB],
  // 4 MiB until Mozilla's root store was compiled in (for images without a CA store, as Node
  // bundles it): ~70 KB of trust anchors and the code that loads NODE_EXTRA_CA_CERTS.
  ['stripped .node <= 4.25 MiB', nodeBytes <= 4.25 * 2 ** 20],
  ['memory: 100k updates within 10% of the 10k level', memory.afterUpdates <= 1.1 * memory.baseline],
  ['memory: +10k new Kernel() within 10% of the 10k level', memory.afterClients <= 1.1 * memory.baseline],
];

const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
console.log(`\nkernel-native benchmark: ${rounds} interleaved rounds, medians; server: bench-server (hyper, one thread, fixed answer)`);
console.log(`machine: ${machine}\n`);
console.log(table.join('\n'));
console.log(`\n.node size: ${(nodeBytes / 2 ** 20).toFixed(2)} MiB (${addon})`);
console.log(
  `memory (MiB): after 10k updates ${memory.baseline.toFixed(1)}, after 100k ${memory.afterUpdates.toFixed(1)}, after 10k new Kernel() ${memory.afterClients.toFixed(1)}`,
);
console.log(`\n${coldStartTable(coldStart)}`);
console.log('\ntargets:');
for (const [label, met] of targets) console.log(`  ${met ? 'met   ' : 'MISSED'} ${label}`);

const resultsDir = path.join(root, 'bench/results');
fs.mkdirSync(resultsDir, { recursive: true });
const record = { date: new Date().toISOString(), machine, settings, rounds, runs, summary, coldStart, nodeBytes, memory, targets };
fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(record, null, 2)}\n`);
fs.writeFileSync(path.join(root, 'docs/performance.svg'), renderChart(summary, settings.concurrency));
console.log(`\nraw results: bench/results/latest.json; chart: docs/performance.svg`);
