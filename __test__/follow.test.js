'use strict';
// client.invocations.follow: the event stream, against the emulator (state changes, heartbeats)
// and bespoke SSE servers (closing, aborting, malformed and unknown events, timeouts,
// backpressure).

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { startEmulator } = require('kernel-native/emulator');
const {
  KernelError,
  APIError,
  APIUserAbortError,
  APIConnectionError,
  APIConnectionTimeoutError,
  NotFoundError,
  BadRequestError,
} = Kernel;
const { EMU_KEY, emulator, clientFor, createInvocation } = require('./helpers/emulator');
const { API_KEY, invocation, startServer, within, rejection } = require('./helpers/server');

const sse = (data) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const stateEvent = (status) => ({
  event: 'invocation_state',
  timestamp: '2026-11-28T10:00:00Z',
  invocation: invocation({ status, finished_at: null }),
});
const heartbeat = () => ({ event: 'sse_heartbeat', timestamp: '2026-11-28T10:00:00Z' });

/**
 * An HTTP server answering every request with a 200 event stream, then `script(res, stream)`.
 * Each stream is recorded in `server.streams` as { url, res, clientClosed, closed }, where
 * `closed` resolves when the connection is gone and `clientClosed` says it went before the
 * server ended the response.
 */
async function sseServer(script) {
  const streams = [];
  const server = await startServer((req, res) => {
    const stream = { url: req.url, res, clientClosed: false };
    stream.closed = new Promise((resolve) => {
      res.on('close', () => {
        stream.clientClosed = !res.writableFinished;
        resolve();
      });
    });
    streams.push(stream);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    return script(res, stream);
  });
  server.streams = streams;
  return server;
}

/** Writes a heartbeat every `ms` until the connection closes. */
function heartbeatsEvery(ms) {
  return (res) => {
    res.write(sse(stateEvent('running')));
    const timer = setInterval(() => res.write(sse(heartbeat())), ms);
    res.on('close', () => clearInterval(timer));
  };
}

function kernelFor(server, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0, ...options });
}

/** Iterates `stream` to its end; resolves with the events, or rejects with what the loop threw. */
async function collect(stream) {
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

/**
 * Iterates `stream` until it fails, within `ms`; resolves with `{ err, seen }`: the error and
 * the types of the events delivered before it. Fails the test if the stream ends without one.
 */
async function iterateToError(stream, ms, what) {
  const seen = [];
  const loop = (async () => {
    for await (const event of stream) seen.push(event.event);
  })();
  const err = await within(ms, rejection(loop), what);
  return { err, seen };
}

test('emulator: the current state, a concurrent update, then the stream ends by itself', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const stream = await client.invocations.follow(id);
  const events = [];
  let update;
  await within(
    4000,
    (async () => {
      for await (const event of stream) {
        events.push(event);
        if (events.length === 1) update = client.invocations.update(id, { status: 'succeeded', output: '"ok"' });
      }
    })(),
    'the stream after the update',
  );
  const updated = await update;
  const states = events.filter((event) => event.event === 'invocation_state');
  assert.equal(events[0].event, 'invocation_state');
  assert.equal(events[0].invocation.id, id);
  assert.equal(events[0].invocation.status, 'running');
  assert.equal(events[0].invocation.finished_at, null);
  assert.equal(typeof events[0].timestamp, 'string');
  assert.equal(states.length, 2, JSON.stringify(events));
  assert.equal(states[1].invocation.status, 'succeeded');
  assert.equal(states[1].invocation.output, '"ok"');
  assert.equal(states[1].invocation.finished_at, updated.finished_at);
  assert.equal(events.at(-1), states[1], 'the terminal state is the last event');
});

