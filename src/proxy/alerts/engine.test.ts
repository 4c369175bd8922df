import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { Band, MarginSnapshot } from '../../domain/model.ts';
import { createAlertEngine, type AlertEvent, type AlertRuleId, type NearestMove } from './engine.ts';
import { resolveSettings, type AlertRulesConfig, type RuleSettingsPatch } from './rules.ts';
import { ACCOUNTS, BANDS, MINUTE, ManualClock, SECOND, liquidatingSnap, snap } from './testing/accounts.ts';
import { webhookRequest } from './webhook-formats.ts';

const A = 'bitso-demo';

function setup(defaults: RuleSettingsPatch = {}, accounts: AlertRulesConfig['accounts'] = {}) {
  const clock = new ManualClock();
  const config: AlertRulesConfig = { defaults, accounts };
  const engine = createAlertEngine({
    accounts: ACCOUNTS,
    settingsFor: (id) => resolveSettings(id, config, undefined),
    now: clock.now,
  });
  const events: AlertEvent[] = [];
  const keep = (list: AlertEvent[]) => {
    events.push(...list);
    return list;
  };
  return {
    clock,
    engine,
    events,
    /** Feeds a level of account A, `stepMs` after the previous input. */
    level(text: string | null, stepMs = SECOND, accountId = A) {
      clock.advance(stepMs);
      return keep(engine.snapshot(accountId, snap(accountId, text)));
    },
    status(state: Parameters<typeof engine.status>[1], detail?: string, accountId = A) {
      return keep(engine.status(accountId, state, detail));
    },
    tick(stepMs = SECOND) {
      clock.advance(stepMs);
      return keep(engine.tick());
    },
  };
}

/** `rule:kind` of each event, optionally only of some rules. */
function kinds(events: readonly AlertEvent[], rules?: AlertRuleId[]): string[] {
  return events.filter((e) => !rules || rules.includes(e.rule)).map((e) => `${e.rule}:${e.kind}`);
}

const ZONE_ONLY = {
  cushionBelow: { enabled: false },
  fastFall: { enabled: false },
  stale: { enabled: false },
} satisfies RuleSettingsPatch;

