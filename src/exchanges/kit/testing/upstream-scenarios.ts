// The upstream scenarios every exchange must pass against its own simulator, written once: live only once data
// flows and what it publishes reads cleanly, a dropped connection replaced, a silent one replaced, a revoked key
// reported as an auth failure with slow retries, a wrong stream path reported as an error, a malformed message
// published for the parser to report, no secret in any status or log line, and nothing after stop(). Each
// exchange's upstream.test.ts calls describeUpstreamScenarios with its own words and timings; what is particular
// to one exchange stays in that file.
import { describe, expect, it } from 'vitest';
import type { Endpoints, RunningSimulator } from '../../server-types.ts';
import type { ParseOutcome } from '../../types.ts';
import {
  expectFatal,
  expectNothingSecret,
  expectQuietAfterStop,
  expectRevokeCycle,
  expectSilenceCycle,
  until,
  type Recording,
  type SimRun,
} from './session-harness.ts';

/** How a scenario wants the upstream started. */
export interface ScenarioStart {
  /** Short stale and dead limits, for the silence scenario; otherwise limits a loaded machine never reaches. */
  impatient?: boolean;
  /** Endpoints instead of the simulator's own (a wrong path). */
  endpoints?: (sim: RunningSimulator) => Endpoints;
}

export interface UpstreamScenarioSpec {
  /** Display name, e.g. "BitoPro". */
  exchange: string;
  /** Starts the exchange's simulator (steady levels) and an upstream on recording deps; both end with the test. */
  start(options?: ScenarioStart): Promise<SimRun>;
  /** The exchange's reading of one published message (its normalize, with the test account's context). */
  read(channel: string, payload: unknown): ParseOutcome;
  /** `stream`: a WebSocket session (a drop shows `reconnecting`); `poll`: REST polls only. */
  transport: 'stream' | 'poll';
  /** The revoke cycle: the exact auth_failed detail and how few attempts the slow retries allow. */
  revoke: { detail: string; quietMs: number; maxAttempts: number; attempts?: (run: SimRun) => number };
  /** A stream path the exchange answers with 404, and the status detail that says so. Streams only. */
  wrongStreamPath?: { endpoints: (sim: RunningSimulator) => Endpoints; detail: string };
  /** Credential values (and patterns, e.g. of signatures) that must never show in a status or a log line. */
  secrets: readonly string[];
  secretPatterns?: readonly RegExp[];
}

/** Messages published since `from` that read as data (not as an error). */
function dataSince(run: Recording, spec: UpstreamScenarioSpec, from = 0): number {
  return run.published.slice(from).filter((p) => spec.read(p.channel, p.payload).kind === 'update').length;
}

/** Registers the shared scenarios for one exchange. */
export function describeUpstreamScenarios(spec: UpstreamScenarioSpec): void {
  describe(`${spec.exchange} upstream: the scenarios every exchange passes`, () => {
    it('is connecting, then live once data flows, and everything it publishes reads without error', async () => {
      const run = await spec.start();
      await until(() => run.lastState() === 'live' && dataSince(run, spec) >= 2, 'live with data');
      expect(run.states[0]).toEqual(['connecting', undefined]);
      for (const { channel, payload, receivedAt } of run.published) {
        expect(spec.read(channel, payload).kind).not.toBe('error');
        expect(typeof receivedAt).toBe('number');
      }
    });

    it('a dropped connection is replaced, and data flows again', async () => {
      const run = await spec.start();
      await until(() => run.lastState() === 'live' && dataSince(run, spec) >= 1, 'live with data');
      const before = run.published.length;
      run.sim.control({ kind: 'drop' });
      if (spec.transport === 'stream') {
        await until(() => run.states.some(([s]) => s === 'reconnecting'), 'reconnecting');
      }
      await until(
        () => run.lastState() === 'live' && dataSince(run, spec, before) >= 2,
        'live with data after the drop',
      );
    });

    if (spec.transport === 'stream') {
      it('a silent connection is stale, then replaced, and live again when data returns', async () => {
        const run = await spec.start({ impatient: true });
        await until(() => dataSince(run, spec) >= 1, 'data');
        await expectSilenceCycle(run);
      });
    }

    it('a revoked key is reported as an auth failure with slow retries; restored, it is live again', async () => {
      const run = await spec.start();
      await expectRevokeCycle(run, {
        detail: spec.revoke.detail,
        quietMs: spec.revoke.quietMs,
        maxAttempts: spec.revoke.maxAttempts,
        ...(spec.revoke.attempts ? { attempts: () => spec.revoke.attempts?.(run) ?? 0 } : {}),
      });
    });

    const wrongPath = spec.wrongStreamPath;
    if (wrongPath) {
      it('a wrong stream path is an error reconnecting will not fix', async () => {
        const run = await spec.start({ endpoints: wrongPath.endpoints });
        await expectFatal(run, wrongPath.detail);
        expect(run.states.some(([s]) => s === 'live')).toBe(false);
      });
    }

    it('publishes a malformed message as raw text, which the parser reports; the account stays live', async () => {
      const run = await spec.start();
      await until(() => run.lastState() === 'live' && dataSince(run, spec) >= 1, 'live with data');
      run.sim.control({ kind: 'malformed' });
      await until(() => run.published.some((p) => typeof p.payload === 'string'), 'a raw message');
      const raw = run.published.find((p) => typeof p.payload === 'string');
      const outcome = spec.read(raw?.channel ?? '', raw?.payload);
      expect(outcome.kind === 'error' && outcome.error.field).toBe('(message)');
      const after = run.published.length;
      await until(() => dataSince(run, spec, after) >= 1, 'data after the malformed message');
      expect(run.lastState()).toBe('live');
    });

    it('never shows a credential or a signature in a status or a log line', async () => {
      const run = await spec.start();
      await until(() => run.lastState() === 'live', 'live');
      run.sim.control({ kind: 'drop' });
      run.sim.control({ kind: 'revoke' });
      await until(() => run.lastState() === 'auth_failed', 'auth_failed');
      expectNothingSecret(run, spec.secrets, spec.secretPatterns);
    });

    it('stop() ends it: nothing is published and no nonce is taken afterwards', async () => {
      const run = await spec.start();
      await until(() => run.lastState() === 'live', 'live');
      await expectQuietAfterStop(run, run.stop);
    });
  });
}
