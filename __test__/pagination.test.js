'use strict';
// client.invocations.list pagination: pages from the emulator, `for await` over every item
// (lazily), and the X-Has-More / X-Next-Offset rules against bespoke servers.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { KernelError, APIError, InternalServerError } = Kernel;
const { emulator, clientFor } = require('./helpers/emulator');
const { API_KEY, invocation, sendJson, startServer, rejection } = require('./helpers/server');

/** Creates `count` invocations of app `app_name` in order; resolves with their ids, oldest first. */
async function createMany(client, app_name, count) {
  const ids = [];
  for (let i = 0; i < count; i++) {
    const created = await client.invocations.create({ app_name, action_name: `act${i % 3}`, version: '1' });
    ids.push(created.id);
  }
  return ids;
}

function assertPageError(err, what) {
  assert.ok(err instanceof KernelError, `${what}: ${err}`);
  assert.ok(!(err instanceof APIError), `${what}: should not be an APIError: ${err}`);
}

test('pages of 20 over 45 items: 20, 20, 5, then no next page', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const ids = await createMany(client, 'p', 45);
  await createMany(client, 'other', 4);
  const newestFirst = [...ids].reverse();

  const first = await client.invocations.list({ app_name: 'p', limit: 20 });
  assert.equal(first.items.length, 20);
  assert.equal(first.has_more, true);
  assert.equal(first.next_offset, 20);
  assert.equal(first.hasNextPage(), true);
  assert.equal(first.getPaginatedItems(), first.items);
  assert.deepEqual(
    first.items.map((inv) => inv.id),
    newestFirst.slice(0, 20),
  );

  const second = await first.getNextPage();
  assert.equal(second.items.length, 20);
  assert.equal(second.has_more, true);
  assert.equal(second.next_offset, 40);
  assert.equal(second.hasNextPage(), true);
  assert.deepEqual(
    second.items.map((inv) => inv.id),
    newestFirst.slice(20, 40),
  );

  const third = await second.getNextPage();
  assert.equal(third.items.length, 5);
  assert.equal(third.has_more, false);
  assert.equal(third.next_offset, 0);
  assert.equal(third.hasNextPage(), false);
  assert.deepEqual(
    third.items.map((inv) => inv.id),
    newestFirst.slice(40),
  );
  for (const inv of [...first.items, ...second.items, ...third.items]) assert.equal(inv.app_name, 'p');

  const err = await rejection(third.getNextPage());
  assertPageError(err, 'getNextPage() on the last page');
  assert.match(err.message, /hasNextPage/);

  // iterPages walks the same three pages again.
  const sizes = [];
  for await (const page of first.iterPages()) sizes.push(page.items.length);
  assert.deepEqual(sizes, [20, 20, 5]);
});

test('for await over list() yields every item exactly once, newest first', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const ids = await createMany(client, 'p', 45);
  await createMany(client, 'q', 3);

  const seen = [];
  for await (const inv of client.invocations.list({ app_name: 'p', limit: 20 })) {
    assert.equal(inv.app_name, 'p');
    seen.push(inv.id);
  }
  assert.equal(seen.length, 45);
  assert.equal(new Set(seen).size, 45, 'an item came twice');
  assert.deepEqual(seen, [...ids].reverse());

  // Iterating an awaited page walks the later pages too.
  const page = await client.invocations.list({ app_name: 'p', limit: 20 });
  const again = [];
  for await (const inv of page) again.push(inv.id);
  assert.deepEqual(again, seen);

  // Default limit, and a limit that divides the count exactly (last page full, then stop).
  const all = [];
  for await (const inv of client.invocations.list()) all.push(inv.id);
  assert.equal(all.length, 48);
  const exact = [];
  for await (const inv of client.invocations.list({ app_name: 'p', limit: 15 })) exact.push(inv.id);
  assert.deepEqual(exact, seen);
  const empty = [];
  for await (const inv of client.invocations.list({ app_name: 'nobody' })) empty.push(inv);
  assert.deepEqual(empty, []);
});

