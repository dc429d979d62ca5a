// The documented usage, verbatim, as an ES module under `moduleResolution: nodenext`.
import Kernel from 'kernel-native';
import { Kernel as NamedKernel, NotFoundError, KernelError, type Invocation } from 'kernel-native';

const client = new Kernel({ apiKey: 'My API Key' });
const invocation = await client.invocations.update('id', { status: 'succeeded' });
console.log(invocation.id);

const named: Kernel = new NamedKernel({ apiKey: 'k', baseURL: 'http://127.0.0.1:1/v1', timeout: 1000, maxRetries: 0 });
const same: Invocation = await named.invocations.update('id', { status: 'failed', output: '{"a":1}' });
same.app_name satisfies string;

// @ts-expect-error 'done' is not an update status
await client.invocations.update('id', { status: 'done' });
// @ts-expect-error output is a JSON string, not an object
await client.invocations.update('id', { status: 'failed', output: { a: 1 } });
// @ts-expect-error params are required
await client.invocations.update('id');

try {
  await client.invocations.update('id', { status: 'succeeded' }, { timeout: 5, signal: AbortSignal.timeout(5) });
} catch (err) {
  if (err instanceof NotFoundError) {
    const status: 404 = err.status;
    const requestId: string | null = err.headers.get('x-request-id');
    console.log(status, requestId, err.error);
  } else if (err instanceof KernelError) {
    console.log(err.message);
    if (err.code === 'ERR_KERNEL_INVALID_INPUT') console.log(err.field satisfies string | undefined);
    // @ts-expect-error codes are a closed set
    if (err.code === 'ERR_KERNEL_NO_SUCH_CODE') console.log('never');
  }
}
