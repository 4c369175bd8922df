// The form of the alert rules (one scope: the defaults or one account), with its fields.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { RuleSettings } from '../../contract/alerts.ts';
import { fromForm, toForm, type FormValues } from '../../hooks/alerts/rules-form.ts';

/** A rule's on/off checkbox with its words. */
function RuleToggle({
  on,
  onChange,
  children,
}: {
  on: boolean;
  onChange: (on: boolean) => void;
  children: ReactNode;
}) {
  return (
    <label className="check">
      <input type="checkbox" checked={on} onChange={(e) => onChange(e.currentTarget.checked)} />
      {children}
    </label>
  );
}

function TextField({
  label,
  value,
  onChange,
  suffix,
  problem,
  placeholder,
  help,
  note,
  decimal = false,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  suffix: string;
  problem: string | null;
  placeholder?: string;
  /** A sentence under the field saying what the value means (read by screen readers with the field). */
  help?: string;
  /** A sentence about these accounts in particular (e.g. where the rule never fires), read with the field. */
  note?: string | undefined;
  decimal?: boolean;
}) {
  const id = useId();
  const describedBy = [
    problem ? `${id}-problem` : null,
    note ? `${id}-note` : null,
    help ? `${id}-help` : null,
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <span className="alert-settings__field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="alert-settings__input"
        type="text"
        inputMode={decimal ? 'decimal' : 'numeric'}
        value={value}
        placeholder={placeholder}
        aria-invalid={problem !== null}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      <span className="muted small">{suffix}</span>
      {problem && (
        <span id={`${id}-problem`} className="alert-settings__problem small">
          {problem}
        </span>
      )}
      {note && (
        <span id={`${id}-note`} className="alert-settings__help small" data-testid="rule-note">
          {note}
        </span>
      )}
      {help && (
        <span id={`${id}-help`} className="alert-settings__help muted small">
          {help}
        </span>
      )}
    </span>
  );
}

/** The form of one scope's rule settings; checked in the browser before anything is sent. */
export function RulesForm({
  initial,
  scopeLabel,
  onSave,
  onReset,
  saving,
  moveNote,
}: {
  initial: RuleSettings;
  scopeLabel: string;
  /** Said next to the move-below rule: the accounts it can never fire for, when there are any. */
  moveNote?: string | undefined;
  onSave: (settings: RuleSettings) => void;
  onReset?: () => void;
  saving: boolean;
}) {
  const [v, setV] = useState<FormValues>(() => toForm(initial));
  const [problem, setProblem] = useState<{ field: keyof FormValues; problem: string } | null>(null);
  const set = (change: Partial<FormValues>) => setV((old) => ({ ...old, ...change }));
  const problemOf = (field: keyof FormValues) => (problem?.field === field ? problem.problem : null);
  const form = useRef<HTMLFormElement>(null);
  // After a refused save the field to fix gets the focus, so its problem is read out and typing fixes it.
  useEffect(() => {
    if (problem) form.current?.querySelector<HTMLInputElement>('input[aria-invalid="true"]')?.focus();
  }, [problem]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = fromForm(v);
    if ('problem' in result) {
      setProblem(result);
      return;
    }
    setProblem(null);
    onSave(result.settings);
  };

  return (
    <form
      ref={form}
      className="alert-settings__form"
      onSubmit={submit}
      aria-label={`Alert rules: ${scopeLabel}`}
    >
      <fieldset>
        <legend>Rules</legend>
        <RuleToggle on={v.zoneWorse} onChange={(zoneWorse) => set({ zoneWorse })}>
          Entering a worse risk zone
        </RuleToggle>
        <div className="alert-settings__row">
          <RuleToggle on={v.cushionOn} onChange={(cushionOn) => set({ cushionOn })}>
            Cushion below
          </RuleToggle>
          <TextField
            label="Cushion threshold"
            value={v.cushionPercent}
            onChange={(cushionPercent) => set({ cushionPercent })}
            suffix="%"
            problem={problemOf('cushionPercent')}
            decimal
          />
        </div>
        <div className="alert-settings__row">
          <RuleToggle on={v.fallOn} onChange={(fallOn) => set({ fallOn })}>
            Level falls fast
          </RuleToggle>
          <TextField
            label="Fall of"
            value={v.fallPercent}
            onChange={(fallPercent) => set({ fallPercent })}
            suffix="%"
            problem={problemOf('fallPercent')}
            decimal
          />
          <TextField
            label="within"
            value={v.fallMinutes}
            onChange={(fallMinutes) => set({ fallMinutes })}
            suffix="min"
            problem={problemOf('fallMinutes')}
          />
        </div>
        <div className="alert-settings__row">
          <RuleToggle on={v.staleOn} onChange={(staleOn) => set({ staleOn })}>
            Data stale
          </RuleToggle>
          <TextField
            label="for longer than"
            value={v.staleSeconds}
            onChange={(staleSeconds) => set({ staleSeconds })}
            suffix="s"
            placeholder="automatic"
            problem={problemOf('staleSeconds')}
          />
        </div>
        <RuleToggle on={v.authOn} onChange={(authOn) => set({ authOn })}>
          The exchange refuses the API credentials
        </RuleToggle>
        <div className="alert-settings__row">
          <RuleToggle on={v.moveOn} onChange={(moveOn) => set({ moveOn })}>
            Liquidation within a small price move
          </RuleToggle>
          <TextField
            label="Move smaller than"
            value={v.movePercent}
            onChange={(movePercent) => set({ movePercent })}
            suffix="%"
            problem={problemOf('movePercent')}
            note={moveNote}
            help="Alerts when a price move of less than this size (a fall or a rise), in any one currency or in the whole market, would bring the account to its liquidation line. Estimated from balances and prices, where the exchange's figures allow it."
            decimal
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>Against alert fatigue</legend>
        <div className="alert-settings__row">
          <TextField
            label="Clear only after recovering by"
            value={v.hysteresisPercent}
            onChange={(hysteresisPercent) => set({ hysteresisPercent })}
            suffix="% past the line"
            problem={problemOf('hysteresisPercent')}
            decimal
          />
          <TextField
            label="Repeat the same alert at most every"
            value={v.cooldownMinutes}
            onChange={(cooldownMinutes) => set({ cooldownMinutes })}
            suffix="min"
            problem={problemOf('cooldownMinutes')}
          />
        </div>
      </fieldset>
      <div className="alert-settings__row">
        <button type="submit" className="button" disabled={saving}>
          {saving ? 'Saving…' : 'Save rules'}
        </button>
        {onReset && (
          <button type="button" className="button button--quiet" onClick={onReset} disabled={saving}>
            Use the defaults for this account
          </button>
        )}
      </div>
    </form>
  );
}
