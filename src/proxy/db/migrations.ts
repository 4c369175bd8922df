// The schema of the proxy's SQLite database, one versioned step at a time: the history tables (samples, profiles,
// rollups), the alert tables, and the exchanges' changes of history unit. This file is the database's whole file
// format: ../history and ../alerts each read and write their own tables and import nothing from one another.
// `user_version` holds the version applied; ./open.ts runs `migrate` each time the file is opened.
import type Database from 'better-sqlite3';
import { percentHistoryChange } from '../../exchanges/b2prime/history-migration.ts';
import type { HistoryUnitChange } from '../../exchanges/server-types.ts';
import { rebuildRollups } from '../history/rollup.ts';
import { changeLevelUnit } from '../history/unit-change.ts';

/** One schema step. `up` runs inside a transaction together with the version bump. */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/**
 * The alert tables: the alert history (every 'fired' and 'recovered') and the rule settings edited in the UI
 * (../alerts/store.ts reads and writes them). Exported so tests can create them alone on an empty database.
 */
export const alertsMigration: Migration = {
  version: 3,
  description: 'alert history and alert rule settings edited in the UI',
  up(db) {
    db.exec(`
      CREATE TABLE alert_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        account TEXT NOT NULL,
        exchange TEXT NOT NULL,
        rule TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('fired', 'recovered')),
        level TEXT,
        zone TEXT NOT NULL,
        cushion TEXT,
        message TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX alert_events_at ON alert_events (at, seq);
      CREATE INDEX alert_events_account_rule ON alert_events (account, rule, seq);
      CREATE TABLE alert_settings (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  },
};

/** The step that runs an exchange's change of history unit (stated in that exchange's folder) as `version`. */
export function unitChangeStep(version: number, change: HistoryUnitChange): Migration {
  return {
    version,
    description: change.description,
    up(db) {
      changeLevelUnit(db, change);
    },
  };
}

/** Every schema version, in order. Never edit a released step: add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'accounts, profiles and raw samples',
    up(db) {
      db.exec(`
        CREATE TABLE accounts (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          exchange TEXT NOT NULL
        );
        CREATE TABLE profiles (
          id INTEGER PRIMARY KEY,
          body TEXT NOT NULL UNIQUE
        );
        CREATE TABLE samples (
          account_id INTEGER NOT NULL,
          t INTEGER NOT NULL,
          level_text TEXT NOT NULL,
          level_key REAL NOT NULL,
          zone INTEGER NOT NULL,
          cushion TEXT,
          profile_id INTEGER NOT NULL,
          assets TEXT,
          liabilities TEXT,
          equity TEXT,
          gap_before INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (account_id, t)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 'rollups per 1 min, 15 min and 4 h for fast bucketing, built from the existing samples',
    up(db) {
      db.exec(`
        CREATE TABLE rollups (
          account_id INTEGER NOT NULL,
          period INTEGER NOT NULL,
          start INTEGER NOT NULL,
          n INTEGER NOT NULL,
          first_t INTEGER NOT NULL,
          last_t INTEGER NOT NULL,
          min_text TEXT NOT NULL,
          min_key REAL NOT NULL,
          max_text TEXT NOT NULL,
          max_key REAL NOT NULL,
          last_text TEXT NOT NULL,
          last_key REAL NOT NULL,
          last_zone INTEGER NOT NULL,
          worst_zone INTEGER NOT NULL,
          last_cushion TEXT,
          last_profile INTEGER NOT NULL,
          last_assets TEXT,
          last_liabilities TEXT,
          last_equity TEXT,
          gap INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (account_id, period, start)
        ) WITHOUT ROWID;
      `);
      rebuildRollups(db);
    },
  },
  alertsMigration,
  unitChangeStep(4, percentHistoryChange),
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The schema version stored in the file (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Brings the schema up to `target` (default: the latest), one transaction per step. Refuses a file written
 * by a newer version. Returns the versions applied.
 */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): number[] {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `history database schema v${current} is newer than this Margin Watch understands (v${SCHEMA_VERSION}); ` +
        'upgrade Margin Watch or point history.path at another file',
    );
  }
  const applied: number[] = [];
  for (const step of MIGRATIONS) {
    if (step.version <= current || step.version > target) continue;
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    })();
    applied.push(step.version);
  }
  return applied;
}
