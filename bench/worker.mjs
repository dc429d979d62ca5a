// One measurement run of one contender, in a fresh process: import time, construction time,
// sequential latency and CPU time per sequential call, throughput at several concurrencies,
// RSS. Prints one JSON line, then
// `exit-mark <ms>` right before the event loop is left empty, so the parent can time the exit.

import { contenders } from './contenders.mjs';

const [name, baseURL, settingsJson] = process.argv.slice(2);
const settings = JSON.parse(settingsJson);
const contender = contenders[name];

const importStarted = performance.now();
const module = await contender.load();
const importMs = performance.now() - importStarted;

const constructions = 2000;
const constructStarted = performance.now();
for (let i = 0; i < constructions; i++) contender.construct(module, baseURL);
const constructUs = ((performance.now() - constructStarted) * 1000) / constructions;

const call = contender.make(module, baseURL);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
}

// Sequential latency.
for (let i = 0; i < settings.warmup; i++) await call();
const samples = new Float64Array(settings.sequential);
// CPU time of the whole process (JS thread, I/O thread, GC), user and system, per call.
const cpuBefore = process.cpuUsage();
for (let i = 0; i < settings.sequential; i++) {
  const started = performance.now();
  await call();
  samples[i] = (performance.now() - started) * 1000;
}
const cpu = process.cpuUsage(cpuBefore);
const cpuUs = (cpu.user + cpu.system) / settings.sequential;
samples.sort();

// Throughput: `inFlight` loops for a fixed time after a short warm-up.
async function throughput(inFlight, millis) {
  let counting = false;
  let done = 0;
  let stop = false;
  const loops = Array.from({ length: inFlight }, async () => {
    while (!stop) {
      await call();
      if (counting) done++;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, millis / 5));
  counting = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, millis));
  const elapsed = (performance.now() - started) / 1000;
  const calls = done;
  stop = true;
  await Promise.all(loops);
  return calls / elapsed;
}

const rates = {};
for (const inFlight of settings.concurrency) rates[inFlight] = await throughput(inFlight, settings.millis);

const result = {
  name,
  importMs,
  constructUs,
  p50Us: percentile(samples, 0.5),
  p99Us: percentile(samples, 0.99),
  cpuUs,
  rates,
  rssMiB: process.memoryUsage().rss / 2 ** 20,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
// Wall-clock milliseconds: the parent compares them with its own, and long-running processes'
// `performance.timeOrigin + now()` drift apart from each other.
process.stdout.write(`exit-mark ${Date.now()}\n`);
