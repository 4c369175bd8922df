// The alert rule engine: pure (no IO, no timers; time comes from an injected clock). It is fed each account's
// snapshots, its upstream status changes and periodic ticks, and answers with the alert events to deliver.
//
// Rules (settings in rules.ts):
// - zone-worse: the account entered a worse zone than the one already announced (caution → liquidation →
//   takeover). An alert steps back one zone at a time, and only once the level has recovered past that zone's
//   line by the hysteresis margin; back in the safe zone that way, one 'recovered' is sent. The cooldown holds
//   back only a repeat of a zone: a zone worse than the last one announced is always announced at once, even
//   when it was itself announced within the cooldown, earlier.
// - cushion-below: the cushion fell below the percentage; clears when the level is back above the
//   hysteresis margin (in cushion terms: cushion ≥ 1 − (1 − c) / (1 + h)).
// - fast-fall: the level is `percent` or more below its highest value within the last `minutes`; clears when
//   the level is back within that fall by the hysteresis margin (usually as the peak leaves the window).
// - stale: no data for longer than the threshold (since the last snapshot, or since the engine started for an
//   account that never sent any); clears only when data arrives (a snapshot), so an alert taken over after a
//   restart is not declared recovered before any data came. Not raised while an auth failure is open.
// - auth-failure: the upstream reported auth_failed; clears when the upstream reports it is live again.
// - move-below: a price move smaller than `percent` (in size) in one currency, or in the whole market, would
//   bring the account to its liquidation line, as estimated by the `moveToLiquidation` provider; clears when the
//   move needed is at least percent × (1 + hysteresis), or when the account has no debt left. Evaluated on every
//   snapshot and every tick (prices move without any message of the account). No provider, or no estimate for
//   the account (no prices, a venue whose level cannot be estimated): the rule neither fires nor clears.
//
// A snapshot is fresh data: feed only snapshots of messages that carried a level (see AccountMessage).
//
// Every rule sends exactly one 'fired' per crossing and one 'recovered' when it clears. A condition that comes
// back within the cooldown after its last 'fired' is not announced; if it is still there when the cooldown
// ends, it is announced then (so nothing stays silent for good). Level comparisons use decimals only.
import { Dec, ONE } from '../../domain/decimal.ts';
import { ALERT_RULE_IDS, type AlertRuleId } from '../../contract/alerts.ts';
import { formatDuration, formatMoveFraction, levelText, unitSign } from '../../domain/format.ts';
import { ZONE_NAMES, type BandKind, type MarginSnapshot, type RiskZone } from '../../domain/model.ts';
import { zoneSeverity } from '../../domain/risk.ts';
import type { UpstreamState } from '../../exchanges/server-types.ts';
import { defaultStaleSeconds, type RuleSettings } from './rules.ts';

/** The rules, in the order they are evaluated and listed (named once, in the alert contract). */
export const ALERT_RULES = ALERT_RULE_IDS;
export type { AlertRuleId };

export type AlertKind = 'fired' | 'recovered';

/** One alert: a rule's condition began ('fired') or cleared ('recovered') for an account. */
export interface AlertEvent {
  id: string;
  accountId: string;
  exchange: string;
  rule: AlertRuleId;
  kind: AlertKind;
  /** The headline level as the exchange wrote it, with its unit's sign ("45.12 %" for percent), when known. */
  level: string | null;
  zone: RiskZone;
  /** The cushion as a fraction (0.25 = 25 %), 8 decimal places, when known. */
  cushion: string | null;
  /** A sentence for people: account label, what happened, the figures. */
  message: string;
  /** When the engine saw it (ms epoch). */
  at: number;
}

/** An account the engine watches. */
export interface AlertAccount {
  id: string;
  exchange: string;
  /** The name people know the account by (used in messages). */
  label: string;
  /** How often the account normally sends data (poll interval), seconds; sets the automatic stale threshold. */
  cadenceSeconds?: number;
}

/** The smallest price move that would bring an account to its liquidation line. */
export interface NearestMove {
  /**
   * A signed fraction of the price: −0.23 is a fall of 23 %, 0.4 a rise of 40 %; zero when already there; null
   * when the estimate exists but no move of any currency, nor of the market, can reach liquidation.
   */
  move: Dec | null;
  /** The currency whose price moves; null for the whole market (every currency but the reference together). */
  currency: string | null;
  /** The balances × prices did not reconcile with the venue's totals: the move is an estimate of an estimate. */
  approximate: boolean;
  /** A price the estimate rests on is stale: the rule neither fires nor clears on it. */
  stale?: boolean;
}

