// Helpers of request signing: a per-key lock for exchanges that need signed requests to arrive in nonce order,
// the request path as exchanges sign it, a required credential named without its value, and comparing secrets
// in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccountConfig, NonceSource } from '../server-types.ts';

/**
 * Serialises tasks per key: a task starts only when the previous one on the same key has finished. For
 * exchanges that reject a nonce lower than the last one they saw: signing and sending inside the lock makes
 * the exchange see the nonces in the order they were taken.
 */
export class KeyedLock {
  private readonly waiting = new Map<string, (() => void)[]>();

  /** Resolves with the release function once the key is free; null if `signal` aborts first. */
  acquire(key: string, signal?: AbortSignal): Promise<(() => void) | null> {
    return new Promise((resolve) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.next(key);
      };
      const queue = this.waiting.get(key);
      if (queue === undefined) {
        this.waiting.set(key, []);
        resolve(release);
        return;
      }
      if (signal?.aborted) {
        resolve(null);
        return;
      }
      const onAbort = (): void => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        resolve(null);
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      queue.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs `task` while holding the key; rejects without running it if `signal` aborts while waiting. */
  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(key, signal);
    if (release === null) throw new Error('stopped while waiting for the previous request');
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** True while a task holds `key` (for tests and diagnostics). */
  isHeld(key: string): boolean {
    return this.waiting.has(key);
  }

  private next(key: string): void {
    const queue = this.waiting.get(key);
    const grant = queue?.shift();
    if (grant) grant();
    else this.waiting.delete(key);
  }
}

/** Path and query exactly as they go out on the request line: what exchanges that sign the path sign. */
export function requestPathOf(url: URL): string {
  return `${url.pathname}${url.search}`;
}

/** One credential field of an account; a missing or empty one throws naming the field, never a value. */
export function requiredCredential(account: AccountConfig, field: string): string {
  const value = account.credentials[field];
  if (value === undefined || value === '')
    throw new Error(`account ${account.id}: credentials.${field} is missing`);
  return value;
}

/**
 * Compares two secrets-derived texts (signatures, tokens) in constant time: both are hashed first, so neither
 * their contents nor their lengths show in the timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(sha256(a), sha256(b));
}

/** An in-memory NonceSource (tests, tools): strictly increasing per key within the process. */
export function memoryNonceSource(now: () => number = Date.now): NonceSource {
  const last = new Map<string, number>();
  return {
    next(key) {
      const nonce = Math.max(Math.floor(now()), (last.get(key) ?? 0) + 1);
      last.set(key, nonce);
      return nonce;
    },
  };
}
