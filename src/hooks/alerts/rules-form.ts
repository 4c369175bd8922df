// The alert rules form as plain data: settings → fields and back, with the first problem found.
import { Dec, isDecimalText } from '../../domain/decimal.ts';
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

/** How one percent field is checked, and the words its messages use. */
interface PercentRule {
  /** What the number is, for messages ("a cushion"). */
  what: string;
  /** A value to show as an example. */
  example: string;
  /** Largest value accepted. */
  max: number;
  /** 0 itself is accepted (else the value must be above 0). */
  zeroAllowed: boolean;
  /** The size of a move, written without a sign (falls and rises alike). */
  unsigned?: boolean;
}

const PERCENT_RULES = {
  cushionPercent: { what: 'a cushion', example: '20', max: 100, zeroAllowed: false },
  fallPercent: { what: 'a fall', example: '10', max: 100, zeroAllowed: false },
  movePercent: { what: 'a move', example: '15', max: 100, zeroAllowed: false, unsigned: true },
  hysteresisPercent: { what: 'a recovery margin', example: '2', max: 50, zeroAllowed: true },
} satisfies Record<string, PercentRule>;

/**
 * The percentage as written (trimmed), or what is wrong with it in words. The same limits as the proxy's
 * (above 0 or from 0, up to the maximum), so its messages are never the first a trader sees.
 */
function checkPercent(text: string, rule: PercentRule): { value: string } | { problem: string } {
  const written = text.trim();
  const example = `e.g. ${rule.example}`;
  if (written === '') return { problem: `Enter a percentage, ${example}` };
  if (rule.unsigned && /^[+\-−]/.test(written)) {
    const size = written.slice(1).replace(/\s*%$/, '').trim();
    const shown = isDecimalText(size) && new Dec(size).gt(0) ? size : rule.example;
    return {
      problem: `Write the size of the move without a sign, e.g. ${shown} (falls and rises both count)`,
    };
  }
  const number = written.replace(/\s*%$/, '');
  if (/^[+-]?\d*,\d+$/.test(number)) {
    return { problem: `Use a point for decimals: ${number.replace(',', '.')}` };
  }
  if (!isDecimalText(number)) return { problem: `Enter a percentage as a plain number, ${example}` };
  if (number !== written) return { problem: `Write the number without the % sign: ${number}` };
  const value = new Dec(number);
  const low = rule.zeroAllowed ? value.lt(0) : value.lte(0);
  if (low || value.gt(rule.max)) {
    if (rule.zeroAllowed) return { problem: `Enter ${rule.what} from 0 to ${rule.max} %, ${example}` };
    const never = rule.unsigned && value.isZero() ? ' (0 would never fire)' : '';
    return { problem: `Enter ${rule.what} above 0 and at most ${rule.max} %${never}, ${example}` };
  }
  return { value: written };
}

/** A whole number within limits, or null. */
function wholeIn(text: string, min: number, max: number): number | null {
  const written = text.trim();
  if (!/^\d{1,6}$/.test(written)) return null;
  const value = Number(written);
  return value >= min && value <= max ? value : null;
}

/** The settings the form describes, or the first problem found (field name and words). */
export function fromForm(
  v: FormValues,
): { settings: RuleSettings } | { field: keyof FormValues; problem: string } {
  const cushion = checkPercent(v.cushionPercent, PERCENT_RULES.cushionPercent);
  if ('problem' in cushion) return { field: 'cushionPercent', problem: cushion.problem };
  const fall = checkPercent(v.fallPercent, PERCENT_RULES.fallPercent);
  if ('problem' in fall) return { field: 'fallPercent', problem: fall.problem };
  const minutes = wholeIn(v.fallMinutes, 1, 1440);
  if (minutes === null) return { field: 'fallMinutes', problem: 'Enter whole minutes from 1 to 1440' };
  const staleSeconds = v.staleSeconds.trim() === '' ? null : wholeIn(v.staleSeconds, 5, 86_400);
  if (v.staleSeconds.trim() !== '' && staleSeconds === null) {
    return {
      field: 'staleSeconds',
      problem: 'Enter whole seconds from 5 to 86400, or leave empty for automatic',
    };
  }
  const move = checkPercent(v.movePercent, PERCENT_RULES.movePercent);
  if ('problem' in move) return { field: 'movePercent', problem: move.problem };
  const hysteresis = checkPercent(v.hysteresisPercent, PERCENT_RULES.hysteresisPercent);
  if ('problem' in hysteresis) return { field: 'hysteresisPercent', problem: hysteresis.problem };
  const cooldown = wholeIn(v.cooldownMinutes, 0, 1440);
  if (cooldown === null) {
    return { field: 'cooldownMinutes', problem: 'Enter whole minutes from 0 (none) to 1440' };
  }
  return {
    settings: {
      zoneWorse: { enabled: v.zoneWorse },
      cushionBelow: { enabled: v.cushionOn, percent: cushion.value },
      fastFall: { enabled: v.fallOn, percent: fall.value, minutes },
      stale: { enabled: v.staleOn, seconds: staleSeconds },
      authFailure: { enabled: v.authOn },
      moveBelow: { enabled: v.moveOn, percent: move.value },
      hysteresisPercent: hysteresis.value,
      cooldownMinutes: cooldown,
    },
  };
}
