// A failed request shown in place, with a way to try again.
/** A failed request shown where its data would be, with a retry button. */
export function QueryProblem({ what, error, onRetry }: { what: string; error: Error; onRetry: () => void }) {
  return (
    <div className="notice notice--error" role="alert" data-testid="query-problem">
      <p>
        Could not load {what}: {error.message}
      </p>
      <button type="button" className="button" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}
