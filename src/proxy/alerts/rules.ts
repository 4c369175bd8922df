// Alert rule settings: the built-in defaults, the zod schemas of the config file's `alerts.rules` section and of
// the UI's edits (PUT /api/alerts/rules), and how the layers combine into one account's effective settings.
//
// Layers, later wins: built-in defaults ← config `defaults` ← UI `defaults` ← config `accounts[id]` ← UI
// `accounts[id]`. An account-specific value always beats a default, whichever source set the default.
//
// Percentages are decimal strings ("20", "2.5") and are compared as decimals; durations are whole numbers.
import { z } from 'zod';
import { parseDecimal } from '../../domain/decimal.ts';
import { accountIdSchema } from '../shared.ts';

/** Every setting of every rule for one account, after the layers are combined. */
export interface RuleSettings {
  /** The account entered a worse risk zone (caution, liquidation, takeover). */
  zoneWorse: { enabled: boolean };
  /** The cushion (share of collateral that can be lost before liquidation) fell below `percent`. */
  cushionBelow: { enabled: boolean; percent: string };
  /** The level fell by `percent` or more within `minutes`. */
  fastFall: { enabled: boolean; percent: string; minutes: number };
  /** No data for longer than `seconds`; null: automatic (3 × the account's poll interval, at least 60 s). */
  stale: { enabled: boolean; seconds: number | null };
  /** The exchange refused the credentials. */
  authFailure: { enabled: boolean };
  /**
   * A price move smaller than `percent` (in size), in any one currency or in the whole market, would bring the
   * account to its liquidation line (estimated from balances and prices where the venue's level allows it).
   */
  moveBelow: { enabled: boolean; percent: string };
  /**
   * How far past a line the level must recover before an alert clears and can fire again, in percent of the
   * line (a zone alert for a 1.1 liquidation line clears at 1.1 × 1.02 with "2").
   */
  hysteresisPercent: string;
  /** A condition that clears and comes back within this many minutes is not announced again (0: off). */
  cooldownMinutes: number;
}

/** The settings used where nothing else is configured. */
export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  zoneWorse: { enabled: true },
  cushionBelow: { enabled: true, percent: '20' },
  fastFall: { enabled: true, percent: '10', minutes: 5 },
  stale: { enabled: true, seconds: null },
  authFailure: { enabled: true },
  // 15 %: one bad day for crypto. A single day's fall of that size is not rare for the major coins and common
  // for smaller ones, so an account that one such day would liquidate deserves a warning before the day comes.
  moveBelow: { enabled: true, percent: '15' },
  hysteresisPercent: '2',
  cooldownMinutes: 10,
};

/** The shortest automatic stale threshold, seconds. */
export const MIN_STALE_SECONDS = 60;

/** The automatic stale threshold: 3 × the account's cadence (poll interval), at least 60 s. */
export function defaultStaleSeconds(cadenceSeconds: number | undefined): number {
  return Math.max(MIN_STALE_SECONDS, Math.ceil(3 * (cadenceSeconds ?? 0)));
}

function percentText(min: string, max: string, minInclusive: boolean) {
  return z.string().refine(
    (text) => {
      const value = parseDecimal(text);
      if (value === null || value.gt(max)) return false;
      return minInclusive ? value.gte(min) : value.gt(min);
    },
    {
      message: `must be a decimal percentage written as a string, ${minInclusive ? 'from' : 'above'} ${min} up to ${max}, e.g. "20"`,
    },
  );
}

const enabled = z.boolean();
const wholeNumber = (min: number, max: number) =>
  z
    .number()
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

/** One account's settings with every key optional (a layer: config or UI; defaults or one account). */
export const ruleSettingsPatchSchema = z.strictObject({
  zoneWorse: z.strictObject({ enabled: enabled.optional() }).optional(),
  cushionBelow: z
    .strictObject({ enabled: enabled.optional(), percent: percentText('0', '100', false).optional() })
    .optional(),
  fastFall: z
    .strictObject({
      enabled: enabled.optional(),
      percent: percentText('0', '100', false).optional(),
      minutes: wholeNumber(1, 1440).optional(),
    })
    .optional(),
  stale: z
    .strictObject({ enabled: enabled.optional(), seconds: wholeNumber(5, 86_400).nullable().optional() })
    .optional(),
  authFailure: z.strictObject({ enabled: enabled.optional() }).optional(),
  moveBelow: z
    .strictObject({ enabled: enabled.optional(), percent: percentText('0', '100', false).optional() })
    .optional(),
  hysteresisPercent: percentText('0', '50', true).optional(),
  cooldownMinutes: wholeNumber(0, 1440).optional(),
});
export type RuleSettingsPatch = z.infer<typeof ruleSettingsPatchSchema>;

/**
 * The config file's `alerts.rules`: `{ "defaults": {…}, "accounts": { "<account id>": {…} } }`, every key
 * optional. Embed as `rules: alertRulesConfigSchema.optional()` in the config's `alerts` object.
 */
