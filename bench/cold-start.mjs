// Cold start, as a serverless function pays it: a fresh process imports the client, builds
// it and completes one update over HTTPS to a TLS server on 127.0.0.1 whose certificate comes
// from a private CA (the test fixtures). Runs are interleaved across contenders; medians of
// the time from spawn to the first answer and to process exit. `node bench/cold-start.mjs
// [--runs=20]` alone, or through `npm run bench`.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tls = path.join(root, '__test__', 'fixtures', 'tls');
export const COLD_CONTENDERS = ['kernel-native', '@onkernel/sdk', 'node:https'];

const INVOCATION = JSON.stringify({
  id: 'rr33xuugxj9h0bkf1rdt2bet',
  app_name: 'bench',
  action_name: 'run',
  started_at: '2026-11-29T10:00:00Z',
  finished_at: '2026-11-29T10:00:01Z',
  status: 'succeeded',
  output: '{"ok":true}',
  version: '1.0.0',
});

function startTlsServer() {
  const server = https.createServer(
    { key: fs.readFileSync(path.join(tls, 'server-key.pem')), cert: fs.readFileSync(path.join(tls, 'server-cert.pem')) },
    (request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(INVOCATION);
      });
    },
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** One cold start: resolves with { answerMs, exitMs } (both from spawn) and the worker's phases. */
function coldStart(name, url) {
  return new Promise((resolve, reject) => {
    const caFile = path.join(tls, 'ca.pem');
    // A machine as most have it: no OpenSSL certificate variables (this sandbox sets them; Node
    // ignores them, kernel-native would read the files they name).
    const { SSL_CERT_FILE, SSL_CERT_DIR, ...inherited } = process.env;
    const env = { ...inherited, NODE_EXTRA_CA_CERTS: name === 'kernel-native' ? '' : caFile };
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'bench', 'cold-start-worker.mjs'), name, url, caFile], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let answerMs;
    let phases;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      if (answerMs !== undefined) return;
      const line = /answered (\{.*\})/.exec(chunk);
      if (line) {
        answerMs = performance.now() - started;
        phases = JSON.parse(line[1]);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const exitMs = performance.now() - started;
      if (code !== 0 || answerMs === undefined) reject(new Error(`${name} cold start failed (exit ${code})`));
      else resolve({ answerMs, exitMs, phases });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs `runs` interleaved rounds; resolves to { [name]: { answerMs, exitMs } } (medians). */
export async function measureColdStart(runs = 20) {
  const server = await startTlsServer();
  const url = `https://127.0.0.1:${server.address().port}`;
  const results = Object.fromEntries(COLD_CONTENDERS.map((name) => [name, []]));
  try {
    for (let round = 0; round < runs; round += 1) {
      for (const name of COLD_CONTENDERS) results[name].push(await coldStart(name, url));
    }
  } finally {
    server.close();
  }
  const phase = (list, from, to) => median(list.map((r) => r.phases[to] - (from ? r.phases[from] : 0)));
  return Object.fromEntries(
    Object.entries(results).map(([name, list]) => [
      name,
      {
        answerMs: median(list.map((r) => r.answerMs)),
        exitMs: median(list.map((r) => r.exitMs)),
        // Inside the process: Node's start to our first line, import, new client, the call.
        phases: {
          node: phase(list, null, 'started'),
          import: phase(list, 'started', 'imported'),
          client: phase(list, 'imported', 'built'),
          call: phase(list, 'built', 'answered'),
        },
      },
    ]),
  );
}

export function coldStartTable(summary) {
  const sdk = summary['@onkernel/sdk'];
  const lines = [
    '| cold start (median) | first answer (ms) | exit (ms) | vs SDK | Node start | import | new client | first call |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, { answerMs, exitMs, phases }] of Object.entries(summary)) {
    const cells = [answerMs, exitMs].map((v) => v.toFixed(1));
    const parts = ['node', 'import', 'client', 'call'].map((key) => phases[key].toFixed(1));
    lines.push(`| ${name} | ${cells.join(' | ')} | ${(answerMs / sdk.answerMs).toFixed(2)}x | ${parts.join(' | ')} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv.find((arg) => arg.startsWith('--runs='))?.split('=')[1] ?? 20);
  const summary = await measureColdStart(runs);
  console.log(coldStartTable(summary));
  const ratio = summary['kernel-native'].answerMs / summary['@onkernel/sdk'].answerMs;
  console.log(`\ncold start, first answer <= 0.5x sdk: ${ratio <= 0.5 ? 'yes' : 'NO'} (${ratio.toFixed(2)}x)`);
}
