// Child process of ../durability.test.ts: records samples of account "acct" into the history database at argv[2]
// as fast as it can, continuing after the newest stored sample, and prints "committed <n>" after each batch.
// With argv[3] = "forever" it never stops (the test kills it); with a number it writes that many and exits.
import { openHistory } from '../../db/open.ts';
import { createRecorder } from '../recorder.ts';
import { createWriter } from '../writer.ts';
import { levelOf, snapshotAt } from './samples.ts';

const path = process.argv[2];
const limit = process.argv[3] === 'forever' ? Number.POSITIVE_INFINITY : Number(process.argv[3]);
if (!path || Number.isNaN(limit)) throw new Error('usage: durability-child.ts <db> forever|<count>');

const CHILD_BATCH = 500;
const history = openHistory(path);
const start = createWriter(history).lastSampleTime('acct') ?? 1_700_000_000_000;
const recorder = createRecorder({
  db: history,
  batchSize: CHILD_BATCH,
  flushMs: 0,
  pruneEveryMs: 0,
  retentionDays: 36_500,
});

let i = 0;
function burst(): void {
  for (let n = 0; n < 2000 && i < limit; n += 1) {
    i += 1;
    const t = start + i * 1000;
    const before = recorder.stats().written;
    recorder.recordSnapshot(snapshotAt('acct', t, levelOf(`1.${String(i % 10_000).padStart(4, '0')}1`)), t);
    const after = recorder.stats().written;
    if (after !== before) process.stdout.write(`committed ${after}\n`);
  }
  if (i < limit) setImmediate(burst);
  else {
    recorder.close();
    history.close();
    process.stdout.write(`done ${recorder.stats().written}\n`);
  }
}
burst();