test('the status filter holds on every page', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const ids = await createMany(client, 'p', 45);
  const succeeded = new Set();
  for (let i = 0; i < ids.length; i += 2) {
    await client.invocations.update(ids[i], { status: 'succeeded' });
    succeeded.add(ids[i]);
  }
  await client.invocations.update(ids[1], { status: 'failed' });

  const seen = [];
  for await (const inv of client.invocations.list({ app_name: 'p', status: 'succeeded', limit: 10 })) {
    assert.equal(inv.status, 'succeeded');
    seen.push(inv.id);
  }
  assert.equal(seen.length, 23);
  assert.deepEqual(new Set(seen), succeeded);
  const running = [];
  for await (const inv of client.invocations.list({ status: 'running', limit: 7 })) running.push(inv.status);
  assert.equal(running.length, 21);
  assert.ok(running.every((status) => status === 'running'));
  const failed = await client.invocations.list({ status: 'failed' });
  assert.deepEqual(
    failed.items.map((inv) => inv.id),
    [ids[1]],
  );
  assert.equal(failed.hasNextPage(), false);
});

/**
 * A bespoke server that serves `total` invocations in pages, with X-Has-More and X-Next-Offset
 * as the API sends them; `headersFor(offset, limit, pageIndex)` may replace those headers.
 */
async function pageServer(total, headersFor) {
  const all = Array.from({ length: total }, (_, i) => invocation({ id: `inv_${String(total - i).padStart(3, '0')}` }));
  let pageIndex = 0;
  return startServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 20);
    const items = all.slice(offset, offset + limit);
    const hasMore = offset + items.length < total;
    const standard = { 'x-has-more': String(hasMore), 'x-next-offset': String(hasMore ? offset + items.length : 0) };
    const headers = headersFor ? headersFor(offset, limit, pageIndex, standard) : standard;
    pageIndex++;
    sendJson(res, 200, items, headers);
  });
}

function client(server, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0, ...options });
}

