// Nonces for signed exchange requests: strictly increasing per key, also across bursts and restarts.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger, NonceSource } from '../exchanges/server-types.ts';

/** How far ahead a reservation reaches (ms): the file is written at most once per block per key. */
export const DEFAULT_BLOCK = 10_000;

const fileSchema = z.object({
  version: z.literal(1),
  reserved: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.number().int().nonnegative()),
});

interface KeyState {
  last: number;
  reserved: number;
}

export interface NonceFileOptions {
  /** The high-water-mark file, e.g. `<data dir>/nonces.json`. */
  file: string;
  /** Reservation size in nonce units (ms); default DEFAULT_BLOCK. */
  block?: number;
  now?: () => number;
  log?: Logger;
}

/** The file stores a hash of each key, never the key itself. */
function hashKey(key: string): string {
  return createHash('sha256').update(`margin-watch-nonce\u0000${key}`).digest('hex');
}

/**
 * A NonceSource giving max(now, last + 1) per key. Before handing out a nonce beyond what the file allows, it
 * reserves a block ahead and writes the new high-water mark, so a restart continues above every nonce issued
 * before it without a write per nonce. A restart soon after a burst may run up to one block ahead of the clock.
 */
export class FileNonceSource implements NonceSource {
  private readonly block: number;
  private readonly now: () => number;
  private readonly keys = new Map<string, KeyState>();
  private readonly hashes = new Map<string, string>();
  private readonly reservedOnDisk: Record<string, number> = {};
  private warned = false;
  /** How many times the file was written (for tests and diagnostics). */
  writes = 0;

  constructor(private readonly options: NonceFileOptions) {
    this.block = Math.max(1, options.block ?? DEFAULT_BLOCK);
    this.now = options.now ?? Date.now;
    this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.options.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warn('cannot read the nonce file', err);
      return;
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(text) as unknown;
    } catch (err) {
      this.warn('nonce file is not valid JSON; starting from the clock', err);
      return;
    }
    const parsed = fileSchema.safeParse(decoded);
    if (!parsed.success) {
      this.warn('nonce file has an unexpected shape; starting from the clock');
      return;
    }
    Object.assign(this.reservedOnDisk, parsed.data.reserved);
  }

  private warn(msg: string, err?: unknown): void {
    this.options.log?.warn(msg, { file: this.options.file, ...(err ? { error: err } : {}) });
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      let hash = this.hashes.get(key);
      if (!hash) {
        hash = hashKey(key);
        this.hashes.set(key, hash);
      }
      const high = this.reservedOnDisk[hash] ?? 0;
      state = { last: high, reserved: high };
      this.keys.set(key, state);
    }
    return state;
  }

  private persist(key: string, reserved: number): void {
    const hash = this.hashes.get(key) ?? hashKey(key);
    this.reservedOnDisk[hash] = reserved;
    const file = this.options.file;
    const temp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(temp, JSON.stringify({ version: 1, reserved: this.reservedOnDisk }), { mode: 0o600 });
      renameSync(temp, file);
      this.writes += 1;
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        this.warn('cannot write the nonce file; nonces stay increasing only until restart', err);
      }
    }
  }

  next(key: string): number {
    const state = this.stateOf(key);
    const nonce = Math.max(Math.floor(this.now()), state.last + 1);
    if (nonce > state.reserved) {
      state.reserved = nonce + this.block;
      this.persist(key, state.reserved);
    }
    state.last = nonce;
    return nonce;
  }
}
