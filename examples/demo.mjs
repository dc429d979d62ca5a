// The documented usage, end to end: against the built-in emulator, or against the server named
// by KERNEL_BASE_URL and KERNEL_API_KEY when both are set.
import Kernel from 'kernel-native';
import { startEmulator } from 'kernel-native/emulator';

const useServer = Boolean(process.env.KERNEL_BASE_URL && process.env.KERNEL_API_KEY);
const emulator = useServer ? null : await startEmulator();
const baseURL = useServer ? process.env.KERNEL_BASE_URL : emulator.url;
const apiKey = useServer ? process.env.KERNEL_API_KEY : emulator.apiKey;
console.log(`Using ${useServer ? 'the server at' : 'the local emulator at'} ${baseURL}`);

try {
  const client = new Kernel({ apiKey, baseURL });
  // Something to update: invoke an action.
  const { id } = await client.invocations.create({ app_name: 'demo-app', action_name: 'analyze', version: '1.0.0' });

  const output = JSON.stringify({ pages: 3, summary: 'done' });
  const invocation = await client.invocations.update(id, { status: 'succeeded', output });
  console.log(invocation);
  if (invocation.status !== 'succeeded') throw new Error(`Expected succeeded, got ${invocation.status}`);
} finally {
  await emulator?.close();
}
