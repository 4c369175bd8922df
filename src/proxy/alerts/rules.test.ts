import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULE_SETTINGS,
  alertRulesConfigSchema,
  applyRulesPatch,
  defaultStaleSeconds,
  resolveDefaults,
  resolveSettings,
  rulesPatchSchema,
  unknownAccountIds,
} from './rules.ts';

describe('alertRulesConfigSchema', () => {
  it('accepts defaults and per-account values, all optional', () => {
    const config = {
      defaults: { cushionBelow: { percent: '25' }, moveBelow: { percent: '12.5' }, cooldownMinutes: 5 },
      accounts: {
        'bitso-main': { fastFall: { percent: '7.5', minutes: 3 }, stale: { seconds: 30 } },
        'bitopro-main': { moveBelow: { enabled: false } },
      },
    };
    expect(alertRulesConfigSchema.parse(config)).toEqual(config);
    expect(alertRulesConfigSchema.parse({})).toEqual({});
  });

  it.each([
    [{ defaults: { cushionBelow: { percent: 20 } } }, 'defaults.cushionBelow.percent'],
    [{ defaults: { cushionBelow: { percent: '0' } } }, 'defaults.cushionBelow.percent'],
    [{ defaults: { cushionBelow: { percent: '101' } } }, 'defaults.cushionBelow.percent'],
    [{ defaults: { moveBelow: { percent: 15 } } }, 'defaults.moveBelow.percent'],
    [{ defaults: { moveBelow: { percent: '0' } } }, 'defaults.moveBelow.percent'],
    [{ defaults: { moveBelow: { percent: '100.01' } } }, 'defaults.moveBelow.percent'],
    [{ defaults: { moveBelow: { percent: '-5' } } }, 'defaults.moveBelow.percent'],
    [{ defaults: { moveBelow: { enabled: 1 } } }, 'defaults.moveBelow.enabled'],
    [{ defaults: { moveBelow: { currency: 'BTC' } } }, 'defaults.moveBelow'],
    [{ defaults: { fastFall: { minutes: 0 } } }, 'defaults.fastFall.minutes'],
    [{ defaults: { fastFall: { minutes: 2.5 } } }, 'defaults.fastFall.minutes'],
    [{ defaults: { hysteresisPercent: '-1' } }, 'defaults.hysteresisPercent'],
    [{ defaults: { stale: { seconds: 1 } } }, 'defaults.stale.seconds'],
    [{ defaults: { zoneWorse: { enabled: 'yes' } } }, 'defaults.zoneWorse.enabled'],
    [{ defaults: { zoneWorse: { margin: '2' } } }, 'defaults.zoneWorse'],
    [{ accounts: { 'Bad Id': {} } }, 'accounts.Bad Id'],
    [{ webhooks: [] }, ''],
  ])('rejects %j at %s', (input, path) => {
    const result = alertRulesConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.map(String).join('.')).toBe(path);
  });
});

