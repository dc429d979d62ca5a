// What `kernel-native` resolves to in runtimes that cannot load a native addon: Cloudflare
// Workers (`workerd`), Vercel Edge and Next.js middleware (`edge-light`), other workers and
// browsers. It throws at import, naming the runtime and what to use instead, so that the
// failure is this message at start-up instead of a bundler error about a `.node` file or a
// crash on the first call. CommonJS, so that any import of the real entry points (`default`,
// `startEmulator`, ...) still links in a bundler; none is ever reached.
'use strict';

class KernelError extends Error {}

/** The runtime this module was loaded in, as a person would name it. */
function runtimeName() {
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') return 'Cloudflare Workers';
  if (typeof globalThis.EdgeRuntime === 'string') return 'the Vercel Edge runtime';
  if (typeof globalThis.Deno !== 'undefined') return 'Deno Deploy (a worker)';
  if (typeof globalThis.window !== 'undefined' && typeof globalThis.document !== 'undefined') return 'a browser';
  if (typeof globalThis.WorkerGlobalScope !== 'undefined') return 'a web worker';
  return 'this runtime (an edge, worker or browser build)';
}

const error = new KernelError(
  `kernel-native cannot run in ${runtimeName()}: it is a native Node.js addon, and this runtime cannot load one. ` +
    'Use it from the Node.js runtime of your platform: on Vercel and Next.js, `export const runtime = "nodejs"` ' +
    '(the default for route handlers and functions); on Cloudflare, a Node.js server or container. ' +
    'Where only an edge runtime will do, use @onkernel/sdk, which runs on fetch.',
);
error.code = 'ERR_KERNEL_NATIVE_RUNTIME';
throw error;
