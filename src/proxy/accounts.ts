// One upstream session per configured account, wired to the stream hub and to any message subscribers (history
// and alerts). Each wire message is read once here: normalized with the exchange's own parser and folded into the
// account's snapshot, so every subscriber (and every browser tab, through the hub's snapshot frames) sees the same
// reading. Shared by every browser tab.
import type { AccountDto, RawMessage, RawMessagesDto } from '../contract/accounts.ts';
import { snapshotFrame, type LastGood, type Problem, type SnapshotFrameDto } from '../contract/stream.ts';
import type { MarginSnapshot, ThresholdOverrides } from '../domain/model.ts';
import { applyUpdate } from '../domain/risk.ts';
import type {
  AccountConfig,
  Logger,
  NonceSource,
  PollPlan,
  Upstream,
  UpstreamState,
} from '../exchanges/server-types.ts';
import type { ExchangeModule, ParseOutcome } from '../exchanges/types.ts';
import type { ExchangeCatalog } from './exchanges.ts';
import type { StreamHub } from './hub.ts';
import type { ProxyLogger } from './log.ts';
import { planPolls, type PollSchedule } from './request-budget.ts';

/** What one wire message says, read once: the parser's outcome and the account's snapshot after it. */
export interface MessageReading {
  /** The exchange module's normalize outcome (a normalize that throws reads as an `error`). */
  outcome: ParseOutcome;
  /** The account's snapshot with every update so far folded in, this one included; undefined before the first. */
  snapshot: MarginSnapshot | undefined;
  /**
   * True when the message carried margin figures (a level). Only such messages count as fresh data: they reset
   * the alert rules' stale clock and the history's outage and heartbeat clocks. An update with balances only
   * (VALR's balances poll, BitoPro's REST balances) refreshes the snapshot but says nothing about the level.
   */
  carriesLevel: boolean;
  /**
   * True when the message carried the venue's own word on the account's state (VALR's account-status poll,
   * Bitso's status): it can change the zone without a new level, so alerts and history look at it too.
   */
  carriesVenueStatus: boolean;
  /** The snapshot frame for the browsers (null for a message that carries nothing for the margin view). */
  frame: SnapshotFrameDto | null;
}

/** One wire message from an account's upstream, with its reading. */
export interface AccountMessage extends MessageReading {
  account: AccountConfig;
  channel: string;
  /** The JSON-decoded wire message, or its raw text. */
  payload: unknown;
  /** When the proxy received it (ms epoch). */
  receivedAt: number;
}

export type MessageHook = (message: AccountMessage) => void;

/** An account's upstream changed state (the alert rules watch this). */
export type StatusHook = (accountId: string, state: UpstreamState, detail?: string) => void;

/** An account as `GET /api/accounts` lists it: never a credential. */
export type AccountSummary = AccountDto;

/** What the reader needs of an account. */
export type ReadAccount = Pick<AccountConfig, 'id' | 'exchange' | 'thresholds'> &
  Partial<Pick<AccountConfig, 'pollSeconds'>>;

/** What the reader needs of an exchange module. */
export type ReaderModule = Pick<ExchangeModule, 'normalize'> &
  Partial<Pick<ExchangeModule, 'channels' | 'defaultPollSeconds'>>;

/** Figures older than this many expected intervals of their channel are stale. */
export const STALE_FACTOR = 3;
/** Expected interval of a channel whose cadence is unknown. */
export const FALLBACK_CADENCE_MS = 60_000;

/** How often `channel` is expected to publish for an account polled every `pollSeconds`, in ms. */
export function cadenceMs(module: ReaderModule, channel: string, pollSeconds: number | undefined): number {
  const info = module.channels?.find((c) => c.id === channel);
  if (!info) return FALLBACK_CADENCE_MS;
  if (info.cadence !== 'poll') return info.cadence;
  const seconds = pollSeconds ?? module.defaultPollSeconds;
  return seconds !== undefined && seconds > 0 ? seconds * 1000 : FALLBACK_CADENCE_MS;
}