test('emulator: a queued invocation that fails; an already finished one ends at once', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const queued = await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1', async: true });
  const stream = await client.invocations.follow(queued.id);
  const statuses = [];
  await within(
    4000,
    (async () => {
      for await (const event of stream) {
        if (event.event !== 'invocation_state') continue;
        statuses.push(event.invocation.status);
        if (statuses.length === 1) await client.invocations.update(queued.id, { status: 'failed' });
      }
    })(),
    'the stream of a failed invocation',
  );
  assert.deepEqual(statuses, ['queued', 'failed']);

  const done = await within(2000, collect(await client.invocations.follow(queued.id)), 'a finished invocation');
  assert.deepEqual(
    done.map((event) => [event.event, event.invocation?.status]),
    [['invocation_state', 'failed']],
  );
});

test('emulator: sse_heartbeat events arrive between states', async (t) => {
  const emu = await startEmulator({ apiKey: EMU_KEY, heartbeatMs: 50 });
  t.after(() => emu.close());
  const client = clientFor(emu, { timeout: 2000 });
  const { id } = await createInvocation(emu);
  const stream = await client.invocations.follow(id);
  const events = [];
  await within(
    4000,
    (async () => {
      for await (const event of stream) {
        events.push(event);
        if (events.filter((e) => e.event === 'sse_heartbeat').length === 2 && events.length === 3) {
          await client.invocations.update(id, { status: 'succeeded' });
        }
      }
    })(),
    'heartbeats',
  );
  const beats = events.filter((event) => event.event === 'sse_heartbeat');
  assert.ok(beats.length >= 2, JSON.stringify(events));
  for (const beat of beats) {
    assert.equal(typeof beat.timestamp, 'string');
    assert.deepEqual(Object.keys(beat).sort(), ['event', 'timestamp']);
  }
  assert.equal(events[0].event, 'invocation_state');
  assert.equal(events.at(-1).event, 'invocation_state');
  assert.equal(events.at(-1).invocation.status, 'succeeded');
});

test('emulator: follow is retried until the stream opens; 404 and a bad since reject the follow() promise', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  emu.fault({ method: 'GET', path: '/invocations/', status: 503, headers: { 'retry-after-ms': '1' } });
  const stream = await client.invocations.follow(id);
  for await (const event of stream) {
    assert.equal(event.invocation.status, 'running');
    break;
  }
  const notFound = await rejection(client.invocations.follow('no-such-invocation'));
  assert.ok(notFound instanceof NotFoundError, String(notFound));
  assert.equal(notFound.status, 404);
  assert.match(notFound.headers.get('x-request-id'), /^req_/);
  const badSince = await rejection(client.invocations.follow(id, { since: 'not a time' }));
  assert.ok(badSince instanceof BadRequestError, String(badSince));
});

test('an early break closes the connection', async () => {
  const server = await sseServer(heartbeatsEvery(20));
  try {
    const stream = await kernelFor(server).invocations.follow('inv_1');
    let count = 0;
    for await (const event of stream) {
      assert.ok(['invocation_state', 'sse_heartbeat'].includes(event.event));
      if (++count === 3) break;
    }
    await within(2000, server.streams[0].closed, 'the server seeing the close');
    assert.equal(server.streams[0].clientClosed, true);
    assert.equal(server.streams[0].url, '/invocations/inv_1/events');
  } finally {
    await server.close();
  }
});

test('stream.controller.abort() ends the iteration and closes the connection', async () => {
  const server = await sseServer(heartbeatsEvery(20));
  try {
    const stream = await kernelFor(server).invocations.follow('inv_1');
    assert.ok(stream.controller instanceof AbortController);
    const seen = [];
    const outcome = await within(
      3000,
      (async () => {
        try {
          for await (const event of stream) {
            seen.push(event);
            if (seen.length === 2) setTimeout(() => stream.controller.abort(), 5);
          }
          return 'ended';
        } catch (err) {
          return err;
        }
      })(),
      'the loop after controller.abort()',
    );
    // The stream's own controller ends the loop quietly, as in @onkernel/sdk.
    assert.equal(outcome, 'ended', `the loop ended with ${outcome}`);
    assert.ok(seen.length >= 2);
    await within(2000, server.streams[0].closed, 'the server seeing the close');
    assert.equal(server.streams[0].clientClosed, true);

    // Aborting before iterating: the loop yields nothing and ends.
    const early = await kernelFor(server).invocations.follow('inv_2');
    early.controller.abort();
    const result = await within(
      2000,
      collect(early).then(
        (events) => ({ events }),
        (err) => err,
      ),
      'an aborted stream',
    );
    assert.ok(
      Array.isArray(result.events) && result.events.length === 0,
      `an aborted stream gave ${result instanceof Error ? result : JSON.stringify(result)}`,
    );
    await within(2000, server.streams[1].closed, 'the server seeing the close');
  } finally {
    await server.close();
  }
});

