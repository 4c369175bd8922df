// One Zustand store per exchange, keyed by account. Actions are events; they are queued and committed at
// most once per animation frame (see FrameBatcher), so a burst of messages costs one render.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { MarginSnapshot, ThresholdOverrides } from '../domain/model.ts';
import { applyUpdate } from '../domain/risk.ts';
import type { StreamState } from '../app/transport/protocol.ts';
import type { ExchangeModule, ParseOutcome, WireError } from '../exchanges/types.ts';
import { FrameBatcher, type FrameScheduler } from './frame-batcher.ts';

/** The latest message of one channel, kept for support ("show raw") and to re-read it when config changes. */
export interface RawMessage {
  channel: string;
  receivedAt: number;
  payload: unknown;
  /** `stream`: relayed by /api/stream; `rest`: fetched by the drill-down. */
  origin: 'stream' | 'rest';
  outcome: ParseOutcome['kind'];
}

/** The proxy's last word on the account's upstream session. */
export interface AccountStatus {
  state: StreamState;
  detail?: string;
  at: number;
}

/** A message the parser rejected; the figures shown are then the last good ones. */
export interface Rejection {
  channel: string;
  error: WireError;
  at: number;
  /** When a later message on the same channel was accepted again (null while the channel is still broken). */
  recoveredAt: number | null;
}

/** Everything the browser knows about one account. Replaced (never mutated) when anything changes. */
export interface AccountState {
  accountId: string;
  snapshot: MarginSnapshot | null;
  /** The newest accepted message that carried the headline figure (or any update, until one does). */
  lastGood: { channel: string; at: number } | null;
  /**
   * The snapshot as it stood right after the newest message that carried the level, with `time` set to when
   * that message was received (proxy clock, as the history recorder stamps samples). Messages without a level
   * (balance polls, REST detail) leave it alone, so the history chart never extends an old level to "now".
   */
  levelSnapshot: MarginSnapshot | null;
  status: AccountStatus | null;
  rejection: Rejection | null;
  /** Latest message per channel. */
  raw: Readonly<Record<string, RawMessage>>;
  thresholds: ThresholdOverrides | undefined;
  pollSeconds: number | undefined;
}

/** Per-account settings from /api/accounts that affect parsing and freshness. */
export interface AccountSettings {
  id: string;
  thresholds?: ThresholdOverrides;
  pollSeconds?: number;
  status?: { state: StreamState; detail?: string; at?: number };
}

/** What can happen to an exchange's accounts; queued and committed once per frame. */
export type ExchangeEvent =
  | {
      type: 'messageReceived';
      accountId: string;
      channel: string;
      receivedAt: number;
      payload: unknown;
      origin: 'stream' | 'rest';
    }
  | { type: 'statusChanged'; accountId: string; state: StreamState; detail?: string | null; at: number }
  | { type: 'accountsLoaded'; accounts: readonly AccountSettings[] };

/** An exchange store's state: its accounts by id. */
export interface ExchangeState {
  accounts: Readonly<Record<string, AccountState>>;
}

/** An exchange's store plus its event API. */
export interface ExchangeStore {
  readonly module: ExchangeModule;
  readonly store: StoreApi<ExchangeState>;
  messageReceived(event: Omit<Extract<ExchangeEvent, { type: 'messageReceived' }>, 'type'>): void;
  statusChanged(event: Omit<Extract<ExchangeEvent, { type: 'statusChanged' }>, 'type'>): void;
  accountsLoaded(accounts: readonly AccountSettings[]): void;
  /** Applies events at once, in one store commit (what a frame of the queue does). */
  apply(events: readonly ExchangeEvent[]): void;
  /** Commits queued events now. */
  flush(): void;
  dispose(): void;
}

/** Where a store's events wait for their frame; MarginStores shares one queue among every exchange store. */
export interface EventQueue {
  push(event: ExchangeEvent): void;
  /** Commits everything queued now. */
  flush(): void;
  dispose(): void;
}

function emptyAccount(accountId: string): AccountState {
  return {
    accountId,
    snapshot: null,
    lastGood: null,
    levelSnapshot: null,
    status: null,
    rejection: null,
    raw: {},
    thresholds: undefined,
    pollSeconds: undefined,
  };
}

function safeNormalize(
  module: ExchangeModule,
  account: AccountState,
  channel: string,
  payload: unknown,
  receivedAt: number,
): ParseOutcome {
  try {
    const ctx = { accountId: account.accountId, receivedAt, thresholds: account.thresholds };
    return module.normalize(channel, payload, ctx);
  } catch (err) {
    return {
      kind: 'error',
      error: {
        exchange: module.id,
        channel,
        field: '(message)',
        message: `could not be read: ${err instanceof Error ? err.message : String(err)}`,
      },
    };
  }
}

/** Folds one parsed message into the account. */
function foldOutcome(
  account: AccountState,
  outcome: ParseOutcome,
  channel: string,
  receivedAt: number,
): AccountState {
  switch (outcome.kind) {
    case 'update': {
      const update = outcome.update;
      const carriesLevel = update.risk !== undefined;
      const newer = account.lastGood === null || receivedAt >= account.lastGood.at;
      const snapshot = applyUpdate(account.snapshot ?? undefined, update);
      return {
        ...account,
        snapshot,
        lastGood:
          (carriesLevel || account.lastGood === null) && newer
            ? { channel, at: receivedAt }
            : account.lastGood,
        levelSnapshot: carriesLevel && newer ? { ...snapshot, time: receivedAt } : account.levelSnapshot,
        rejection:
          account.rejection?.channel === channel && account.rejection.recoveredAt === null
            ? { ...account.rejection, recoveredAt: receivedAt }
            : account.rejection,
      };
    }
    case 'ignored':
      return account;
    case 'error':
      return { ...account, rejection: { channel, error: outcome.error, at: receivedAt, recoveredAt: null } };
  }
}

