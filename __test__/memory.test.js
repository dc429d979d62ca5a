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
const { API_KEY, sendJson, startServer } = require('./helpers/server');

const CALLS = 2000;
// A response's own data (status, six headers, a 300-byte body, the napi wrapper) measured about
// 1.9 KiB here with glibc's allocator, 3.3-3.7 KiB with mimalloc (whose committed pages are
// counted, partly filled ones included); one whose headers pin the read buffer, 9.1 and 11 KiB.
const MAX_BYTES_PER_RESPONSE = 6144;
// About 300 bytes of body, as an invocation is.
const BROWSERS = {
  browsers: [
    {
      session_id: 'sess_0123456789',
      cdp_ws_url: 'wss://browsers.example/sess_0123456789/devtools/browser/0123456789abcdef',
      webdriver_ws_url: 'wss://browsers.example/sess_0123456789/webdriver/session',
      created_at: '2026-11-28T10:00:00.123456789Z',
      headless: true,
      stealth: false,
      timeout_seconds: 60,
    },
  ],
};

test('a kept response holds its own bytes, not the connection read buffer', { timeout: 60_000 }, async (t) => {
  const glibc = process.platform === 'linux' && Boolean(process.report.getReport().header.glibcVersionRuntime);
  if (!glibc) {
    t.skip('needs glibc (mallinfo2)');
    return;
  }
  assert.notEqual(native.__mallocInUse(), null, 'mallinfo2 must be found on glibc');
  // listBrowsers: its result keeps a NativeResponse (status, headers, body). Invocation
  // answers keep none (their text and head are JS strings), so they cannot show a pinned buffer.
  const server = await startServer((req, res) => sendJson(res, 200, BROWSERS, { 'x-request-id': 'req_0123456789abcdefghij' }));
  t.after(() => server.close());
  const client = new Kernel({ apiKey: API_KEY, baseURL: server.url });
  // Warm-up: the connection, the runtime and the allocator's arenas exist before measuring.
  for (let i = 0; i < 200; i++) await client.invocations.listBrowsers('inv_123');

  const kept = [];
  const before = native.__mallocInUse();
  for (let i = 0; i < CALLS; i++) {
    // The settled call keeps its native response (status, headers, body) for withResponse().
    const call = client.invocations.listBrowsers('inv_123');
    await call;
    kept.push(call);
  }
  const perResponse = (native.__mallocInUse() - before) / CALLS;

  assert.equal(kept.length, CALLS);
  const last = await kept[CALLS - 1].withResponse();
  assert.equal(last.data.browsers[0].session_id, 'sess_0123456789');
  assert.equal(last.request_id, 'req_0123456789abcdefghij');
  assert.deepEqual(await last.response.json(), BROWSERS);
  t.diagnostic(`native bytes held per kept response: ${Math.round(perResponse)}`);
  assert.ok(
    perResponse < MAX_BYTES_PER_RESPONSE,
    `each kept response holds ${Math.round(perResponse)} bytes of native memory (at most ${MAX_BYTES_PER_RESPONSE} expected)`,
  );
});