describe('zone-worse', () => {
  it('fires once on entering caution, with the level as written, zone and cushion', () => {
    const h = setup(ZONE_ONLY);
    expect(h.level('1.62')).toEqual([]);
    const [fired, ...rest] = h.level('1.4');
    expect(rest).toEqual([]);
    expect(fired).toMatchObject({
      accountId: A,
      exchange: 'bitso',
      rule: 'zone-worse',
      kind: 'fired',
      level: '1.4',
      zone: 'caution',
      cushion: '0.21428571',
      message: 'Bitso (demo): entered Caution — level 1.4, below the margin-call line 1.5',
      at: h.clock.t,
    });
    expect(h.level('1.45')).toEqual([]);
    expect(h.level('1.3')).toEqual([]);
  });

  it('escalates to liquidation and takeover at once, ignoring the cooldown of milder zones', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.4');
    const liq = h.level('1.08');
    expect(liq.map((e) => [e.kind, e.zone, e.message])).toEqual([
      [
        'fired',
        'liquidation',
        'Bitso (demo): entered Liquidation — level 1.08, below the liquidation line 1.1',
      ],
    ]);
    const take = h.level('1.04');
    expect(take.map((e) => [e.kind, e.zone])).toEqual([['fired', 'takeover']]);
    expect(kinds(h.events)).toEqual(['zone-worse:fired', 'zone-worse:fired', 'zone-worse:fired']);
  });

  it('fires on the first snapshot when the account is already in a bad zone', () => {
    const h = setup(ZONE_ONLY);
    expect(h.level('1.09').map((e) => e.zone)).toEqual(['liquidation']);
  });

  // caution line 1.5 with a 2 % margin: clears at 1.53 and above.
  it.each([
    { back: '1.51', cleared: false },
    { back: '1.529999', cleared: false },
    { back: '1.53', cleared: true },
    { back: '2', cleared: true },
  ])('clears a caution alert at $back: $cleared', ({ back, cleared }) => {
    const h = setup(ZONE_ONLY);
    h.level('1.45');
    const out = h.level(back);
    expect(kinds(out)).toEqual(cleared ? ['zone-worse:recovered'] : []);
  });

  it('sends exactly one recovered, worded with the level, when the alert clears', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.45');
    const [rec] = h.level('1.6');
    expect(rec).toMatchObject({
      kind: 'recovered',
      zone: 'safe',
      level: '1.6',
      message: 'Bitso (demo): back to Safe — level 1.6 (recovered past the lines by 2 %)',
    });
    expect(h.level('1.7')).toEqual([]);
    expect(kinds(h.events)).toEqual(['zone-worse:fired', 'zone-worse:recovered']);
  });

  it('does not re-fire while the level wobbles around a line within the margin (hysteresis)', () => {
    const h = setup(ZONE_ONLY);
    for (const lv of ['1.49', '1.51', '1.49', '1.52', '1.5', '1.525', '1.49']) h.level(lv);
    expect(kinds(h.events)).toEqual(['zone-worse:fired']);
  });

  it('steps back one zone at a time and re-arms the worse zone only past its line plus the margin', () => {
    const h = setup({ ...ZONE_ONLY, cooldownMinutes: 0 });
    h.level('1.09'); // liquidation: fired
    h.level('1.11'); // caution zone, but within 2 % of 1.1 (1.122): still the liquidation alert
    expect(h.level('1.09')).toEqual([]);
    h.level('1.13'); // past 1.122: steps back to caution silently
    const again = h.level('1.09'); // a new crossing of the liquidation line
    expect(again.map((e) => [e.kind, e.zone])).toEqual([['fired', 'liquidation']]);
    h.level('1.13');
    const rec = h.level('1.53'); // past the caution line plus margin: one recovered for the whole episode
    expect(kinds(rec)).toEqual(['zone-worse:recovered']);
    expect(kinds(h.events)).toEqual(['zone-worse:fired', 'zone-worse:fired', 'zone-worse:recovered']);
  });

  it('jumps from takeover straight to safe with a single recovered', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.0');
    expect(kinds(h.level('1.8'))).toEqual(['zone-worse:recovered']);
  });

  it('holds back a repeat within the cooldown, and says nothing when that repeat clears', () => {
    const h = setup(ZONE_ONLY); // cooldown 10 min
    h.level('1.45'); // fired at t0
    h.level('1.6', MINUTE); // recovered
    expect(h.level('1.45', MINUTE)).toEqual([]); // 2 min after: held back
    expect(h.level('1.6', MINUTE)).toEqual([]); // never announced, so no recovered either
    expect(h.level('1.45', 6 * MINUTE)).toEqual([]); // 9 min after the fired: still held back
    expect(kinds(h.level('1.6', MINUTE))).toEqual([]);
    expect(kinds(h.level('1.45', MINUTE))).toEqual(['zone-worse:fired']); // 11 min: a new episode
  });

  it('never holds back a zone worse than the last one announced, even one announced within the cooldown', () => {
    const h = setup(ZONE_ONLY); // cooldown 10 min
    expect(h.level('1.08').map((e) => [e.kind, e.zone])).toEqual([['fired', 'liquidation']]);
    expect(kinds(h.level('1.6', MINUTE))).toEqual(['zone-worse:recovered']);
    expect(h.level('1.45', MINUTE).map((e) => [e.kind, e.zone])).toEqual([['fired', 'caution']]);
    // Liquidation was announced 2 min ago, but the last word was caution: a worse zone is always announced.
    expect(h.level('1.08', MINUTE).map((e) => [e.kind, e.zone])).toEqual([['fired', 'liquidation']]);
    // A repeat of the zone last announced is what the cooldown holds back.
    h.level('1.6', MINUTE);
    expect(h.level('1.08', MINUTE)).toEqual([]);
  });

  it('announces a held-back condition when the cooldown ends if it is still there', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.45');
    h.level('1.6', MINUTE);
    h.level('1.45', MINUTE); // held back until 10 min after the first fired
    expect(h.tick(7 * MINUTE)).toEqual([]);
    const late = h.tick(MINUTE);
    expect(late.map((e) => [e.rule, e.kind, e.zone])).toEqual([['zone-worse', 'fired', 'caution']]);
    expect(h.tick(MINUTE)).toEqual([]);
  });

  it('names the alerted zone when a held-back alert is announced while the level hovers inside the margin', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.09'); // liquidation: fired
    h.level('1.13', MINUTE); // steps back to caution (past 1.122)
    h.level('1.09', MINUTE); // liquidation again: held back by the cooldown of the first
    h.level('1.11', MINUTE); // caution zone, within the margin of the liquidation line
    const [late] = h.tick(7 * MINUTE + SECOND);
    expect([late?.kind, late?.zone, late?.message]).toEqual([
      'fired',
      'liquidation',
      'Bitso (demo): hovering just above the liquidation line 1.1 after entering Liquidation — level 1.11',
    ]);
  });

  it('uses the margin from the settings; 0 clears as soon as the zone is better', () => {
    const h = setup({ ...ZONE_ONLY, hysteresisPercent: '0' });
    h.level('1.5'); // at the caution line counts as caution
    expect(kinds(h.level('1.5000001'))).toEqual(['zone-worse:recovered']);
  });

  it('ignores snapshots without bands (unknown zone) and clears on no debt', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.45');
    h.clock.advance(SECOND);
    expect(h.engine.snapshot(A, snap(A, '0.5', []))).toEqual([]);
    expect(kinds(h.level(null))).toEqual(['zone-worse:recovered']);
  });

  it('does nothing when turned off, and clears an open alert with a recovered when turned off', () => {
    const h = setup({ ...ZONE_ONLY, zoneWorse: { enabled: false } });
    expect(h.level('1.0')).toEqual([]);

    const clock = new ManualClock();
    let enabled = true;
    const engine = createAlertEngine({
      accounts: ACCOUNTS,
      settingsFor: (id) =>
        resolveSettings(id, { defaults: { ...ZONE_ONLY, zoneWorse: { enabled } } }, undefined),
      now: clock.now,
    });
    expect(kinds(engine.snapshot(A, snap(A, '1.2')))).toEqual(['zone-worse:fired']);
    enabled = false;
    const off = engine.tick();
    expect(off.map((e) => [e.kind, e.message])).toEqual([
      ['recovered', 'Bitso (demo): zone alert cleared: the rule was turned off'],
    ]);
    expect(engine.open()).toEqual([]);
  });

  it("fires on the venue's word that the account is being liquidated, whatever the level, in its words", () => {
    const h = setup(ZONE_ONLY);
    h.level('2.5');
    h.clock.advance(SECOND);
    const [fired, ...rest] = h.engine.snapshot(A, liquidatingSnap(A, '2.5', 'Bitso'));
    expect(rest).toEqual([]);
    expect(fired).toMatchObject({
      rule: 'zone-worse',
      kind: 'fired',
      zone: 'liquidation',
      level: '2.5',
      message: 'Bitso (demo): being liquidated by Bitso: entered Liquidation — level 2.5',
    });
    h.clock.advance(SECOND);
    expect(h.engine.snapshot(A, liquidatingSnap(A, '2.4', 'Bitso'))).toEqual([]);
    // The venue lifts its status: the zone follows the level again.
    expect(kinds(h.level('2.4'))).toEqual(['zone-worse:recovered']);
  });

  it('keeps accounts apart, and per-account settings override the defaults', () => {
    const h = setup(ZONE_ONLY, { 'valr-demo': { zoneWorse: { enabled: false } } });
    h.level('1.2');
    h.level('1.2', SECOND, 'valr-demo');
    expect(h.events.map((e) => e.accountId)).toEqual([A]);
    expect(h.level('1.2', SECOND, 'nobody')).toEqual([]);
  });
});

