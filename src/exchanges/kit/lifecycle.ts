// What every upstream loop shares: reporting a status only when it changes, running a loop from start() to
// stop(), combining several upstreams of one account, and the wait shown in a status line.
import type { Upstream, UpstreamDeps, UpstreamState } from '../server-types.ts';

/** Reports a state only when it or its detail changes. */
export function statusReporter(
  setStatus: UpstreamDeps['setStatus'],
): (state: UpstreamState, detail?: string) => void {
  let last = '';
  return (state, detail) => {
    const key = `${state}\u0000${detail ?? ''}`;
    if (key === last) return;
    last = key;
    setStatus(state, detail);
  };
}

/** An Upstream running `run` once from start() until stop() aborts its signal; stop() waits for it to return. */
export function loopingUpstream(run: (stopped: AbortSignal) => Promise<void>): Upstream {
  const stopper = new AbortController();
  let loop: Promise<void> | undefined;
  return {
    start() {
      loop ??= run(stopper.signal);
    },
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}

/** Runs several upstreams of one account as one (e.g. a primary stream and a secondary REST poll). */
export function combineUpstreams(...upstreams: Upstream[]): Upstream {
  return {
    start() {
      for (const u of upstreams) u.start();
    },
    async stop() {
      await Promise.all(upstreams.map((u) => u.stop()));
    },
  };
}
