// Coalesces bursts of events into at most one commit per animation frame.

/** Schedules one flush; returns a function that cancels it. */
export interface FrameScheduler {
  schedule(run: () => void): () => void;
}

/** While the tab is hidden the browser pauses animation frames; queued events are flushed on this timer instead. */
export const HIDDEN_FLUSH_MS = 1000;

/**
 * The browser scheduler: the next animation frame while the page is visible, a slow timer while it is hidden
 * (so a background tab neither piles up events nor spends frames on them).
 */
export const browserScheduler: FrameScheduler = {
  schedule(run) {
    const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
    if (hidden || typeof requestAnimationFrame !== 'function') {
      const timer = setTimeout(run, hidden ? HIDDEN_FLUSH_MS : 16);
      return () => clearTimeout(timer);
    }
    const handle = requestAnimationFrame(run);
    return () => cancelAnimationFrame(handle);
  },
};

/**
 * Queues events and hands them to `commit` in one batch per scheduled frame. `flush()` commits at once
 * (used on visibilitychange and in tests).
 */
export class FrameBatcher<E> {
  private queue: E[] = [];
  private cancel: (() => void) | null = null;

  constructor(
    private readonly commit: (events: readonly E[]) => void,
    private readonly scheduler: FrameScheduler = browserScheduler,
  ) {}

  /** Number of events waiting for the next frame. */
  get pending(): number {
    return this.queue.length;
  }

  push(event: E): void {
    this.queue.push(event);
    this.cancel ??= this.scheduler.schedule(() => {
      this.cancel = null;
      this.flush();
    });
  }

  flush(): void {
    if (this.cancel) {
      this.cancel();
      this.cancel = null;
    }
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.commit(events);
  }

  /** Drops queued events and any scheduled frame. */
  dispose(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue = [];
  }
}
