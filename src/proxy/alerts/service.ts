// The alert service: the rule engine fed by the proxy (read messages, upstream status, a 1 s tick, the estimate of
// the nearest price move to liquidation), each alert stored in SQLite (queued, in order, while the database
// refuses writes), pushed to subscribers (browser stream frames) and delivered to the webhooks. Rule settings
// combine the config file's `alerts.rules` with the UI's edits, which are stored in the database.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { MarginSnapshot } from '../../domain/model.ts';
import type { Logger, UpstreamState } from '../../exchanges/server-types.ts';
import type { MessageReading } from '../accounts.ts';
import { createAlertEngine, type AlertAccount, type AlertEvent, type NearestMove } from './engine.ts';
import {
  DEFAULT_RULE_SETTINGS,
  applyRulesPatch,
  resolveDefaults,
  resolveSettings,
  rulesPatchSchema,
  unknownAccountIds,
  type AlertRulesConfig,
  type RuleSettings,
  type RulesOverrides,
} from './rules.ts';
import {
  CLOSE_WAIT_MS,
  createAsyncWriteQueue,
  createWriteQueue,
  reasonOf,
  reportUnwritten,
  waitAtMost,
  type WriteQueueStats,
} from '../db/write-queue.ts';
import { createAlertStore, type AlertPage, type AlertQuery, type SqlAlertStore } from './store.ts';
import {
  createWebhookDispatcher,
  type WebhookConfig,
  type WebhookDispatcherOptions,
  type WebhookStatus,
} from './webhooks.ts';

/** The part of the proxy's config the alerts need. */
export interface AlertServiceConfig {
  accounts: readonly { id: string; exchange: string; label: string; pollSeconds?: number }[];
  alerts: { webhooks: readonly WebhookConfig[]; rules?: AlertRulesConfig };
  history?: { retentionDays: number };
}

export interface AlertServiceOptions {
  /** The proxy's database, migrated with `alertsMigration`. */
  db: Database.Database;
  config: AlertServiceConfig;
  /** The proxy logger; its redactor (when present) scrubs alert texts too. */
  log: Logger & { redactor?: { text(text: string): string } };
  now?: () => number;
  fetch?: typeof fetch;
  random?: () => number;
  newId?: () => string;
  /** Timing of webhook deliveries (tests). */
  webhookTuning?: Pick<WebhookDispatcherOptions, 'timeoutMs' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>;
  /** Tick period of `start()` (default 1 s). */
  tickMs?: number;
  /**
   * The nearest price move to liquidation of an account (the move-below rule), read on every message and tick;
   * null when there is no estimate. Without it the rule is silent. An estimate that throws counts as none (and
   * is logged once until the account has an estimate again).
   */
  moveToLiquidation?: (accountId: string) => NearestMove | null;
  /**
   * Whether an exchange's margin level can be tied to prices (its price-move method), by exchange id: false
   * means the move-below rule never fires for its accounts. Absent: the rules view does not say.
   */
  priceMoves?: (exchange: string) => boolean;
}

/** One account's rules as the UI shows them. */
export interface AccountRulesView {
  id: string;
  exchange: string;
  label: string;
  /** Effective settings after every layer. */
  settings: RuleSettings;
  /** The UI layer has values for this account. */
  overridden: boolean;
  /** The exchange's margin level can be tied to prices (else move-below never fires); absent when unknown. */
  priceMoves?: boolean;
}

/** GET /api/alerts/rules. */
export interface RulesView {
  /** Built-in defaults. */
  builtin: RuleSettings;
  /** Effective defaults (built-in, config, UI). */
  defaults: RuleSettings;
  accounts: AccountRulesView[];
  /** The config file's `alerts.rules` (read-only here). */
  config: AlertRulesConfig;
  /** The UI's layer, as stored. */
  overrides: RulesOverrides;
}

/** GET /api/alerts: a history page, plus (on the first page) the alerts open now. */
export interface AlertListResponse extends AlertPage {
  open?: AlertEvent[];
}

/** A rules change that cannot be applied; `message` says why. */
export class AlertRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertRulesError';
  }
}

/** A rules change that is valid but could not be stored: nothing changed (the database said `reason`). */
export class RulesNotSavedError extends Error {
  constructor(readonly reason: string) {
    super(`the rule settings could not be stored, so nothing changed: ${reason}`);
    this.name = 'RulesNotSavedError';
  }
}