test('the signal from the options aborts mid-stream: APIUserAbortError, and the server sees the close', async () => {
  const server = await sseServer(heartbeatsEvery(20));
  try {
    const controller = new AbortController();
    let otherListenerCalled = false;
    controller.signal.addEventListener('abort', () => (otherListenerCalled = true));
    const stream = await kernelFor(server).invocations.follow('inv_1', {}, { signal: controller.signal });
    let count = 0;
    const err = await within(
      3000,
      rejection(
        (async () => {
          for await (const _ of stream) {
            if (++count === 2) setTimeout(() => controller.abort(), 5);
          }
        })(),
      ),
      'the loop after the signal aborted',
    );
    assert.ok(err instanceof APIUserAbortError, String(err));
    assert.ok(otherListenerCalled);
    await within(2000, server.streams[0].closed, 'the server seeing the close');
    assert.equal(server.streams[0].clientClosed, true);

    // A signal aborted between opening and iterating ends the iteration the same way.
    const late = new AbortController();
    const stream2 = await kernelFor(server).invocations.follow('inv_2', null, { signal: late.signal });
    late.abort();
    const err2 = await within(2000, rejection(collect(stream2)), 'a stream whose signal aborted before iterating');
    assert.ok(err2 instanceof APIUserAbortError, String(err2));
    await within(2000, server.streams[1].closed, 'the server seeing the close');
  } finally {
    await server.close();
  }
});

test('malformed events reject with a KernelError that says what was wrong', async () => {
  const cases = {
    'not-json': [sse('not json at all'), /not JSON/],
    'no-type': [sse({ message: 'hello', timestamp: 't' }), /"event"/],
    'type-not-string': [sse({ event: 5, timestamp: 't' }), /"event"/],
    array: [sse([1, 2]), /"event"|object/],
  };
  // Events of a known type with fields missing or new are not malformed: they come through as
  // sent (robustness.test.js checks that).
  const server = await sseServer((res, stream) => {
    const name = stream.url.split('/')[2];
    res.write(sse(stateEvent('running')));
    res.write(cases[name][0]);
    res.write(sse(heartbeat()));
    res.end();
  });
  try {
    for (const [name, [, pattern]] of Object.entries(cases)) {
      const stream = await kernelFor(server).invocations.follow(name);
      const { err, seen } = await iterateToError(stream, 2000, name);
      assert.ok(err instanceof KernelError && !(err instanceof APIError), `${name}: ${err}`);
      assert.equal(err.name, 'KernelError');
      assert.match(err.message, pattern, `${name}: ${err.message}`);
      assert.deepEqual(seen, ['invocation_state'], `${name}: the events before the bad one are delivered`);
    }
  } finally {
    await server.close();
  }
});

