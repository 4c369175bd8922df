// Child process of ../sql-store.durability.test.ts: writes samples of account "acct" to the PostgreSQL database at
// argv[2] through the history store and its asynchronous write queue, in batches of 500, continuing after the
// newest stored sample, and prints "committed <n>" after each committed batch. With argv[3] = "forever" it never
// stops (the test kills it); with a number it writes that many and exits.
import { openPostgres } from '../../db/sql.ts';
import { createAsyncWriteQueue } from '../../db/write-queue.ts';
import { createSqlHistoryStore } from '../sql-store.ts';
import type { SampleInput } from '../writer.ts';
import { levelOf, snapshotAt } from './samples.ts';

const url = process.argv[2];
const limit = process.argv[3] === 'forever' ? Number.POSITIVE_INFINITY : Number(process.argv[3]);
if (!url || Number.isNaN(limit))
  throw new Error('usage: pg-durability-child.ts <postgres url> forever|<count>');

const BATCH = 500;
const database = await openPostgres(url);
const store = createSqlHistoryStore(database);
const start = (await store.lastSampleTime('acct')) ?? 1_700_000_000_000;
let committed = 0;
const queue = createAsyncWriteQueue<SampleInput>({
  component: 'history',
  what: 'samples',
  async write(batch) {
    const added = await store.write(batch);
    committed += added;
    process.stdout.write(`committed ${committed}\n`);
    return added;
  },
});

for (let i = 1; i <= limit; i += 1) {
  const t = start + i * 1000;
  const snapshot = snapshotAt('acct', t, levelOf(`1.${String(i % 10_000).padStart(4, '0')}1`));
  if (snapshot.level === null) throw new Error('a level is needed');
  queue.push({
    accountId: 'acct',
    exchange: 'valr',
    t,
    level: snapshot.level,
    unit: snapshot.unit,
    bands: snapshot.bands,
    zone: snapshot.zone,
    cushion: snapshot.cushion,
    totals: snapshot.totals,
    gapBefore: false,
  });
  if (queue.length >= BATCH) await queue.flush();
}
await queue.flush();
await database.close();
process.stdout.write(`done ${committed}\n`);
