// Types of kernel-native/emulator. The option and fault shapes are generated from Rust.
import type { EmulatorOptions, FaultSpec, JournalEntry } from '../index.js';

export type { EmulatorOptions, FaultSpec, JournalEntry };

/** A running emulator of the Kernel API invocations endpoints. */
export declare class Emulator {
  private constructor();
  /** `http://127.0.0.1:<port>`: pass it as `baseURL`. */
  readonly url: string;
  /** The bearer token it accepts: pass it as `apiKey`. */
  readonly apiKey: string;
  /**
   * Makes the next `spec.times` (default 1) matching requests misbehave.
   * @example emu.fault({ status: 503, times: 2, headers: { 'retry-after-ms': '10' } });
   */
  fault(spec: FaultSpec): void;
  /**
   * Every mutation (POST, PATCH, DELETE) applied so far, oldest first. A request replayed for
   * a repeated `Idempotency-Key` was not applied again and is not listed again.
   */
  journal(): JournalEntry[];
  /** How many faults fired so far. */
  readonly faultsFired: number;
  /** Stops listening and ends every open connection; the port is free when it resolves. */
  close(): Promise<void>;
}

/**
 * Starts an emulator and resolves once it listens.
 * @example
 * ```ts
 * const emu = await startEmulator();
 * const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey });
 * ```
 */
export declare function startEmulator(options?: EmulatorOptions): Promise<Emulator>;
