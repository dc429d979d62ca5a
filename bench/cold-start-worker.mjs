// One cold start of one contender, in a fresh process: import the client, build it, complete
// one update over HTTPS. Prints `answered <phases>` on the first answer; the parent times the
// process from spawn to that line and to its exit. The phases (ms since the process started,
// by performance.now()) say where the time goes: Node's own start, import, new client, call.

import fs from 'node:fs';

const [name, baseURL, caFile] = process.argv.slice(2);
const ID = 'rr33xuugxj9h0bkf1rdt2bet';
const PARAMS = { status: 'succeeded', output: '{"ok":true}' };
const apiKey = 'bench-key';
const phases = { started: performance.now() };

async function update() {
  if (name === 'kernel-native') {
    const { default: Kernel } = await import('kernel-native');
    phases.imported = performance.now();
    // The private CA comes in through the `ca` option (the SDK and node:http get it through
    // NODE_EXTRA_CA_CERTS, which Node reads at start-up).
    const client = new Kernel({ apiKey, baseURL, ca: fs.readFileSync(caFile) });
    phases.built = performance.now();
    return client.invocations.update(ID, PARAMS);
  }
  if (name === '@onkernel/sdk') {
    const { default: Kernel } = await import('@onkernel/sdk');
    phases.imported = performance.now();
    const client = new Kernel({ apiKey, baseURL });
    phases.built = performance.now();
    return client.invocations.update(ID, PARAMS);
  }
  const https = await import('node:https');
  phases.imported = phases.built = performance.now();
  const body = JSON.stringify(PARAMS);
  return new Promise((resolve, reject) => {
    const request = https.request(`${baseURL}/invocations/${ID}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const invocation = await update();
if (invocation.id !== ID) throw new Error(`unexpected answer ${JSON.stringify(invocation)}`);
phases.answered = performance.now();
process.stdout.write(`answered ${JSON.stringify(phases)}\n`);
