// ES module entry of kernel-native/emulator (the CommonJS implementation, loaded with require()).
import { createRequire } from 'node:module';

const emulator = createRequire(import.meta.url)('./emulator.js');

export const { startEmulator, Emulator } = emulator;