test('for await fetches lazily: breaking after 3 items makes one request', async () => {
  const server = await pageServer(45);
  try {
    const kernel = client(server);
    const taken = [];
    for await (const inv of kernel.invocations.list({ app_name: 'p', limit: 20 })) {
      taken.push(inv.id);
      if (taken.length === 3) break;
    }
    assert.deepEqual(taken, ['inv_045', 'inv_044', 'inv_043']);
    // Give a prefetch that should not happen a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(server.requests.length, 1, server.requests.map((r) => r.url).join('\n'));

    // Item 21 needs the second page, and nothing more.
    let count = 0;
    for await (const _ of kernel.invocations.list({ app_name: 'p', limit: 20 })) {
      if (++count === 21) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(server.requests.length, 3);

    // A full walk: three requests, each with the filters, the limit and the next offset.
    server.requests.length = 0;
    const all = [];
    for await (const inv of kernel.invocations.list({ app_name: 'p', limit: 20 }, { headers: { 'x-trace': 't1' } })) {
      all.push(inv.id);
    }
    assert.equal(all.length, 45);
    assert.equal(new Set(all).size, 45);
    const urls = server.requests.map((r) => new URL(r.url, 'http://x'));
    assert.deepEqual(
      urls.map((u) => [u.pathname, u.searchParams.get('app_name'), u.searchParams.get('limit'), u.searchParams.get('offset')]),
      [
        ['/invocations', 'p', '20', null],
        ['/invocations', 'p', '20', '20'],
        ['/invocations', 'p', '20', '40'],
      ],
    );
    assert.ok(
      server.requests.every((r) => r.headers['x-trace'] === 't1'),
      'the call options must apply to every page',
    );
  } finally {
    await server.close();
  }
});

test('X-Has-More: true without X-Next-Offset is a KernelError, never a silent truncation', async () => {
  const server = await pageServer(45, (offset, limit, index, standard) => ({ 'x-has-more': standard['x-has-more'] }));
  try {
    const kernel = client(server);
    const err = await rejection(kernel.invocations.list({ limit: 20 }));
    assertPageError(err, 'await list()');
    assert.match(err.message, /X-Next-Offset/);

    const seen = [];
    const iterErr = await rejection(
      (async () => {
        for await (const inv of kernel.invocations.list({ limit: 20 })) seen.push(inv);
      })(),
    );
    assertPageError(iterErr, 'for await');
    assert.deepEqual(seen, []);
  } finally {
    await server.close();
  }
});

test('the missing header on a later page fails the iteration there, after the earlier items', async () => {
  const server = await pageServer(45, (offset, limit, index, standard) =>
    index === 1 ? { 'x-has-more': 'true' } : standard,
  );
  try {
    const seen = [];
    const err = await rejection(
      (async () => {
        for await (const inv of client(server).invocations.list({ limit: 20 })) seen.push(inv.id);
      })(),
    );
    assertPageError(err, 'page 2');
    assert.equal(seen.length, 20);
  } finally {
    await server.close();
  }
});

test('X-Next-Offset 0 stops, even with X-Has-More: true', async () => {
  const server = await pageServer(45, () => ({ 'x-has-more': 'true', 'x-next-offset': '0' }));
  try {
    const kernel = client(server);
    const page = await kernel.invocations.list({ limit: 20 });
    assert.equal(page.next_offset, 0);
    assert.equal(page.hasNextPage(), false);
    assertPageError(await rejection(page.getNextPage()), 'getNextPage');
    const seen = [];
    for await (const inv of kernel.invocations.list({ limit: 20 })) seen.push(inv);
    assert.equal(seen.length, 20);
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test('X-Has-More: false stops, even with a positive X-Next-Offset', async () => {
  const server = await pageServer(45, () => ({ 'x-has-more': 'false', 'x-next-offset': '20' }));
  try {
    const kernel = client(server);
    const page = await kernel.invocations.list({ limit: 20 });
    assert.equal(page.has_more, false);
    assert.equal(page.next_offset, 20);
    assert.equal(page.hasNextPage(), false);
    const seen = [];
    for await (const inv of kernel.invocations.list({ limit: 20 })) seen.push(inv);
    assert.equal(seen.length, 20);
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test('no pagination headers at all: one page; an empty page stops', async () => {
  const server = await pageServer(45, (offset, limit, index, standard) => (index === 0 ? {} : standard));
  try {
    const kernel = client(server);
    const page = await kernel.invocations.list({ limit: 20 });
    assert.equal(page.has_more, null);
    assert.equal(page.next_offset, null);
    assert.equal(page.hasNextPage(), false);
  } finally {
    await server.close();
  }
  // A server that claims more but sends an empty page must not be asked forever.
  const empty = await startServer((req, res) => sendJson(res, 200, [], { 'x-has-more': 'true', 'x-next-offset': '20' }));
  try {
    const seen = [];
    for await (const inv of client(empty).invocations.list()) seen.push(inv);
    assert.deepEqual(seen, []);
    assert.equal(empty.requests.length, 1);
  } finally {
    await empty.close();
  }
});

test('invalid X-Next-Offset or X-Has-More values are a KernelError', async () => {
  for (const headers of [
    { 'x-has-more': 'true', 'x-next-offset': 'abc' },
    { 'x-has-more': 'true', 'x-next-offset': '-20' },
    { 'x-has-more': 'true', 'x-next-offset': '2.5' },
    { 'x-has-more': 'true', 'x-next-offset': '' },
    { 'x-has-more': 'yes', 'x-next-offset': '20' },
    { 'x-has-more': '1', 'x-next-offset': '20' },
  ]) {
    const server = await pageServer(45, () => headers);
    try {
      const err = await rejection(client(server).invocations.list({ limit: 20 }));
      assertPageError(err, JSON.stringify(headers));
      assert.match(err.message, /X-Next-Offset|X-Has-More/, JSON.stringify(headers));
    } finally {
      await server.close();
    }
  }
});

test('a failing later page rejects the iteration with its error class', async () => {
  const server = await startServer((req, res) => {
    const offset = new URL(req.url, 'http://x').searchParams.get('offset');
    if (offset === '2') return sendJson(res, 500, { code: 'boom', message: 'page two broke' });
    return sendJson(res, 200, [invocation({ id: 'a' }), invocation({ id: 'b' })], {
      'x-has-more': 'true',
      'x-next-offset': '2',
    });
  });
  try {
    const seen = [];
    const err = await rejection(
      (async () => {
        for await (const inv of client(server).invocations.list({ limit: 2 })) seen.push(inv.id);
      })(),
    );
    assert.ok(err instanceof InternalServerError, String(err));
    assert.equal(err.status, 500);
    assert.deepEqual(seen, ['a', 'b']);
  } finally {
    await server.close();
  }
});