/** What the browsers are told about an account beside its snapshot (see the snapshot frame). */
interface AccountView {
  lastGood: LastGood | null;
  levelAt: number | null;
  problem: Problem | undefined;
  /** The latest message of each channel as received, for support (`GET /api/accounts/:id/raw`). */
  raw: Map<string, RawMessage>;
}

/**
 * Reads wire messages: normalizes each with its account's exchange module and folds updates into that account's
 * snapshot (applyUpdate). Never throws; a normalize that throws is logged and reads as a rejected message.
 */
export class MessageReader {
  private readonly snapshots = new Map<string, MarginSnapshot>();
  private readonly views = new Map<string, AccountView>();

  constructor(
    private readonly moduleOf: (exchange: string) => ReaderModule | undefined,
    private readonly log?: Logger,
  ) {}

  /** The latest message of each channel of an account, newest first. */
  raw(accountId: string): RawMessage[] {
    const raw = this.views.get(accountId)?.raw;
    return raw ? [...raw.values()].sort((a, b) => b.receivedAt - a.receivedAt) : [];
  }

  private viewOf(accountId: string): AccountView {
    let view = this.views.get(accountId);
    if (!view) {
      view = { lastGood: null, levelAt: null, problem: undefined, raw: new Map() };
      this.views.set(accountId, view);
    }
    return view;
  }

  /**
   * Folds one outcome into what the browsers are told: which message the figures' freshness hangs on, when the
   * level came, and the latest rejection (marked recovered once its channel delivers an accepted message).
   */
  private fold(
    account: ReadAccount,
    module: ReaderModule | undefined,
    channel: string,
    outcome: ParseOutcome,
    receivedAt: number,
  ): AccountView {
    const view = this.viewOf(account.id);
    if (outcome.kind === 'update') {
      const carriesLevel = outcome.update.risk !== undefined;
      const newer = view.lastGood === null || receivedAt >= view.lastGood.at;
      if ((carriesLevel || view.lastGood === null) && newer) {
        const cadence = module ? cadenceMs(module, channel, account.pollSeconds) : FALLBACK_CADENCE_MS;
        view.lastGood = { channel, at: receivedAt, staleAfterMs: STALE_FACTOR * cadence };
      }
      if (carriesLevel && newer) view.levelAt = receivedAt;
      if (view.problem?.channel === channel && view.problem.recoveredAt === null) {
        view.problem = { ...view.problem, recoveredAt: receivedAt };
      }
    } else if (outcome.kind === 'error') {
      view.problem = { ...outcome.error, at: receivedAt, recoveredAt: null };
    }
    return view;
  }

  /** Reads one message of `account` received at `receivedAt` (ms epoch). */
  read(account: ReadAccount, channel: string, payload: unknown, receivedAt: number): MessageReading {
    const previous = this.snapshots.get(account.id);
    const module = this.moduleOf(account.exchange);
    if (!module) {
      return {
        outcome: { kind: 'ignored', reason: `exchange ${account.exchange} is not loaded` },
        snapshot: previous,
        carriesLevel: false,
        carriesVenueStatus: false,
        frame: null,
      };
    }
    let outcome: ParseOutcome;
    let snapshot = previous;
    try {
      outcome = module.normalize(channel, payload, {
        accountId: account.id,
        receivedAt,
        ...(account.thresholds ? { thresholds: account.thresholds } : {}),
      });
      if (outcome.kind === 'update') snapshot = applyUpdate(previous, outcome.update);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log?.error('reading a message failed', { accountId: account.id, channel, error: err });
      outcome = {
        kind: 'error',
        error: { exchange: account.exchange, channel, field: '(message)', message: `unreadable: ${message}` },
      };
      snapshot = previous;
    }
    if (snapshot) this.snapshots.set(account.id, snapshot);
    const view = this.fold(account, module, channel, outcome, receivedAt);
    view.raw.set(channel, { channel, receivedAt, outcome: outcome.kind, payload });
    return {
      outcome,
      snapshot,
      carriesLevel: outcome.kind === 'update' && outcome.update.risk !== undefined,
      carriesVenueStatus: outcome.kind === 'update' && outcome.update.venueStatus !== undefined,
      frame:
        outcome.kind === 'ignored'
          ? null
          : snapshotFrame({
              accountId: account.id,
              channel,
              receivedAt,
              snapshot: snapshot ?? null,
              lastGood: view.lastGood,
              levelAt: view.levelAt,
              problem: view.problem,
            }),
    };
  }
}