export interface AlertEngineOptions {
  accounts: readonly AlertAccount[];
  /** The effective settings of an account; read at every evaluation, so changes apply at once. */
  settingsFor: (accountId: string) => RuleSettings;
  /**
   * The nearest move to liquidation of an account, read at every evaluation (snapshots and ticks); null when
   * there is no estimate. Without it the move-below rule is silent.
   */
  moveToLiquidation?: (accountId: string) => NearestMove | null;
  now: () => number;
  /** A unique id per event; default: time and a counter. */
  newId?: () => string;
}

export interface AlertEngine {
  /**
   * A new snapshot of an account, from a message that carried a level (unknown accounts are ignored). With
   * `fresh: false` (a message that carried only the venue's status, no level) the zone and level rules look at it,
   * but it is no sign that the level is current: the stale clock and the fast-fall peaks are left alone.
   */
  snapshot(accountId: string, snapshot: MarginSnapshot, options?: { fresh?: boolean }): AlertEvent[];
  /** The account's upstream session changed state. */
  status(accountId: string, state: UpstreamState, detail?: string): AlertEvent[];
  /**
   * Re-evaluates every account now: as time passes (stale data, cooldowns that ended, fast-fall windows that
   * moved on) and after settings changed (rules turned off clear with a 'recovered').
   */
  tick(): AlertEvent[];
  /**
   * Takes over alerts that were open when the process last stopped (the newest event of their account and
   * rule was 'fired'), so a condition that persists is not announced twice and one that cleared is.
   */
  restore(open: readonly AlertEvent[]): void;
  /** The alerts currently open (announced and not cleared), newest first. */
  open(): AlertEvent[];
}

type AlertZone = Exclude<RiskZone, 'safe' | 'unknown'>;
type SimpleRule = Exclude<AlertRuleId, 'zone-worse'>;

const LINE_NAMES: Record<BandKind, string> = {
  caution: 'margin-call line',
  liquidation: 'liquidation line',
  takeover: 'takeover line',
};

function isAlertZone(zone: RiskZone): zone is AlertZone {
  return zone === 'caution' || zone === 'liquidation' || zone === 'takeover';
}

/** No zone alert (null) ranks below every alert zone. */
function severity(zone: AlertZone | null): number {
  return zone === null ? -1 : zoneSeverity(zone);
}

/** The next milder zone an alert steps back to. */
function milder(zone: AlertZone): AlertZone | null {
  return zone === 'takeover' ? 'liquidation' : zone === 'liquidation' ? 'caution' : null;
}

const PERCENT = new Dec(100);

function fraction(percentText: string): Dec {
  return new Dec(percentText).div(PERCENT);
}

/** "12.5" for 0.125 (two places, rounded towards zero, trailing zeros dropped). */
function percentOf(value: Dec): string {
  return value.times(PERCENT).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed();
}

interface PeakSample {
  t: number;
  value: Dec;
  text: string;
}

interface Condition {
  /** The condition holds (with hysteresis). */
  active: boolean;
  /** Its 'fired' was sent for this episode. */
  notified: boolean;
  /** The 'fired' event of this episode (for open()). */
  event: AlertEvent | null;
}

interface ZoneState {
  /** The worst zone the alert is in (stepping back only past a line plus the margin); null: safe. */
  active: AlertZone | null;
  /** The zone the trader was last told about in this episode, lowered as the alert steps back. */
  told: AlertZone | null;
  /** A 'fired' was sent in this episode (so its end gets a 'recovered'). */
  notified: boolean;
  event: AlertEvent | null;
  /** The zone of the newest 'fired' ever sent (across episodes): a worse zone than this skips the cooldown. */
  lastFiredZone: AlertZone | null;
}

interface AccountState {
  account: AlertAccount;
  last: MarginSnapshot | null;
  /** Engine time of the last snapshot, or when the engine started watching. */
  lastDataAt: number;
  state: UpstreamState | null;
  detail: string | undefined;
  /** Decreasing levels with increasing times: the front is the highest level within the fast-fall window. */
  peaks: PeakSample[];
  zone: ZoneState;
  conditions: Record<SimpleRule, Condition>;
  /** Last 'fired' time per cooldown key (rule, or zone-worse:<zone>). */
  lastFired: Map<string, number>;
  /** The newest estimate of the nearest move to liquidation (move-below), null before the first. */
  lastMove: NearestMove | null;
}