describe('cushion-below', () => {
  const CUSHION_ONLY = {
    zoneWorse: { enabled: false },
    fastFall: { enabled: false },
  } satisfies RuleSettingsPatch;

  // liquidation line 1.1: cushion 20 % at level 1.375; clears at 1 − 0.8/1.02 ≈ 21.57 % (level ≈ 1.4025).
  it('fires below the percentage, exactly once, with the cushion in the message', () => {
    const h = setup(CUSHION_ONLY);
    expect(h.level('1.375')).toEqual([]); // exactly 20 %: not below
    const [fired] = h.level('1.37');
    expect(fired).toMatchObject({
      rule: 'cushion-below',
      kind: 'fired',
      cushion: '0.19708029',
      message: 'Bitso (demo): cushion 19.7 % is below 20 % — level 1.37',
    });
    expect(h.level('1.2')).toEqual([]);
    expect(h.level('1.40')).toEqual([]); // 21.43 %: inside the margin
    const [rec] = h.level('1.41');
    expect(rec).toMatchObject({
      kind: 'recovered',
      cushion: '0.21985816',
      message: 'Bitso (demo): cushion back to 21.98 % (alert below 20 %)',
    });
  });

  it('takes the percentage from the settings', () => {
    const h = setup({ ...CUSHION_ONLY, cushionBelow: { percent: '50' } });
    expect(h.level('2.3')).toEqual([]); // 52.17 %
    expect(kinds(h.level('2.1'))).toEqual(['cushion-below:fired']); // 47.6 %
  });

  it('keeps an open alert while the cushion is unknown', () => {
    const h = setup(CUSHION_ONLY);
    h.level('1.2');
    h.clock.advance(SECOND);
    const noLiquidationLine = BANDS.filter((b) => b.kind === 'caution');
    expect(h.engine.snapshot(A, snap(A, '1.2', noLiquidationLine))).toEqual([]);
    expect(h.engine.open().map((e) => e.rule)).toEqual(['cushion-below']);
  });
});