export const alertRulesConfigSchema = z.strictObject({
  defaults: ruleSettingsPatchSchema.optional(),
  accounts: z.record(accountIdSchema, ruleSettingsPatchSchema).optional(),
});
export type AlertRulesConfig = z.infer<typeof alertRulesConfigSchema>;

/**
 * A change made in the UI (PUT /api/alerts/rules). Values are merged into the stored UI layer; `null` removes
 * that layer (`"defaults": null` drops the UI defaults, `"accounts": {"x": null}` drops account x's UI values).
 */
export const rulesPatchSchema = z.strictObject({
  defaults: ruleSettingsPatchSchema.nullable().optional(),
  accounts: z.record(accountIdSchema, ruleSettingsPatchSchema.nullable()).optional(),
});
export type RulesPatch = z.infer<typeof rulesPatchSchema>;

/** The UI's layer as stored (same shape as the config's). */
export type RulesOverrides = AlertRulesConfig;

/** Combines two layers of one scope: `top` wins key by key, rule objects merge field by field. */
export function mergeSettingsPatch(base: RuleSettingsPatch, top: RuleSettingsPatch): RuleSettingsPatch {
  const out: RuleSettingsPatch = { ...base };
  if (top.zoneWorse) out.zoneWorse = { ...base.zoneWorse, ...top.zoneWorse };
  if (top.cushionBelow) out.cushionBelow = { ...base.cushionBelow, ...top.cushionBelow };
  if (top.fastFall) out.fastFall = { ...base.fastFall, ...top.fastFall };
  if (top.stale) out.stale = { ...base.stale, ...top.stale };
  if (top.authFailure) out.authFailure = { ...base.authFailure, ...top.authFailure };
  if (top.moveBelow) out.moveBelow = { ...base.moveBelow, ...top.moveBelow };
  if (top.hysteresisPercent !== undefined) out.hysteresisPercent = top.hysteresisPercent;
  if (top.cooldownMinutes !== undefined) out.cooldownMinutes = top.cooldownMinutes;
  return out;
}

function defined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

function applyPatch(base: RuleSettings, patch: RuleSettingsPatch): RuleSettings {
  return {
    zoneWorse: { ...base.zoneWorse, ...defined(patch.zoneWorse ?? {}) },
    cushionBelow: { ...base.cushionBelow, ...defined(patch.cushionBelow ?? {}) },
    fastFall: { ...base.fastFall, ...defined(patch.fastFall ?? {}) },
    stale: { ...base.stale, ...defined(patch.stale ?? {}) },
    authFailure: { ...base.authFailure, ...defined(patch.authFailure ?? {}) },
    moveBelow: { ...base.moveBelow, ...defined(patch.moveBelow ?? {}) },
    hysteresisPercent: patch.hysteresisPercent ?? base.hysteresisPercent,
    cooldownMinutes: patch.cooldownMinutes ?? base.cooldownMinutes,
  };
}

/** The default settings (no account) after the config and UI layers. */
export function resolveDefaults(
  config: AlertRulesConfig | undefined,
  ui: RulesOverrides | undefined,
): RuleSettings {
  return applyPatch(applyPatch(DEFAULT_RULE_SETTINGS, config?.defaults ?? {}), ui?.defaults ?? {});
}

/** One account's effective settings after every layer. */
export function resolveSettings(
  accountId: string,
  config: AlertRulesConfig | undefined,
  ui: RulesOverrides | undefined,
): RuleSettings {
  const defaults = resolveDefaults(config, ui);
  const fromConfig = config?.accounts?.[accountId] ?? {};
  const fromUi = ui?.accounts?.[accountId] ?? {};
  return applyPatch(applyPatch(defaults, fromConfig), fromUi);
}

/** The UI layer after a patch (pure). */
export function applyRulesPatch(current: RulesOverrides, patch: RulesPatch): RulesOverrides {
  const next: RulesOverrides = {};
  if (patch.defaults === null) {
    // dropped
  } else if (patch.defaults) {
    next.defaults = mergeSettingsPatch(current.defaults ?? {}, patch.defaults);
  } else if (current.defaults) {
    next.defaults = current.defaults;
  }
  const accounts: Record<string, RuleSettingsPatch> = { ...current.accounts };
  for (const [id, value] of Object.entries(patch.accounts ?? {})) {
    if (value === null) delete accounts[id];
    else accounts[id] = mergeSettingsPatch(accounts[id] ?? {}, value);
  }
  if (Object.keys(accounts).length > 0) next.accounts = accounts;
  return next;
}

/** Account ids named in a rules layer that are not configured accounts (for a warning). */
export function unknownAccountIds(layer: AlertRulesConfig | undefined, known: Iterable<string>): string[] {
  const ids = new Set(known);
  return Object.keys(layer?.accounts ?? {}).filter((id) => !ids.has(id));
}
