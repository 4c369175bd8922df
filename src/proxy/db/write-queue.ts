// The one way the proxy writes to its SQLite database when a write may be refused: samples (history recorder)
// and alert events (alert service) both go through a WriteQueue.
//
// Items are written in the order they were queued. While the database refuses writes (a full disk, an I/O
// error …), the items are kept, up to `maxPending` (the oldest are dropped beyond), and writing is retried after a
// pause that doubles from `basePauseMs` up to `maxPauseMs`; `flush()` always tries at once. The log gets one line
// per change of state: when writing starts failing (again only if the reason changes), when the queue first has to
// drop items, and when writing works again. A write refused for lack of space checkpoints the WAL (TRUNCATE) so
// the space it holds is given back and writing can resume as soon as a little room is free.
import type { Logger } from '../../exchanges/server-types.ts';
import { backoffWithJitter } from '../../exchanges/kit/backoff.ts';

/** Items kept in memory while the database refuses writes; the oldest are dropped beyond. */
export const MAX_PENDING = 100_000;
/** First pause after a refused write. */
export const BASE_RETRY_PAUSE_MS = 1_000;
/** Longest pause between automatic write attempts while the database keeps refusing them. */
export const MAX_RETRY_PAUSE_MS = 60_000;
/**
 * How long an asynchronous write may take before it counts as refused. A connection that hangs (a network
 * partition, a frozen server) then fails like one that drops: the batch is kept, the log says so, the bound holds.
 */
export const WRITE_TIMEOUT_MS = 30_000;

/** The part of a better-sqlite3 connection the queue uses to give back the WAL's space. */
export interface Checkpointable {
  pragma(source: string): unknown;
}

export interface WriteQueueOptions<T> {
  /** Prefix of the log lines, e.g. 'history'. */
  component: string;
  /** What the items are, plural, for the log lines, e.g. 'samples'. */
  what: string;
  /** Writes the items, in order, in one transaction (all or nothing); returns how many rows were new. */
  write(items: readonly T[]): number;
  /** The database written to: its WAL is checkpointed after a write refused for lack of space. */
  db?: Checkpointable;
  /** The key `newest()` and `replaceNewest()` look items up by (e.g. the account). */
  keyOf?(item: T): string;
  log?: Logger;
  now?: () => number;
  maxPending?: number;
  basePauseMs?: number;
  maxPauseMs?: number;
}

export interface WriteQueueStats {
  /** Items waiting to be written. */
  pending: number;
  /** Items dropped because the database refused writes for too long. */
  dropped: number;
  /** Refused write attempts in a row (0 when writing works). */
  failures: number;
}

export interface WriteQueue<T> {
  /** Queues an item (written by the next flush). */
  push(item: T): void;
  /** The newest queued item with this key. */
  newest(key: string): T | undefined;
  /** Replaces the newest queued item with the same key as `item`; false when none is queued. */
  replaceNewest(item: T): boolean;
  /** Number of queued items. */
  readonly length: number;
  /** Writes the queued items now, even while automatic attempts pause; returns the rows written (0 if refused). */
  flush(): number;
  /** Writes the queued items unless attempts pause after a refused write (timers, full batches). */
  flushIfDue(): number;
  stats(): WriteQueueStats;
}

/** SQLite's way of saying the volume is full: SQLITE_FULL, or an I/O error (what a failed write often becomes). */
export function isOutOfSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR'))) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /database or disk is full|disk I\/O error|ENOSPC/i.test(message);
}