describe('fast-fall', () => {
  const FALL_ONLY = {
    zoneWorse: { enabled: false },
    cushionBelow: { enabled: false },
    stale: { enabled: false },
  } satisfies RuleSettingsPatch;

  it('fires when the level is 10 % or more below its peak within 5 minutes', () => {
    const h = setup(FALL_ONLY);
    h.level('2.0');
    expect(h.level('1.85', MINUTE)).toEqual([]); // −7.5 %
    const [fired] = h.level('1.8', MINUTE); // −10 % exactly
    expect(fired).toMatchObject({
      rule: 'fast-fall',
      kind: 'fired',
      level: '1.8',
      message: 'Bitso (demo): level fell 10 % within 5 min — from 2.0 to 1.8',
    });
    expect(h.level('1.7', MINUTE)).toEqual([]);
  });

  it('does not fire for the same fall spread over more than the window', () => {
    const h = setup(FALL_ONLY);
    for (const lv of ['2.0', '1.96', '1.92', '1.88', '1.84', '1.80', '1.76']) h.level(lv, 2 * MINUTE);
    expect(h.events).toEqual([]);
  });

  it('clears once the peak has left the window and the level holds', () => {
    const h = setup(FALL_ONLY);
    h.level('2.0');
    h.level('1.79', MINUTE); // fired at t0 + 1 min
    expect(h.tick(3 * MINUTE)).toEqual([]); // peak (t0) still within 5 min
    const rec = h.tick(2 * MINUTE); // t0 + 6 min: the 2.0 sample is out; peak is 1.79
    expect(rec.map((e) => [e.rule, e.kind, e.message])).toEqual([
      ['fast-fall', 'recovered', 'Bitso (demo): level no longer falling fast — level 1.79'],
    ]);
  });

  it('does not clear while the level bounces only just above the fall (hysteresis)', () => {
    const h = setup(FALL_ONLY);
    h.level('2.0');
    h.level('1.8');
    expect(h.level('1.82')).toEqual([]); // floor 1.8 × 1.02 = 1.836
    expect(h.level('1.79')).toEqual([]);
    expect(kinds(h.level('1.84'))).toEqual(['fast-fall:recovered']);
  });

  it('takes percent and minutes from the settings', () => {
    const h = setup({ ...FALL_ONLY, fastFall: { percent: '5', minutes: 1 } });
    h.level('2.0');
    expect(h.level('1.89', 2 * MINUTE)).toEqual([]); // the peak is older than 1 min
    expect(kinds(h.level('1.79', 30 * SECOND))).toEqual(['fast-fall:fired']);
  });

  it('resets on no debt', () => {
    const h = setup(FALL_ONLY);
    h.level('2.0');
    h.level('1.5');
    expect(kinds(h.level(null))).toEqual(['fast-fall:recovered']);
    expect(h.level('1.9')).toEqual([]);
  });
});

describe('stale', () => {
  it('fires after the automatic threshold (60 s, or 3 × the poll interval when longer)', () => {
    const h = setup();
    h.level('2');
    h.level('2', 0, 'valr-demo');
    expect(h.tick(60 * SECOND)).toEqual([]);
    const fired = h.tick(SECOND);
    expect(fired.map((e) => [e.accountId, e.rule, e.kind, e.message])).toEqual([
      ['bitso-demo', 'stale', 'fired', 'Bitso (demo): no data for 1 min 1 s, more than 1 min'],
      ['valr-demo', 'stale', 'fired', 'VALR margin (demo): no data for 1 min 1 s, more than 1 min'],
    ]);
    expect(h.tick(MINUTE)).toEqual([]);
    expect(kinds(h.level('2'))).toEqual(['stale:recovered']);
  });

  it('uses 3 × a long poll interval and the configured seconds', () => {
    const clock = new ManualClock();
    const engine = createAlertEngine({
      accounts: [
        { id: 'slow', exchange: 'bitso', label: 'Slow', cadenceSeconds: 30 },
        { id: 'quick', exchange: 'valr', label: 'Quick' },
      ],
      settingsFor: (id) =>
        resolveSettings(id, { accounts: { quick: { stale: { seconds: 10 } } } }, undefined),
      now: clock.now,
    });
    clock.advance(11 * SECOND);
    expect(engine.tick().map((e) => e.accountId)).toEqual(['quick']);
    clock.advance(79 * SECOND); // 90 s
    expect(engine.tick()).toEqual([]);
    clock.advance(SECOND);
    expect(engine.tick().map((e) => [e.accountId, e.message])).toEqual([
      ['slow', 'Slow: no data since start, 1 min 31 s, more than 1 min 30 s'],
    ]);
  });

  it('names the connection state, and is not raised while an auth failure is open', () => {
    const h = setup();
    h.level('2');
    h.status('reconnecting', 'connection refused');
    const [fired] = h.tick(61 * SECOND).filter((e) => e.accountId === A);
    expect(fired?.message).toBe(
      'Bitso (demo): no data for 1 min 1 s, more than 1 min (connection: reconnecting, connection refused)',
    );

    const g = setup();
    g.level('2');
    g.status('auth_failed', 'invalid signature');
    expect(kinds(g.tick(2 * MINUTE).filter((e) => e.accountId === A))).toEqual([]);
  });
});

