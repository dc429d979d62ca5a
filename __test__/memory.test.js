'use strict';
// What a finished call keeps alive. A response handed to JS lives until a garbage collection,
// and the small JS objects involved rarely trigger one: if each response held a slice of
// hyper's read buffer (8 KiB or more) through its headers or body, a few thousand calls would
// pin tens of MiB and raise the process's RSS for good. Here the responses are kept on
// purpose, so no collection can hide what each one holds; the allocators' bytes in use
// (`__mallocInUse`: glibc's mallinfo2 and mimalloc's committed pages) measure it. Memory, not
// time: the figure does not depend on the machine's load.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const native = require('../lib/native.js');
const { API_KEY, invocation, sendJson, startServer } = require('./helpers/server');

const CALLS = 2000;
// A response's own data (status, six headers, a 300-byte body, the napi wrapper) measured about
// 1.9 KiB here with glibc's allocator, 3.3-3.7 KiB with mimalloc (whose committed pages are
// counted, partly filled ones included); one whose headers pin the read buffer, 9.1 and 11 KiB.
const MAX_BYTES_PER_RESPONSE = 6144;

test('a kept response holds its own bytes, not the connection read buffer', { timeout: 60_000 }, async (t) => {
  const glibc = process.platform === 'linux' && Boolean(process.report.getReport().header.glibcVersionRuntime);
  if (!glibc) {
    t.skip('needs glibc (mallinfo2)');
    return;
  }
  assert.notEqual(native.__mallocInUse(), null, 'mallinfo2 must be found on glibc');
  const server = await startServer((req, res) =>
    sendJson(res, 200, invocation(), { 'x-request-id': 'req_0123456789abcdefghij' }),
  );
  t.after(() => server.close());
  const client = new Kernel({ apiKey: API_KEY, baseURL: server.url });
  // Warm-up: the connection, the runtime and the allocator's arenas exist before measuring.
  for (let i = 0; i < 200; i++) await client.invocations.update('inv_123', { status: 'succeeded' });

  const kept = [];
  const before = native.__mallocInUse();
  for (let i = 0; i < CALLS; i++) {
    // The settled call keeps its native response (status, headers, body) for withResponse().
    const call = client.invocations.update('inv_123', { status: 'succeeded' });
    await call;
    kept.push(call);
  }
  const perResponse = (native.__mallocInUse() - before) / CALLS;

  assert.equal(kept.length, CALLS);
  const last = await kept[CALLS - 1].withResponse();
  assert.equal(last.data.id, 'inv_123');
  assert.equal(last.request_id, 'req_0123456789abcdefghij');
  assert.equal((await last.response.json()).output, '{"ok":true}');
  t.diagnostic(`native bytes held per kept response: ${Math.round(perResponse)}`);
  assert.ok(
    perResponse < MAX_BYTES_PER_RESPONSE,
    `each kept response holds ${Math.round(perResponse)} bytes of native memory (at most ${MAX_BYTES_PER_RESPONSE} expected)`,
  );
});