type Decision = 'on' | 'off' | 'keep';

function newCondition(): Condition {
  return { active: false, notified: false, event: null };
}

/** Creates an engine watching `accounts`. */
export function createAlertEngine(options: AlertEngineOptions): AlertEngine {
  const { now, settingsFor, moveToLiquidation } = options;
  let counter = 0;
  const newId =
    options.newId ??
    (() => {
      counter += 1;
      return `${now().toString(36)}-${counter.toString(36)}`;
    });

  const accounts = new Map<string, AccountState>();
  const started = now();
  for (const account of options.accounts) {
    accounts.set(account.id, {
      account,
      last: null,
      lastDataAt: started,
      state: null,
      detail: undefined,
      peaks: [],
      zone: { active: null, told: null, notified: false, event: null, lastFiredZone: null },
      conditions: {
        'cushion-below': newCondition(),
        'fast-fall': newCondition(),
        stale: newCondition(),
        'auth-failure': newCondition(),
        'move-below': newCondition(),
      },
      lastFired: new Map(),
      lastMove: null,
    });
  }

  /** An event with the account's latest figures; `zone` overrides the snapshot's (a zone alert names its zone). */
  function event(
    st: AccountState,
    rule: AlertRuleId,
    kind: AlertKind,
    message: string,
    zone?: RiskZone,
  ): AlertEvent {
    const snap = st.last;
    const level = snap?.level ?? null;
    return {
      id: newId(),
      accountId: st.account.id,
      exchange: st.account.exchange,
      rule,
      kind,
      level: level ? levelText(level, snap?.unit) : null,
      zone: zone ?? snap?.zone ?? 'unknown',
      cushion: snap?.cushion ? snap.cushion.toDecimalPlaces(8, Dec.ROUND_HALF_EVEN).toFixed() : null,
      message: `${st.account.label}: ${message}`,
      at: now(),
    };
  }

  function cooldownOver(st: AccountState, key: string, settings: RuleSettings): boolean {
    const last = st.lastFired.get(key);
    return last === undefined || now() - last >= settings.cooldownMinutes * 60_000;
  }

  /** The transition of a simple rule given its decision; `describe` words the 'fired' or 'recovered'. */
  function step(
    st: AccountState,
    rule: SimpleRule,
    decision: Decision,
    settings: RuleSettings,
    describe: (kind: AlertKind) => string,
  ): AlertEvent[] {
    const c = st.conditions[rule];
    if (decision === 'off') {
      if (!c.active) return [];
      const wasNotified = c.notified;
      c.active = false;
      c.notified = false;
      c.event = null;
      return wasNotified ? [event(st, rule, 'recovered', describe('recovered'))] : [];
    }
    if (decision === 'on') c.active = true;
    if (c.active && !c.notified && cooldownOver(st, rule, settings)) {
      const fired = event(st, rule, 'fired', describe('fired'));
      c.notified = true;
      c.event = fired;
      st.lastFired.set(rule, fired.at);
      return [fired];
    }
    return [];
  }

  function levelValue(snap: MarginSnapshot | null): Dec | null {
    return snap?.level?.kind === 'value' ? snap.level.value : null;
  }

  // zone-worse

  function lineOf(snap: MarginSnapshot, zone: AlertZone): Dec | null {
    return snap.bands.find((b) => b.kind === zone)?.threshold ?? null;
  }

  /** True when the level is past `zone`'s line by the margin (or the account has no debt, or no such line). */
  function pastLine(snap: MarginSnapshot, zone: AlertZone, margin: Dec): boolean {
    const level = snap.level;
    if (level === null) return false;
    if (level.kind === 'no-debt') return true;
    const line = lineOf(snap, zone);
    return line === null || level.value.gte(line.times(ONE.plus(margin)));
  }

  /** True when the level itself is below `zone`'s line. */
  function belowLine(snap: MarginSnapshot, zone: AlertZone): boolean {
    const line = lineOf(snap, zone);
    return snap.level?.kind === 'value' && line !== null && snap.level.value.lt(line);
  }

  function zoneRule(st: AccountState, settings: RuleSettings): AlertEvent[] {
    const z = st.zone;
    const snap = st.last;
    if (!settings.zoneWorse.enabled) {
      if (z.active === null) return [];
      const wasNotified = z.notified;
      Object.assign(z, { active: null, told: null, notified: false, event: null });
      return wasNotified
        ? [event(st, 'zone-worse', 'recovered', 'zone alert cleared: the rule was turned off')]
        : [];
    }
    if (snap === null || snap.zone === 'unknown') return [];
    const current = snap.zone;
    const margin = fraction(settings.hysteresisPercent);
    if (isAlertZone(current) && zoneSeverity(current) > severity(z.active)) {
      z.active = current;
    } else {
      // Step back one zone at a time, each only past its line by the margin, never milder than the level's zone.
      while (
        z.active !== null &&
        zoneSeverity(current) < zoneSeverity(z.active) &&
        pastLine(snap, z.active, margin)
      ) {
        z.active = milder(z.active);
      }
      if (severity(z.told) > severity(z.active)) z.told = z.active;
    }
    const out: AlertEvent[] = [];
    if (z.active === null) {
      if (z.notified) out.push(event(st, 'zone-worse', 'recovered', recoveredZoneMessage(snap, settings)));
      Object.assign(z, { told: null, notified: false, event: null });
      return out;
    }
    const key = `zone-worse:${z.active}`;
    const worseThanAnnounced = severity(z.active) > severity(z.lastFiredZone);
    if (severity(z.active) > severity(z.told) && (worseThanAnnounced || cooldownOver(st, key, settings))) {
      const fired = event(st, 'zone-worse', 'fired', firedZoneMessage(snap, z.active), z.active);
      z.told = z.active;
      z.notified = true;
      z.event = fired;
      z.lastFiredZone = z.active;
      st.lastFired.set(key, fired.at);
      out.push(fired);
    }
    return out;
  }

  /** The level as people read it, in its unit ("45.12 %", "1.52"). */
  function shownLevel(snap: MarginSnapshot | null): string {
    return snap?.level ? levelText(snap.level, snap.unit) : 'unknown';
  }

  function firedZoneMessage(snap: MarginSnapshot, zone: AlertZone): string {
    const line = lineOf(snap, zone);
    const level = shownLevel(snap);
    const lineText = line ? `${line.toFixed()}${unitSign(snap.unit)}` : '';
    if (snap.venueStatus && snap.zone === zone && !belowLine(snap, zone)) {
      // The venue's own word set the zone, not the level.
      return `${snap.venueStatus.text}: entered ${ZONE_NAMES[zone]} — level ${level}`;
    }
    if (snap.zone !== zone) {
      // Announced late (after a cooldown): the level is back above the line but not yet past the margin.
      const near = line ? ` ${LINE_NAMES[zone]} ${lineText}` : ` ${ZONE_NAMES[zone]} zone`;
      return `hovering just above the${near} after entering ${ZONE_NAMES[zone]} — level ${level}`;
    }
    const where = line ? `, below the ${LINE_NAMES[zone]} ${lineText}` : '';
    return `entered ${ZONE_NAMES[zone]} — level ${level}${where}`;
  }

  function recoveredZoneMessage(snap: MarginSnapshot, settings: RuleSettings): string {
    const level = shownLevel(snap);
    return `back to ${ZONE_NAMES[snap.zone]} — level ${level} (recovered past the lines by ${settings.hysteresisPercent} %)`;
  }

  // cushion-below

  function cushionRule(st: AccountState, settings: RuleSettings): AlertEvent[] {
    const rule = settings.cushionBelow;
    const cushion = st.last?.cushion ?? null;
    let decision: Decision = 'keep';
    if (!rule.enabled) decision = 'off';
    else if (cushion !== null) {
      const limit = fraction(rule.percent);
      const clearAt = ONE.minus(ONE.minus(limit).div(ONE.plus(fraction(settings.hysteresisPercent))));
      if (cushion.lt(limit)) decision = 'on';
      else if (cushion.gte(clearAt)) decision = 'off';
    }
    return step(st, 'cushion-below', decision, settings, (kind) => {
      if (!rule.enabled) return 'cushion alert cleared: the rule was turned off';
      const shown = cushion === null ? 'unknown' : `${percentOf(cushion)} %`;
      return kind === 'fired'
        ? `cushion ${shown} is below ${rule.percent} % — level ${shownLevel(st.last)}`
        : `cushion back to ${shown} (alert below ${rule.percent} %)`;
    });
  }

  // fast-fall

  function recordPeak(st: AccountState, at: number): void {
    const snap = st.last;
    const value = levelValue(snap);
    if (snap?.level?.kind === 'no-debt') {
      st.peaks = [];
      return;
    }
    if (value === null || snap?.level?.kind !== 'value') return;
    while (st.peaks.length > 0 && (st.peaks[st.peaks.length - 1]?.value.lte(value) ?? false)) st.peaks.pop();
    st.peaks.push({ t: at, value, text: levelText(snap.level, snap.unit) });
  }

  function prunePeaks(st: AccountState, windowMs: number): void {
    const from = now() - windowMs;
    let drop = 0;
    while (drop < st.peaks.length - 1 && (st.peaks[drop]?.t ?? Infinity) < from) drop += 1;
    if (drop > 0) st.peaks.splice(0, drop);
  }

  function fastFallRule(st: AccountState, settings: RuleSettings): AlertEvent[] {
    const rule = settings.fastFall;
    prunePeaks(st, rule.minutes * 60_000);
    const value = levelValue(st.last);
    const peak = st.peaks[0];
    let decision: Decision = 'keep';
    if (!rule.enabled || st.last?.level?.kind === 'no-debt') decision = 'off';
    else if (value !== null && peak !== undefined) {
      const floor = peak.value.times(ONE.minus(fraction(rule.percent)));
      if (value.lte(floor)) decision = 'on';
      else if (value.gte(floor.times(ONE.plus(fraction(settings.hysteresisPercent))))) decision = 'off';
    }
    return step(st, 'fast-fall', decision, settings, (kind) => {
      if (!rule.enabled) return 'fast-fall alert cleared: the rule was turned off';
      const text = shownLevel(st.last);
      if (kind === 'recovered') return `level no longer falling fast — level ${text}`;
      const fell =
        peak && value !== null && peak.value.gt(0) ? percentOf(peak.value.minus(value).div(peak.value)) : '?';
      return `level fell ${fell} % within ${rule.minutes} min — from ${peak?.text ?? '?'} to ${text}`;
    });
  }

  // stale

  /** The stale rule; `dataArrived` is true only on a snapshot, the one thing that clears the condition. */
  function staleRule(st: AccountState, settings: RuleSettings, dataArrived: boolean): AlertEvent[] {
    const rule = settings.stale;
    const limitMs = (rule.seconds ?? defaultStaleSeconds(st.account.cadenceSeconds)) * 1000;
    const silentMs = now() - st.lastDataAt;
    const authOpen = st.conditions['auth-failure'].active && settings.authFailure.enabled;
    let decision: Decision = 'keep';
    if (!rule.enabled || dataArrived) decision = 'off';
    else if (silentMs > limitMs && !authOpen) decision = 'on';
    return step(st, 'stale', decision, settings, (kind) => {
      if (!rule.enabled) return 'stale-data alert cleared: the rule was turned off';
      if (kind === 'recovered') return 'data is arriving again';
      const why =
        st.state && st.state !== 'live'
          ? ` (connection: ${st.state}${st.detail ? `, ${st.detail}` : ''})`
          : '';
      const since = st.last
        ? `no data for ${formatDuration(silentMs)}`
        : `no data since start, ${formatDuration(silentMs)}`;
      return `${since}, more than ${formatDuration(limitMs)}${why}`;
    });
  }

  // auth-failure

  function authRule(st: AccountState, settings: RuleSettings, decision: Decision): AlertEvent[] {
    const enabled = settings.authFailure.enabled;
    return step(st, 'auth-failure', enabled ? decision : 'off', settings, (kind) => {
      if (!enabled) return 'authentication alert cleared: the rule was turned off';
      return kind === 'fired'
        ? `the exchange refused the API credentials${st.detail ? ` (${st.detail})` : ''}`
        : 'the exchange accepts the API credentials again';
    });
  }

  // move-below

  /** "−18 %", "+5.67 %": a move written as the cards and the drill-down write it (formatMoveFraction). */
  function moveWords(move: Dec): string {
    return formatMoveFraction(move, { plain: true });
  }

  function moveRule(st: AccountState, settings: RuleSettings): AlertEvent[] {
    const rule = settings.moveBelow;
    let nearest: NearestMove | null = null;
    let decision: Decision = 'keep';
    if (!rule.enabled) decision = 'off';
    else if (st.last?.level?.kind === 'no-debt') decision = 'off';
    else if (moveToLiquidation) {
      nearest = moveToLiquidation(st.account.id);
      if (nearest !== null && nearest.stale === true) nearest = null;
      if (nearest !== null && nearest.move === null) decision = 'off';
      else if (nearest !== null && nearest.move !== null) {
        const limit = fraction(rule.percent);
        const size = nearest.move.abs();
        if (size.lt(limit)) decision = 'on';
        else if (size.gte(limit.times(ONE.plus(fraction(settings.hysteresisPercent))))) decision = 'off';
      }
    }
    if (nearest !== null) st.lastMove = nearest;
    // A held-back alert announced when its cooldown ends, at a moment without an estimate, names the last one.
    const shown = nearest ?? st.lastMove;
    return step(st, 'move-below', decision, settings, (kind) => {
      if (!rule.enabled) return 'price-move alert cleared: the rule was turned off';
      const limit = `(alert below ${rule.percent} %)`;
      if (st.last?.level?.kind === 'no-debt')
        return `no debt left: no price move can reach liquidation ${limit}`;
      if (shown === null) return `a price move smaller than ${rule.percent} % would reach liquidation`;
      const about = shown.approximate ? '≈ ' : '';
      const who = shown.currency ?? 'market';
      if (shown.move === null) return `no price move can reach liquidation any more ${limit}`;
      if (kind === 'recovered') {
        return `a move of ${about}${moveWords(shown.move)} is now needed to reach liquidation (${who}; alert below ${rule.percent} %)`;
      }
      if (shown.move.isZero()) return `the level is already at the liquidation line ${limit}`;
      return `${who} ${about}${moveWords(shown.move)} would reach liquidation ${limit}`;
    });
  }

  function evaluateLevelRules(st: AccountState, settings: RuleSettings): AlertEvent[] {
    return [...zoneRule(st, settings), ...cushionRule(st, settings), ...fastFallRule(st, settings)];
  }

  function evaluateAll(st: AccountState): AlertEvent[] {
    const settings = settingsFor(st.account.id);
    return [
      ...evaluateLevelRules(st, settings),
      ...staleRule(st, settings, false),
      ...authRule(st, settings, 'keep'),
      ...moveRule(st, settings),
    ];
  }

  return {
    snapshot(accountId, snapshot, options = {}) {
      const st = accounts.get(accountId);
      if (!st) return [];
      const fresh = options.fresh ?? true;
      const at = now();
      st.last = snapshot;
      if (fresh) {
        st.lastDataAt = at;
        recordPeak(st, at);
      }
      const settings = settingsFor(accountId);
      return [
        ...evaluateLevelRules(st, settings),
        ...staleRule(st, settings, fresh),
        ...authRule(st, settings, 'keep'),
        ...moveRule(st, settings),
      ];
    },

    status(accountId, state, detail) {
      const st = accounts.get(accountId);
      if (!st) return [];
      st.state = state;
      st.detail = detail;
      const settings = settingsFor(accountId);
      const decision: Decision = state === 'auth_failed' ? 'on' : state === 'live' ? 'off' : 'keep';
      return [...authRule(st, settings, decision), ...staleRule(st, settings, false)];
    },

    tick() {
      const out: AlertEvent[] = [];
      for (const st of accounts.values()) out.push(...evaluateAll(st));
      return out;
    },

    restore(open) {
      for (const e of open) {
        const st = accounts.get(e.accountId);
        if (!st || e.kind !== 'fired') continue;
        if (e.rule === 'zone-worse') {
          if (!isAlertZone(e.zone)) continue;
          if (severity(e.zone) >= severity(st.zone.active)) {
            Object.assign(st.zone, {
              active: e.zone,
              told: e.zone,
              notified: true,
              event: e,
              lastFiredZone: e.zone,
            });
          }
          const key = `zone-worse:${e.zone}`;
          st.lastFired.set(key, Math.max(st.lastFired.get(key) ?? 0, e.at));
        } else {
          Object.assign(st.conditions[e.rule], { active: true, notified: true, event: e });
          st.lastFired.set(e.rule, Math.max(st.lastFired.get(e.rule) ?? 0, e.at));
        }
      }
    },

    open() {
      const out: AlertEvent[] = [];
      for (const st of accounts.values()) {
        if (st.zone.notified && st.zone.event) out.push(st.zone.event);
        for (const rule of ALERT_RULES) {
          if (rule === 'zone-worse') continue;
          const c = st.conditions[rule];
          if (c.notified && c.event) out.push(c.event);
        }
      }
      return out.sort((a, b) => b.at - a.at);
    },
  };
}