describe('auth-failure', () => {
  it('fires once on auth_failed and clears when live again', () => {
    const h = setup();
    const [fired] = h.status('auth_failed', 'HTTP 401: invalid api key');
    expect(fired).toMatchObject({
      rule: 'auth-failure',
      kind: 'fired',
      level: null,
      zone: 'unknown',
      cushion: null,
      message: 'Bitso (demo): the exchange refused the API credentials (HTTP 401: invalid api key)',
    });
    expect(h.status('connecting')).toEqual([]);
    expect(h.status('auth_failed', 'HTTP 401: invalid api key')).toEqual([]);
    const [rec] = h.status('live');
    expect(rec?.message).toBe('Bitso (demo): the exchange accepts the API credentials again');
  });

  it('clears only when the upstream is live again, not on data, and obeys the cooldown for repeats', () => {
    const h = setup({ zoneWorse: { enabled: false } });
    h.status('auth_failed');
    expect(kinds(h.level('2'))).toEqual([]);
    expect(kinds(h.status('reconnecting'))).toEqual([]);
    expect(kinds(h.status('live'))).toEqual(['auth-failure:recovered']);
    h.clock.advance(MINUTE);
    expect(h.status('auth_failed')).toEqual([]);
    expect(h.status('live')).toEqual([]);
    h.clock.advance(10 * MINUTE);
    expect(kinds(h.status('auth_failed'))).toEqual(['auth-failure:fired']);
  });
});

describe('restore', () => {
  function openEvent(rule: AlertRuleId, zone: AlertEvent['zone'], at: number): AlertEvent {
    return {
      id: `old-${rule}`,
      accountId: A,
      exchange: 'bitso',
      rule,
      kind: 'fired',
      level: '1.05',
      zone,
      cushion: null,
      message: 'earlier',
      at,
    };
  }

  it('does not announce a persisting condition twice, and sends the recovered when it clears', () => {
    const h = setup(ZONE_ONLY);
    h.engine.restore([
      openEvent('zone-worse', 'liquidation', h.clock.t - MINUTE),
      openEvent('stale', 'liquidation', 0),
    ]);
    expect(h.engine.open().map((e) => e.id)).toEqual(['old-zone-worse', 'old-stale']);
    const first = h.level('1.08');
    expect(kinds(first)).toEqual(['stale:recovered']);
    expect(h.level('1.4')).toEqual([]); // caution: steps back silently
    expect(kinds(h.level('1.6'))).toEqual(['zone-worse:recovered']);
    expect(h.engine.open()).toEqual([]);
  });

  it('keeps a restored stale alert open until data arrives, then sends one recovered', () => {
    const h = setup({ zoneWorse: { enabled: false }, cushionBelow: { enabled: false } });
    h.engine.restore([openEvent('stale', 'unknown', h.clock.t - 10 * MINUTE)]);
    expect(kinds(h.tick())).toEqual([]);
    expect(kinds(h.status('connecting'))).toEqual([]);
    expect(kinds(h.status('live'))).toEqual([]);
    expect(kinds(h.tick(30 * SECOND))).toEqual([]);
    expect(h.engine.open().map((e) => e.id)).toEqual(['old-stale']);
    const rec = h.level('2').filter((e) => e.accountId === A);
    expect(rec.map((e) => [e.rule, e.kind, e.message])).toEqual([
      ['stale', 'recovered', 'Bitso (demo): data is arriving again'],
    ]);
  });

  it('announces a worse zone than the restored one', () => {
    const h = setup(ZONE_ONLY);
    h.engine.restore([openEvent('zone-worse', 'caution', h.clock.t)]);
    expect(h.level('1.45')).toEqual([]);
    expect(h.level('1.0').map((e) => e.zone)).toEqual(['takeover']);
  });
});

describe('open()', () => {
  it('lists announced conditions, newest first', () => {
    const h = setup(ZONE_ONLY);
    h.level('1.45');
    h.clock.advance(SECOND);
    h.status('auth_failed');
    expect(h.engine.open().map((e) => e.rule)).toEqual(['auth-failure', 'zone-worse']);
  });
});

