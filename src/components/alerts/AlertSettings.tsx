// Alert settings: this browser's notification and sound toggles, the proxy's alert rules (defaults and per
// account), and the webhooks' delivery status.
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import {
  setAlertPrefs,
  useAlertPrefs,
  useAlertRules,
  useUpdateAlertRules,
  useWebhookStatus,
} from '../../hooks/useAlerts.ts';
import { QueryProblem } from '../QueryProblem.tsx';
import { formatLocalTime } from '../words.ts';
import { askNotificationPermission, notificationPermission } from './notify.ts';
import type { RuleSettings, RulesPatch, WebhookStatus } from '../../contract/alerts.ts';
import { fromForm, toForm, type FormValues } from './rules-form.ts';
import { beep } from './sound.ts';

/** Browser notifications (permission asked only when turned on) and the beep (off by default). */
export function NotificationToggles() {
  const prefs = useAlertPrefs();
  const [note, setNote] = useState<string | null>(null);

  const onNotifications = async (on: boolean) => {
    setNote(null);
    if (!on) {
      setAlertPrefs({ notifications: false });
      return;
    }
    const permission = await askNotificationPermission();
    if (permission === 'granted') {
      setAlertPrefs({ notifications: true });
    } else {
      setAlertPrefs({ notifications: false });
      setNote(
        permission === 'unsupported'
          ? 'This browser does not support notifications.'
          : "Notifications are blocked for this site; allow them in the browser's site settings.",
      );
    }
  };

  const onSound = (on: boolean) => {
    setAlertPrefs({ sound: on });
    if (on && !beep()) setNote('This browser cannot play sounds.');
  };

  const granted = notificationPermission() === 'granted';
  return (
    <section className="panel" aria-labelledby="alert-browser-title" data-testid="alert-browser-settings">
      <h3 id="alert-browser-title">In this browser</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={prefs.notifications && granted}
          onChange={(e) => void onNotifications(e.currentTarget.checked)}
          data-testid="toggle-notifications"
        />
        Browser notifications for new alerts
      </label>
      <div className="alert-settings__row">
        <label className="check">
          <input
            type="checkbox"
            checked={prefs.sound}
            onChange={(e) => onSound(e.currentTarget.checked)}
            data-testid="toggle-sound"
          />
          Sound for new alerts
        </label>
        <button type="button" className="button button--quiet" onClick={() => beep()}>
          Play test sound
        </button>
      </div>
      {note && (
        <p className="notice notice--warn" role="status">
          {note}
        </p>
      )}
      <p className="muted small">
        Alerts are checked by Margin Watch itself, with or without this page open.
      </p>
    </section>
  );
}

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
  decimal = false,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  suffix: string;
  problem: string | null;
  placeholder?: string;
  decimal?: boolean;
}) {
  const id = useId();
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
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      <span className="muted small">{suffix}</span>
      {problem && (
        <span id={`${id}-problem`} className="alert-settings__problem small">
          {problem}
        </span>
      )}
    </span>
  );
}

