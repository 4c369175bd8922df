// One Zustand store of every account's snapshot, keyed by account. The proxy has read each exchange message
// already: a snapshot frame carries its reading, so this store holds what the frames say and reads nothing itself.
// Events are queued and committed at most once per animation frame (see FrameBatcher), so a burst of frames
// costs one render.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { LastGood, Problem, SnapshotFrame, StreamState } from '../contract/stream.ts';
import type { MarginSnapshot } from '../domain/model.ts';
import { FrameBatcher, type FrameScheduler } from './frame-batcher.ts';

/** The proxy's last word on the account's upstream session. */
export interface AccountStatus {
  state: StreamState;
  detail?: string;
  at: number;
}

/** Everything the browser knows about one account. Replaced (never mutated) when anything changes. */
export interface AccountState {
  accountId: string;
  snapshot: MarginSnapshot | null;
  /** The newest accepted message that carried the headline figure (or any update, until one does). */
  lastGood: LastGood | null;
  /**
   * The snapshot as it stood when the newest level came, with `time` set to when that message was received (proxy
   * clock, as the history recorder stamps samples). Frames without a new level (balance polls) leave it alone,
   * so the history chart never extends an old level to "now".
   */
  levelSnapshot: MarginSnapshot | null;
  status: AccountStatus | null;
  /** The latest rejected message (the figures shown are then the last good ones). */
  rejection: Problem | null;
}

/** Per-account state from /api/accounts (later updates come on the stream). */
export interface AccountSettings {
  id: string;
  status?: { state: StreamState; detail?: string; at?: number };
}

/** What can happen to the accounts; queued and committed once per frame. */
export type SnapshotEvent =
  | { type: 'snapshotReceived'; frame: SnapshotFrame }
  | { type: 'statusChanged'; accountId: string; state: StreamState; detail?: string | null; at: number }
  | { type: 'accountsLoaded'; accounts: readonly AccountSettings[] };

/** The store's state: every account by id. */
export interface SnapshotState {
  accounts: Readonly<Record<string, AccountState>>;
}

function emptyAccount(accountId: string): AccountState {
  return {
    accountId,
    snapshot: null,
    lastGood: null,
    levelSnapshot: null,
    status: null,
    rejection: null,
  };
}

/** The frame's level snapshot, keeping the previous object when the level did not change (no new chart point). */
function levelSnapshotOf(previous: MarginSnapshot | null, frame: SnapshotFrame): MarginSnapshot | null {
  if (!frame.snapshot || frame.levelAt === null) return null;
  if (previous?.time === frame.levelAt) return previous;
  return { ...frame.snapshot, time: frame.levelAt };
}

function reduceEvent(
  accounts: Record<string, AccountState>,
  event: SnapshotEvent,
): Record<string, AccountState> {
  switch (event.type) {
    case 'snapshotReceived': {
      const frame = event.frame;
      // Each frame is the proxy's whole current reading of the account (a replay too), so the newest to arrive
      // holds, even when its message was stamped earlier than the last one (a poll answered late).
      const account = accounts[frame.accountId] ?? emptyAccount(frame.accountId);
      const next: AccountState = {
        ...account,
        snapshot: frame.snapshot,
        lastGood: frame.lastGood,
        levelSnapshot: levelSnapshotOf(account.levelSnapshot, frame),
        rejection: frame.problem ?? null,
      };
      return { ...accounts, [frame.accountId]: next };
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
        const account = next[settings.id];
        if (account?.status || (account && !settings.status)) continue;
        const updated = account ?? emptyAccount(settings.id);
        const withStatus: AccountState = settings.status
          ? {
              ...updated,
              status: {
                state: settings.status.state,
                at: settings.status.at ?? 0,
                ...(settings.status.detail ? { detail: settings.status.detail } : {}),
              },
            }
          : updated;
        if (next === accounts) next = { ...accounts };
        next[settings.id] = withStatus;
      }
      return next;
    }
  }
}

/**
 * Applies a batch of events to the state, returning the same object when nothing changed. Accounts the batch
 * does not touch keep their identity, so a selector reading account B is not woken by news about account A.
 */
export function reduceSnapshotEvents(state: SnapshotState, events: readonly SnapshotEvent[]): SnapshotState {
  let accounts = state.accounts;
  for (const event of events) accounts = reduceEvent(accounts, event);
  return accounts === state.accounts ? state : { accounts };
}

/** The snapshot store plus its event API. */
export interface SnapshotStore {
  readonly store: StoreApi<SnapshotState>;
  snapshotReceived(frame: SnapshotFrame): void;
  statusChanged(event: Omit<Extract<SnapshotEvent, { type: 'statusChanged' }>, 'type'>): void;
  accountsLoaded(accounts: readonly AccountSettings[]): void;
  /** Commits queued events now. */
  flush(): void;
  dispose(): void;
}

/** Creates the snapshot store; its events wait for the next frame of `scheduler` (an animation frame by default). */
export function createSnapshotStore(scheduler?: FrameScheduler): SnapshotStore {
  const store = createStore<SnapshotState>()(() => ({ accounts: {} }));
  const batcher = new FrameBatcher<SnapshotEvent>((events) => {
    const current = store.getState();
    const next = reduceSnapshotEvents(current, events);
    if (next !== current) store.setState(next, true);
  }, scheduler);
  return {
    store,
    snapshotReceived: (frame) => batcher.push({ type: 'snapshotReceived', frame }),
    statusChanged: (event) => batcher.push({ type: 'statusChanged', ...event }),
    accountsLoaded: (accounts) => batcher.push({ type: 'accountsLoaded', accounts }),
    flush: () => batcher.flush(),
    dispose: () => batcher.dispose(),
  };
}
