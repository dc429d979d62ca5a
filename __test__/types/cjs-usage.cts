// CommonJS forms: `const Kernel = require('kernel-native')` and `const { Kernel } = ...`.
import Kernel = require('kernel-native');
import { Kernel as Named, RateLimitError } from 'kernel-native';

const client: Kernel = new Kernel({ apiKey: 'My API Key' });
const { Kernel: Destructured, InternalServerError } = Kernel;
const other = new Destructured({ apiKey: 'k' });
const third = new Named({ apiKey: 'k' });

async function main(): Promise<void> {
  const invocation: Kernel.Invocation = await client.invocations.update('id', { status: 'succeeded' });
  console.log(invocation.id, invocation.status, other, third);
  try {
    // @ts-expect-error 'done' is not an update status
    await client.invocations.update('id', { status: 'done' });
  } catch (err) {
    if (err instanceof RateLimitError) {
      const status: 429 = err.status;
      console.log(status);
    }
    if (err instanceof InternalServerError) console.log(err.status satisfies number);
    if (err instanceof Kernel.APIError) console.log(err.headers?.get('retry-after'));
    const typed: Kernel.KernelError | undefined = err instanceof Kernel.KernelError ? err : undefined;
    console.log(typed);
  }
}
void main();
