// The leak check: RSS after the first 10 000 sequential updates is the baseline; after 100 000
// updates, and after 10 000 more `new Kernel()`, it must stay within 10 % of it.

import Kernel from 'kernel-native';

const baseURL = process.argv[2];
const client = new Kernel({ apiKey: 'bench-key', baseURL });
const params = { status: 'succeeded', output: '{"ok":true}' };
const rss = () => process.memoryUsage().rss / 2 ** 20;

/** GC, then let napi finalizers (which run after the collection) free native memory. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function updates(count) {
  for (let i = 0; i < count; i++) await client.invocations.update('rr33xuugxj9h0bkf1rdt2bet', params);
}

await updates(10_000);
await settle();
const baseline = rss();
await updates(90_000);
await settle();
const afterUpdates = rss();
for (let i = 0; i < 10_000; i++) new Kernel({ apiKey: 'bench-key', baseURL });
await settle();
const afterClients = rss();
console.log(JSON.stringify({ baseline, afterUpdates, afterClients }));