describe('resolving layers', () => {
  const config = {
    defaults: { cushionBelow: { percent: '30' }, cooldownMinutes: 5 },
    accounts: { a: { cushionBelow: { percent: '40' } } },
  };

  it('starts from the built-in defaults', () => {
    expect(resolveSettings('x', undefined, undefined)).toEqual(DEFAULT_RULE_SETTINGS);
    expect(DEFAULT_RULE_SETTINGS).toEqual({
      zoneWorse: { enabled: true },
      cushionBelow: { enabled: true, percent: '20' },
      fastFall: { enabled: true, percent: '10', minutes: 5 },
      stale: { enabled: true, seconds: null },
      authFailure: { enabled: true },
      moveBelow: { enabled: true, percent: '15' },
      hysteresisPercent: '2',
      cooldownMinutes: 10,
    });
  });

  it('applies config defaults, UI defaults, config account, UI account in that order', () => {
    const ui = { defaults: { cushionBelow: { percent: '35' }, cooldownMinutes: 1 } };
    expect(resolveSettings('b', config, ui).cushionBelow).toEqual({ enabled: true, percent: '35' });
    expect(resolveSettings('a', config, ui).cushionBelow).toEqual({ enabled: true, percent: '40' });
    expect(
      resolveSettings('a', config, { accounts: { a: { cushionBelow: { enabled: false } } } }).cushionBelow,
    ).toEqual({ enabled: false, percent: '40' });
    expect(resolveSettings('a', config, ui).cooldownMinutes).toBe(1);
    expect(resolveDefaults(config, ui).cushionBelow.percent).toBe('35');
  });

  it('layers the move-below rule field by field, like the others', () => {
    const layered = {
      defaults: { moveBelow: { percent: '25' } },
      accounts: { a: { moveBelow: { enabled: false } } },
    };
    expect(resolveSettings('a', layered, undefined).moveBelow).toEqual({ enabled: false, percent: '25' });
    expect(resolveSettings('b', layered, undefined).moveBelow).toEqual({ enabled: true, percent: '25' });
    const ui = { accounts: { a: { moveBelow: { enabled: true, percent: '8' } } } };
    expect(resolveSettings('a', layered, ui).moveBelow).toEqual({ enabled: true, percent: '8' });
    expect(resolveDefaults(layered, { defaults: { moveBelow: { enabled: false } } }).moveBelow).toEqual({
      enabled: false,
      percent: '25',
    });
  });

  it('lets the UI set the stale threshold back to automatic with null', () => {
    const withSeconds = { defaults: { stale: { seconds: 30 } } };
    expect(resolveSettings('a', withSeconds, undefined).stale.seconds).toBe(30);
    expect(
      resolveSettings('a', withSeconds, { defaults: { stale: { seconds: null } } }).stale.seconds,
    ).toBeNull();
  });

  it('computes the automatic stale threshold', () => {
    expect([undefined, 5, 20, 30, 100].map(defaultStaleSeconds)).toEqual([60, 60, 60, 90, 300]);
  });

  it('names accounts that are not configured', () => {
    expect(unknownAccountIds(config, ['b'])).toEqual(['a']);
  });
});

describe('applyRulesPatch', () => {
  it('merges values into the UI layer and drops layers set to null', () => {
    let ui = applyRulesPatch({}, { defaults: { fastFall: { percent: '8' } } });
    ui = applyRulesPatch(ui, {
      defaults: { fastFall: { minutes: 2 } },
      accounts: { a: { stale: { enabled: false } } },
    });
    expect(ui).toEqual({
      defaults: { fastFall: { percent: '8', minutes: 2 } },
      accounts: { a: { stale: { enabled: false } } },
    });
    expect(applyRulesPatch(ui, { accounts: { a: null } })).toEqual({
      defaults: { fastFall: { percent: '8', minutes: 2 } },
    });
    expect(applyRulesPatch(ui, { defaults: null })).toEqual({
      accounts: { a: { stale: { enabled: false } } },
    });
  });

  it('merges a move-below change into the stored UI layer and accepts only its two fields', () => {
    let ui = applyRulesPatch({}, { defaults: { moveBelow: { percent: '10' } } });
    ui = applyRulesPatch(ui, { defaults: { moveBelow: { enabled: false } } });
    expect(ui).toEqual({ defaults: { moveBelow: { percent: '10', enabled: false } } });
    expect(
      rulesPatchSchema.safeParse({ defaults: { moveBelow: { enabled: true, percent: '15' } } }).success,
    ).toBe(true);
    expect(rulesPatchSchema.safeParse({ accounts: { a: { moveBelow: { percent: 'much' } } } }).success).toBe(
      false,
    );
    expect(rulesPatchSchema.safeParse({ defaults: { moveBelow: { line: 'liquidation' } } }).success).toBe(
      false,
    );
  });

  it('validates patches strictly', () => {
    expect(rulesPatchSchema.safeParse({ defaults: null, accounts: { a: null } }).success).toBe(true);
    expect(rulesPatchSchema.safeParse({ other: 1 }).success).toBe(false);
    expect(rulesPatchSchema.safeParse({ defaults: { cooldownMinutes: -1 } }).success).toBe(false);
  });
});
