// History journey against a demo instance of its own, on the project's store (the SQLite file or PostgreSQL, see
// store.ts): the VALR simulator is pinned safe, dipped to the liquidation band and brought back, then the trader
// looks back at it in the drill-down. The dip must show as the lowest point of every range (bucketed min, not an
// average), as a fired alert marker on the chart, in the exported CSV, and still after the proxy restarts on the
// same store.
//
// DOM used: [data-testid="drill-history"] > [data-testid="history"] with [data-testid="history-summary"]
// ("Lowest <unit> in view: <level> (<zone>) at|between …"), [data-testid="history-chart"], the alert markers
// (.history-alert--fired), the "Range" button group and "Export CSV".
import { readFileSync } from 'node:fs';
import type { HistoryResponseDto } from '../src/contract/history.ts';
import { expect, test } from './store.ts';
import { getJson, startProxy, type ProxyInstance } from './support.ts';

const VALR = 'valr-demo';
const SAFE = '0.2';
/** Below VALR's 0.05 liquidation line (margin fraction). */
const DIP = '0.04';

let proxy: ProxyInstance | undefined;

test.afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
});

/** The recorded VALR history over the last hour, as the API answers it. */
function history(own: ProxyInstance): Promise<HistoryResponseDto> {
  const from = Date.now() - 3_600_000;
  return getJson<HistoryResponseDto>(`${own.url}/api/accounts/${VALR}/history?from=${from}`);
}

const lowestRecorded = (h: HistoryResponseDto): string[] =>
  h.buckets.map((b) => b.min.text).filter((text) => Number(text) <= Number(DIP));

test('a dip to liquidation is the lowest point of every range, on the chart, in the CSV and after a restart', async ({
  page,
  store,
}, testInfo) => {
  test.setTimeout(180_000);
  const settings = { history: await store.fresh() };
  proxy = await startProxy({ seed: 9, settings });
  let own = proxy;

  // Safe, the dip, safe again: each held until the recorder has it.
  await own.control('valr', { kind: 'set-level', level: SAFE });
  await expect
    .poll(async () => (await history(own)).buckets.at(-1)?.last.text, { timeout: 30_000 })
    .toBe(SAFE);
  await own.control('valr', { kind: 'set-level', level: DIP });
  await expect.poll(async () => lowestRecorded(await history(own)), { timeout: 30_000 }).toContain(DIP);
  await own.control('valr', { kind: 'set-level', level: SAFE });
  await expect
    .poll(async () => (await history(own)).buckets.at(-1)?.last.text, { timeout: 30_000 })
    .toBe(SAFE);

  await page.goto(`${own.url}/accounts/${VALR}`);
  const chart = page.getByTestId('drill-history').getByTestId('history');
  const summary = chart.getByTestId('history-summary');
  const lowest = /^Lowest margin fraction in view: 0\.04 \(Liquidation\) (at|between) /;
  await expect(summary).toHaveText(lowest);
  await expect(chart.getByTestId('history-chart').locator('.recharts-surface').first()).toBeVisible();
  await expect(chart.locator('.history-alert--fired').first()).toBeAttached();

  // Every range down to the whole record keeps the dip as its lowest point.
  const ranges = chart.getByRole('group', { name: 'Range' });
  for (const range of ['7 d', '30 d', 'All', '1 h']) {
    await ranges.getByRole('button', { name: range, exact: true }).click();
    await expect(ranges.getByRole('button', { name: range, exact: true })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    await expect(summary).toHaveText(lowest);
  }

  // The CSV of what is in view carries the dip as a bucket's minimum, in the liquidation zone.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    chart.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^margin-history-valr-demo-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8')
    .trimEnd()
    .split('\r\n');
  const header = csv[0]?.split(',') ?? [];
  const rows = csv.slice(1).map((line) => line.split(','));
  const min = header.indexOf('level_min');
  const worst = header.indexOf('zone_worst');
  expect(rows.some((row) => row[min] === DIP && row[worst] === 'Liquidation')).toBe(true);

  // A restart on the same store: the dip is still there, read back from the store.
  await own.stop();
  proxy = await startProxy({ seed: 9, settings });
  own = proxy;
  expect(lowestRecorded(await history(own))).toContain(DIP);
  await page.goto(`${own.url}/accounts/${VALR}`);
  await expect(summary).toHaveText(lowest);
  await expect(chart.locator('.history-alert--fired').first()).toBeAttached();
  await testInfo.attach(`history-${store.kind}.png`, {
    body: await chart.screenshot(),
    contentType: 'image/png',
  });
});