/** A read wire message as the alert service takes it (the AccountManager's AccountMessage has all of it). */
export interface AlertMessage
  extends
    Pick<MessageReading, 'snapshot' | 'carriesLevel'>,
    Partial<Pick<MessageReading, 'carriesVenueStatus'>> {
  account: { id: string };
}

export interface AlertService {
  /**
   * One read wire message of an account (the AccountManager's message hook). A message that carried a level
   * is evaluated as fresh data; one that carried only the venue's status is evaluated for its zone without
   * counting as fresh data; balances alone, keep-alives and rejected messages change nothing (no data for long
   * enough is the stale rule's business). Never throws.
   */
  onMessage(message: AlertMessage): void;
  /** A new snapshot of an account with a fresh level. */
  onSnapshot(accountId: string, snapshot: MarginSnapshot): void;
  /** The account's upstream session changed state. */
  onStatus(accountId: string, state: UpstreamState, detail?: string): void;
  /** Retries queued alert writes when due and evaluates time-based rules (`start()` calls it every second). */
  tick(): void;
  /** Every new alert, as it happens (for `{type:"alert", alert}` stream frames). Returns unsubscribe. */
  subscribe(listener: (alert: AlertEvent) => void): () => void;
  list(query?: AlertQuery): AlertListResponse;
  rules(): RulesView;
  /** Validates and applies a change to the UI layer of the rules; throws AlertRulesError. */
  updateRules(patch: unknown): RulesView;
  webhookStatus(): WebhookStatus[];
  /** Starts the tick timer (unref'd). */
  start(): void;
  /**
   * Writes the alert events still queued (one last attempt), stops the timer and webhook deliveries. The
   * database stays open.
   */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

function zodMessage(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid rules';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Creates the alert service; call `start()` to run its tick timer. */
/** What the service needs of its database to keep alerts: the SQLite file's store or the query layer's. */
interface AlertPersistence {
  /** Alert events wait here, in order, while the database refuses writes, exactly as the history's samples do. */
  queue: {
    push(event: AlertEvent): void;
    flushIfDue(): unknown;
    flush(): number | Promise<number>;
    stats(): WriteQueueStats;
  };
  prune(before: number): number | Promise<number>;
}

/** What was stored when the service starts: the UI's rule settings and the alerts still open. */
interface StoredAlerts {
  overrides: RulesOverrides;
  open: AlertEvent[];
}

/** The service on either database, except the two answers that read or write it (see the two factories). */
interface AlertCore extends Omit<AlertService, 'list' | 'updateRules'> {
  /** Only configured accounts' alerts (and only `accountId`'s when given). */
  openOf: (all: readonly AlertEvent[], accountId: string | undefined) => AlertEvent[];
  /** Validates a rules change and gives the UI layer it makes (not applied yet). Throws AlertRulesError. */
  prepareRules: (patch: unknown) => RulesOverrides;
  /** Applies a UI layer prepared and stored; returns the new rules view. */
  commitRules: (next: RulesOverrides) => RulesView;
}

function createAlertCore(
  options: Omit<AlertServiceOptions, 'db'>,
  stored: StoredAlerts,
  persistence: AlertPersistence,
): AlertCore {
  const { config, log } = options;
  const now = options.now ?? Date.now;
  const scrub = (text: string) => log.redactor?.text(text) ?? text;
  const configRules: AlertRulesConfig = config.alerts.rules ?? {};
  let overrides: RulesOverrides = stored.overrides;
  const accountIds = config.accounts.map((a) => a.id);
  const known = new Set(accountIds);

  for (const id of unknownAccountIds(configRules, accountIds)) {
    log.warn('alerts.rules names an account that is not configured', { account: id });
  }

  const accounts: AlertAccount[] = config.accounts.map((a) => ({
    id: a.id,
    exchange: a.exchange,
    label: a.label,
    ...(a.pollSeconds !== undefined ? { cadenceSeconds: a.pollSeconds } : {}),
  }));
  const priceMoves = options.priceMoves;
  const estimate = options.moveToLiquidation;
  /** Accounts whose estimate threw, so the failure is logged once, not on every tick. */
  const failedEstimates = new Set<string>();
  const moveToLiquidation = estimate
    ? (id: string): NearestMove | null => {
        try {
          const nearest = estimate(id);
          if (nearest !== null) failedEstimates.delete(id);
          return nearest;
        } catch (err) {
          if (!failedEstimates.has(id)) {
            failedEstimates.add(id);
            log.error('alerts: estimating the move to liquidation failed', { accountId: id, err });
          }
          return null;
        }
      }
    : undefined;
  const engine = createAlertEngine({
    accounts,
    settingsFor: (id) => resolveSettings(id, configRules, overrides),
    now,
    newId: options.newId ?? (() => randomUUID()),
    ...(moveToLiquidation ? { moveToLiquidation } : {}),
  });
  engine.restore(stored.open.filter((e) => known.has(e.accountId)));
  const pending = persistence.queue;

  const webhooks = createWebhookDispatcher({
    webhooks: config.alerts.webhooks,
    now,
    log,
    scrub,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...options.webhookTuning,
  });

  const listeners = new Set<(alert: AlertEvent) => void>();
  const retentionMs = (config.history?.retentionDays ?? 365) * DAY_MS;
  let lastPrune = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;

  function handle(events: readonly AlertEvent[]): void {
    for (const raw of events) {
      const alert: AlertEvent = { ...raw, message: scrub(raw.message) };
      pending.push(alert);
      pending.flushIfDue();
      log.info(`alert ${alert.kind}: ${alert.message}`, {
        account: alert.accountId,
        rule: alert.rule,
        kind: alert.kind,
        zone: alert.zone,
      });
      for (const listener of listeners) {
        try {
          listener(alert);
        } catch (err) {
          log.error('alert listener failed', { err });
        }
      }
      webhooks.deliver(alert);
    }
  }

  function prune(): void {
    const at = now();
    if (at - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = at;
    const fail = (err: unknown): void => log.error('could not prune the alert history', { err });
    try {
      const result = persistence.prune(at - retentionMs);
      if (typeof result !== 'number') result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  function tick(): void {
    pending.flushIfDue();
    handle(engine.tick());
    prune();
  }

  function rules(): RulesView {
    const ui = overrides.accounts ?? {};
    return {
      builtin: DEFAULT_RULE_SETTINGS,
      defaults: resolveDefaults(configRules, overrides),
      accounts: config.accounts.map((a) => ({
        id: a.id,
        exchange: a.exchange,
        label: a.label,
        settings: resolveSettings(a.id, configRules, overrides),
        overridden: ui[a.id] !== undefined,
        ...(priceMoves ? { priceMoves: priceMoves(a.exchange) } : {}),
      })),
      config: configRules,
      overrides,
    };
  }

  function onSnapshot(accountId: string, snapshot: MarginSnapshot): void {
    handle(engine.snapshot(accountId, snapshot));
  }

  return {
    onMessage(message) {
      if (!message.snapshot) return;
      try {
        if (message.carriesLevel) onSnapshot(message.account.id, message.snapshot);
        // The venue's status alone (VALR's account-status poll) can change the zone, but says nothing new
        // about the level.
        else if (message.carriesVenueStatus)
          handle(engine.snapshot(message.account.id, message.snapshot, { fresh: false }));
      } catch (err) {
        log.error('alerts: evaluating a message failed', { accountId: message.account.id, err });
      }
    },

    onSnapshot,

    onStatus(accountId, state, detail) {
      handle(engine.status(accountId, state, detail));
    },

    tick,

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    openOf: (all, accountId) =>
      all.filter((e) => known.has(e.accountId) && (accountId === undefined || e.accountId === accountId)),

    rules,

    prepareRules: (patch) => {
      const parsed = rulesPatchSchema.safeParse(patch);
      if (!parsed.success) throw new AlertRulesError(zodMessage(parsed.error));
      const unknown = Object.keys(parsed.data.accounts ?? {}).filter((id) => !known.has(id));
      if (unknown.length > 0) throw new AlertRulesError(`accounts.${unknown[0]}: no such account`);
      return applyRulesPatch(overrides, parsed.data);
    },

    commitRules: (next) => {
      const ids = new Set([...Object.keys(overrides.accounts ?? {}), ...Object.keys(next.accounts ?? {})]);
      const changed = [...ids].filter(
        (id) => JSON.stringify(next.accounts?.[id]) !== JSON.stringify(overrides.accounts?.[id]),
      );
      const defaults = JSON.stringify(next.defaults) !== JSON.stringify(overrides.defaults);
      overrides = next;
      log.info('alert rules changed in the UI', { defaults, accounts: changed });
      handle(engine.tick());
      return rules();
    },

    webhookStatus() {
      return webhooks.status();
    },

    start() {
      if (timer) return;
      const period = options.tickMs ?? 1000;
      if (period <= 0) return;
      timer = setInterval(() => {
        try {
          tick();
        } catch (err) {
          log.error('alert tick failed', { err });
        }
      }, period);
      timer.unref();
    },

    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      // Bounded: a database that hangs must not hold the proxy's stop past its deadline.
      const last = pending.flush();
      if (typeof last !== 'number') await waitAtMost(CLOSE_WAIT_MS, last);
      reportUnwritten(pending, 'alerts', 'alert events', log);
      listeners.clear();
      await webhooks.close();
    },
  };
}

/** A failed save of the rule settings: logged once, as one line, and answered as RulesNotSavedError. */
function notSaved(err: unknown, log: AlertServiceOptions['log']): RulesNotSavedError {
  const error = new RulesNotSavedError(reasonOf(err));
  log.error('alerts: storing the rule settings failed; nothing changed', { reason: error.reason });
  return error;
}

/** Creates the alert service on the SQLite file; call `start()` to run its tick timer. */
export function createAlertService(options: AlertServiceOptions): AlertService {
  const { db, log } = options;
  const now = options.now ?? Date.now;
  const store = createAlertStore(db);
  const queue = createWriteQueue<AlertEvent>({
    component: 'alerts',
    what: 'alert events',
    db,
    write: (events) => store.insertMany(events),
    now,
    log,
  });
  const core = createAlertCore(
    options,
    { overrides: store.loadOverrides(), open: store.open() },
    {
      queue,
      prune: (before) => store.prune(before),
    },
  );
  const { openOf, prepareRules, commitRules, ...service } = core;
  return {
    ...service,
    list(query = {}) {
      const page = store.list(query);
      if (query.before !== undefined) return page;
      return { ...page, open: openOf(store.open(), query.accountId) };
    },
    updateRules(patch) {
      const next = prepareRules(patch);
      try {
        store.saveOverrides(next, now());
      } catch (err) {
        throw notSaved(err, log);
      }
      return commitRules(next);
    },
  };
}

/** The alert service on a database reached asynchronously (PostgreSQL): its answers are awaited. */
export interface SqlAlertService extends Omit<AlertService, 'list' | 'updateRules'> {
  list(query?: AlertQuery): Promise<AlertListResponse>;
  /** Validates, applies and stores a change to the UI layer of the rules; rejects with AlertRulesError. */
  updateRules(patch: unknown): Promise<RulesView>;
}

/** What the proxy and the routes use of either alert service. */
export interface ProxyAlertService extends Omit<AlertService, 'list' | 'updateRules'> {
  list(query?: AlertQuery): AlertListResponse | Promise<AlertListResponse>;
  updateRules(patch: unknown): RulesView | Promise<RulesView>;
}

/**
 * Creates the alert service on the query layer's alert store (./store.ts createSqlAlertStore): the same rules,
 * engine, webhooks and stream as on SQLite; alert events wait in memory while the database refuses writes, with
 * the same bounds and log lines. Reads the stored rule settings and open alerts first.
 */
export async function createSqlAlertService(
  options: Omit<AlertServiceOptions, 'db'> & { store: SqlAlertStore },
): Promise<SqlAlertService> {
  const { store, log } = options;
  const now = options.now ?? Date.now;
  const queue = createAsyncWriteQueue<AlertEvent>({
    component: 'alerts',
    what: 'alert events',
    write: (events) => store.insertMany(events),
    now,
    log,
  });
  const stored = { overrides: await store.loadOverrides(), open: await store.open() };
  const core = createAlertCore(options, stored, {
    queue,
    prune: (before) => store.prune(before),
  });
  const { openOf, prepareRules, commitRules, ...service } = core;
  // One change at a time: each is prepared from the one before it, stored, then applied.
  let updating: Promise<unknown> = Promise.resolve();
  return {
    ...service,
    async list(query = {}) {
      // The browser asks as soon as the stream tells it of an alert, which may still be on its way to the
      // database: what is queued is written first (unless attempts pause after a refused write).
      await queue.settle();
      const page = await store.list(query);
      if (query.before !== undefined) return page;
      return { ...page, open: openOf(await store.open(), query.accountId) };
    },
    updateRules(patch) {
      const run = updating.then(async () => {
        const next = prepareRules(patch);
        try {
          await store.saveOverrides(next, now());
        } catch (err) {
          throw notSaved(err, log);
        }
        return commitRules(next);
      });
      updating = run.catch(() => undefined);
      return run;
    },
  };
}
