'use strict';
// Security: what a caller passes can never change the request beyond its own field (header
// injection, path traversal, query smuggling), TLS certificates are always verified (with
// extra CAs from `ca`, NODE_EXTRA_CA_CERTS or SSL_CERT_FILE/SSL_CERT_DIR), and proxies (`proxy`, HTTP_PROXY, NO_PROXY) are used
// as configured without ever showing their credentials. Complements secrets.test.js (the key in
// errors and prints) and validation.test.js (per-request header values, dot-segment ids on
// update), which are not repeated here.
//
// TLS fixtures: __test__/fixtures/tls (a test-only CA and a certificate for localhost and
// 127.0.0.1 signed by it; see the README there). Environment variables that are read once per
// process (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, HTTP_PROXY, NO_PROXY) are tested in child processes.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const util = require('node:util');

const Kernel = require('kernel-native');
const { KernelError, APIError, APIConnectionError, InternalServerError, NotFoundError } = Kernel;
const {
  API_KEY,
  invocation,
  sendJson,
  startServer,
  startProxy,
  closedPort,
  within,
  rejection,
  thrown,
  listenOnLoopback,
} = require('./helpers/server');
const { runChild, tempDir } = require('./helpers/child');
const { assertInvalidField } = require('./helpers/guard');

const TEST_BUDGET = { timeout: 15_000 };
const CALL_BUDGET = 5000;
const CHILD_BUDGET = 8000;

const TLS_DIR = path.join(__dirname, 'fixtures', 'tls');
const CA_FILE = path.join(TLS_DIR, 'ca.pem');
const CA_PEM = fs.readFileSync(CA_FILE, 'utf8');
const SERVER_CERT = fs.readFileSync(path.join(TLS_DIR, 'server-cert.pem'));
const SERVER_KEY = fs.readFileSync(path.join(TLS_DIR, 'server-key.pem'));

const client = (baseURL, options = {}) => new Kernel({ apiKey: API_KEY, baseURL, maxRetries: 0, ...options });
const update = (kernel, options) => kernel.invocations.update('inv_1', { status: 'succeeded' }, options);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** None of `parts` shows up in any common rendering of `err`. */
function assertNotShown(err, parts, what) {
  const texts = [err.message, String(err), err.stack ?? '', util.inspect(err), util.inspect(err, { showHidden: true, depth: Infinity })];
  for (const text of texts) {
    for (const part of parts) assert.ok(!text.includes(part), `${what}: ${JSON.stringify(part)} appears in ${text}`);
  }
}

/** A KernelError refused by the client itself (not an APIError). */
function assertRefused(err, field, what) {
  assert.ok(err instanceof KernelError, `${what}: ${util.inspect(err)}`);
  assert.ok(!(err instanceof APIError), `${what}: should be refused before sending, got ${util.inspect(err)}`);
  if (!field) return;
  // A bad value is bad input; a value the client cannot be built with (an unusable ca) is
  // a configuration error. Either way it is named.
  if (err.code === 'ERR_KERNEL_CONFIG') assert.ok(err.message.includes(field), `${what}: ${JSON.stringify(err.message)} should name ${field}`);
  else assertInvalidField(err, field, what);
}

// ---------------------------------------------------------------------------------------------
// Header injection: the API key, defaultHeaders and per-request headers

/** Control characters that must never reach a header (CR and LF alone and together, NUL, ...). */
const CONTROL = ['\r\n', '\n', '\r', '\u0000', '\u007f', '\u001b', '\u000b', '\u000c'];
const show = (text) => JSON.stringify(text);

test('an apiKey with CR, LF, NUL, DEL or another control character is refused at construction; nothing is sent', TEST_BUDGET, async () => {
  const server = await startServer();
  try {
    for (const bad of CONTROL) {
      const apiKey = `sk-first-part${bad}x-injected: sk-second-part`;
      const err = thrown(() => client(server.url, { apiKey }));
      assertRefused(err, 'apiKey', show(bad));
      assertNotShown(err, ['sk-first-part', 'sk-second-part'], show(bad));
    }
    await pause(20);
    assert.equal(server.requests.length, 0);
    // The same server gets a request from a valid client: the refusals were not a dead server.
    await update(client(server.url));
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].headers['x-injected'], undefined);
  } finally {
    await server.close();
  }
});

