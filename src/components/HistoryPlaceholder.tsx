// Where the history chart will go (a lazily loaded chunk, so recharts stays out of the first load).
/** Reserved space for the history chart. */
export function HistoryPlaceholder() {
  return (
    <section
      aria-labelledby="history-heading"
      className="panel placeholder"
      data-testid="history-placeholder"
    >
      <h3 id="history-heading">History</h3>
      <p className="muted">The level history with its risk bands will be shown here.</p>
    </section>
  );
}
