// Type-checked with `tsc --strict --module nodenext` against the installed package.
import Kernel, { NotFoundError, type Invocation } from 'kernel-native';
import { startEmulator } from 'kernel-native/emulator';

const emu = await startEmulator({ apiKey: 'types' });
const client = new Kernel({ apiKey: emu.apiKey, baseURL: emu.url });
const invocation: Invocation = await client.invocations.update('id', { status: 'succeeded' });
const id: string = invocation.id;
// @ts-expect-error: 'done' is not an update status
await client.invocations.update(id, { status: 'done' });
const notFound: boolean = new Error() instanceof NotFoundError;
console.log(id, notFound);
await emu.close();
