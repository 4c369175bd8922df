// Prometheus metrics (`GET /metrics`): per account the level, cushion, zone, threshold lines, upstream state, the
// time of the last level, and messages and rejections per channel; alerts fired per rule; webhook failures; the
// history's write queue; process metrics. Its own registry (never prom-client's global one). Every label value
// comes from a fixed vocabulary or a validated account id: no credential, webhook URL or token can appear.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ALERT_RULE_IDS, type AlertRuleId } from '../contract/alerts.ts';
import { ZONES, type MarginSnapshot } from '../domain/model.ts';
import type { UpstreamState } from '../exchanges/server-types.ts';
import type { AccountManager } from './accounts.ts';
import type { AlertService } from './alerts/service.ts';
import type { ExchangeCatalog } from './exchanges.ts';
import type { Recorder } from './history/recorder.ts';
import type { StreamHub } from './hub.ts';

/** Every state an upstream reports, in the order the state set lists them. */
export const UPSTREAM_STATES = [
  'connecting',
  'live',
  'stale',
  'reconnecting',
  'auth_failed',
  'error',
] as const satisfies readonly UpstreamState[];
// Fails to compile when UpstreamState gains a state this list lacks.
type UnlistedState = Exclude<UpstreamState, (typeof UPSTREAM_STATES)[number]>;
const everyStateListed: [UnlistedState] extends [never] ? true : never = true;
void everyStateListed;

/** Prefix of every Margin Watch series (process metrics keep prom-client's standard names). */
export const METRIC_PREFIX = 'margin_watch_';

/** The labels every per-account series carries. */
const ACCOUNT_LABELS = ['account', 'exchange', 'unit'] as const;
type AccountLabels = Record<(typeof ACCOUNT_LABELS)[number], string>;

export interface MetricsSources {
  accounts: Pick<AccountManager, 'list' | 'onMessage'>;
  hub: Pick<StreamHub, 'statusOf'>;
  catalog: ExchangeCatalog;
  alerts?: Pick<AlertService, 'subscribe' | 'webhookStatus'>;
  history?: Pick<Recorder, 'stats'>;
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
  now?: () => number;
}

export interface ProxyMetrics {
  readonly registry: Registry;
  /** The exposition's content type (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** The exposition text. */
  text(): Promise<string>;
  /** Stops listening to messages and alerts. */
  close(): void;
}

interface ChannelCounts {
  messages: number;
  rejected: number;
}

interface AccountState {
  labels: AccountLabels;
  /** The account's labels with one more (zone, state, line, channel, rule), built once per value: a scrape of a
   * large desk then allocates no label objects. */
  extra: Map<string, Record<string, string>>;
  snapshot: MarginSnapshot | undefined;
  /** receivedAt (ms epoch) of the newest message that carried a level. */
  levelAt: number | undefined;
  channels: Map<string, ChannelCounts>;
  fired: Map<AlertRuleId, number>;
}

/**
 * The age of the oldest sample waiting in the history's write queue, from the recorder's counters: observed
 * after every recorded message and at every scrape. The queue empties whole on a successful write, so once the
 * written count moves, whatever is still waiting arrived since the previous observation.
 */
class WriteLag {
  private since: number | undefined;
  private written = 0;

  constructor(private readonly history: Pick<Recorder, 'stats'>) {}

  observe(now: number): void {
    const { pending, written } = this.history.stats();
    if (pending === 0) this.since = undefined;
    else if (this.since === undefined || written !== this.written) this.since = now;
    this.written = written;
  }

  seconds(now: number): number {
    return this.since === undefined ? 0 : Math.max(0, now - this.since) / 1000;
  }
}

/** The account's labels and `name="value"`. */
function withLabel(state: AccountState, name: string, value: string): Record<string, string> {
  const key = `${name}\u0000${value}`;
  let labels = state.extra.get(key);
  if (!labels) {
    labels = { ...state.labels, [name]: value };
    state.extra.set(key, labels);
  }
  return labels;
}

/** A decimal as a gauge value: Prometheus gauges are floating point, and nothing else reads these numbers. */
function gaugeNumber(value: { toNumber(): number }): number {
  return value.toNumber();
}

