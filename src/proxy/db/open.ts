// The proxy's database: one SQLite file (better-sqlite3) in WAL mode, at the config's `history.path`, holding the
// margin history and the alerts. Opening it runs the versioned migrations of ./migrations.ts.
//
// Storage choices of the history tables (../history):
// - Every sample keeps the level exactly as the exchange wrote it, as TEXT (`level_text`). Beside it,
//   `level_key` is a REAL copy used only as a sort key, so SQLite can pick each bucket's minimum and maximum
//   (MIN/MAX); the value returned is always the exact text of the chosen row, never the REAL. A level with no
//   debt is stored as such: its key is +Infinity (safer than any number) and its text is what the exchange
//   sent; it is never stored as 0.
// - Bands, the level's unit and the totals' currency change rarely: they are stored once in `profiles` and
//   referenced. Thresholds and totals are exact decimal strings; the cushion, derived from level and bands,
//   is stored rounded to 8 decimal places.
// - `rollups` keep, per account and period (1 min, 15 min, 4 h), count, exact min/max/last and the worst zone,
//   so long ranges are bucketed from a few thousand rows (see ../history/rollup.ts).
//
// Durability: WAL with synchronous=NORMAL. A committed transaction survives the process being killed at any
// moment (SIGKILL included): it is in the WAL, which SQLite replays on the next open. An operating-system
// crash or power cut can lose the last transactions but never corrupts the file.
//
// Space: the WAL is checkpointed every WAL_AUTOCHECKPOINT_PAGES pages and truncated to at most
// WAL_SIZE_LIMIT_BYTES after a checkpoint, so it never keeps more than a few MiB of a small volume; a write refused
// for lack of space checkpoints it with TRUNCATE (./write-queue.ts), giving back all of its space at once.
import { mkdirSync, mkdtempSync, rmSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';
import { reasonOf } from './write-queue.ts';

/** Bytes the WAL file keeps after a checkpoint (`journal_size_limit`). */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;
/** The WAL is checkpointed once it holds this many pages (`wal_autocheckpoint`; 2 MiB with 4 KiB pages). */
export const WAL_AUTOCHECKPOINT_PAGES = 500;

/** The open database (history and alerts). */
export interface HistoryDb {
  readonly sqlite: Database.Database;
  /** File path (':memory:' for an in-memory database). */
  readonly path: string;
  /** Closes the connection (checkpointing the WAL). Idempotent. */
  close(): void;
}

/**
 * The history database cannot be used at `path`; `reason` says why in words, in one line. With `source` (the
 * config file) the message names it and `history.path` too, which is what a user must change.
 */
export class HistoryOpenError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly source?: string,
    options?: ErrorOptions,
  ) {
    const where = source === undefined ? '' : `${source}: history.path: `;
    super(`${where}cannot use ${path} for the history database: ${reason}`, options);
    this.name = 'HistoryOpenError';
  }

  /** The same error, naming the config file the path came from. */
  from(source: string): HistoryOpenError {
    return new HistoryOpenError(this.path, this.reason, source, { cause: this.cause });
  }
}

const ERRNO_REASONS: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'not permitted there',
  ENOSPC: 'no space left on the device',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'the path loops through symbolic links',
};

/** Why SQLite could not open, create or migrate the file, in words (its code in brackets). */
export function openFailureReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return reasonOf(err);
  const words =
    ERRNO_REASONS[code] ??
    (code.startsWith('SQLITE_CANTOPEN')
      ? 'the file cannot be created or opened (a read-only file system or folder?)'
      : code.startsWith('SQLITE_READONLY')
        ? 'the file or its folder is read-only'
        : code === 'SQLITE_NOTADB'
          ? 'the file is not a SQLite database'
          : code.startsWith('SQLITE_CORRUPT')
            ? 'the file is damaged (not a usable SQLite database)'
            : code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')
              ? 'the disk is full or failing'
              : undefined);
  return words === undefined ? reasonOf(err) : `${words} (${code})`;
}

function statOf(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Makes sure `path` can be a file: not a folder, and its folder exists (created one level at a time, so a
 * path under a regular file or in a virtual file system is reported instead of retried). Throws HistoryOpenError.
 */
function prepareFolder(path: string): void {
  if (statOf(path)?.isDirectory()) {
    throw new HistoryOpenError(path, 'it is a folder, not a file (name a file in it, e.g. history.sqlite)');
  }
  const missing: string[] = [];
  let folder = dirname(path);
  let stat = statOf(folder);
  while (stat === null && dirname(folder) !== folder) {
    missing.unshift(folder);
    folder = dirname(folder);
    stat = statOf(folder);
  }
  if (stat !== null && !stat.isDirectory()) {
    throw new HistoryOpenError(path, `${folder} is a file, not a folder`);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statOf(dir)?.isDirectory()) continue;
      const why = code === 'ENOENT' ? `this file system does not allow it (${code})` : openFailureReason(err);
      throw new HistoryOpenError(path, `cannot create the folder ${dir}: ${why}`, undefined, { cause: err });
    }
  }
}

export interface OpenHistoryOptions {
  /** Stop at this schema version (tests of upgrades); default the latest. */
  targetVersion?: number;
}

/**
 * Opens (creating it and its directory if needed) the history database at `path`, in WAL mode, and migrates
 * it to the current schema. Throws HistoryOpenError, saying why in one line, when the file cannot be used.
 */
export function openHistory(path: string, options: OpenHistoryOptions = {}): HistoryDb {
  if (path !== ':memory:') prepareFolder(path);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (err) {
    throw new HistoryOpenError(path, openFailureReason(err), undefined, { cause: err });
  }
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    sqlite.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    migrate(sqlite, options.targetVersion);
  } catch (err) {
    sqlite.close();
    throw new HistoryOpenError(path, openFailureReason(err), undefined, { cause: err });
  }
  let closed = false;
  return {
    sqlite,
    path,
    close() {
      if (closed) return;
      closed = true;
      sqlite.close();
    },
  };
}

/** A history database in a new temporary directory (demo mode); closing it deletes the directory. */
export function openTemporaryHistory(): HistoryDb {
  const dir = mkdtempSync(join(tmpdir(), 'margin-watch-history-'));
  const inner = openHistory(join(dir, 'history.sqlite'));
  return {
    sqlite: inner.sqlite,
    path: inner.path,
    close() {
      inner.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
