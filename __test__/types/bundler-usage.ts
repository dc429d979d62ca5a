// The documented usage under `moduleResolution: bundler`.
import Kernel from 'kernel-native';
import { Kernel as NamedKernel, APIConnectionTimeoutError, type ClientOptions } from 'kernel-native';

const options: ClientOptions = { apiKey: 'My API Key', defaultHeaders: { 'x-team': 'a' } };
const client = new Kernel(options);
const invocation = await client.invocations.update('id', { status: 'succeeded' });
console.log(invocation.id);
new NamedKernel({ environment: 'development' });
// @ts-expect-error unknown environment
new NamedKernel({ environment: 'staging' });
// @ts-expect-error timeout is a number of milliseconds
new NamedKernel({ timeout: '60s' });
const timeoutError: typeof Kernel.APIConnectionTimeoutError = APIConnectionTimeoutError;
console.log(timeoutError);
