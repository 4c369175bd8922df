// Test support for exchange upstream and simulator tests: waiting for a condition, and deps that record
// everything an upstream reports (states, publishes, log lines, nonces) so a test can assert on it.
import { expect, onTestFinished } from 'vitest';
import type {
  AccountConfig,
  NonceSource,
  RunningSimulator,
  Upstream,
  UpstreamDeps,
  UpstreamState,
} from '../../server-types.ts';
import { memoryNonceSource } from '../signing.ts';
import type { HttpAnswer } from '../refusal.ts';

/** Default patience of `until`: generous, so a loaded 2-core machine does not fail a correct test. */
export const UNTIL_TIMEOUT_MS = 8_000;

/** Resolves once `check()` is true; rejects naming `what` after `timeoutMs`. Polls every 10 ms. */
export async function until(
  check: () => boolean,
  what = 'condition',
  timeoutMs = UNTIL_TIMEOUT_MS,
): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves after `ms`. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One nonce an upstream asked for. */
export interface NonceUse {
  key: string;
  value: number;
  at: number;
}

/** Wraps a NonceSource so every nonce handed out is recorded in `into`. */
export function recordingNonces(source: NonceSource, into: NonceUse[]): NonceSource {
  return {
    next(key) {
      const value = source.next(key);
      into.push({ key, value, at: Date.now() });
      return value;
    },
  };
}

/** True when every value is greater than the one before. */
export function strictlyIncreasing(values: readonly number[]): boolean {
  return values.every((n, i) => i === 0 || n > (values[i - 1] ?? Number.NEGATIVE_INFINITY));
}

