// kernel-native/emulator as documented, as an ES module: start, fault, close.
import Kernel from 'kernel-native';
import { startEmulator, Emulator, type FaultSpec, type EmulatorOptions } from 'kernel-native/emulator';

const options: EmulatorOptions = { apiKey: 'test-key', port: 0, heartbeatMs: 50 };
const emu: Emulator = await startEmulator(options);
const url: string = emu.url;
const apiKey: string = emu.apiKey;
const client = new Kernel({ baseURL: url, apiKey });

emu.fault({ status: 503, times: 2, headers: { 'retry-after-ms': '10' } });
const spec: FaultSpec = { method: 'PATCH', path: '/invocations/', drop: true, delayMs: 10, body: { code: 'x' } };
emu.fault(spec);
await client.invocations.update('id', { status: 'succeeded' });

emu.fault({ dropAfter: true, rate: 0.1 });
const entries = emu.journal();
const key: string | null | undefined = entries[0]?.idempotencyKey;
const seq: number | undefined = entries[0]?.seq;
const fired: number = emu.faultsFired;
// @ts-expect-error rate is a number
emu.fault({ drop: true, rate: '0.1' });

// @ts-expect-error status is a number
emu.fault({ status: '503' });
// @ts-expect-error a spec is required
emu.fault();
// @ts-expect-error unknown fault field
emu.fault({ status: 500, bogus: true });
// @ts-expect-error url is read-only
emu.url = 'http://127.0.0.1:1';
// @ts-expect-error port is a number
await startEmulator({ port: '8080' });
// @ts-expect-error the constructor is private
new Emulator();

const closing: Promise<void> = emu.close();
await closing;
const other = await startEmulator();
await other.close();
