import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Dec } from '../domain/decimal.ts';
import { memoryNonceSource } from '../exchanges/kit/signing.ts';
import type { AccountConfig, UpstreamDeps } from '../exchanges/server-types.ts';
import { AccountManager } from './accounts.ts';
import { createAlertService, type AlertService } from './alerts/service.ts';
import { openTemporaryHistory, type HistoryDb } from './db/open.ts';
import { createRecorder, type Recorder } from './history/recorder.ts';
import { StreamHub } from './hub.ts';
import { createLogger, Redactor } from './log.ts';
import { createMetrics, UPSTREAM_STATES, type ProxyMetrics } from './metrics.ts';
import { drivenCatalog } from './testing/driven-exchange.ts';
import { sampleValue, seriesOf } from './testing/metrics-text.ts';

const MARGIN_INFO = JSON.parse(
  readFileSync(new URL('../exchanges/valr/fixtures/margin-info.json', import.meta.url), 'utf8'),
) as { type: string; data: Record<string, unknown> };
const SECRET = 'valr-secret-for-metrics-test-0001';
const WEBHOOK = 'https://hooks.slack.com/services/T000FAKE/B000FAKE/metricswebhooksecret';

function valrAccount(id: string): AccountConfig {
  return {
    id,
    exchange: 'valr',
    label: `VALR ${id}`,
    credentials: { apiKey: `key-of-${id}`, apiSecret: SECRET },
    endpoints: { rest: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:1' },
    pollSeconds: 5,
    options: {},
  };
}

interface Rig {
  metrics: ProxyMetrics;
  upstream(id: string): UpstreamDeps;
  clock: { t: number };
  recorder: Recorder;
  alerts: AlertService;
  webhookCalls: string[];
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function rig(options: { processMetrics?: boolean } = {}): Rig {
  const clock = { t: 1_750_000_000_000 };
  const now = () => clock.t;
  const driven = drivenCatalog('valr');
  const catalog = driven.catalog;
  const configAccounts = [valrAccount('valr-a'), valrAccount('valr-b')];
  const log = createLogger({ redactor: new Redactor([SECRET, WEBHOOK]), write: () => {}, pretty: false });
  const hub = new StreamHub({ heartbeatMs: 0, now });
  const accounts = new AccountManager({
    accounts: configAccounts,
    catalog,
    hub,
    log,
    nonces: memoryNonceSource(),
    now,
  });
  const history: HistoryDb = openTemporaryHistory();
  const recorder = createRecorder({ db: history, flushMs: 0, pruneEveryMs: 0, now });
  const webhookCalls: string[] = [];
  const alerts = createAlertService({
    db: history.sqlite,
    config: {
      accounts: configAccounts,
      alerts: { webhooks: [{ url: WEBHOOK, format: 'slack' }] },
    },
    log,
    now,
    newId: (() => {
      let n = 0;
      return () => `alert-${(n += 1)}`;
    })(),
    fetch: async (input) => {
      webhookCalls.push(input instanceof Request ? input.url : input.toString());
      throw new Error('connection refused');
    },
    webhookTuning: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, timeoutMs: 1000 },
  });
  accounts.onMessage((message) => {
    recorder.record(message);
    alerts.onMessage(message);
  });
  accounts.onStatus((id, state, detail) => alerts.onStatus(id, state, detail));
  const metrics = createMetrics({
    accounts,
    hub,
    catalog,
    alerts,
    history: recorder,
    now,
    processMetrics: options.processMetrics ?? false,
  });
  accounts.start();
  cleanups.push(
    () => history.close(),
    () => recorder.close(),
    () => alerts.close(),
    () => accounts.stop(),
    () => hub.close(),
    () => metrics.close(),
  );
  return {
    metrics,
    clock,
    recorder,
    alerts,
    webhookCalls,
    upstream: (id) => driven.upstream(id),
  };
}

const A = { account: 'valr-a', exchange: 'valr', unit: 'fraction' };
const B = { account: 'valr-b', exchange: 'valr', unit: 'fraction' };

describe('GET /metrics series', () => {
  it('reports the level, cushion, zone, lines and time of the last level of each account', async () => {
    const r = rig();
    r.upstream('valr-a').publish('account', MARGIN_INFO, r.clock.t);
    const text = await r.metrics.text();

    const fraction = '1.90363696';
    expect(sampleValue(text, 'margin_watch_level', A)).toBe(Number(fraction));
    const cushion = new Dec(1).minus(new Dec('0.047995245').div(fraction)).toNumber();
    expect(sampleValue(text, 'margin_watch_cushion_ratio', A)).toBeCloseTo(cushion, 12);
    expect(sampleValue(text, 'margin_watch_threshold', { ...A, line: 'caution' })).toBe(0.098837526);
    expect(sampleValue(text, 'margin_watch_threshold', { ...A, line: 'liquidation' })).toBe(0.047995245);
    expect(sampleValue(text, 'margin_watch_threshold', { ...A, line: 'takeover' })).toBe(0.017056799);
    expect(sampleValue(text, 'margin_watch_last_level_timestamp_seconds', A)).toBe(1_750_000_000);
    // The zone as a state set: one series per zone, 1 for the current one.
    expect(seriesOf(text, 'margin_watch_zone', A)).toEqual([
      [{ ...A, zone: 'safe' }, 1],
      [{ ...A, zone: 'caution' }, 0],
      [{ ...A, zone: 'liquidation' }, 0],
      [{ ...A, zone: 'takeover' }, 0],
      [{ ...A, zone: 'unknown' }, 0],
    ]);
    // An account without figures yet has no level, cushion, zone or lines (rather than made-up zeros).
    for (const name of ['margin_watch_level', 'margin_watch_cushion_ratio', 'margin_watch_zone']) {
      expect(seriesOf(text, name, B)).toEqual([]);
    }
    expect(text).toContain('# TYPE margin_watch_zone gauge');
  });

  it('follows the level into a worse zone and keeps the last good figures through a rejected message', async () => {
    const r = rig();
    const a = r.upstream('valr-a');
    a.publish('account', MARGIN_INFO, r.clock.t);
    r.clock.t += 5000;
    a.publish(
      'account',
      { ...MARGIN_INFO, data: { ...MARGIN_INFO.data, marginFraction: '0.05' } },
      r.clock.t,
    );
    r.clock.t += 5000;
    a.publish('account', { type: 'MARGIN_INFO', data: { marginFraction: 12 } }, r.clock.t);
    const text = await r.metrics.text();

    expect(sampleValue(text, 'margin_watch_level', A)).toBe(0.05);
    expect(sampleValue(text, 'margin_watch_zone', { ...A, zone: 'caution' })).toBe(1);
    expect(sampleValue(text, 'margin_watch_zone', { ...A, zone: 'safe' })).toBe(0);
    // The rejected message moved neither the level nor its time.
    expect(sampleValue(text, 'margin_watch_last_level_timestamp_seconds', A)).toBe(1_750_000_005);
    expect(sampleValue(text, 'margin_watch_messages_total', { ...A, channel: 'account' })).toBe(3);
    expect(sampleValue(text, 'margin_watch_rejected_messages_total', { ...A, channel: 'account' })).toBe(1);
    expect(seriesOf(text, 'margin_watch_messages_total', B)).toEqual([]);
  });

  it('counts messages and rejections per channel', async () => {
    const r = rig();
    const a = r.upstream('valr-a');
    a.publish('account', MARGIN_INFO, r.clock.t);
    a.publish('balances', [{ currency: 'USDC' }], r.clock.t);
    a.publish('balances', 'not json at all', r.clock.t);
    const text = await r.metrics.text();

    expect(sampleValue(text, 'margin_watch_messages_total', { ...A, channel: 'account' })).toBe(1);
    expect(sampleValue(text, 'margin_watch_rejected_messages_total', { ...A, channel: 'account' })).toBe(0);
    expect(sampleValue(text, 'margin_watch_messages_total', { ...A, channel: 'balances' })).toBe(2);
    expect(sampleValue(text, 'margin_watch_rejected_messages_total', { ...A, channel: 'balances' })).toBe(2);
    expect(text).toContain('# TYPE margin_watch_messages_total counter');
  });

  it('reports the upstream state as a state set', async () => {
    const r = rig();
    let text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_upstream_state', { ...B, state: 'connecting' })).toBe(1);

    r.upstream('valr-b').setStatus('reconnecting', 'socket closed');
    text = await r.metrics.text();
    expect(seriesOf(text, 'margin_watch_upstream_state', B)).toEqual(
      UPSTREAM_STATES.map((state) => [{ ...B, state }, state === 'reconnecting' ? 1 : 0]),
    );
    expect(sampleValue(text, 'margin_watch_upstream_state', { ...A, state: 'connecting' })).toBe(1);
  });

  it('counts alerts fired per rule and webhook deliveries that failed', async () => {
    const r = rig();
    let text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_alerts_fired_total', { ...A, rule: 'auth-failure' })).toBe(0);
    expect(sampleValue(text, 'margin_watch_webhook_failures_total', { webhook: '0', format: 'slack' })).toBe(
      0,
    );

    r.upstream('valr-a').setStatus('auth_failed', 'API key rejected');
    // Recovering is not firing: the count stays at one.
    r.upstream('valr-a').setStatus('live');
    await expect.poll(() => r.alerts.webhookStatus()[0]?.failed, { timeout: 5000 }).toBeGreaterThan(0);
    text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_alerts_fired_total', { ...A, rule: 'auth-failure' })).toBe(1);
    expect(sampleValue(text, 'margin_watch_alerts_fired_total', { ...A, rule: 'zone-worse' })).toBe(0);
    expect(sampleValue(text, 'margin_watch_alerts_fired_total', { ...B, rule: 'auth-failure' })).toBe(0);
    expect(sampleValue(text, 'margin_watch_webhook_failures_total', { webhook: '0', format: 'slack' })).toBe(
      r.alerts.webhookStatus()[0]?.failed,
    );
    expect(r.webhookCalls.length).toBeGreaterThan(0);
  });

  it('reports the history queue, how long its oldest sample has waited, and samples written', async () => {
    const r = rig();
    let text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_history_queue_length', {})).toBe(0);
    expect(sampleValue(text, 'margin_watch_history_write_lag_seconds', {})).toBe(0);

    r.upstream('valr-a').publish('account', MARGIN_INFO, r.clock.t);
    r.clock.t += 2000;
    const moved = { ...MARGIN_INFO, data: { ...MARGIN_INFO.data, marginFraction: '1.7' } };
    r.upstream('valr-b').publish('account', moved, r.clock.t);
    r.clock.t += 1500;
    text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_history_queue_length', {})).toBe(2);
    expect(sampleValue(text, 'margin_watch_history_write_lag_seconds', {})).toBe(3.5);

    expect(r.recorder.flush()).toBe(2);
    text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_history_queue_length', {})).toBe(0);
    expect(sampleValue(text, 'margin_watch_history_write_lag_seconds', {})).toBe(0);
    expect(sampleValue(text, 'margin_watch_history_samples_written_total', {})).toBe(2);

    // After a write, what waits is only what came since.
    r.clock.t += 10_000;
    r.upstream('valr-a').publish('account', moved, r.clock.t);
    r.clock.t += 250;
    text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_history_write_lag_seconds', {})).toBe(0.25);
  });

  it('shows +Inf and a full cushion for an account with nothing borrowed', async () => {
    const r = rig();
    const noDebt = {
      ...MARGIN_INFO,
      data: {
        ...MARGIN_INFO.data,
        marginFraction: '0',
        totalBorrowedInReference: '0',
        totalLeveragedExposureInReference: '0',
      },
    };
    r.upstream('valr-a').publish('account', noDebt, r.clock.t);
    const text = await r.metrics.text();
    expect(sampleValue(text, 'margin_watch_level', A)).toBe(Number.POSITIVE_INFINITY);
    expect(text).toMatch(/^margin_watch_level\{[^}]*account="valr-a"[^}]*\} \+Inf$/m);
    expect(sampleValue(text, 'margin_watch_cushion_ratio', A)).toBe(1);
  });

  it('adds the process metrics to its own registry, not the global one', async () => {
    const r = rig({ processMetrics: true });
    const text = await r.metrics.text();
    // CPU is counted from the registry's creation, so its first reading may be 0: present is what matters.
    expect(sampleValue(text, 'process_cpu_user_seconds_total', {})).toBeGreaterThanOrEqual(0);
    expect(sampleValue(text, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('margin_watch_level')).toBeUndefined();
  });

  it('stops counting once closed', async () => {
    const r = rig();
    r.metrics.close();
    r.upstream('valr-a').publish('account', MARGIN_INFO, r.clock.t);
    const text = await r.metrics.text();
    expect(seriesOf(text, 'margin_watch_messages_total', A)).toEqual([]);
  });
});