describe('levels in percent (B2Prime)', () => {
  const PERCENT_BANDS = [
    { kind: 'caution', threshold: dec('100'), label: 'margin call', source: 'config' },
    { kind: 'liquidation', threshold: dec('50'), label: 'stop-out', source: 'config' },
  ] satisfies Band[];
  const account = { id: 'b2prime-demo', exchange: 'b2prime', label: 'B2Prime (demo)' };

  function percentSnap(text: string): MarginSnapshot {
    const base = snap(account.id, text, PERCENT_BANDS);
    return { ...base, unit: { name: 'Margin level', kind: 'percent' } };
  }

  function percentEngine() {
    const clock = new ManualClock();
    const config: AlertRulesConfig = { defaults: ZONE_ONLY, accounts: {} };
    const engine = createAlertEngine({
      accounts: [account],
      settingsFor: (id) => resolveSettings(id, config, undefined),
      now: clock.now,
    });
    return { clock, engine };
  }

  it('alerts and webhooks carry the level and the lines in percent; the cushion stays a fraction', () => {
    const { clock, engine } = percentEngine();
    expect(engine.snapshot(account.id, percentSnap('496939.05'))).toEqual([]);
    clock.advance(SECOND);
    const [fired] = engine.snapshot(account.id, percentSnap('45.50'));
    expect(fired).toMatchObject({
      level: '45.50 %',
      zone: 'liquidation',
      cushion: '-0.0989011',
      message: 'B2Prime (demo): entered Liquidation — level 45.50 %, below the liquidation line 50 %',
    });
    if (!fired) throw new Error('no alert');
    const generic: unknown = JSON.parse(
      webhookRequest({ url: 'http://127.0.0.1:9/h', format: 'generic' }, fired).body,
    );
    expect(generic).toMatchObject({ level: '45.50 %', cushion: '-0.0989011' });
    const slack = webhookRequest(
      { url: 'https://hooks.slack.com/services/T/B/x', format: 'slack' },
      fired,
    ).body;
    expect(slack).toContain('Level: 45.50 %');
    clock.advance(SECOND);
    const [recovered] = engine.snapshot(account.id, percentSnap('120.00'));
    expect(recovered?.message).toBe(
      'B2Prime (demo): back to Safe — level 120.00 % (recovered past the lines by 2 %)',
    );
  });
});

