'use strict';
// The public API, once over, for a package installed the way users install it. Plain code that
// ends with `N passed, M failed` (and exit code 1 on a failure), so that it runs unchanged on
// every Node version, Bun and Deno, from CommonJS (smoke.cjs) and ESM (smoke.mjs).

const STEP_BUDGET_MS = 30_000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Resolves with what `promise` rejected with; fails if it resolves instead. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

function withBudget(promise, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no answer within ${STEP_BUDGET_MS} ms`)), STEP_BUDGET_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runSmoke(Kernel, startEmulator, label) {
  const { KernelError, APIError, NotFoundError, APIUserAbortError } = Kernel;
  const emu = await startEmulator({ apiKey: 'smoke-key' });
  const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey, maxRetries: 2 });
  const create = () => client.invocations.create({ app_name: 'smoke', action_name: 'check', version: '1.0.0' });

  const steps = {
    async 'the emulator answers create'() {
      const created = await create();
      check(typeof created.id === 'string' && created.status === 'running', `created ${JSON.stringify(created)}`);
    },
    async 'update, the documented usage'() {
      const { id } = await create();
      const invocation = await client.invocations.update(id, { status: 'succeeded', output: '{"ok":true}' });
      check(invocation.id === id && invocation.status === 'succeeded', `updated ${JSON.stringify(invocation)}`);
      check(invocation.output === '{"ok":true}', `output ${invocation.output}`);
    },
    async 'an unknown id is a NotFoundError'() {
      const error = await rejection(client.invocations.retrieve('no-such-invocation'));
      check(error instanceof NotFoundError && error instanceof APIError && error instanceof KernelError, `got ${error}`);
      check(error.status === 404, `status ${error.status}`);
    },
    async 'bad input is a KernelError, and nothing is sent'() {
      const requests = async () => (await (await fetch(`${emu.url}/_emulator/stats`)).json()).requests;
      const before = await requests();
      const error = await rejection(Promise.resolve().then(() => client.invocations.update('', { status: 'succeeded' })));
      check(error instanceof KernelError && !(error instanceof APIError), `got ${error}`);
      // The emulator counts API requests only, not its /_emulator/ control routes.
      check((await requests()) === before, 'the bad call reached the server');
    },
    async 'abort ends a call with APIUserAbortError'() {
      const { id } = await create();
      emu.fault({ method: 'GET', path: `/invocations/${id}`, delayMs: 5_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const error = await rejection(client.invocations.retrieve(id, { signal: controller.signal }));
      check(error instanceof APIUserAbortError, `got ${error}`);
    },
    async 'a 503 is retried'() {
      const { id } = await create();
      const before = emu.faultsFired;
      emu.fault({ method: 'GET', path: `/invocations/${id}`, status: 503, times: 2, headers: { 'retry-after-ms': '1' } });
      const invocation = await client.invocations.retrieve(id);
      check(invocation.id === id, `retrieved ${invocation.id}`);
      check(emu.faultsFired === before + 2, `faults fired: ${emu.faultsFired - before}`);
    },
    async 'list walks every page'() {
      const ids = new Set();
      for (let i = 0; i < 3; i += 1) ids.add((await create()).id);
      const seen = new Set();
      for await (const invocation of client.invocations.list({ app_name: 'smoke', limit: 2 })) seen.add(invocation.id);
      check([...ids].every((id) => seen.has(id)), `listed ${seen.size}, missing some of ${[...ids]}`);
    },
    async 'follow streams state changes to the end'() {
      const { id } = await create();
      const stream = await client.invocations.follow(id);
      const statuses = [];
      for await (const event of stream) {
        if (event.event !== 'invocation_state') continue;
        statuses.push(event.invocation.status);
        if (statuses.length === 1) await client.invocations.update(id, { status: 'failed' });
      }
      check(statuses[0] === 'running' && statuses.at(-1) === 'failed', `statuses ${statuses}`);
    },
  };

  let passed = 0;
  let failed = 0;
  for (const [name, step] of Object.entries(steps)) {
    try {
      await withBudget(step(), name);
      passed += 1;
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${label}: ${name}: ${error?.stack ?? error}`);
    }
  }
  await emu.close();
  console.log(`${label}: ${passed} passed, ${failed} failed`);
  if (failed > 0 || passed === 0) process.exitCode = 1;
}

module.exports = { runSmoke };