function RulesForm({
  initial,
  scopeLabel,
  onSave,
  onReset,
  saving,
}: {
  initial: RuleSettings;
  scopeLabel: string;
  onSave: (settings: RuleSettings) => void;
  onReset?: () => void;
  saving: boolean;
}) {
  const [v, setV] = useState<FormValues>(() => toForm(initial));
  const [problem, setProblem] = useState<{ field: keyof FormValues; problem: string } | null>(null);
  const set = (change: Partial<FormValues>) => setV((old) => ({ ...old, ...change }));
  const problemOf = (field: keyof FormValues) => (problem?.field === field ? problem.problem : null);

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
    <form className="alert-settings__form" onSubmit={submit} aria-label={`Alert rules: ${scopeLabel}`}>
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

const DEFAULTS_SCOPE = '*';

/** The alert rules, for all accounts (defaults) or one account. Saved in Margin Watch, not at any exchange. */
export function RulesSettings() {
  const rules = useAlertRules();
  const update = useUpdateAlertRules();
  const [scope, setScope] = useState(DEFAULTS_SCOPE);
  // Bumped when an account goes back to the defaults: the form then starts again from what the proxy says.
  const [revision, setRevision] = useState(0);
  const [savedText, setSavedText] = useState('Saved.');
  const status = useRef<HTMLParagraphElement>(null);
  const selectId = useId();

  if (rules.isPending) return <p className="muted">Loading alert rules…</p>;
  if (rules.isError) {
    return <QueryProblem what="the alert rules" error={rules.error} onRetry={() => void rules.refetch()} />;
  }
  const view = rules.data;
  const account = view.accounts.find((a) => a.id === scope);
  const settings = account?.settings ?? view.defaults;
  const scopeLabel = account ? account.label : 'all accounts';

  /**
   * Saves, then moves focus to the "Saved" status: the button pressed may be gone (the reset button disappears
   * with the account's own settings), and the status says what happened.
   */
  const save = (patch: RulesPatch, reset = false) =>
    update.mutate(patch, {
      onSuccess: () => {
        setSavedText(reset ? `Saved: ${scopeLabel} now uses the defaults.` : 'Saved.');
        if (reset) setRevision((r) => r + 1);
        status.current?.focus();
      },
    });

  return (
    <section className="panel" aria-labelledby="alert-rules-title" data-testid="alert-rules">
      <h3 id="alert-rules-title">Alert rules</h3>
      <p className="field">
        <label htmlFor={selectId}>Settings for</label>
        <select
          id={selectId}
          value={scope}
          onChange={(e) => {
            setScope(e.currentTarget.value);
            update.reset();
          }}
        >
          <option value={DEFAULTS_SCOPE}>All accounts (defaults)</option>
          {view.accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.label}
              {a.overridden ? ' (own settings)' : ''}
            </option>
          ))}
        </select>
      </p>
      <RulesForm
        // Keyed by the scope only: saving keeps the form (and the focus in it) instead of building a new one.
        key={`${scope}:${revision}`}
        initial={settings}
        scopeLabel={scopeLabel}
        saving={update.isPending}
        onSave={(s) => save(account ? { accounts: { [account.id]: s } } : { defaults: s })}
        {...(account?.overridden ? { onReset: () => save({ accounts: { [account.id]: null } }, true) } : {})}
      />
      {update.isError && (
        <p className="notice notice--error" role="alert">
          Not saved: {update.error.message}
        </p>
      )}
      <p className="muted small" role="status" tabIndex={-1} ref={status} data-testid="rules-status">
        {update.isSuccess ? savedText : ''}
      </p>
      <p className="muted small">
        These settings live in Margin Watch and change nothing at any exchange. Values from the config
        file&apos;s
        <code> alerts.rules</code> are the starting point.
      </p>
    </section>
  );
}

const WEBHOOK_STATE_WORDS: Record<WebhookStatus['state'], string> = {
  idle: 'Nothing sent yet',
  ok: 'Delivering',
  retrying: 'Retrying',
  failing: 'Failing',
};

/** Each configured webhook (scheme and host only) with its delivery state and last error. */
export function WebhookList() {
  const status = useWebhookStatus();
  return (
    <section className="panel" aria-labelledby="alert-webhooks-title" data-testid="alert-webhooks">
      <h3 id="alert-webhooks-title">Webhooks</h3>
      {status.isError && (
        <QueryProblem what="the webhook status" error={status.error} onRetry={() => void status.refetch()} />
      )}
      {status.data?.length === 0 && (
        <p className="muted">
          No webhooks. Add them to the config file under <code>alerts.webhooks</code>.
        </p>
      )}
      {status.data && status.data.length > 0 && (
        <ul className="alert-webhooks">
          {status.data.map((w) => (
            <li key={w.index} data-testid="webhook" data-state={w.state}>
              <span className={`alert-webhooks__state alert-webhooks__state--${w.state}`}>
                {WEBHOOK_STATE_WORDS[w.state]}
              </span>{' '}
              <code>{w.target}</code> <span className="muted small">({w.format})</span>
              <span className="muted small">
                {' '}
                · {w.delivered} delivered, {w.failed} failed
                {w.lastSuccessAt !== null && ` · last delivered ${formatLocalTime(w.lastSuccessAt)}`}
              </span>
              {w.lastError && w.state !== 'ok' && (
                <p
                  className="alert-settings__problem small"
                  role={w.state === 'failing' ? 'status' : undefined}
                >
                  {w.lastError}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
