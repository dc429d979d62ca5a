// ES module entry of kernel-native/emulator.
import emulator from './emulator.js';

export const { startEmulator, Emulator } = emulator;