test('unknown event types are skipped; log and error events come out typed', async () => {
  const log = { event: 'log', message: 'step 1 done', timestamp: '2026-11-28T10:00:00Z', level: 'info' };
  const error = {
    event: 'error',
    timestamp: '2026-11-28T10:00:01Z',
    error: { code: 'action_failed', message: 'it broke', details: [{ code: 'inner', message: 'why' }], inner_error: { code: 'deep' } },
  };
  const server = await sseServer((res) => {
    res.write(sse({ event: 'metrics', cpu: 0.5 }));
    res.write(sse(log));
    res.write(sse({ event: 'future_thing', payload: { nested: true } }));
    res.write(`event: custom\n${sse(error)}`);
    res.write(': a comment line\n\n');
    res.write(sse(stateEvent('succeeded')));
    res.end();
  });
  try {
    const events = await within(2000, collect(await kernelFor(server).invocations.follow('inv_1')), 'the stream');
    assert.deepEqual(
      events.map((event) => event.event),
      ['log', 'error', 'invocation_state'],
    );
    const [logEvent, errorEvent, state] = events;
    assert.equal(logEvent.message, 'step 1 done');
    assert.equal(logEvent.timestamp, '2026-11-28T10:00:00Z');
    assert.equal(logEvent.level, 'info', 'fields this version does not know are kept');
    assert.equal(errorEvent.error.code, 'action_failed');
    assert.equal(errorEvent.error.message, 'it broke');
    assert.deepEqual(errorEvent.error.details, [{ code: 'inner', message: 'why' }]);
    assert.deepEqual(errorEvent.error.inner_error, { code: 'deep' });
    assert.equal(state.invocation.status, 'succeeded');
  } finally {
    await server.close();
  }
});

