// The app's stores: the snapshot store (every account, keyed by id) and the connection store, and the routing of
// stream frames to them. Frames name only the account; the browser needs no exchange module to file them.
import type { AccountInfo } from '../contract/accounts.ts';
import type { MarginFrame } from '../contract/stream.ts';
import { connectionEvents, createConnectionStore, type ConnectionStore } from './connection-store.ts';
import type { FrameScheduler } from './frame-batcher.ts';
import { createSnapshotStore, type AccountState, type SnapshotStore } from './snapshot-store.ts';

/**
 * The snapshot store and the connection store. Snapshot events wait in one queue committed once per animation
 * frame, so a burst of frames from many accounts still costs one React commit per frame.
 */
export class MarginStores {
  readonly connection: ConnectionStore;
  readonly snapshots: SnapshotStore;
  private readonly removeVisibilityListener: () => void;

  constructor(scheduler?: FrameScheduler) {
    this.connection = createConnectionStore();
    this.snapshots = createSnapshotStore(scheduler);
    // Hidden tabs pause animation frames; commit what is queued whenever visibility changes.
    if (typeof document !== 'undefined') {
      const onVisibility = () => this.flushAll();
      document.addEventListener('visibilitychange', onVisibility);
      this.removeVisibilityListener = () => document.removeEventListener('visibilitychange', onVisibility);
    } else {
      this.removeVisibilityListener = () => {};
    }
  }

  /** The current state of one account. */
  account(accountId: string): AccountState | undefined {
    return this.snapshots.store.getState().accounts[accountId];
  }

  /** Calls `listener` after every commit of the snapshot store. */
  subscribeAll(listener: () => void): () => void {
    return this.snapshots.store.subscribe(listener);
  }

  /** Routes one frame from /api/stream. */
  frameReceived(frame: MarginFrame): void {
    switch (frame.type) {
      case 'ping':
        connectionEvents.proxyTimeSeen(this.connection, frame.at);
        return;
      case 'status':
        // A status frame's `at` is when the state was entered (replays carry old times): not a clock reading.
        this.snapshots.statusChanged({
          accountId: frame.accountId,
          state: frame.state,
          detail: frame.detail ?? null,
          at: frame.at,
        });
        return;
      case 'snapshot':
        this.snapshots.snapshotReceived(frame);
    }
  }

  /** The account list arrived (or was refetched): each account's initial status, until the stream says more. */
  accountsLoaded(accounts: readonly AccountInfo[]): void {
    this.snapshots.accountsLoaded(accounts);
  }

  /** Commits every queued event now. */
  flushAll(): void {
    this.snapshots.flush();
  }

  dispose(): void {
    this.removeVisibilityListener();
    this.snapshots.dispose();
  }
}