export interface AccountManagerOptions {
  accounts: readonly AccountConfig[];
  catalog: ExchangeCatalog;
  hub: StreamHub;
  log: ProxyLogger;
  nonces: NonceSource;
  now?: () => number;
  /**
   * How upstreams start, so a large config does not block the event loop: the first `immediate` at once, then
   * `batch` more every `gapMs` (default 20 at once, then 10 every 25 ms: 1,000 accounts in about 2.5 s).
   */
  startPace?: { immediate: number; batch: number; gapMs: number };
}

export const DEFAULT_START_PACE = { immediate: 20, batch: 10, gapMs: 25 } as const;

function thresholdStrings(overrides: ThresholdOverrides | undefined): AccountDto['thresholds'] {
  if (!overrides) return undefined;
  const out: NonNullable<AccountSummary['thresholds']> = {};
  for (const key of ['marginCall', 'liquidation', 'takeover'] as const) {
    const value = overrides[key];
    if (value) out[key] = value.toFixed();
  }
  return out;
}

/** Runs every account's upstream and routes what it reports to the hub and to message hooks. */
export class AccountManager {
  private readonly accounts: ReadonlyMap<string, AccountConfig>;
  private readonly upstreams = new Map<string, Upstream>();
  private readonly hooks = new Set<MessageHook>();
  private readonly statusHooks = new Set<StatusHook>();
  private readonly now: () => number;
  private readonly reader: MessageReader;
  private readonly schedule: PollSchedule;
  /** Accounts whose upstream has not been started yet, in config order. */
  private readonly waiting: AccountConfig[] = [];
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: AccountManagerOptions) {
    this.accounts = new Map(options.accounts.map((a) => [a.id, a]));
    this.now = options.now ?? Date.now;
    this.reader = new MessageReader((exchange) => options.catalog.get(exchange)?.browser, options.log);
    this.schedule = planPolls(options.accounts, (exchange) => {
      const entry = options.catalog.get(exchange);
      const budget = entry?.server.requestBudget;
      return entry && budget ? { name: entry.browser.name, budget } : undefined;
    });
    for (const account of options.accounts) options.hub.status(account.id, 'connecting');
  }

  /** The configured account with this id. */
  get(id: string): AccountConfig | undefined {
    return this.accounts.get(id);
  }

  /** Every configured account, in config order. */
  list(): AccountConfig[] {
    return [...this.accounts.values()];
  }

  /** Subscribes to every wire message of every account; returns the unsubscribe function. */
  onMessage(hook: MessageHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** Subscribes to every status change of every account; returns the unsubscribe function. */
  onStatus(hook: StatusHook): () => void {
    this.statusHooks.add(hook);
    return () => this.statusHooks.delete(hook);
  }

  /** The poll plan of an account within its API key's request budget (undefined: polls as configured). */
  pollPlan(id: string): PollPlan | undefined {
    return this.schedule.plans.get(id);
  }

  /**
   * Creates and starts one upstream per account, paced (see `startPace`); accounts not started yet show
   * `connecting`. Warns once for every API key whose accounts cannot poll at their pollSeconds within its limit.
   * A module that fails to start marks its account `error`.
   */
  start(): void {
    if (this.stopped) return;
    for (const warning of this.schedule.warnings) this.options.log.warn(warning);
    for (const account of this.accounts.values()) {
      if (!this.upstreams.has(account.id) && !this.waiting.includes(account)) this.waiting.push(account);
    }
    const pace = this.options.startPace ?? DEFAULT_START_PACE;
    const next = (count: number): void => {
      this.startTimer = undefined;
      for (const account of this.waiting.splice(0, count)) this.startOne(account);
      if (this.waiting.length > 0 && !this.stopped) {
        this.startTimer = setTimeout(() => next(pace.batch), pace.gapMs);
      }
    };
    if (this.startTimer === undefined) next(pace.immediate);
  }

  private startOne(account: AccountConfig): void {
    if (this.upstreams.has(account.id)) return;
    const log = this.options.log.child({ accountId: account.id, exchange: account.exchange });
    const setStatus = (state: UpstreamState, detail?: string): void => {
      if (this.stopped) return;
      this.options.hub.status(account.id, state, detail);
      for (const hook of this.statusHooks) {
        try {
          hook(account.id, state, detail);
        } catch (err) {
          log.error('status subscriber failed', { error: err });
        }
      }
    };
    try {
      const module = this.options.catalog.get(account.exchange);
      if (!module) throw new Error(`exchange ${account.exchange} is not loaded`);
      const plan = this.schedule.plans.get(account.id);
      const upstream = module.server.createUpstream({
        account,
        publish: (channel, payload, receivedAt) => this.publish(account, channel, payload, receivedAt),
        setStatus,
        log,
        nonces: this.options.nonces,
        ...(plan ? { pollPlan: plan } : {}),
      });
      this.upstreams.set(account.id, upstream);
      upstream.start();
    } catch (err) {
      log.error('upstream failed to start', { error: err });
      setStatus('error', `could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private publish(account: AccountConfig, channel: string, payload: unknown, receivedAt?: number): void {
    if (this.stopped) return;
    const at = receivedAt ?? this.now();
    const message: AccountMessage = {
      account,
      channel,
      payload,
      receivedAt: at,
      ...this.reader.read(account, channel, payload, at),
    };
    // The browsers get the reading, never the message: a snapshot frame after every message that says something
    // for the margin view (a rejected one carries the problem and the last good snapshot); keep-alives send none.
    try {
      if (message.frame) this.options.hub.snapshot(message.frame);
    } catch (err) {
      this.options.log.error('message could not be streamed', { accountId: account.id, channel, error: err });
      return;
    }
    for (const hook of this.hooks) {
      try {
        hook(message);
      } catch (err) {
        this.options.log.error('message subscriber failed', { accountId: account.id, channel, error: err });
      }
    }
  }

  /** What `GET /api/accounts/:id/raw` returns: the latest message of each channel, as received. */
  rawMessages(accountId: string): RawMessagesDto {
    return { accountId, messages: this.reader.raw(accountId) };
  }

  /** What `GET /api/accounts` returns. */
  summaries(): AccountSummary[] {
    const redactor = this.options.log.redactor;
    return this.list().map((account) => {
      const frame = this.options.hub.statusOf(account.id);
      const status: NonNullable<AccountSummary['status']> = {
        state: frame?.state ?? 'connecting',
        at: frame?.at ?? 0,
      };
      if (frame?.detail != null) status.detail = redactor.text(frame.detail);
      const thresholds = thresholdStrings(account.thresholds);
      const module = this.options.catalog.get(account.exchange)?.browser;
      return {
        id: account.id,
        exchange: account.exchange,
        exchangeName: module?.name ?? account.exchange,
        ...(module ? { unit: { name: module.unit.name, kind: module.unit.kind } } : {}),
        label: account.label,
        ...(thresholds ? { thresholds } : {}),
        status,
        pollSeconds: account.pollSeconds,
      };
    });
  }

  /** Stops every upstream and waits for them; publishes and status reports from then on are ignored. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.startTimer = undefined;
    this.waiting.length = 0;
    const running = [...this.upstreams.entries()];
    this.upstreams.clear();
    await Promise.all(
      running.map(async ([id, upstream]) => {
        try {
          await upstream.stop();
        } catch (err) {
          this.options.log.warn('upstream did not stop cleanly', { accountId: id, error: err });
        }
      }),
    );
  }
}
