// The alert rules panel: which scope (the defaults or one account) is edited, saving, and what happened.
import { useId, useRef, useState } from 'react';
import type { RulesPatch, RulesView } from '../../contract/alerts.ts';
import { useAccounts } from '../../hooks/queries.ts';
import { useAlertRules, useUpdateAlertRules } from '../../hooks/useAlerts.ts';
import { QueryProblem } from '../QueryProblem.tsx';
import { RulesForm } from './RulesForm.tsx';

const DEFAULTS_SCOPE = '*';

/** "A", "A and B", "A, B and C". */
function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

/**
 * What to say next to the move-below rule: the accounts it never fires for, because their exchange's margin
 * level cannot be tied to prices (as the proxy says). Undefined when it can fire for every account in scope.
 */
export function moveBelowNote(
  accounts: RulesView['accounts'],
  scope: string,
  exchangeName: (exchange: string) => string,
): string | undefined {
  const cannot = accounts.filter((a) => a.priceMoves === false);
  const account = cannot.find((a) => a.id === scope);
  if (account) {
    return `Never fires for this account: ${exchangeName(account.exchange)}'s margin level cannot be tied to prices.`;
  }
  if (scope !== DEFAULTS_SCOPE || cannot.length === 0) return undefined;
  const names = [...new Set(cannot.map((a) => exchangeName(a.exchange)))];
  return `Never fires for ${listWords(names)}: ${names.length === 1 ? 'its' : 'their'} margin level cannot be tied to prices.`;
}

/** The alert rules, for all accounts (defaults) or one account. Saved in Margin Watch, not at any exchange. */
export function RulesSettings() {
  const rules = useAlertRules();
  // Only for the exchanges' names; the rules show without them.
  const accountList = useAccounts();
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
  const moveNote = moveBelowNote(
    view.accounts,
    scope,
    (exchange) => accountList.data?.find((a) => a.exchange === exchange)?.exchangeName ?? exchange,
  );

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
        moveNote={moveNote}
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
