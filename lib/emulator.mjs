// ES module entry of kernel-native/emulator (the CommonJS bundle dist/emulator.js, loaded with
// require()).
import { createRequire } from 'node:module';

const emulator = createRequire(import.meta.url)('../dist/emulator.js');

export const { startEmulator, Emulator } = emulator;
