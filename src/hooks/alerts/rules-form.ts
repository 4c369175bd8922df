// The alert rules form as plain data: settings → fields and back, with the first problem found.
import { isDecimalText } from '../../domain/decimal.ts';
import type { RuleSettings } from '../../contract/alerts.ts';

/** The rules form's fields: checkboxes and the text of each input. */
export interface FormValues {
  zoneWorse: boolean;
  cushionOn: boolean;
  cushionPercent: string;
  fallOn: boolean;
  fallPercent: string;
  fallMinutes: string;
  staleOn: boolean;
  staleSeconds: string;
  authOn: boolean;
  moveOn: boolean;
  movePercent: string;
  hysteresisPercent: string;
  cooldownMinutes: string;
}

/** The form's fields for some settings. */
export function toForm(s: RuleSettings): FormValues {
  return {
    zoneWorse: s.zoneWorse.enabled,
    cushionOn: s.cushionBelow.enabled,
    cushionPercent: s.cushionBelow.percent,
    fallOn: s.fastFall.enabled,
    fallPercent: s.fastFall.percent,
    fallMinutes: String(s.fastFall.minutes),
    staleOn: s.stale.enabled,
    staleSeconds: s.stale.seconds === null ? '' : String(s.stale.seconds),
    authOn: s.authFailure.enabled,
    moveOn: s.moveBelow.enabled,
    movePercent: s.moveBelow.percent,
    hysteresisPercent: s.hysteresisPercent,
    cooldownMinutes: String(s.cooldownMinutes),
  };
}

/** The settings the form describes, or the first problem found (field name and words). */
export function fromForm(
  v: FormValues,
): { settings: RuleSettings } | { field: keyof FormValues; problem: string } {
  const whole = (text: string) => (/^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : null);
  const percent = (text: string) => (isDecimalText(text.trim()) ? text.trim() : null);
  const cushion = percent(v.cushionPercent);
  if (cushion === null) return { field: 'cushionPercent', problem: 'Enter a percentage such as 20' };
  const fall = percent(v.fallPercent);
  if (fall === null) return { field: 'fallPercent', problem: 'Enter a percentage such as 10' };
  const minutes = whole(v.fallMinutes);
  if (minutes === null) return { field: 'fallMinutes', problem: 'Enter whole minutes' };
  const staleSeconds = v.staleSeconds.trim() === '' ? null : whole(v.staleSeconds);
  if (v.staleSeconds.trim() !== '' && staleSeconds === null) {
    return { field: 'staleSeconds', problem: 'Enter whole seconds, or leave empty for automatic' };
  }
  const move = percent(v.movePercent);
  if (move === null) return { field: 'movePercent', problem: 'Enter a percentage such as 15' };
  const hysteresis = percent(v.hysteresisPercent);
  if (hysteresis === null) return { field: 'hysteresisPercent', problem: 'Enter a percentage such as 2' };
  const cooldown = whole(v.cooldownMinutes);
  if (cooldown === null) return { field: 'cooldownMinutes', problem: 'Enter whole minutes (0 for none)' };
  return {
    settings: {
      zoneWorse: { enabled: v.zoneWorse },
      cushionBelow: { enabled: v.cushionOn, percent: cushion },
      fastFall: { enabled: v.fallOn, percent: fall, minutes },
      stale: { enabled: v.staleOn, seconds: staleSeconds },
      authFailure: { enabled: v.authOn },
      moveBelow: { enabled: v.moveOn, percent: move },
      hysteresisPercent: hysteresis,
      cooldownMinutes: cooldown,
    },
  };
}