export interface Published {
  channel: string;
  payload: unknown;
  receivedAt: number | undefined;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** Deps for an upstream under test, and everything it reported through them. */
export interface Recording {
  deps: UpstreamDeps;
  states: [UpstreamState, string | undefined][];
  published: Published[];
  logs: LogLine[];
  nonces: NonceUse[];
  lastState(): UpstreamState | undefined;
  lastDetail(): string | undefined;
  /** Payloads published on one channel. */
  on(channel: string): unknown[];
  /** Log lines as text ("warn poll failed {…}"). */
  logText(): string[];
  /** Everything the upstream could show anyone (statuses and logs) as one text, to look for leaked secrets. */
  visible(): string;
}

/** Builds recording deps for `account`; nonces come from `nonces` (default: a fresh in-memory source). */
export function recordingDeps(account: AccountConfig, nonces: NonceSource = memoryNonceSource()): Recording {
  const states: Recording['states'] = [];
  const published: Published[] = [];
  const logs: LogLine[] = [];
  const used: NonceUse[] = [];
  const log =
    (level: LogLine['level']) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      logs.push({ level, msg, fields });
    };
  const logText = (): string[] => logs.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields)}`);
  return {
    deps: {
      account,
      publish: (channel, payload, receivedAt) => published.push({ channel, payload, receivedAt }),
      setStatus: (state, detail) => states.push([state, detail]),
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      nonces: recordingNonces(nonces, used),
    },
    states,
    published,
    logs,
    nonces: used,
    lastState: () => states.at(-1)?.[0],
    lastDetail: () => states.at(-1)?.[1],
    on: (channel) => published.filter((p) => p.channel === channel).map((p) => p.payload),
    logText,
    visible: () => JSON.stringify([states, logText()]),
  };
}

/** An account config for tests. */
export function testAccount(
  exchange: string,
  fields: Pick<AccountConfig, 'credentials' | 'endpoints'> & Partial<AccountConfig>,
): AccountConfig {
  return {
    id: `${exchange}-test`,
    exchange,
    label: `${exchange} test`,
    pollSeconds: 5,
    options: {},
    ...fields,
  };
}

/** Starts `upstream` and stops it when the current test finishes. */
export function started<T extends Upstream>(upstream: T): T {
  upstream.start();
  onTestFinished(() => upstream.stop());
  return upstream;
}

/** Closes `resource` when the current test finishes. */
export function closeAfterTest<T extends { close(): Promise<void> }>(resource: T): T {
  onTestFinished(() => resource.close());
  return resource;
}

/** An HTTP answer for refusal tests: a string body is kept as text, anything else is sent as JSON. */
export function httpAnswer(
  status: number,
  body: unknown = '',
  headers: Record<string, string> = {},
): HttpAnswer {
  if (typeof body === 'string') {
    let json: unknown;
    try {
      json = body.length > 0 ? (JSON.parse(body) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    return { status, headers: new Headers(headers), text: body, json };
  }
  return { status, headers: new Headers(headers), text: JSON.stringify(body), json: body };
}

/** An upstream under test against a simulator. */
export interface SimRun extends Recording {
  sim: RunningSimulator;
  /** Stops the upstream (it is stopped after the test anyway). */
  stop: () => Promise<void>;
}

/** Starts `upstream` (built on `recording.deps`) against `sim`; both end with the test. */
export function runAgainst(sim: RunningSimulator, recording: Recording, upstream: Upstream): SimRun {
  started(upstream);
  return { ...recording, sim, stop: () => upstream.stop() };
}

/**
 * The acceptance cycle of a revoked key: live → revoke ⇒ auth_failed with exactly `detail`; while it stays
 * revoked for `quietMs`, at most `maxAttempts` new attempts (slow retries, never a hot loop) → restore ⇒ live,
 * with new data published.
 */
export async function expectRevokeCycle(
  run: SimRun,
  options: { detail: string; quietMs: number; maxAttempts: number; attempts?: () => number },
): Promise<void> {
  const attempts = options.attempts ?? (() => run.nonces.length);
  await until(() => run.lastState() === 'live', 'live');
  run.sim.control({ kind: 'revoke' });
  await until(() => run.lastState() === 'auth_failed', 'auth_failed');
  expect(run.lastDetail()).toBe(options.detail);
  const atFailure = attempts();
  await pause(options.quietMs);
  expect(attempts() - atFailure).toBeLessThanOrEqual(options.maxAttempts);
  expect(run.lastState()).toBe('auth_failed');
  const published = run.published.length;
  run.sim.control({ kind: 'restore' });
  await until(() => run.lastState() === 'live' && run.published.length > published, 'live after restore');
}

/**
 * The acceptance cycle of a silent exchange: live → silence ⇒ stale, then the connection replaced (a
 * `reconnecting` that says "no data") → silence lifted ⇒ live again, with new data published.
 */
export async function expectSilenceCycle(run: SimRun): Promise<void> {
  await until(() => run.lastState() === 'live', 'live');
  run.sim.control({ kind: 'silence', on: true });
  await until(() => run.states.some(([s]) => s === 'stale'), 'stale');
  await until(
    () => run.states.some(([s, d]) => s === 'reconnecting' && (d ?? '').includes('no data')),
    'the silent connection replaced',
  );
  const published = run.published.length;
  run.sim.control({ kind: 'silence', on: false });
  await until(() => run.lastState() === 'live' && run.published.length > published, 'live after the silence');
  const order = run.states.map(([s]) => s);
  expect(order.indexOf('stale')).toBeLessThan(order.lastIndexOf('live'));
}

/** After `stop()` resolves nothing more is published and no nonce is taken. */
export async function expectQuietAfterStop(run: Recording, stop: () => Promise<void>): Promise<void> {
  await stop();
  const published = run.published.length;
  const nonces = run.nonces.length;
  await pause(300);
  expect(run.published.length).toBe(published);
  expect(run.nonces.length).toBe(nonces);
}

/** No secret (credential values, signatures) shows in any status detail or log line. */
export function expectNothingSecret(
  run: Recording,
  secrets: readonly string[],
  patterns: readonly RegExp[] = [],
): void {
  const seen = run.visible();
  expect(run.logs.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(seen).not.toContain(secret);
  for (const pattern of patterns) expect(seen).not.toMatch(pattern);
}

/** A failure reconnecting will not fix, on the channel that drives the status: state `error` with `detail`. */
export async function expectFatal(run: Recording, detail: string): Promise<void> {
  await until(() => run.lastState() === 'error', 'status error');
  expect(run.lastDetail()).toBe(detail);
}

/** The same on a secondary poll, which never drives the status: a `poll failed` warning with `detail`. */
export async function expectFatalPoll(run: Recording, detail: string): Promise<void> {
  await until(
    () => run.logs.some((l) => l.level === 'warn' && l.msg === 'poll failed'),
    'a failed poll warning',
  );
  expect(run.logs.find((l) => l.level === 'warn' && l.msg === 'poll failed')?.fields.detail).toBe(detail);
  expect(run.states.some(([s]) => s === 'error')).toBe(false);
}
