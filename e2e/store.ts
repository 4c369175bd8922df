// Where the history and alert journeys keep their history: the SQLite file (project "sqlite") or PostgreSQL
// (project "postgres", see playwright.config.ts), so the same journeys run against both stores. Journeys that
// import `test` from here get a `store` fixture whose fresh() gives a config `history` section of their own: a
// SQLite file in a temporary folder, or a new database on a throwaway PostgreSQL server that this worker starts
// once (src/proxy/db/testing/postgres.ts) and stops at its end. Each proxy a journey starts needs its own
// database there, because a proxy claims its accounts and a second live proxy with the same account is refused.
//
// Without PostgreSQL the "postgres" journeys are skipped with a printed line saying why; under CI (CI=true) a
// missing PostgreSQL fails them instead, never a silent skip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { startTestPostgres, type PostgresOutcome } from '../src/proxy/db/testing/postgres.ts';

export type StoreKind = 'sqlite' | 'postgres';

/** A config file's `history` section: the SQLite file, or PostgreSQL (`url`; `path`'s folder keeps the nonces). */
export interface HistorySettings {
  path: string;
  url?: string;
}

export interface JourneyStore {
  kind: StoreKind;
  /** A history and alert store no other proxy uses yet (start a proxy on it twice to see what survives). */
  fresh(): Promise<HistorySettings>;
}

export interface StoreOptions {
  /** Which store the journeys of this project use. */
  storeKind: StoreKind;
}

interface WorkerFixtures extends StoreOptions {
  postgresServer: PostgresOutcome | null;
}

let databases = 0;

export const test = base.extend<{ skipWithoutStore: void }, WorkerFixtures & { store: JourneyStore }>({
  storeKind: ['sqlite', { option: true, scope: 'worker' }],

  postgresServer: [
    async ({ storeKind }, use) => {
      if (storeKind !== 'postgres') return use(null);
      const outcome = await startTestPostgres();
      if (!outcome.ok && (process.env.CI === 'true' || process.env.CI === '1')) {
        throw new Error(`PostgreSQL journeys cannot run under CI: ${outcome.reason}`);
      }
      if (!outcome.ok) {
        console.log(
          `PostgreSQL journeys skipped: ${outcome.reason} (install Debian's postgresql to run them)`,
        );
      }
      await use(outcome);
      if (outcome.ok) await outcome.server.stop();
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  // Worker-scoped, so beforeAll hooks can start proxies on it too.
  store: [
    async ({ storeKind, postgresServer }, use) => {
      const folders: string[] = [];
      await use({
        kind: storeKind,
        async fresh() {
          if (postgresServer && !postgresServer.ok) {
            base.skip(true, `PostgreSQL journeys skipped: ${postgresServer.reason}`);
          }
          const dir = mkdtempSync(join(tmpdir(), 'margin-watch-e2e-store-'));
          folders.push(dir);
          const path = join(dir, 'history.sqlite');
          if (!postgresServer?.ok) return { path };
          databases += 1;
          const url = await postgresServer.server.createDatabase(`journey_${process.pid}_${databases}`);
          return { path, url };
        },
      });
      for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],

  // A journey of the "postgres" project is skipped (with its reason) before it starts when there is no server.
  skipWithoutStore: [
    async ({ postgresServer }, use, testInfo) => {
      if (postgresServer && !postgresServer.ok) {
        testInfo.skip(true, `PostgreSQL journeys skipped: ${postgresServer.reason}`);
      }
      await use();
    },
    { auto: true },
  ],
});

export { expect } from '@playwright/test';
