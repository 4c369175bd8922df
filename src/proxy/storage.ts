// Where the proxy keeps history and alerts: one interface, two implementations.
//   - The SQLite file (`history.path`, the default): the synchronous recorder, reader and alert store over
//     better-sqlite3, exactly as the proxy has always run.
//   - PostgreSQL (`history.url`): the query layer (./db/sql.ts) with its asynchronous history store, alert store
//     and write queues. The proxy claims its configured accounts on the database first (an advisory lock each),
//     so two proxies never record the same account: a second one is refused, naming the holder.
// The recorder, the history routes, the alert service and the risk service's trend use only this interface.
import { hostname } from 'node:os';
import type { Logger } from '../exchanges/server-types.ts';
import {
  createAlertService,
  createSqlAlertService,
  type AlertServiceOptions,
  type ProxyAlertService,
} from './alerts/service.ts';
import { createSqlAlertStore, type AlertQuery } from './alerts/store.ts';
import { reasonOf } from './db/write-queue.ts';
import type { HistoryDb } from './db/open.ts';
import {
  AccountHeldError,
  DatabaseUnavailableError,
  claimAccounts,
  openPostgres,
  PostgresOpenError,
  type AccountClaim,
  type Engine,
} from './db/sql.ts';
import {
  createReader,
  type HistoryReader,
  type HistoryRequest,
  type HistoryResult,
} from './history/query.ts';
import {
  createRecorder,
  createStoreRecorder,
  type HistoryRecorder,
  type RecorderSettings,
} from './history/recorder.ts';
import { createSqlHistoryStore } from './history/sql-store.ts';

export interface ProxyStorage {
  readonly engine: Engine;
  /** The SQLite file's path, or the PostgreSQL URL with its password redacted (for logs). */
  readonly where: string;
  /** The SQLite file, when it is the store. */
  readonly sqlite?: HistoryDb;
  /** The bucketed history of one account (GET /api/accounts/:id/history, the risk service's trend). */
  queryHistory(request: HistoryRequest): Promise<HistoryResult>;
  /** Creates the recorder writing into this store. */
  createRecorder(settings: RecorderSettings): Promise<HistoryRecorder>;
  /** Creates the alert service keeping its alerts and rule settings in this store. */
  createAlerts(options: Omit<AlertServiceOptions, 'db'>): Promise<ProxyAlertService>;
  /** Releases the account claims and closes the database (the recorder and alerts are closed first). */
  close(): Promise<void>;
}

/** The SQLite file as the proxy's store; closing the storage closes the file. */
export function sqliteStorage(history: HistoryDb): ProxyStorage {
  // Prepared on first use: a file whose tables are missing is refused by the recorder and alerts as they start.
  let reader: HistoryReader | undefined;
  return {
    engine: 'sqlite',
    where: history.path,
    sqlite: history,
    queryHistory: async (request) => (reader ??= createReader(history)).query(request),
    createRecorder: async (settings) => createRecorder({ ...settings, db: history }),
    createAlerts: async (options) => createAlertService({ ...options, db: history.sqlite }),
    close: async () => history.close(),
  };
}

/** Pauses between attempts to claim the accounts again after the claim's connection was lost. */
const RECLAIM_BASE_MS = 1_000;
const RECLAIM_MAX_MS = 60_000;

export interface PostgresStorageOptions {
  url: string;
  /** The accounts this proxy records: claimed on the database before anything is written. */
  accountIds: readonly string[];
  log: Logger;
  /** Shown to another proxy refused one of these accounts (default: margin-watch on <host>, pid <pid>). */
  applicationName?: string;
}

/**
 * Opens (and migrates) the PostgreSQL database at `url` and claims the accounts. Throws PostgresOpenError when
 * the database cannot be used and AccountHeldError when another live proxy holds one of the accounts.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<ProxyStorage> {
  const applicationName = (
    options.applicationName ?? `margin-watch on ${hostname()} pid ${process.pid}`
  ).slice(0, 63);
  const database = await openPostgres(options.url, { applicationName });
  let claim: AccountClaim;
  try {
    claim = await claimAccounts(database, options.accountIds);
  } catch (err) {
    await database.close();
    if (err instanceof AccountHeldError) throw err;
    throw new PostgresOpenError(options.url, `claiming the accounts failed: ${reasonOf(err)}`, {
      cause: err,
    });
  }
  let closing = false;
  let retry: NodeJS.Timeout | undefined;
  // A lost claim (the server restarted, the network broke) is taken again as soon as the database answers; until
  // then another proxy could start on these accounts, and if one did, the log says which, every attempt.
  const watch = (held: AccountClaim): void => {
    void held.lost.then((err) => {
      if (closing) return;
      options.log.error(
        'history: the PostgreSQL connection holding this proxy’s accounts was lost; claiming them again',
        { where: database.where, reason: err.message },
      );
      reclaim(0);
    });
  };
  const reclaim = (attempt: number): void => {
    retry = setTimeout(
      () => {
        claimAccounts(database, options.accountIds).then(
          (again) => {
            if (closing) return void again.release();
            claim = again;
            options.log.info('history: this proxy’s accounts are claimed again', { where: database.where });
            watch(again);
          },
          (err: unknown) => {
            if (closing) return;
            if (err instanceof AccountHeldError) {
              options.log.error(`history: ${err.message}`, { where: database.where });
            }
            reclaim(attempt + 1);
          },
        );
      },
      Math.min(RECLAIM_MAX_MS, RECLAIM_BASE_MS * 2 ** attempt),
    );
    retry.unref();
  };
  watch(claim);
  // Several proxies may share the database: each prunes its own accounts' history, with its own retention.
  const history = createSqlHistoryStore(database, { accounts: options.accountIds });
  // Each lists, prunes and keeps the rule settings of its own accounts' alerts.
  const alertStore = createSqlAlertStore(database, { accounts: options.accountIds });
  // Reads the API answers with: a database that does not answer is a 503 with one line, not a crash report.
  const alerts = {
    ...alertStore,
    list: (query?: AlertQuery) => DatabaseUnavailableError.guard(alertStore.list(query)),
    open: () => DatabaseUnavailableError.guard(alertStore.open()),
  };
  return {
    engine: 'postgres',
    where: database.where,
    queryHistory: (request) => DatabaseUnavailableError.guard(history.query(request)),
    createRecorder: (settings) =>
      createStoreRecorder({ ...settings, store: history, accountIds: options.accountIds }),
    createAlerts: (alertOptions) => createSqlAlertService({ ...alertOptions, store: alerts }),
    async close() {
      closing = true;
      clearTimeout(retry);
      try {
        await claim.release();
      } finally {
        await database.close();
      }
    },
  };
}