/** An error as one line of text: its code (when it has one) and message, never its stack. */
export function reasonOf(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** The state every write queue keeps about refused writes, and the log lines it writes about them. */
interface FailureTracker {
  readonly failures: number;
  /** Notes a refused write (the queue then holds `pending` items after dropping `excess`); returns the pause. */
  refused(err: unknown, pending: number, excess: number): number;
  /** Notes a write that worked after refusals (logs it once). */
  worked(written: number): void;
}

function failureTracker(
  component: string,
  what: string,
  maxPending: number,
  basePauseMs: number,
  maxPauseMs: number,
  log: Logger | undefined,
): FailureTracker {
  let failures = 0;
  let lastFailure = '';
  /** Items dropped since writing started failing (the log says so once per failure). */
  let droppedSinceFailure = 0;
  return {
    get failures() {
      return failures;
    },
    refused(err, pending, excess) {
      failures += 1;
      // The same doubling window as every other wait; no jitter: one process retries its own database.
      const pause = backoffWithJitter(
        { baseMs: basePauseMs, attempt: failures - 1, maxMs: maxPauseMs },
        Math.random,
      );
      const reason = reasonOf(err);
      if (reason !== lastFailure) {
        lastFailure = reason;
        log?.error(`${component}: writing ${what} failed; keeping them and retrying`, {
          reason,
          pending,
          retryInMs: pause,
        });
      }
      if (excess > 0 && droppedSinceFailure === 0) {
        log?.warn(`${component}: too many ${what} waiting; dropping the oldest until writing works again`, {
          maxPending,
        });
      }
      if (excess > 0) droppedSinceFailure += excess;
      return pause;
    },
    worked(written) {
      if (failures === 0) return;
      log?.info(`${component}: writing ${what} works again`, {
        failedAttempts: failures,
        written,
        ...(droppedSinceFailure > 0 ? { dropped: droppedSinceFailure } : {}),
      });
      failures = 0;
      lastFailure = '';
      droppedSinceFailure = 0;
    },
  };
}

/**
 * Waits for `work` at most `ms`: what stops the proxy must not outlast its deadline when the database hangs
 * (whatever is then still unwritten is reported by reportUnwritten).
 */
export async function waitAtMost(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

/** How long stopping waits for the last write of a queue whose database is reached asynchronously. */
export const CLOSE_WAIT_MS = 3_000;

/**
 * At stop, after the last attempt: says in one line how many items are lost because the database still refused
 * them (nothing when all were written). Returns that number.
 */
export function reportUnwritten(
  queue: { stats(): WriteQueueStats },
  component: string,
  what: string,
  log: Logger | undefined,
): number {
  const { pending } = queue.stats();
  if (pending > 0) {
    log?.error(`${component}: stopping with ${pending} ${what} the database did not take; they are lost`, {
      pending,
    });
  }
  return pending;
}

/** Creates an empty write queue. */
export function createWriteQueue<T>(options: WriteQueueOptions<T>): WriteQueue<T> {
  const now = options.now ?? Date.now;
  const maxPending = Math.max(1, options.maxPending ?? MAX_PENDING);
  const basePauseMs = options.basePauseMs ?? BASE_RETRY_PAUSE_MS;
  const maxPauseMs = options.maxPauseMs ?? MAX_RETRY_PAUSE_MS;
  const { component, what, log } = options;

  let queue: T[] = [];
  /** Index in `queue` of the newest item of each key. */
  const newestAt = new Map<string, number>();
  let dropped = 0;
  let retryAt = Number.NEGATIVE_INFINITY;
  const tracker = failureTracker(component, what, maxPending, basePauseMs, maxPauseMs, log);

  function index(item: T, at: number): void {
    if (options.keyOf) newestAt.set(options.keyOf(item), at);
  }

  function reindex(): void {
    newestAt.clear();
    queue.forEach(index);
  }

  function giveBackSpace(): void {
    try {
      options.db?.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The checkpoint needs room too; the next refused write tries again.
    }
  }

  function refused(batch: T[], err: unknown): void {
    queue = batch.concat(queue);
    const excess = queue.length - maxPending;
    if (excess > 0) {
      queue = queue.slice(excess);
      dropped += excess;
    }
    reindex();
    if (isOutOfSpace(err)) giveBackSpace();
    retryAt = now() + tracker.refused(err, queue.length, Math.max(0, excess));
  }

  function flush(): number {
    if (queue.length === 0) return 0;
    const batch = queue;
    queue = [];
    newestAt.clear();
    let written: number;
    try {
      written = options.write(batch);
    } catch (err) {
      refused(batch, err);
      return 0;
    }
    tracker.worked(written);
    retryAt = Number.NEGATIVE_INFINITY;
    return written;
  }

  return {
    push(item) {
      index(item, queue.length);
      queue.push(item);
    },
    newest(key) {
      const at = newestAt.get(key);
      return at === undefined ? undefined : queue[at];
    },
    replaceNewest(item) {
      const at = options.keyOf ? newestAt.get(options.keyOf(item)) : undefined;
      if (at === undefined) return false;
      queue[at] = item;
      return true;
    },
    get length() {
      return queue.length;
    },
    flush,
    flushIfDue() {
      return now() < retryAt ? 0 : flush();
    },
    stats: () => ({ pending: queue.length, dropped, failures: tracker.failures }),
  };
}

export interface AsyncWriteQueueOptions<T> extends Omit<WriteQueueOptions<T>, 'write' | 'db'> {
  /**
   * Writes the items, in order, in one transaction (all or nothing); resolves to how many rows were new. Writing
   * the same items twice must add nothing (a write that timed out may still commit, and its batch is retried).
   */
  write(items: readonly T[]): Promise<number>;
  /** A write not settled after this long counts as refused (default WRITE_TIMEOUT_MS). */
  writeTimeoutMs?: number;
}

/** A write queue for a database reached over the network (PostgreSQL): the same bounds, pauses and log lines. */
export interface AsyncWriteQueue<T> {
  push(item: T): void;
  newest(key: string): T | undefined;
  replaceNewest(item: T): boolean;
  readonly length: number;
  /** Writes the queued items now (after a write in flight); resolves to the rows written (0 if refused). */
  flush(): Promise<number>;
  /** Writes the queued items unless attempts pause after a refused write. */
  flushIfDue(): Promise<number>;
  /**
   * For a read that must see what is queued: waits for the write in flight, then writes what is left unless
   * attempts pause after a refused write (a read during an outage does not add a write attempt of its own).
   */
  settle(): Promise<number>;
  stats(): WriteQueueStats;
}

/**
 * Creates an empty queue whose writes are asynchronous: one batch at a time is in flight; items queued meanwhile
 * wait for the next. A refused batch (the connection lost, the server refusing writes …) goes back to the head of
 * the queue, in order, and is retried as the SQLite queue retries: nothing is dropped until `maxPending`.
 */
export function createAsyncWriteQueue<T>(options: AsyncWriteQueueOptions<T>): AsyncWriteQueue<T> {
  const now = options.now ?? Date.now;
  const maxPending = Math.max(1, options.maxPending ?? MAX_PENDING);
  const basePauseMs = options.basePauseMs ?? BASE_RETRY_PAUSE_MS;
  const maxPauseMs = options.maxPauseMs ?? MAX_RETRY_PAUSE_MS;
  const tracker = failureTracker(
    options.component,
    options.what,
    maxPending,
    basePauseMs,
    maxPauseMs,
    options.log,
  );

  let queue: T[] = [];
  const newestAt = new Map<string, number>();
  let dropped = 0;
  let retryAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<number> | null = null;
  /** Items of the batch being written (not committed yet: counted as pending). */
  let writing = 0;

  function reindex(): void {
    newestAt.clear();
    if (options.keyOf) queue.forEach((item, at) => newestAt.set(options.keyOf?.(item) ?? '', at));
  }

  async function writeBatch(): Promise<number> {
    const batch = queue;
    queue = [];
    newestAt.clear();
    writing = batch.length;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = options.writeTimeoutMs ?? WRITE_TIMEOUT_MS;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the database did not answer within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      });
      const written = await Promise.race([options.write(batch), timedOut]);
      tracker.worked(written);
      retryAt = Number.NEGATIVE_INFINITY;
      return written;
    } catch (err) {
      queue = batch.concat(queue);
      const excess = queue.length - maxPending;
      if (excess > 0) {
        queue = queue.slice(excess);
        dropped += excess;
      }
      reindex();
      retryAt = now() + tracker.refused(err, queue.length, Math.max(0, excess));
      return 0;
    } finally {
      clearTimeout(timer);
      writing = 0;
    }
  }

  function flushIfDue(): Promise<number> {
    return now() < retryAt || inFlight ? Promise.resolve(0) : flush();
  }

  function flush(): Promise<number> {
    if (inFlight) return inFlight.then(() => flush());
    if (queue.length === 0) return Promise.resolve(0);
    const running = writeBatch().finally(() => {
      if (inFlight === running) inFlight = null;
    });
    inFlight = running;
    return running;
  }

  return {
    push(item) {
      if (options.keyOf) newestAt.set(options.keyOf(item), queue.length);
      queue.push(item);
    },
    newest(key) {
      const at = newestAt.get(key);
      return at === undefined ? undefined : queue[at];
    },
    replaceNewest(item) {
      const at = options.keyOf ? newestAt.get(options.keyOf(item)) : undefined;
      if (at === undefined) return false;
      queue[at] = item;
      return true;
    },
    get length() {
      return queue.length;
    },
    flush,
    flushIfDue,
    settle() {
      return inFlight ? inFlight.then(() => flushIfDue()) : flushIfDue();
    },
    stats: () => ({ pending: queue.length + writing, dropped, failures: tracker.failures }),
  };
}