describe('move-below', () => {
  const MOVE_ONLY = {
    zoneWorse: { enabled: false },
    cushionBelow: { enabled: false },
    fastFall: { enabled: false },
    stale: { enabled: false },
  } satisfies RuleSettingsPatch;

  /** An engine whose provider answers what the test sets in `estimate` (per account: `estimates`). */
  function moveSetup(defaults: RuleSettingsPatch = {}, withProvider = true) {
    const clock = new ManualClock();
    const estimates = new Map<string, NearestMove | null>();
    const asked: string[] = [];
    const config: AlertRulesConfig = { defaults: { ...MOVE_ONLY, ...defaults } };
    const engine = createAlertEngine({
      accounts: ACCOUNTS,
      settingsFor: (id) => resolveSettings(id, config, undefined),
      now: clock.now,
      ...(withProvider
        ? {
            moveToLiquidation: (id: string) => {
              asked.push(id);
              return estimates.get(id) ?? null;
            },
          }
        : {}),
    });
    const events: AlertEvent[] = [];
    return {
      clock,
      engine,
      events,
      asked,
      estimates,
      /** Sets account A's estimate: `move` a signed fraction, or null for no estimate. */
      set(move: string | null, currency: string | null = 'BTC', approximate = false, accountId = A) {
        estimates.set(accountId, move === null ? null : { move: dec(move), currency, approximate });
      },
      tick(stepMs = SECOND) {
        clock.advance(stepMs);
        const out = engine.tick().filter((e) => e.rule === 'move-below');
        events.push(...out);
        return out;
      },
      level(text: string | null, stepMs = SECOND) {
        clock.advance(stepMs);
        const out = engine.snapshot(A, snap(A, text)).filter((e) => e.rule === 'move-below');
        events.push(...out);
        return out;
      },
    };
  }

  // Default 15 %, hysteresis 2 %: fires below 0.15 in size, clears at 0.153 and above.
  it.each([
    { move: '-0.1499', fires: true },
    { move: '0.1499', fires: true },
    { move: '-0.05', fires: true },
    { move: '0', fires: true },
    { move: '-0.15', fires: false },
    { move: '0.15', fires: false },
    { move: '-0.4', fires: false },
    { move: '2.5', fires: false },
  ])('a nearest move of $move fires: $fires', ({ move, fires }) => {
    const h = moveSetup();
    h.set(move);
    expect(kinds(h.tick())).toEqual(fires ? ['move-below:fired'] : []);
  });

  it.each([
    { back: '-0.15', cleared: false },
    { back: '-0.1529', cleared: false },
    { back: '0.1529', cleared: false },
    { back: '-0.153', cleared: true },
    { back: '0.153', cleared: true },
    { back: '-0.5', cleared: true },
  ])('clears at a move of $back in size: $cleared (hysteresis)', ({ back, cleared }) => {
    const h = moveSetup();
    h.set('-0.14');
    h.tick();
    h.set(back);
    expect(kinds(h.tick())).toEqual(cleared ? ['move-below:recovered'] : []);
  });

  it('clears when no move can reach liquidation any more (a deposit), and says so', () => {
    const h = moveSetup();
    h.set('-0.08');
    expect(kinds(h.tick())).toEqual(['move-below:fired']);
    h.estimates.set(A, { move: null, currency: null, approximate: false });
    const out = h.tick();
    expect(kinds(out)).toEqual(['move-below:recovered']);
    expect(out[0]?.message).toContain('no price move can reach liquidation any more');
  });

  it('neither fires nor clears on an estimate resting on a stale price', () => {
    const h = moveSetup();
    h.estimates.set(A, { move: dec('-0.05'), currency: 'BTC', approximate: false, stale: true });
    expect(kinds(h.tick())).toEqual([]);
    h.set('-0.05');
    expect(kinds(h.tick())).toEqual(['move-below:fired']);
    h.estimates.set(A, { move: dec('-0.5'), currency: 'BTC', approximate: false, stale: true });
    expect(kinds(h.tick())).toEqual([]);
    expect(h.engine.open().map((e) => e.rule)).toEqual(['move-below']);
  });

  it.each([
    {
      what: 'one currency',
      estimate: ['-0.18', 'BTC', false] as const,
      fired: 'Bitso (demo): BTC −18 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'a rise of one currency',
      estimate: ['0.125', 'ETH', false] as const,
      fired: 'Bitso (demo): ETH +12 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'the whole market',
      estimate: ['-0.1899', null, false] as const,
      fired: 'Bitso (demo): market −18 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'a move just under 15 %, cut toward zero as on the card',
      estimate: ['-0.1499', 'BTC', false] as const,
      fired: 'Bitso (demo): BTC −14 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'a move under 10 %, with two decimals as on the card',
      estimate: ['-0.05679', 'BTC', false] as const,
      fired: 'Bitso (demo): BTC −5.67 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'a move under 0.01 %',
      estimate: ['-0.00001', 'BTC', false] as const,
      fired: 'Bitso (demo): BTC −<0.01 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'an approximate estimate',
      estimate: ['-0.18', 'BTC', true] as const,
      fired: 'Bitso (demo): BTC ≈ −18 % would reach liquidation (alert below 20 %)',
    },
    {
      what: 'an account already at its line',
      estimate: ['0', null, false] as const,
      fired: 'Bitso (demo): the level is already at the liquidation line (alert below 20 %)',
    },
  ])('words $what', ({ estimate, fired }) => {
    const h = moveSetup({ moveBelow: { percent: '20' } });
    h.level('1.3');
    h.set(estimate[0], estimate[1], estimate[2]);
    const [event, ...rest] = h.tick();
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      rule: 'move-below',
      kind: 'fired',
      level: '1.3',
      zone: 'caution',
      message: fired,
    });
  });

  it.each([
    {
      estimate: ['-0.24', 'BTC', false] as const,
      text: 'a move of −24 % is now needed to reach liquidation (BTC; alert below 20 %)',
    },
    {
      estimate: ['0.3', null, false] as const,
      text: 'a move of +30 % is now needed to reach liquidation (market; alert below 20 %)',
    },
    {
      estimate: ['-0.2451', 'ETH', true] as const,
      text: 'a move of ≈ −24 % is now needed to reach liquidation (ETH; alert below 20 %)',
    },
  ])('words the recovery: $text', ({ estimate, text }) => {
    const h = moveSetup({ moveBelow: { percent: '20' } });
    h.set('-0.18');
    h.tick();
    h.set(estimate[0], estimate[1], estimate[2]);
    expect(h.tick().map((e) => [e.kind, e.message])).toEqual([['recovered', `Bitso (demo): ${text}`]]);
  });

  it('fires exactly once while the move stays small, whichever currency is nearest', () => {
    const h = moveSetup();
    h.set('-0.12', 'BTC');
    h.tick();
    h.set('-0.08', 'ETH');
    expect(h.tick()).toEqual([]);
    h.set('-0.1', null);
    expect(h.level('1.2')).toEqual([]);
    expect(kinds(h.events)).toEqual(['move-below:fired']);
    expect(h.engine.open().map((e) => e.rule)).toEqual(['move-below']);
  });

  it('holds back a repeat within the cooldown and announces it when the cooldown ends if still there', () => {
    const h = moveSetup(); // cooldown 10 min
    h.set('-0.1');
    expect(kinds(h.tick())).toEqual(['move-below:fired']);
    h.set('-0.2');
    expect(kinds(h.tick(MINUTE))).toEqual(['move-below:recovered']);
    h.set('-0.1');
    expect(h.tick(MINUTE)).toEqual([]); // 2 min after the fired: held back
    expect(h.tick(7 * MINUTE)).toEqual([]); // 9 min
    h.set('-0.11', 'ETH');
    const late = h.tick(MINUTE); // 10 min: announced, with the estimate of now
    expect(late.map((e) => [e.kind, e.message])).toEqual([
      ['fired', 'Bitso (demo): ETH −11 % would reach liquidation (alert below 15 %)'],
    ]);
  });

  it('announces a held-back alert with the last estimate when none is there when the cooldown ends', () => {
    const h = moveSetup();
    h.set('-0.1');
    h.tick();
    h.set('-0.2');
    h.tick(MINUTE);
    h.set('-0.09', 'SOL');
    h.tick(MINUTE); // held back
    h.set(null);
    const late = h.tick(8 * MINUTE);
    expect(late.map((e) => [e.kind, e.message])).toEqual([
      ['fired', 'Bitso (demo): SOL −9 % would reach liquidation (alert below 15 %)'],
    ]);
  });

  it('is silent without a provider, and asks the provider nothing', () => {
    const h = moveSetup({}, false);
    h.set('-0.01');
    expect(h.tick()).toEqual([]);
    expect(h.level('1.06')).toEqual([]);
    expect(h.asked).toEqual([]);
  });

  it('neither fires nor clears without an estimate', () => {
    const h = moveSetup();
    h.set(null);
    expect(h.tick()).toEqual([]);
    h.set('-0.1');
    h.tick();
    h.set(null);
    expect(h.tick()).toEqual([]);
    expect(h.level('1.6')).toEqual([]);
    expect(h.engine.open().map((e) => e.rule)).toEqual(['move-below']);
    h.set('-0.3');
    expect(kinds(h.tick())).toEqual(['move-below:recovered']);
  });

  it('keeps an open alert restored after a restart until a real estimate clears it', () => {
    const h = moveSetup();
    h.engine.restore([
      {
        id: 'old-move',
        accountId: A,
        exchange: 'bitso',
        rule: 'move-below',
        kind: 'fired',
        level: '1.2',
        zone: 'caution',
        cushion: null,
        message: 'earlier',
        at: h.clock.t - MINUTE,
      },
    ]);
    expect(h.tick()).toEqual([]);
    h.set('-0.1');
    expect(h.tick()).toEqual([]); // the same condition: not announced twice
    h.set('-0.16');
    expect(kinds(h.tick())).toEqual(['move-below:recovered']);
  });

  it('clears when the account has no debt left', () => {
    const h = moveSetup();
    h.set('-0.1');
    h.level('1.2');
    expect(h.level(null).map((e) => [e.kind, e.message])).toEqual([
      ['recovered', 'Bitso (demo): no debt left: no price move can reach liquidation (alert below 15 %)'],
    ]);
  });

  it('re-evaluates on the tick: prices move without any message of the account', () => {
    const h = moveSetup();
    h.set('-0.3');
    expect(h.level('1.4')).toEqual([]);
    h.set('-0.14');
    expect(kinds(h.tick())).toEqual(['move-below:fired']);
    expect(h.asked.filter((id) => id === A).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps accounts apart', () => {
    const h = moveSetup();
    h.set('-0.1', 'BTC', false, 'valr-demo');
    h.set('-0.5', 'BTC', false, A);
    expect(h.tick().map((e) => [e.accountId, e.kind])).toEqual([['valr-demo', 'fired']]);
  });

  it('takes the percentage from the settings, and clears with a recovered when turned off', () => {
    let enabled = true;
    const clock = new ManualClock();
    const engine = createAlertEngine({
      accounts: ACCOUNTS,
      settingsFor: (id) =>
        resolveSettings(id, { defaults: { ...MOVE_ONLY, moveBelow: { enabled, percent: '30' } } }, undefined),
      now: clock.now,
      moveToLiquidation: (id) =>
        id === A ? { move: dec('-0.25'), currency: 'BTC', approximate: false } : null,
    });
    expect(kinds(engine.tick())).toEqual(['move-below:fired']);
    enabled = false;
    clock.advance(SECOND);
    expect(engine.tick().map((e) => [e.kind, e.message])).toEqual([
      ['recovered', 'Bitso (demo): price-move alert cleared: the rule was turned off'],
    ]);
    clock.advance(SECOND);
    expect(engine.tick()).toEqual([]);
  });

  it('goes to every webhook format with its rule named', () => {
    const h = moveSetup();
    h.level('1.3');
    h.set('-0.12', 'BTC', true);
    const [fired] = h.tick();
    if (!fired) throw new Error('no alert');
    const generic: unknown = JSON.parse(
      webhookRequest({ url: 'http://127.0.0.1:9/h', format: 'generic' }, fired).body,
    );
    expect(generic).toMatchObject({
      rule: 'move-below',
      kind: 'fired',
      message: 'Bitso (demo): BTC ≈ −12 % would reach liquidation (alert below 15 %)',
    });
    const slack = JSON.parse(
      webhookRequest({ url: 'https://hooks.slack.com/services/T/B/x', format: 'slack' }, fired).body,
    ) as { text: string };
    expect(slack.text).toBe(
      'Alert · Move to liquidation: Bitso (demo): BTC ≈ −12 % would reach liquidation (alert below 15 %)',
    );
    const telegram = JSON.parse(
      webhookRequest(
        { url: 'https://api.telegram.org/botX/sendMessage?chat_id=7', format: 'telegram' },
        fired,
      ).body,
    ) as { text: string };
    expect(telegram.text.split('\n\n')[0]).toBe('Alert · Move to liquidation');
    expect(telegram.text).toContain('Rule: move-below');
  });
});
