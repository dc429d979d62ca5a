// The smoke through import: the default and named exports, as ESM users load them.
import Kernel, { Kernel as Named, NotFoundError } from 'kernel-native';
import { startEmulator } from 'kernel-native/emulator';
import checks from './checks.cjs';

if (Named !== Kernel || NotFoundError !== Kernel.NotFoundError) throw new Error('named exports differ from the default');
await checks.runSmoke(Kernel, startEmulator, `esm ${process.argv[2] ?? ''}`.trim());
