import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import {
  createAsyncWriteQueue,
  createWriteQueue,
  isOutOfSpace,
  reasonOf,
  reportUnwritten,
  waitAtMost,
  type WriteQueueOptions,
} from './write-queue.ts';

const FULL = new Database.SqliteError('database or disk is full', 'SQLITE_FULL');

interface Item {
  key: string;
  n: number;
}

/** A database stand-in that refuses writes while `refusing` holds an error. */
function harness(options: Partial<WriteQueueOptions<Item>> = {}) {
  const clock = {
    t: 0,
    now: (): number => clock.t,
    advance(ms: number): void {
      clock.t += ms;
    },
  };
  const stored: Item[] = [];
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const db = { pragma: vi.fn() };
  const state: { refusing: Error | null } = { refusing: null };
  const write = vi.fn((items: readonly Item[]): number => {
    if (state.refusing) throw state.refusing;
    stored.push(...items);
    return items.length;
  });
  const queue = createWriteQueue<Item>({
    component: 'test',
    what: 'items',
    write,
    db,
    keyOf: (item) => item.key,
    log,
    now: clock.now,
    ...options,
  });
  return { queue, clock, stored, log, db, state, write };
}

describe('write queue', () => {
  it('keeps refused items and writes all of them, in order, once the database takes writes again', () => {
    const h = harness();
    h.state.refusing = FULL;
    for (let n = 0; n < 5; n += 1) {
      h.queue.push({ key: 'a', n });
      h.queue.flush();
    }
    expect(h.queue.stats()).toEqual({ pending: 5, dropped: 0, failures: 5 });
    h.state.refusing = null;
    expect(h.queue.flush()).toBe(5);
    expect(h.stored.map((i) => i.n)).toEqual([0, 1, 2, 3, 4]);
    expect(h.queue.stats()).toEqual({ pending: 0, dropped: 0, failures: 0 });
  });

  it('pauses automatic attempts, doubling from 1 s up to a minute; flush() tries at once', () => {
    const h = harness();
    h.state.refusing = FULL;
    h.queue.push({ key: 'a', n: 0 });
    const pauses: number[] = [];
    for (let attempt = 0; attempt < 9; attempt += 1) {
      const start = h.clock.t;
      h.queue.flushIfDue();
      const calls = h.write.mock.calls.length;
      while (h.write.mock.calls.length === calls) {
        h.clock.advance(100);
        h.queue.flushIfDue();
      }
      pauses.push(h.clock.t - start);
    }
    expect(pauses).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    const calls = h.write.mock.calls.length;
    h.queue.flush();
    expect(h.write.mock.calls.length).toBe(calls + 1);
  });

  it('logs one line per change of state, with the reason and never a stack', () => {
    const h = harness();
    h.state.refusing = FULL;
    for (let n = 0; n < 50; n += 1) {
      h.queue.push({ key: 'a', n });
      h.queue.flush();
    }
    h.state.refusing = new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE');
    h.queue.flush();
    h.state.refusing = null;
    h.queue.flush();
    expect(h.log.error.mock.calls).toEqual([
      [
        'test: writing items failed; keeping them and retrying',
        { reason: 'database or disk is full (SQLITE_FULL)', pending: 1, retryInMs: 1_000 },
      ],
      [
        'test: writing items failed; keeping them and retrying',
        { reason: 'disk I/O error (SQLITE_IOERR_WRITE)', pending: 50, retryInMs: 60_000 },
      ],
    ]);
    expect(h.log.info.mock.calls).toEqual([
      ['test: writing items works again', { failedAttempts: 51, written: 50 }],
    ]);
    expect(h.log.warn).not.toHaveBeenCalled();
  });

  it('keeps at most maxPending items, dropping the oldest, and says so once', () => {
    const h = harness({ maxPending: 3 });
    h.state.refusing = FULL;
    for (let n = 0; n < 6; n += 1) {
      h.queue.push({ key: 'a', n });
      h.queue.flush();
    }
    expect(h.queue.stats()).toMatchObject({ pending: 3, dropped: 3 });
    expect(h.log.warn).toHaveBeenCalledOnce();
    h.state.refusing = null;
    h.queue.flush();
    expect(h.stored.map((i) => i.n)).toEqual([3, 4, 5]);
    expect(h.log.info).toHaveBeenCalledWith('test: writing items works again', {
      failedAttempts: 6,
      written: 3,
      dropped: 3,
    });
  });

  it('checkpoints the WAL (TRUNCATE) after a write refused for lack of space, and only then', () => {
    const h = harness();
    h.queue.push({ key: 'a', n: 0 });
    h.state.refusing = new Error('no such table: samples');
    h.queue.flush();
    expect(h.db.pragma).not.toHaveBeenCalled();
    h.state.refusing = FULL;
    h.queue.flush();
    expect(h.db.pragma).toHaveBeenCalledExactlyOnceWith('wal_checkpoint(TRUNCATE)');
    h.state.refusing = new Database.SqliteError('disk I/O error', 'SQLITE_IOERR');
    h.queue.flush();
    expect(h.db.pragma).toHaveBeenCalledTimes(2);
  });

  it('survives a checkpoint that fails too', () => {
    const h = harness();
    h.db.pragma.mockImplementation(() => {
      throw FULL;
    });
    h.state.refusing = FULL;
    h.queue.push({ key: 'a', n: 0 });
    expect(h.queue.flush()).toBe(0);
    expect(h.queue.stats().pending).toBe(1);
  });

  it('finds and replaces the newest queued item of a key, also after a refused write', () => {
    const h = harness();
    h.queue.push({ key: 'a', n: 1 });
    h.queue.push({ key: 'b', n: 2 });
    h.queue.push({ key: 'a', n: 3 });
    expect(h.queue.newest('a')).toEqual({ key: 'a', n: 3 });
    h.state.refusing = FULL;
    h.queue.flush();
    h.queue.push({ key: 'b', n: 4 });
    expect(h.queue.replaceNewest({ key: 'a', n: 30 })).toBe(true);
    expect(h.queue.replaceNewest({ key: 'c', n: 0 })).toBe(false);
    h.state.refusing = null;
    h.queue.flush();
    expect(h.stored.map((i) => i.n)).toEqual([1, 2, 30, 4]);
  });
});

