// The polling loop of exchanges without a private stream (and of secondary REST channels beside one): polls at
// the configured interval within the API key's request budget, with jitter, backing off on failures, honouring
// Retry-After, and slowing right down on auth failures.
import { formatDuration } from '../../domain/format.ts';
import type { Upstream, UpstreamDeps, UpstreamState } from '../server-types.ts';
import {
  authRetryDelay,
  backoffWithJitter,
  DEFAULT_BACKOFF,
  fullJitterDelay,
  MAX_RETRY_AFTER_MS,
  POLL_JITTER,
  RETRY_AFTER_JITTER,
  sleep,
  type BackoffOptions,
} from './backoff.ts';
import { loopingUpstream, statusReporter } from './lifecycle.ts';

/** Outcome of one poll. `retry`: a transient failure (HTTP 429/5xx, timeout); `auth`: credentials rejected. */
export type PollResult =
  | { kind: 'ok' }
  /** `auth`: credentials rejected (auth_failed); `fatal`: will not fix itself, e.g. a 404 path (error). Both retry slowly. */
  | { kind: 'auth' | 'fatal'; detail: string }
  | { kind: 'retry'; detail: string; retryAfterMs?: number };

export interface PollOptions {
  deps: Pick<UpstreamDeps, 'setStatus' | 'log' | 'pollPlan'>;
  /** The configured interval (ms). A request budget in deps.pollPlan may stretch it and offset the first poll. */
  intervalMs: number;
  /** One request; must honour the signal (abort = stop). Rejections count as `retry`. */
  poll(signal: AbortSignal): Promise<PollResult>;
  /** When false the poller never reports status (a secondary channel beside a primary stream); failures are logged. */
  reportStatus?: boolean;
  backoff?: Partial<BackoffOptions>;
}

/**
 * An Upstream that polls at a fixed interval (stretched and phase-shifted by the API key's request budget,
 * with jitter), backing off on failures and slowing right down on auth failures.
 */
export function pollingUpstream(options: PollOptions): Upstream {
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const reportStatus = options.reportStatus ?? true;
  const reporter = statusReporter(options.deps.setStatus);
  const report = (state: UpstreamState, detail?: string): void => {
    if (reportStatus) reporter(state, detail);
  };
  const plan = options.deps.pollPlan;
  const intervalMs = Math.max(options.intervalMs, plan?.intervalMs ?? 0);

  return loopingUpstream(async (stopped) => {
    let failures = 0;
    let authFailures = 0;
    report('connecting');
    // Accounts sharing a key start at different phases of the interval, so their polls never coincide.
    if (plan !== undefined && plan.offsetMs > 0) await sleep(plan.offsetMs, stopped);
    while (!stopped.aborted) {
      let result: PollResult;
      try {
        result = await options.poll(stopped);
      } catch (err) {
        result = { kind: 'retry', detail: err instanceof Error ? err.message : String(err) };
      }
      if (stopped.aborted) break;
      let wait: number;
      if (result.kind === 'ok') {
        failures = 0;
        authFailures = 0;
        report('live');
        wait = backoffWithJitter({ baseMs: intervalMs, above: POLL_JITTER }, backoff.random);
      } else if (result.kind === 'auth' || result.kind === 'fatal') {
        wait = Math.max(intervalMs, authRetryDelay(authFailures, backoff));
        authFailures += 1;
        report(result.kind === 'auth' ? 'auth_failed' : 'error', result.detail);
        options.deps.log.warn(result.kind === 'auth' ? 'poll auth failed' : 'poll failed', {
          detail: result.detail,
          retryInMs: wait,
        });
      } else {
        const retryAfter = Math.min(
          result.kind === 'retry' ? (result.retryAfterMs ?? 0) : 0,
          MAX_RETRY_AFTER_MS,
        );
        wait = Math.max(
          backoffWithJitter(
            { baseMs: Math.max(intervalMs, retryAfter), above: RETRY_AFTER_JITTER },
            backoff.random,
          ),
          fullJitterDelay(failures, backoff),
        );
        failures += 1;
        report('reconnecting', `${result.detail}; retrying in ${formatDuration(wait)}`);
        options.deps.log.info('poll failed', { detail: result.detail, retryInMs: wait });
      }
      await sleep(wait, stopped);
    }
  });
}