test('defaultHeaders with an invalid name or a control character in a value are refused at construction; nothing is sent', TEST_BUDGET, async () => {
  const server = await startServer();
  try {
    const badNames = ['bad name', 'x:y', '', 'x\r\ny', 'x\ny', 'x\u0000', '(x)', 'x@y', 'é', '\r\nx-injected'];
    for (const name of badNames) {
      for (const defaultHeaders of [{ [name]: 'v' }, [[name, 'v']]]) {
        const err = thrown(() => client(server.url, { defaultHeaders }));
        assertRefused(err, 'defaultHeaders', `name ${show(name)}`);
      }
    }
    for (const bad of CONTROL) {
      const value = `value-secret-part${bad}x-injected: yes`;
      for (const defaultHeaders of [{ 'x-a': value }, [['x-a', value]], { authorization: value }]) {
        const err = thrown(() => client(server.url, { defaultHeaders }));
        assertRefused(err, 'defaultHeaders', `value with ${show(bad)}`);
        assertNotShown(err, ['value-secret-part'], `value with ${show(bad)}`);
      }
    }
    await pause(20);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

test('per-request headers with an invalid name or value are rejected on every method; nothing is sent', TEST_BUDGET, async () => {
  const server = await startServer();
  try {
    const kernel = client(server.url);
    const calls = {
      create: (options) => kernel.invocations.create({ app_name: 'a', action_name: 'b', version: '1' }, options),
      retrieve: (options) => kernel.invocations.retrieve('inv_1', options),
      update: (options) => update(kernel, options),
      list: (options) => kernel.invocations.list({}, options),
      follow: (options) => kernel.invocations.follow('inv_1', {}, options),
      listBrowsers: (options) => kernel.invocations.listBrowsers('inv_1', options),
      deleteBrowsers: (options) => kernel.invocations.deleteBrowsers('inv_1', options),
    };
    const badHeaders = [
      [['x-a', 'one\u0000two']],
      [['x-a', 'one\u007ftwo']],
      [['x-a', 'one\u001btwo']],
      [['x-a', 'one\r\nx-injected: yes']],
      [['x\r\ninjected', '1']],
      [['(x)', '1']],
      [['é', '1']],
      { 'x-b': 'one\ntwo' },
      { 'x-b:': '1' },
    ];
    for (const [method, call] of Object.entries(calls)) {
      for (const headers of badHeaders) {
        let promise;
        assert.doesNotThrow(() => {
          promise = call({ headers });
        }, `${method} must reject, not throw`);
        const err = await rejection(promise);
        assertRefused(err, 'headers', `${method} ${util.inspect(headers)}`);
      }
    }
    await pause(20);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Path traversal and query smuggling

const ID_METHODS = {
  retrieve: { call: (k, id) => k.invocations.retrieve(id), method: 'GET', suffix: '' },
  update: { call: (k, id) => k.invocations.update(id, { status: 'succeeded' }), method: 'PATCH', suffix: '' },
  follow: { call: (k, id) => k.invocations.follow(id), method: 'GET', suffix: '/events' },
  listBrowsers: { call: (k, id) => k.invocations.listBrowsers(id), method: 'GET', suffix: '/browsers' },
  deleteBrowsers: { call: (k, id) => k.invocations.deleteBrowsers(id), method: 'DELETE', suffix: '/browsers' },
};

/** Answers every request 404, so each call makes exactly one request and we can read its path. */
const notFound = (req, res) => sendJson(res, 404, { code: 'not_found', message: 'no such invocation' });

test('ids like ../x, %2e%2e, a?b, a#b, a/b stay one encoded segment under /invocations/ on every method', TEST_BUDGET, async () => {
  const server = await startServer(notFound);
  try {
    const ids = ['../x', '%2e%2e', '%2E%2E%2F', 'a?b', 'a#b', 'a/b', '../../admin', 'x/../../y', '..\\x', 'a\r\nb', 'a b', '.../x'];
    for (const prefix of ['', '/v1']) {
      const kernel = client(server.url + prefix);
      for (const [name, { call, method, suffix }] of Object.entries(ID_METHODS)) {
        for (const id of ids) {
          const what = `${name}(${show(id)}) under ${show(prefix || '/')}`;
          const before = server.requests.length;
          const err = await within(CALL_BUDGET, rejection(call(kernel, id)), what);
          assert.ok(err instanceof NotFoundError, `${what}: ${util.inspect(err)}`);
          assert.equal(server.requests.length, before + 1, `${what}: requests sent`);
          const req = server.requests.at(-1);
          assert.equal(req.method, method, what);
          const [rawPath, query] = req.url.split('?');
          assert.equal(query, undefined, `${what}: a query appeared: ${req.url}`);
          const start = `${prefix}/invocations/`;
          assert.ok(rawPath.startsWith(start), `${what}: ${req.url}`);
          assert.ok(rawPath.endsWith(suffix), `${what}: ${req.url}`);
          const segment = rawPath.slice(start.length, rawPath.length - suffix.length);
          assert.ok(segment.length > 0 && !/[/?#\\\s]/.test(segment), `${what}: ${req.url} is not one encoded segment`);
          assert.equal(decodeURIComponent(segment), id, `${what}: ${req.url}`);
        }
      }
    }
  } finally {
    await server.close();
  }
});

test('the ids . and .. are refused with a KernelError on every method; nothing is sent', TEST_BUDGET, async () => {
  const server = await startServer(notFound);
  try {
    const kernel = client(server.url);
    for (const [name, { call }] of Object.entries(ID_METHODS)) {
      for (const id of ['.', '..']) {
        const err = await rejection(call(kernel, id));
        assertRefused(err, 'id', `${name}(${show(id)})`);
      }
    }
    await pause(20);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

test('list filters cannot smuggle query parameters: each value arrives whole under its own name', TEST_BUDGET, async () => {
  const server = await startServer((req, res) => sendJson(res, 200, [], { 'x-has-more': 'false', 'x-next-offset': '0' }));
  try {
    const params = { app_name: 'a&status=failed', action_name: 'b#frag', query: 'c=d e?f', version: '1.0/../2' };
    await client(server.url).invocations.list(params);
    assert.equal(server.requests.length, 1);
    const url = new URL(server.requests[0].url, server.url);
    assert.equal(url.pathname, '/invocations');
    assert.equal(url.hash, '');
    for (const [name, value] of Object.entries(params)) assert.deepEqual(url.searchParams.getAll(name), [value], name);
    assert.deepEqual(url.searchParams.getAll('status'), []);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// TLS: certificates are always verified; `ca`, NODE_EXTRA_CA_CERTS and SSL_CERT_FILE add trust

/** An HTTPS server on 127.0.0.1 with the fixture certificate; records requests that got through. */
async function startHttpsServer() {
  const requests = [];
  const server = https.createServer({ key: SERVER_KEY, cert: SERVER_CERT }, (req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    req.on('end', () => sendJson(res, 200, invocation({ id: 'over-tls' })));
  });
  server.keepAliveTimeout = 1000;
  const port = await listenOnLoopback(server);
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test('without ca, a certificate from an unknown CA is an APIConnectionError naming the certificate problem', TEST_BUDGET, async () => {
  const server = await startHttpsServer();
  try {
    const err = await within(CALL_BUDGET, rejection(update(client(server.url))), 'the call');
    assert.ok(err instanceof APIConnectionError, util.inspect(err));
    assert.match(err.message, /certificate/i);
    assert.match(err.message, /UnknownIssuer|unknown issuer/i);
    assertNotShown(err, [API_KEY], 'TLS failure');
    assert.equal(server.requests.length, 0, 'no request may be sent over an unverified connection');
  } finally {
    await server.close();
  }
});

test('with ca (a PEM string, a Buffer, or an array), the server is trusted, by IP and by name', TEST_BUDGET, async () => {
  const server = await startHttpsServer();
  try {
    const cases = [
      [server.url, CA_PEM],
      [server.url, Buffer.from(CA_PEM)],
      [server.url, new Uint8Array(Buffer.from(CA_PEM))],
      [server.url, [CA_PEM]],
      [`https://localhost:${server.port}`, [Buffer.from(CA_PEM)]],
    ];
    for (const [baseURL, ca] of cases) {
      const result = await within(CALL_BUDGET, update(client(baseURL, { ca })), `${baseURL} with ${util.inspect(ca).slice(0, 40)}`);
      assert.equal(result.id, 'over-tls');
    }
    // A copy made with withOptions keeps the extra CA.
    const copy = client(server.url, { ca: CA_PEM }).withOptions({ timeout: 4000 });
    assert.equal((await within(CALL_BUDGET, update(copy), 'withOptions copy')).id, 'over-tls');
    assert.equal(server.requests.length, cases.length + 1);
    assert.equal(server.requests[0].headers.authorization, `Bearer ${API_KEY}`);
  } finally {
    await server.close();
  }
});

test('certificate verification cannot be turned off: rejectUnauthorized is refused, NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored', TEST_BUDGET, async () => {
  const err = thrown(() => client('https://127.0.0.1:9', { rejectUnauthorized: false }));
  assertRefused(err, 'rejectUnauthorized', 'rejectUnauthorized option');
  const server = await startHttpsServer();
  try {
    const result = await childUpdate(server.url, {}, { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    assert.equal(result.ok, false, `the call went through: ${JSON.stringify(result)}`);
    assert.equal(result.name, 'APIConnectionError');
    assert.match(result.message, /certificate/i);
    assert.match(result.message, /UnknownIssuer|unknown issuer/i);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

/** A child's environment with no certificate variables at all, plus `env`. */
function certificateEnv(env) {
  return { SSL_CERT_FILE: '', SSL_CERT_DIR: '', NODE_EXTRA_CA_CERTS: '', ...env };
}

test('NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and SSL_CERT_DIR (child processes) each make the test CA trusted', TEST_BUDGET, async (t) => {
  const server = await startHttpsServer();
  try {
    // The same child without them: the test CA is not trusted by default.
    const without = await childUpdate(server.url, {}, certificateEnv({}));
    assert.equal(without.ok, false, JSON.stringify(without));
    assert.equal(without.name, 'APIConnectionError');
    assert.match(without.message, /UnknownIssuer|unknown issuer/i);
    const caDir = tempDir(t, 'kernel-ca-dir-');
    fs.copyFileSync(CA_FILE, path.join(caDir, 'test-ca.pem'));
    for (const env of [{ NODE_EXTRA_CA_CERTS: CA_FILE }, { SSL_CERT_FILE: CA_FILE }, { SSL_CERT_DIR: caDir }]) {
      const result = await childUpdate(server.url, {}, certificateEnv(env));
      assert.deepEqual(result, { ok: true, id: 'over-tls' }, JSON.stringify(env));
    }
    assert.equal(server.requests.length, 3);
  } finally {
    await server.close();
  }
});

test('with no certificate store on the machine (slim images), new Kernel() works and ca is honoured', TEST_BUDGET, async (t) => {
  // SSL_CERT_FILE naming an empty file and SSL_CERT_DIR an empty folder is what node:*-slim and
  // distroless look like to a reader of the system's store: no roots at all. The client must not
  // depend on them (it trusts Mozilla's roots, as Node does); before, new Kernel() threw.
  const empty = tempDir(t, 'kernel-no-store-');
  fs.writeFileSync(path.join(empty, 'empty.pem'), '');
  const noStore = certificateEnv({ SSL_CERT_FILE: path.join(empty, 'empty.pem'), SSL_CERT_DIR: empty });
  const server = await startHttpsServer();
  try {
    const result = await childUpdate(server.url, { ca: CA_PEM }, noStore);
    assert.deepEqual(result, { ok: true, id: 'over-tls' });
    // An unreadable NODE_EXTRA_CA_CERTS is skipped, as Node skips it (Node warns at start-up).
    const missing = await childUpdate(server.url, { ca: CA_PEM }, { ...noStore, NODE_EXTRA_CA_CERTS: path.join(empty, 'missing.pem') });
    assert.deepEqual(missing, { ok: true, id: 'over-tls' });
  } finally {
    await server.close();
  }
});

test('a ca that holds no usable certificate is a KernelError at new Kernel(); nothing is sent', TEST_BUDGET, async () => {
  const server = await startHttpsServer();
  try {
    const privateKeyOnly = SERVER_KEY.toString('utf8');
    const cases = [
      ['garbage', 'ca'],
      [Buffer.from('garbage'), 'ca'],
      ['', 'ca'],
      [[], 'ca'],
      [privateKeyOnly, 'ca'],
      [123, 'ca'],
      [{}, 'ca'],
      [true, 'ca'],
      [[CA_PEM, 123], 'ca[1]'],
    ];
    for (const [ca, field] of cases) {
      const what = `ca ${util.inspect(ca).slice(0, 40)}`;
      const err = thrown(() => client(server.url, { ca }));
      assertRefused(err, field, what);
      assert.equal(err.name, 'KernelError', what);
      assertNotShown(err, ['PRIVATE KEY', privateKeyOnly.split('\n')[1]], what);
    }
    await pause(20);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

test(
  'a PEM block whose contents are not a certificate (bad DER) is refused with a message naming ca',
  () => {
    const err = thrown(() =>
      client('https://127.0.0.1:9', { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }),
    );
    assertRefused(err, undefined, 'bad DER');
    assert.ok(err.message.includes('ca'), err.message);
    assert.match(err.message, /Invalid ca/);
  },
);

// ---------------------------------------------------------------------------------------------
// Proxies: the `proxy` option, HTTP_PROXY / NO_PROXY, and credentials

/** Proxy variables cleared, so only what a test sets applies in its child. */
const NO_PROXY_ENV = Object.fromEntries(
  ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'].map((name) => [name, '']),
);

/**
 * Runs one update in a child process with `env` and the client `options` (JSON) and resolves
 * with { ok, id } or { ok: false, name, message }.
 */
async function childUpdate(baseURL, options, env) {
  const code = `
    const Kernel = require('kernel-native');
    const options = JSON.parse(process.env.TEST_OPTIONS);
    const kernel = new Kernel({ apiKey: 'sk-child-key', baseURL: process.env.TEST_BASE_URL, maxRetries: 0, timeout: 3000, ...options });
    kernel.invocations.update('inv_1', { status: 'succeeded' }).then(
      (value) => console.log(JSON.stringify({ ok: true, id: value.id })),
      (err) => console.log(JSON.stringify({ ok: false, name: err.name, message: err.message })),
    );
  `;
  const result = await runChild(code, {
    env: { ...NO_PROXY_ENV, ...env, TEST_BASE_URL: baseURL, TEST_OPTIONS: JSON.stringify(options) },
    budget: CHILD_BUDGET,
  });
  assert.equal(result.killed, false, `the child hung\nstderr: ${result.stderr}`);
  assert.equal(result.code, 0, `child exit ${result.code}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

test('the proxy option sends every request through the proxy, in absolute form', TEST_BUDGET, async () => {
  const proxy = await startProxy();
  const target = await closedPort();
  try {
    const kernel = client(`http://127.0.0.1:${target}`, { proxy: proxy.url });
    const result = await within(CALL_BUDGET, update(kernel), 'update');
    assert.equal(result.id, 'via-proxy');
    await within(CALL_BUDGET, kernel.invocations.retrieve('inv_2'), 'retrieve');
    await within(CALL_BUDGET, kernel.invocations.create({ app_name: 'a', action_name: 'b', version: '1' }), 'create');
    assert.deepEqual(
      proxy.requests.map((req) => `${req.method} ${req.url}`),
      [
        `PATCH http://127.0.0.1:${target}/invocations/inv_1`,
        `GET http://127.0.0.1:${target}/invocations/inv_2`,
        `POST http://127.0.0.1:${target}/invocations`,
      ],
    );
    assert.equal(proxy.requests[0].body, '{"status":"succeeded"}');
    assert.equal(proxy.requests[0].headers.host, `127.0.0.1:${target}`);
    assert.equal(proxy.requests[0].headers['proxy-authorization'], undefined);
  } finally {
    await proxy.close();
  }
});

test('HTTP_PROXY in the environment (child process) sends requests through the proxy', TEST_BUDGET, async () => {
  const proxy = await startProxy();
  const target = await closedPort();
  try {
    const result = await childUpdate(`http://127.0.0.1:${target}`, {}, { HTTP_PROXY: proxy.url });
    assert.deepEqual(result, { ok: true, id: 'via-proxy' });
    assert.deepEqual(proxy.requests.map((req) => req.url), [`http://127.0.0.1:${target}/invocations/inv_1`]);
  } finally {
    await proxy.close();
  }
});

test('HTTP_PROXY with NO_PROXY=127.0.0.1 (child process) connects directly', TEST_BUDGET, async () => {
  const proxy = await startProxy();
  const direct = await startServer((req, res) => sendJson(res, 200, invocation({ id: 'direct' })));
  try {
    const result = await childUpdate(direct.url, {}, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    assert.deepEqual(result, { ok: true, id: 'direct' });
    assert.equal(proxy.requests.length, 0);
    assert.deepEqual(direct.requests.map((req) => req.url), ['/invocations/inv_1']);
  } finally {
    await proxy.close();
    await direct.close();
  }
});

test('HTTP_PROXY with proxy: null (child process) connects directly', TEST_BUDGET, async () => {
  const proxy = await startProxy();
  const direct = await startServer((req, res) => sendJson(res, 200, invocation({ id: 'direct' })));
  try {
    const result = await childUpdate(direct.url, { proxy: null }, { HTTP_PROXY: proxy.url });
    assert.deepEqual(result, { ok: true, id: 'direct' });
    assert.equal(proxy.requests.length, 0);
    assert.equal(direct.requests.length, 1);
  } finally {
    await proxy.close();
    await direct.close();
  }
});

test('the proxy option wins over NO_PROXY (child process): an explicit proxy is always used', TEST_BUDGET, async () => {
  const proxy = await startProxy();
  const target = await closedPort();
  try {
    const result = await childUpdate(`http://127.0.0.1:${target}`, { proxy: proxy.url }, { NO_PROXY: '127.0.0.1' });
    assert.deepEqual(result, { ok: true, id: 'via-proxy' });
    assert.equal(proxy.requests.length, 1);
  } finally {
    await proxy.close();
  }
});

test('withOptions({ proxy: null }) on a proxied client connects directly; the original still uses the proxy', TEST_BUDGET, async () => {
  const proxy = await startProxy();
  const direct = await startServer((req, res) => sendJson(res, 200, invocation({ id: 'direct' })));
  try {
    const proxied = client(direct.url, { proxy: proxy.url });
    assert.equal((await within(CALL_BUDGET, update(proxied.withOptions({ proxy: null })), 'direct copy')).id, 'direct');
    assert.equal((await within(CALL_BUDGET, update(proxied), 'proxied original')).id, 'via-proxy');
    assert.equal(direct.requests.length, 1);
    assert.deepEqual(proxy.requests.map((req) => req.url), [`${direct.url}/invocations/inv_1`]);
  } finally {
    await proxy.close();
    await direct.close();
  }
});

test('an invalid proxy is a KernelError at construction that never shows the password in the URL', () => {
  const cases = [
    'ftp://user:s3cret-pw@127.0.0.1:3128',
    'socks5://user:s3cret-pw@127.0.0.1:1080',
    'not a url s3cret-pw',
    'user:s3cret-pw@127.0.0.1:3128',
    'http://',
    '',
  ];
  for (const proxy of cases) {
    const err = thrown(() => client('http://127.0.0.1:9', { proxy }));
    assertRefused(err, 'proxy', show(proxy));
    assert.equal(err.name, 'KernelError');
    assertNotShown(err, ['s3cret-pw'], show(proxy));
  }
  for (const proxy of [5, {}, true]) assertRefused(thrown(() => client('http://127.0.0.1:9', { proxy })), 'proxy', util.inspect(proxy));
});

test('proxy credentials: the proxy gets proxy-authorization Basic; the password is never shown, whatever the proxy answers', TEST_BUDGET, async () => {
  const PASSWORD = 's3cret-pw';
  const BASIC = Buffer.from(`user:${PASSWORD}`).toString('base64');
  const secrets = [PASSWORD, BASIC, API_KEY];
  let answer = 'ok';
  const proxy = await startProxy((req, res) => {
    if (answer === '502') sendJson(res, 502, { message: 'bad gateway from the test proxy' });
    else if (answer === '407') {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      res.end();
    } else sendJson(res, 200, invocation({ id: 'via-proxy' }));
  });
  const target = await closedPort();
  const logged = [];
  const logger = Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (...args) => logged.push(util.format(...args))]));
  try {
    const proxyURL = `http://user:${PASSWORD}@127.0.0.1:${proxy.port}`;
    const kernel = client(`http://127.0.0.1:${target}`, { proxy: proxyURL, logLevel: 'debug', logger });
    for (const text of [util.inspect(kernel, { showHidden: true, depth: Infinity }), JSON.stringify(kernel)]) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `the client shows ${secret}: ${text}`);
    }

    assert.equal((await within(CALL_BUDGET, update(kernel), 'ok')).id, 'via-proxy');
    assert.equal(proxy.requests[0].headers['proxy-authorization'], `Basic ${BASIC}`);

    answer = '502';
    const badGateway = await within(CALL_BUDGET, rejection(update(kernel)), '502');
    assert.ok(badGateway instanceof InternalServerError, util.inspect(badGateway));
    assert.equal(badGateway.status, 502);
    assertNotShown(badGateway, secrets, 'proxy 502');

    answer = '407';
    const refused = await within(CALL_BUDGET, rejection(update(kernel)), '407');
    assert.ok(refused instanceof APIError, util.inspect(refused));
    assert.equal(refused.status, 407);
    assertNotShown(refused, secrets, 'proxy 407');
    assert.equal(proxy.requests.length, 3);

    // An https:// target is tunnelled with CONNECT; this proxy refuses the tunnel.
    const tunnelled = client(`https://127.0.0.1:${target}`, { proxy: proxyURL, logLevel: 'debug', logger });
    const tunnelErr = await within(CALL_BUDGET, rejection(update(tunnelled)), 'CONNECT refused');
    assert.ok(tunnelErr instanceof APIConnectionError, util.inspect(tunnelErr));
    assertNotShown(tunnelErr, secrets, 'CONNECT refused');
    assert.equal(proxy.connects.length, 1);
    assert.equal(proxy.connects[0].url, `127.0.0.1:${target}`);
    assert.equal(proxy.connects[0].headers['proxy-authorization'], `Basic ${BASIC}`);
    assert.equal(proxy.connects[0].headers.authorization, undefined, 'the API key must not be sent to the proxy in CONNECT');

    // A proxy that is not there at all.
    const gone = await closedPort();
    const nowhere = client(`http://127.0.0.1:${target}`, { proxy: `http://user:${PASSWORD}@127.0.0.1:${gone}`, logLevel: 'debug', logger });
    const goneErr = await within(CALL_BUDGET, rejection(update(nowhere)), 'proxy refused');
    assert.ok(goneErr instanceof APIConnectionError, util.inspect(goneErr));
    assertNotShown(goneErr, secrets, 'proxy refused');

    assert.ok(logged.length > 0, 'debug logging produced no records');
    for (const line of logged) for (const secret of secrets) assert.ok(!line.includes(secret), `logged ${secret}: ${line}`);
  } finally {
    await proxy.close();
  }
});