describe('asynchronous write queue', () => {
  /** A database stand-in whose writes hang (never settle) while `hanging` holds. */
  function hangingHarness() {
    const stored: Item[] = [];
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const state = { hanging: true, attempts: 0 };
    const queue = createAsyncWriteQueue<Item>({
      component: 'test',
      what: 'items',
      write: (items) => {
        state.attempts += 1;
        if (state.hanging) return new Promise<number>(() => undefined);
        stored.push(...items);
        return Promise.resolve(items.length);
      },
      keyOf: (item) => item.key,
      log,
      now: Date.now,
      maxPending: 3,
      writeTimeoutMs: 30_000,
    });
    return { queue, stored, log, state };
  }

  it('counts a write that never answers as refused: the batch is kept, the log says so, the bound holds', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { queue, stored, log, state } = hangingHarness();
      for (let n = 1; n <= 2; n += 1) queue.push({ key: 'a', n });
      const first = queue.flush();
      for (let n = 3; n <= 5; n += 1) queue.push({ key: 'a', n });
      await vi.advanceTimersByTimeAsync(29_999);
      expect(log.error).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      await expect(first).resolves.toBe(0);
      expect(log.error).toHaveBeenCalledWith('test: writing items failed; keeping them and retrying', {
        reason: 'the database did not answer within 30 s',
        pending: 3,
        retryInMs: 1_000,
      });
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(queue.stats()).toEqual({ pending: 3, dropped: 2, failures: 1 });

      state.hanging = false;
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(queue.flushIfDue()).resolves.toBe(3);
      expect(stored.map((i) => i.n)).toEqual([3, 4, 5]);
      expect(log.info).toHaveBeenCalledWith('test: writing items works again', {
        failedAttempts: 1,
        written: 3,
        dropped: 2,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts the batch being written as pending, and waitAtMost() gives up on a write that hangs', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { queue } = hangingHarness();
      queue.push({ key: 'a', n: 1 });
      queue.push({ key: 'b', n: 2 });
      const hanging = queue.flush();
      expect(queue.stats().pending).toBe(2);
      let waited = false;
      const stop = waitAtMost(3_000, hanging).then(() => (waited = true));
      await vi.advanceTimersByTimeAsync(2_999);
      expect(waited).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await stop;
      expect(queue.stats().pending).toBe(2);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(queue.stats()).toMatchObject({ pending: 2, failures: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('settle() waits for the write in flight, and adds no attempt of its own while attempts pause', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { queue, stored, state } = hangingHarness();
      queue.push({ key: 'a', n: 1 });
      void queue.flush();
      let settled = false;
      const reading = queue.settle().then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(29_000);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1_000);
      await reading;
      expect(state.attempts).toBe(1);
      await queue.settle();
      expect(state.attempts).toBe(1);

      state.hanging = false;
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(queue.settle()).resolves.toBe(1);
      expect(stored.map((i) => i.n)).toEqual([1]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('reportUnwritten', () => {
  it('says at stop how many items the database did not take, and nothing when all were written', () => {
    const { queue, state, log } = harness();
    queue.push({ key: 'a', n: 1 });
    queue.flush();
    expect(reportUnwritten(queue, 'test', 'items', log)).toBe(0);
    state.refusing = FULL;
    queue.push({ key: 'a', n: 2 });
    queue.push({ key: 'b', n: 3 });
    queue.flush();
    log.error.mockClear();
    expect(reportUnwritten(queue, 'test', 'items', log)).toBe(2);
    expect(log.error).toHaveBeenCalledWith(
      'test: stopping with 2 items the database did not take; they are lost',
      { pending: 2 },
    );
  });
});

describe('isOutOfSpace and reasonOf', () => {
  it('tells a full volume from other failures', () => {
    expect(isOutOfSpace(FULL)).toBe(true);
    expect(isOutOfSpace(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'))).toBe(true);
    expect(isOutOfSpace(new Error('ENOSPC: no space left on device'))).toBe(true);
    expect(isOutOfSpace(new Database.SqliteError('database is locked', 'SQLITE_BUSY'))).toBe(false);
  });

  it('gives one line: the message and the code', () => {
    expect(reasonOf(FULL)).toBe('database or disk is full (SQLITE_FULL)');
    expect(reasonOf(new Error('two\nlines'))).toBe('two lines');
    expect(reasonOf('text')).toBe('text');
  });
});