test('SSE framing: events split across chunks, CRLF line ends, multi-line data', async () => {
  const server = await sseServer(async (res) => {
    const text =
      `data: ${JSON.stringify(stateEvent('running'))}\r\n\r\n` +
      'data: {"event":"log",\r\ndata: "message":"two lines","timestamp":"t"}\r\n\r\n' +
      `id: 7\nretry: 1000\ndata: ${JSON.stringify({ event: 'log', message: 'ünïcödé 🚀', timestamp: 't' })}\n\n`;
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 7) {
      res.write(bytes.subarray(i, i + 7));
      if (i % 70 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  });
  try {
    const events = await within(2000, collect(await kernelFor(server).invocations.follow('inv_1')), 'the stream');
    assert.deepEqual(
      events.map((event) => event.event),
      ['invocation_state', 'log', 'log'],
    );
    assert.equal(events[1].message, 'two lines');
    assert.equal(events[2].message, 'ünïcödé 🚀');
  } finally {
    await server.close();
  }
});

test('a connection cut mid-stream is an APIConnectionError after the events before it', async () => {
  const server = await sseServer((res) => {
    res.write(sse(stateEvent('running')));
    setTimeout(() => res.destroy(), 20);
  });
  try {
    const stream = await kernelFor(server).invocations.follow('inv_1');
    const { err, seen } = await iterateToError(stream, 2000, 'a cut stream');
    assert.ok(err instanceof APIConnectionError, String(err));
    assert.deepEqual(seen, ['invocation_state']);
  } finally {
    await server.close();
  }
});

test('timeout bounds the silence between events, not the stream: a healthy long stream is not cut', async () => {
  // An event every 100 ms for 1.2 s, with a 300 ms timeout.
  const server = await sseServer((res) => {
    let sent = 0;
    const timer = setInterval(() => {
      res.write(sse(sent === 0 ? stateEvent('running') : heartbeat()));
      if (++sent === 12) {
        clearInterval(timer);
        res.end();
      }
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  try {
    const stream = await kernelFor(server, { timeout: 300 }).invocations.follow('inv_1');
    const events = await within(4000, collect(stream), 'the long stream');
    assert.equal(events.length, 12);
  } finally {
    await server.close();
  }
});

test('a stream silent for longer than timeout ends with APIConnectionTimeoutError', async () => {
  const server = await sseServer((res) => {
    res.write(sse(stateEvent('running')));
  });
  try {
    const stream = await kernelFor(server, { maxRetries: 2 }).invocations.follow('inv_1', null, { timeout: 300 });
    const { err, seen } = await iterateToError(stream, 3000, 'an idle stream');
    assert.ok(err instanceof APIConnectionTimeoutError, String(err));
    assert.deepEqual(seen, ['invocation_state']);
    await within(2000, server.streams[0].closed, 'the server seeing the close');
    assert.equal(server.streams[0].clientClosed, true);
    assert.equal(server.requests.length, 1, 'a stream is not re-opened by retries');
  } finally {
    await server.close();
  }
});

test('backpressure: a paused consumer stops the server writing, reading again resumes it', async () => {
  const TOTAL = 128 * 1024 * 1024;
  const event = sse({ event: 'log', message: 'x'.repeat(64 * 1024), timestamp: 't' });
  const state = { written: 0, finished: false, blockedSince: null };
  const server = await sseServer(async (res, stream) => {
    let gone = false;
    res.on('close', () => (gone = true));
    while (state.written < TOTAL && !gone) {
      state.written += event.length;
      if (!res.write(event)) {
        state.blockedSince = Date.now();
        await new Promise((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        state.blockedSince = null;
      }
    }
    state.finished = !gone;
    if (!gone) res.end();
    return stream;
  });
  try {
    const stream = await kernelFor(server).invocations.follow('inv_1');
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.value.event, 'log');

    // While nothing is read, the server must end up blocked (its writes not draining), far
    // from having written everything. A client that buffers without bound lets it finish.
    await within(
      4000,
      (async () => {
        while (!state.finished && !(state.blockedSince !== null && Date.now() - state.blockedSince >= 300)) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      `waiting for the server to block (written ${state.written} bytes)`,
    );
    assert.equal(state.finished, false, 'the server wrote all 128 MiB while the consumer was paused');
    assert.equal(server.streams[0].res.writableNeedDrain, true);
    const blockedAt = state.written;
    assert.ok(blockedAt < TOTAL / 2, `the server wrote ${blockedAt} bytes before blocking`);

    // Reading resumes the flow: the writes drain and more arrive.
    for (let i = 0; i < 200; i++) {
      const next = await iterator.next();
      assert.equal(next.done, false);
      assert.equal(next.value.message.length, 64 * 1024);
    }
    assert.ok(state.written > blockedAt, 'reading did not let the server write more');

    await iterator.return();
    await within(2000, server.streams[0].closed, 'the server seeing the close');
    assert.equal(server.streams[0].clientClosed, true);
  } finally {
    await server.close();
  }
});

test('a slow consumer is not a timeout: only silence from the server is', async () => {
  const server = await sseServer((res) => {
    res.write(sse(stateEvent('running')));
    for (let i = 0; i < 4; i++) res.write(sse(heartbeat()));
    setTimeout(() => res.end(), 20);
  });
  try {
    const stream = await kernelFor(server, { timeout: 150 }).invocations.follow('inv_1');
    const events = [];
    await within(
      4000,
      (async () => {
        for await (const event of stream) {
          events.push(event.event);
          // Pausing longer than the timeout between reads.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })(),
      'a slow consumer',
    );
    assert.deepEqual(events, ['invocation_state', 'sse_heartbeat', 'sse_heartbeat', 'sse_heartbeat', 'sse_heartbeat']);
  } finally {
    await server.close();
  }
});

test('the emulator closing mid-stream is an APIConnectionError, not a quiet end', async () => {
  const emu = await startEmulator({ apiKey: EMU_KEY, heartbeatMs: 20 });
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      return emu.close();
    }
    return undefined;
  };
  try {
    const client = clientFor(emu);
    const { id } = await createInvocation(emu);
    const stream = await client.invocations.follow(id);
    let count = 0;
    const err = await within(
      3000,
      rejection(
        (async () => {
          for await (const _ of stream) if (++count === 2) close();
        })(),
      ),
      'the stream of a closed emulator',
    );
    assert.ok(err instanceof APIConnectionError, String(err));
  } finally {
    await close();
  }
});

test('opening a stream: a signal aborted before the headers, and headers that never come', async () => {
  const server = await startServer(() => {
    // Never answers.
  });
  try {
    const controller = new AbortController();
    const pending = kernelFor(server).invocations.follow('inv_1', null, { signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const aborted = await within(2000, rejection(pending), 'follow() after abort');
    assert.ok(aborted instanceof APIUserAbortError, String(aborted));

    const timedOut = await within(
      3000,
      rejection(kernelFor(server, { timeout: 150 }).invocations.follow('inv_2')),
      'follow() with no headers',
    );
    assert.ok(timedOut instanceof APIConnectionTimeoutError, String(timedOut));
  } finally {
    await server.close();
  }
});