/** Builds the registry and subscribes to the proxy's messages, statuses and alerts. */
export function createMetrics(sources: MetricsSources): ProxyMetrics {
  const now = sources.now ?? Date.now;
  const registry = new Registry();
  const accounts = new Map<string, AccountState>();
  for (const account of sources.accounts.list()) {
    const unit = sources.catalog.get(account.exchange)?.browser.unit.kind ?? 'unknown';
    accounts.set(account.id, {
      labels: { account: account.id, exchange: account.exchange, unit },
      extra: new Map(),
      snapshot: undefined,
      levelAt: undefined,
      channels: new Map(),
      fired: new Map(ALERT_RULE_IDS.map((rule) => [rule, 0])),
    });
  }
  const lag = sources.history ? new WriteLag(sources.history) : undefined;
  const history = sources.history;

  const unsubscribe: (() => void)[] = [];
  unsubscribe.push(
    sources.accounts.onMessage((message) => {
      const state = accounts.get(message.account.id);
      if (state) {
        if (message.snapshot) state.snapshot = message.snapshot;
        if (message.carriesLevel && (state.levelAt === undefined || message.receivedAt >= state.levelAt)) {
          state.levelAt = message.receivedAt;
        }
        let counts = state.channels.get(message.channel);
        if (!counts) {
          counts = { messages: 0, rejected: 0 };
          state.channels.set(message.channel, counts);
        }
        counts.messages += 1;
        if (message.outcome.kind === 'error') counts.rejected += 1;
      }
      lag?.observe(now());
    }),
  );
  if (sources.alerts) {
    unsubscribe.push(
      sources.alerts.subscribe((alert) => {
        if (alert.kind !== 'fired') return;
        const fired = accounts.get(alert.accountId)?.fired;
        if (fired) fired.set(alert.rule, (fired.get(alert.rule) ?? 0) + 1);
      }),
    );
  }

  const name = (suffix: string): string => `${METRIC_PREFIX}${suffix}`;
  const perAccount = [...ACCOUNT_LABELS];

  new Gauge({
    name: name('level'),
    help: "The account's headline level in its exchange's unit (higher is safer); +Inf with nothing borrowed",
    labelNames: perAccount,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, snapshot } of accounts.values()) {
        const level = snapshot?.level;
        if (!level) continue;
        this.set(labels, level.kind === 'value' ? gaugeNumber(level.value) : Number.POSITIVE_INFINITY);
      }
    },
  });
  new Gauge({
    name: name('cushion_ratio'),
    help: 'Share of collateral value that can be lost before the liquidation line: 1 - liquidation / level',
    labelNames: perAccount,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, snapshot } of accounts.values()) {
        if (snapshot?.cushion) this.set(labels, gaugeNumber(snapshot.cushion));
      }
    },
  });
  new Gauge({
    name: name('zone'),
    help: "The account's risk zone as a state set: 1 for the current zone, 0 for the others",
    labelNames: [...perAccount, 'zone'],
    registers: [registry],
    collect() {
      this.reset();
      for (const account of accounts.values()) {
        const snapshot = account.snapshot;
        if (!snapshot) continue;
        for (const zone of ZONES) this.set(withLabel(account, 'zone', zone), zone === snapshot.zone ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: name('threshold'),
    help: "Each risk line of the account in its level's unit (line: caution, liquidation, takeover)",
    labelNames: [...perAccount, 'line'],
    registers: [registry],
    collect() {
      this.reset();
      for (const account of accounts.values()) {
        for (const band of account.snapshot?.bands ?? []) {
          this.set(withLabel(account, 'line', band.kind), gaugeNumber(band.threshold));
        }
      }
    },
  });
  new Gauge({
    name: name('upstream_state'),
    help: "The state of the account's exchange session as a state set: 1 for the current state",
    labelNames: [...perAccount, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const account of accounts.values()) {
        const current = sources.hub.statusOf(account.labels.account)?.state ?? 'connecting';
        for (const state of UPSTREAM_STATES) {
          this.set(withLabel(account, 'state', state), state === current ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: name('last_level_timestamp_seconds'),
    help: 'When the proxy received the newest message carrying the account level (Unix time, seconds)',
    labelNames: perAccount,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, levelAt } of accounts.values()) {
        if (levelAt !== undefined) this.set(labels, levelAt / 1000);
      }
    },
  });
  new Counter({
    name: name('messages_total'),
    help: 'Wire messages received from the exchange, per channel',
    labelNames: [...perAccount, 'channel'],
    registers: [registry],
    collect() {
      this.reset();
      for (const account of accounts.values()) {
        for (const [channel, counts] of account.channels) {
          this.inc(withLabel(account, 'channel', channel), counts.messages);
        }
      }
    },
  });
  new Counter({
    name: name('rejected_messages_total'),
    help: 'Wire messages that failed validation (the last good figures are kept), per channel',
    labelNames: [...perAccount, 'channel'],
    registers: [registry],
    collect() {
      this.reset();
      for (const account of accounts.values()) {
        for (const [channel, counts] of account.channels) {
          this.inc(withLabel(account, 'channel', channel), counts.rejected);
        }
      }
    },
  });
  if (sources.alerts) {
    const alerts = sources.alerts;
    new Counter({
      name: name('alerts_fired_total'),
      help: 'Alerts fired, per account and rule',
      labelNames: [...perAccount, 'rule'],
      registers: [registry],
      collect() {
        this.reset();
        for (const account of accounts.values()) {
          for (const [rule, count] of account.fired) this.inc(withLabel(account, 'rule', rule), count);
        }
      },
    });
    new Counter({
      name: name('webhook_failures_total'),
      help: 'Alert deliveries a webhook gave up on, by its place in alerts.webhooks and its format',
      labelNames: ['webhook', 'format'],
      registers: [registry],
      collect() {
        this.reset();
        for (const hook of alerts.webhookStatus()) {
          this.inc({ webhook: String(hook.index), format: hook.format }, hook.failed);
        }
      },
    });
  }
  if (history && lag) {
    new Gauge({
      name: name('history_queue_length'),
      help: 'History samples waiting to be written',
      registers: [registry],
      collect() {
        this.set(history.stats().pending);
      },
    });
    new Gauge({
      name: name('history_write_lag_seconds'),
      help: 'How long the oldest history sample waiting to be written has waited (0 when none waits)',
      registers: [registry],
      collect() {
        const at = now();
        lag.observe(at);
        this.set(lag.seconds(at));
      },
    });
    new Counter({
      name: name('history_samples_written_total'),
      help: 'History samples committed to the database',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(history.stats().written);
      },
    });
    new Counter({
      name: name('history_samples_dropped_total'),
      help: 'History samples dropped because the database refused writes for too long',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(history.stats().dropped);
      },
    });
  }
  if (sources.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    close() {
      for (const stop of unsubscribe.splice(0)) stop();
    },
  };
}
