// Routes stream frames to the right exchange store. Frames name only the account, so until /api/accounts
// says which exchange an account belongs to, its frames wait here.
import type { AccountInfo, MarginFrame } from '../app/transport/protocol.ts';
import type { ExchangeModule } from '../exchanges/types.ts';
import { createConnectionStore, connectionEvents, type ConnectionStore } from './connection-store.ts';
import {
  createQueuedExchangeStore,
  type AccountState,
  type ExchangeEvent,
  type ExchangeStore,
} from './exchange-store.ts';
import { FrameBatcher, type FrameScheduler } from './frame-batcher.ts';

/** Frames kept per account while its exchange is not known yet. */
const MAX_PENDING_PER_ACCOUNT = 200;

/** An event on its way to one exchange's store. */
interface RoutedEvent {
  exchange: string;
  event: ExchangeEvent;
}

/**
 * All exchange stores of the app, the connection store, and the frame router. Every exchange store's events
 * wait in one queue and are committed in one callback per animation frame, so a burst across exchanges still
 * costs one React commit per frame.
 */
export class MarginStores {
  readonly connection: ConnectionStore;
  private readonly byExchange = new Map<string, ExchangeStore>();
  private readonly accountExchange = new Map<string, string>();
  private readonly pending = new Map<string, MarginFrame[]>();
  private readonly batcher: FrameBatcher<RoutedEvent>;
  private readonly removeVisibilityListener: () => void;

  constructor(modules: readonly ExchangeModule[], scheduler?: FrameScheduler) {
    this.connection = createConnectionStore();
    this.batcher = new FrameBatcher<RoutedEvent>((events) => this.commit(events), scheduler);
    for (const module of modules) {
      const exchange = module.id;
      const queue = {
        push: (event: ExchangeEvent) => this.batcher.push({ exchange, event }),
        flush: () => this.batcher.flush(),
        dispose: () => {},
      };
      this.byExchange.set(exchange, createQueuedExchangeStore(module, queue));
    }
    // Hidden tabs pause animation frames; commit what is queued whenever visibility changes.
    if (typeof document !== 'undefined') {
      const onVisibility = () => this.flushAll();
      document.addEventListener('visibilitychange', onVisibility);
      this.removeVisibilityListener = () => document.removeEventListener('visibilitychange', onVisibility);
    } else {
      this.removeVisibilityListener = () => {};
    }
  }

  /** The store of an exchange, or undefined when this build does not know the exchange. */
  storeFor(exchange: string): ExchangeStore | undefined {
    return this.byExchange.get(exchange);
  }

  moduleFor(exchange: string): ExchangeModule | undefined {
    return this.byExchange.get(exchange)?.module;
  }

  /** The current state of one account (for selectors spanning several stores). */
  account(exchange: string, accountId: string): AccountState | undefined {
    return this.byExchange.get(exchange)?.store.getState().accounts[accountId];
  }

  /** Calls `listener` after any exchange store commits. */
  subscribeAll(listener: () => void): () => void {
    const unsubscribes = [...this.byExchange.values()].map((s) => s.store.subscribe(listener));
    return () => unsubscribes.forEach((u) => u());
  }

  /** Routes one frame from /api/stream. */
  frameReceived(frame: MarginFrame): void {
    if (frame.type === 'ping') {
      connectionEvents.proxyTimeSeen(this.connection, frame.at);
      return;
    }
    const exchange = this.accountExchange.get(frame.accountId);
    if (exchange === undefined) {
      const queue = this.pending.get(frame.accountId) ?? [];
      queue.push(frame);
      if (queue.length > MAX_PENDING_PER_ACCOUNT) queue.shift();
      this.pending.set(frame.accountId, queue);
      return;
    }
    const target = this.byExchange.get(exchange);
    if (!target) return;
    if (frame.type === 'status') {
      // A status frame's `at` is when the state was entered (replays carry old times): not a clock reading.
      target.statusChanged({
        accountId: frame.accountId,
        state: frame.state,
        detail: frame.detail ?? null,
        at: frame.at,
      });
    } else {
      target.messageReceived({
        accountId: frame.accountId,
        channel: frame.channel,
        receivedAt: frame.receivedAt,
        payload: frame.payload,
        origin: 'stream',
      });
    }
  }

  /** The account list arrived (or was refetched): learn each account's exchange and settings, release waiting frames. */
  accountsLoaded(accounts: readonly AccountInfo[]): void {
    const perExchange = new Map<string, AccountInfo[]>();
    for (const account of accounts) {
      this.accountExchange.set(account.id, account.exchange);
      const list = perExchange.get(account.exchange) ?? [];
      list.push(account);
      perExchange.set(account.exchange, list);
    }
    for (const [exchange, list] of perExchange) this.byExchange.get(exchange)?.accountsLoaded(list);
    for (const account of accounts) {
      const waiting = this.pending.get(account.id);
      if (!waiting) continue;
      this.pending.delete(account.id);
      for (const frame of waiting) this.frameReceived(frame);
    }
  }

  /** A REST detail response fetched by the drill-down; parsed and merged like a stream message. */
  restReceived(
    exchange: string,
    accountId: string,
    channel: string,
    payload: unknown,
    receivedAt: number,
  ): void {
    this.byExchange
      .get(exchange)
      ?.messageReceived({ accountId, channel, receivedAt, payload, origin: 'rest' });
  }

  /** Commits every queued event of every exchange now. */
  flushAll(): void {
    this.batcher.flush();
  }

  dispose(): void {
    this.removeVisibilityListener();
    this.batcher.dispose();
  }

  /** One frame's events: each exchange store gets its own, in order, and commits once. */
  private commit(events: readonly RoutedEvent[]): void {
    const perExchange = new Map<string, ExchangeEvent[]>();
    for (const { exchange, event } of events) {
      const list = perExchange.get(exchange);
      if (list) list.push(event);
      else perExchange.set(exchange, [event]);
    }
    for (const [exchange, list] of perExchange) this.byExchange.get(exchange)?.apply(list);
  }
}
