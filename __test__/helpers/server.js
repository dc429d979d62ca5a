'use strict';
// Real servers on 127.0.0.1 (port 0) for the tests: an HTTP one that records every request,
// and a raw TCP one for misbehaviour (truncated bodies, stalls, dropped connections).

const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const assert = require('node:assert/strict');
const util = require('node:util');

const API_KEY = 'sk-test-0123456789abcdef';
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** A complete invocation as the API returns it; `overrides` replace or add fields. */
function invocation(overrides = {}) {
  return {
    id: 'inv_123',
    app_name: 'my-app',
    action_name: 'analyze',
    payload: '{"q":1}',
    output: '{"ok":true}',
    started_at: '2026-11-28T10:00:00.123456789Z',
    finished_at: '2026-11-28T10:00:01.000000001Z',
    status: 'succeeded',
    status_reason: 'done',
    version: '1.0.0',
    ...overrides,
  };
}

/** Sends `body` as JSON with `status` and extra `headers`. */
function sendJson(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/**
 * The default handler: answers 200 with an invocation whose id is the decoded last path
 * segment, so callers can check which id the server saw.
 */
function echoInvocation(req, res) {
  const segment = req.url.split('?')[0].split('/').pop();
  sendJson(res, 200, invocation({ id: decodeURIComponent(segment) }));
}

/**
 * Starts an HTTP server. `handler(req, res, record)` runs after the whole request body has
 * arrived; `record` is what was stored in `requests` ({ method, url, headers, body }).
 * Returns { url, port, requests, server, close }.
 */
async function startServer(handler = echoInvocation) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const record = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(record);
      Promise.resolve()
        .then(() => handler(req, res, record))
        .catch((err) => {
          if (!res.headersSent) sendJson(res, 599, { message: `test handler failed: ${err.message}` });
          else res.destroy();
        });
    });
  });
  server.keepAliveTimeout = 1000;
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Starts a raw TCP server. `onRequest(socket, index, head)` is called once per connection, as
 * soon as a full request head (up to the blank line) has arrived; `index` counts connections
 * from 0. Every connection is recorded in `connections` as { head, closed, closedPromise }:
 * `closedPromise` resolves when the client's connection is gone.
 * Returns { url, port, connections, close }.
 */
async function startRawServer(onRequest) {
  const connections = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    const { record, index } = track(socket, sockets, connections, { head: '' });
    let buffered = '';
    let answered = false;
    socket.on('data', (chunk) => {
      if (answered) return;
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      answered = true;
      record.head = buffered.slice(0, end);
      onRequest(socket, index, record.head);
    });
  });
  return listenRaw(server, sockets, connections);
}

/**
 * Starts a raw TCP server that hands each connection to `onConnection(socket, index, record)`
 * as soon as it is accepted, before anything is read (the socket is paused until the handler
 * reads from it). Every connection is recorded in `connections` as { closed, closedPromise }.
 * Returns { url, port, connections, close }.
 */
async function startSocketServer(onConnection) {
  const connections = [];
  const sockets = new Set();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    const { record, index } = track(socket, sockets, connections, {});
    onConnection(socket, index, record);
  });
  return listenRaw(server, sockets, connections);
}

/**
 * Starts a forward HTTP proxy on 127.0.0.1 that never forwards anything. A request in absolute
 * form (`PATCH http://host:port/path`) is recorded in `requests` as { method, url, headers, body }
 * and answered by `handler(req, res, record)` (default: 200 with an invocation whose id is
 * 'via-proxy'), so the target never needs to exist. A `CONNECT host:port` (an https:// target)
 * is recorded in `connects` as { url, headers } and refused with `connectStatus` (default 403).
 * Returns { url, port, requests, connects, close }.
 */
async function startProxy(handler, { connectStatus = 403 } = {}) {
  const answer =
    handler ?? ((req, res) => sendJson(res, 200, invocation({ id: 'via-proxy' }), { 'x-answered-by': 'test-proxy' }));
  const recorder = await startServer(answer);
  const connects = [];
  recorder.server.on('connect', (req, socket) => {
    connects.push({ url: req.url, headers: req.headers });
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 ${connectStatus} Refused by the test proxy\r\nContent-Length: 0\r\n\r\n`);
  });
  return { ...recorder, connects };
}

/** Rejects with a clear message if `promise` has not settled within `ms` (a budget, not a speed check). */
function within(ms, promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Records a raw connection as { ...fields, closed, closedPromise } until it closes. */
function track(socket, sockets, connections, fields) {
  sockets.add(socket);
  const record = { ...fields, closed: false, closedPromise: null };
  record.closedPromise = new Promise((resolve) => {
    socket.on('close', () => {
      record.closed = true;
      sockets.delete(socket);
      resolve();
    });
  });
  socket.on('error', () => {});
  const index = connections.push(record) - 1;
  return { record, index };
}

/** Starts `server` listening on 127.0.0.1 with a free port, and resolves to that port. */
async function listenOnLoopback(server) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server.address().port;
}

/** Listens on 127.0.0.1 (port 0); `close` destroys the open sockets, then the server. */
async function listenRaw(server, sockets, connections) {
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that was open a moment ago and is closed now: connecting to it is refused. */
async function closedPort() {
  const server = net.createServer();
  const port = await listenOnLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with what `promise` rejects with; fails the test if it resolves. */
async function rejection(promise) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  return assert.fail(`expected a rejection, got ${util.inspect(value)}`);
}

/** The error `fn()` throws synchronously; fails the test if it does not throw. */
function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail('expected a throw');
}

module.exports = {
  API_KEY,
  PACKAGE_ROOT,
  invocation,
  sendJson,
  echoInvocation,
  startServer,
  startRawServer,
  startSocketServer,
  startProxy,
  within,
  closedPort,
  listenOnLoopback,
  rejection,
  thrown,
};
