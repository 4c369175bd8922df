// Keeps one broken view from blanking the page.
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What to show instead of the broken subtree; `reset` renders the children again. */
  fallback: (error: Error, reset: () => void) => ReactNode;
  /** When this changes (e.g. the location), a shown error is cleared and the children are tried again. */
  resetKey?: unknown;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/** Catches render errors below it and shows `fallback` instead. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('A view failed to render', error, info.componentStack);
  }

  private readonly reset = () => this.setState({ error: null });

  override componentDidUpdate(previous: Props): void {
    if (this.state.error && !Object.is(previous.resetKey, this.props.resetKey)) this.reset();
  }

  override render(): ReactNode {
    return this.state.error ? this.props.fallback(this.state.error, this.reset) : this.props.children;
  }
}

/** Error boundary for one account card: the other cards keep working. */
export function CardErrorBoundary({ label, children }: { label: string; children: ReactNode }) {
  return (
    <ErrorBoundary
      fallback={(error, reset) => (
        <article className="card card--broken" data-testid="card-error" aria-label={`${label} (failed)`}>
          <h3 className="card__title">{label}</h3>
          <p className="notice notice--error" role="alert">
            This card could not be shown: {error.message}
          </p>
          <button type="button" className="button" onClick={reset}>
            Try again
          </button>
        </article>
      )}
    >
      {children}
    </ErrorBoundary>
  );
}