/** Re-reads the latest message of every channel, oldest first (after the thresholds changed). */
function rebuild(module: ExchangeModule, account: AccountState): AccountState {
  const messages = Object.values(account.raw).sort((a, b) => a.receivedAt - b.receivedAt);
  let next: AccountState = {
    ...account,
    snapshot: null,
    lastGood: null,
    levelSnapshot: null,
    rejection: null,
    raw: {},
  };
  for (const m of messages) {
    const outcome = safeNormalize(module, next, m.channel, m.payload, m.receivedAt);
    next = foldOutcome(next, outcome, m.channel, m.receivedAt);
    next = { ...next, raw: { ...next.raw, [m.channel]: { ...m, outcome: outcome.kind } } };
  }
  return next;
}

function thresholdsKey(t: ThresholdOverrides | undefined): string {
  if (!t) return '';
  return `${t.marginCall?.toFixed() ?? ''}|${t.liquidation?.toFixed() ?? ''}|${t.takeover?.toFixed() ?? ''}`;
}

function reduceEvent(
  module: ExchangeModule,
  accounts: Record<string, AccountState>,
  event: ExchangeEvent,
): Record<string, AccountState> {
  switch (event.type) {
    case 'messageReceived': {
      const account = accounts[event.accountId] ?? emptyAccount(event.accountId);
      const previous = account.raw[event.channel];
      // Replays on reconnect and out-of-order deliveries of a channel are not newer than what is shown.
      if (previous && event.receivedAt <= previous.receivedAt) return accounts;
      const outcome = safeNormalize(module, account, event.channel, event.payload, event.receivedAt);
      const folded = foldOutcome(account, outcome, event.channel, event.receivedAt);
      const raw: RawMessage = {
        channel: event.channel,
        receivedAt: event.receivedAt,
        payload: event.payload,
        origin: event.origin,
        outcome: outcome.kind,
      };
      return { ...accounts, [event.accountId]: { ...folded, raw: { ...folded.raw, [event.channel]: raw } } };
    }
    case 'statusChanged': {
      const account = accounts[event.accountId] ?? emptyAccount(event.accountId);
      if (account.status && event.at < account.status.at) return accounts;
      const status: AccountStatus = { state: event.state, at: event.at };
      if (event.detail) status.detail = event.detail;
      return { ...accounts, [event.accountId]: { ...account, status } };
    }
    case 'accountsLoaded': {
      let next = accounts;
      for (const settings of event.accounts) {
        const account = next[settings.id] ?? emptyAccount(settings.id);
        let updated = account;
        if (thresholdsKey(settings.thresholds) !== thresholdsKey(account.thresholds)) {
          updated = rebuild(module, { ...account, thresholds: settings.thresholds });
        }
        if (settings.pollSeconds !== account.pollSeconds)
          updated = { ...updated, pollSeconds: settings.pollSeconds };
        if (!updated.status && settings.status) {
          const status: AccountStatus = { state: settings.status.state, at: settings.status.at ?? 0 };
          if (settings.status.detail) status.detail = settings.status.detail;
          updated = { ...updated, status };
        }
        if (updated !== account || !(settings.id in next)) {
          if (next === accounts) next = { ...accounts };
          next[settings.id] = updated;
        }
      }
      return next;
    }
  }
}

/**
 * Applies a batch of events to the state, returning the same object when nothing changed. Accounts the batch
 * does not touch keep their identity, so a selector reading account B is not woken by news about account A.
 */
export function reduceExchangeEvents(
  module: ExchangeModule,
  state: ExchangeState,
  events: readonly ExchangeEvent[],
): ExchangeState {
  let accounts = state.accounts;
  for (const event of events) accounts = reduceEvent(module, accounts, event);
  return accounts === state.accounts ? state : { accounts };
}

/**
 * Creates the store for one exchange whose events wait in `queue` (see EventQueue); `apply` is what the queue
 * calls when their frame comes.
 */
export function createQueuedExchangeStore(module: ExchangeModule, queue: EventQueue): ExchangeStore {
  const store = createStore<ExchangeState>()(() => ({ accounts: {} }));
  return {
    module,
    store,
    messageReceived: (event) => queue.push({ type: 'messageReceived', ...event }),
    statusChanged: (event) => queue.push({ type: 'statusChanged', ...event }),
    accountsLoaded: (accounts) => queue.push({ type: 'accountsLoaded', accounts }),
    apply(events) {
      const current = store.getState();
      const next = reduceExchangeEvents(module, current, events);
      if (next !== current) store.setState(next, true);
    },
    flush: () => queue.flush(),
    dispose: () => queue.dispose(),
  };
}

/** Creates the store for one exchange with a frame queue of its own (the app shares one: MarginStores). */
export function createExchangeStore(module: ExchangeModule, scheduler?: FrameScheduler): ExchangeStore {
  let target: ExchangeStore | null = null;
  const batcher = new FrameBatcher<ExchangeEvent>((events) => target?.apply(events), scheduler);
  target = createQueuedExchangeStore(module, batcher);
  return target;
}
