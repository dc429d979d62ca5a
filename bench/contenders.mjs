// The clients under test, each reduced to the same operation: update one invocation on the
// benchmark server and wait for the parsed answer. `load` is timed as the import.

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ID = 'rr33xuugxj9h0bkf1rdt2bet';
const PARAMS = { status: 'succeeded', output: '{"ok":true}' };
const KEY = 'bench-key';

export const contenders = {
  'kernel-native': {
    load: () => import('kernel-native'),
    make: (module, baseURL) => {
      const client = new module.default({ apiKey: KEY, baseURL });
      return () => client.invocations.update(ID, PARAMS);
    },
    construct: (module, baseURL) => new module.default({ apiKey: KEY, baseURL }),
  },
  '@onkernel/sdk': {
    load: () => import('@onkernel/sdk'),
    make: (module, baseURL) => {
      const client = new module.default({ apiKey: KEY, baseURL });
      return () => client.invocations.update(ID, PARAMS);
    },
    construct: (module, baseURL) => new module.default({ apiKey: KEY, baseURL }),
  },
  // The floor of our design (crates/kernel-bench-hop, never shipped): hyper on the same kind of
  // I/O thread, one threadsafe function settling the promises, JSON.stringify and JSON.parse in
  // JS. What kernel-native spends above it is its own stack.
  'hyper + hop': {
    load: () => {
      const addon = { exports: {} };
      const library = path.resolve(fileURLToPath(import.meta.url), '../../target/release/libkernel_bench_hop.so');
      process.dlopen(addon, library);
      return addon.exports;
    },
    make: (module, baseURL) => {
      const client = new module.HopClient(baseURL, KEY);
      return () => client.update(ID, JSON.stringify(PARAMS)).then(JSON.parse);
    },
    construct: (module, baseURL) => new module.HopClient(baseURL, KEY),
  },
  // The same floor with reqwest in place of hyper alone: what reqwest itself costs per call.
  'reqwest + hop': {
    load: () => contenders['hyper + hop'].load(),
    make: (module, baseURL) => {
      const client = new module.HopClient(baseURL, KEY, true);
      return () => client.update(ID, JSON.stringify(PARAMS)).then(JSON.parse);
    },
    construct: (module, baseURL) => new module.HopClient(baseURL, KEY, true),
  },
  'node:http': {
    load: () => import('node:http'),
    make: (_module, baseURL) => rawUpdate(baseURL),
    construct: () => new http.Agent({ keepAlive: true }),
  },
};

/** The practical floor for JS code: node:http with a keep-alive agent, JSON in and out. */
function rawUpdate(baseURL) {
  const url = new URL(`invocations/${ID}`, baseURL.endsWith('/') ? baseURL : `${baseURL}/`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const body = JSON.stringify(PARAMS);
  const options = {
    method: 'PATCH',
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
    agent,
    headers: {
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  };
  return () =>
    new Promise((resolve, reject) => {
      const request = http.request(options, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          try {
            if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
}
