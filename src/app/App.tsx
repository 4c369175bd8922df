// The shell: product name, connection indicator, theme toggle, and the routes.
import type { ReactNode } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { DrillDown } from '../components/DrillDown.tsx';
import { AlertCenter } from '../components/alerts/AlertCenter.tsx';
import { AlertsPage } from '../components/alerts/AlertsPage.tsx';
import { ErrorBoundary } from '../components/ErrorBoundary.tsx';
import { Overview } from '../components/Overview.tsx';
import { StatusAnnouncer } from '../components/StatusAnnouncer.tsx';
import { useAccounts, useHealth } from '../hooks/queries.ts';
import { useSocketStatus } from '../hooks/useAccountView.ts';
import { useFocusOnNavigation } from '../hooks/useFocusOnNavigation.ts';
import { useMarginStream, type StreamTuning } from '../hooks/useMarginStream.ts';
import { useNow } from '../hooks/useNow.ts';
import { useTheme } from '../hooks/useTheme.ts';

function StreamIndicator() {
  const socket = useSocketStatus();
  const retryIn = useNow((now) =>
    socket.retryAt === undefined ? null : Math.max(0, Math.ceil((socket.retryAt - now) / 1000)),
  );
  let text: string;
  switch (socket.phase) {
    case 'open':
      text = 'Stream connected';
      break;
    case 'connecting':
      text = socket.attempt === 0 ? 'Connecting…' : `Reconnecting (attempt ${socket.attempt})…`;
      break;
    case 'waiting':
      text = `Stream lost${socket.reason ? ` (${socket.reason})` : ''}, retrying in ${retryIn ?? 0} s`;
      break;
    case 'stopped':
      text = 'Stream closed';
      break;
  }
  return (
    <p className={`stream stream--${socket.phase}`} data-testid="stream-status" data-phase={socket.phase}>
      <span className="stream__dot" aria-hidden="true" />
      {text}
    </p>
  );
}

function ModeBadge() {
  const mode = useHealth().data?.mode;
  if (!mode) return null;
  return (
    <span
      className={`mode mode--${mode}`}
      data-testid="mode"
      title={mode === 'demo' ? 'Built-in simulated exchanges' : 'Real exchanges'}
    >
      {mode === 'demo' ? 'Demo' : 'Live'}
    </span>
  );
}

function ThemeToggle() {
  const { theme, toggle } = useTheme();
  return (
    <button type="button" className="button button--quiet" onClick={toggle} data-testid="theme-toggle">
      {theme === 'dark' ? 'Light theme' : 'Dark theme'}
    </button>
  );
}

function NotFound() {
  return (
    <div className="empty">
      <h2>Page not found</h2>
      <p>
        <Link href="/">Go to the overview</Link>
      </p>
    </div>
  );
}

/** Announces freshness changes of the listed accounts (see StatusAnnouncer). */
function Announcements() {
  const accounts = useAccounts().data;
  return <StatusAnnouncer accounts={accounts ?? []} />;
}

/** What is shown when something outside the page body fails (the header, the banner): the page goes on. */
function PartFailed({ what, error, reset }: { what: string; error: Error; reset: () => void }) {
  return (
    <div className="notice notice--error" role="alert" data-testid="part-error">
      <p>
        The {what} failed: {error.message}
      </p>
      <button type="button" className="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}

/** The last line of defence: everything else failed to render. */
function AppFailed({ error }: { error: Error }): ReactNode {
  return (
    <main id="main" className="app-failed" tabIndex={-1}>
      <div className="notice notice--error" role="alert" data-testid="app-error">
        <h1>Margin Watch failed</h1>
        <p>{error.message}</p>
        <button type="button" className="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    </main>
  );
}

/** Options of the app shell (tests pass a fake socket). */
export interface AppProps {
  /** Stream URL; the page's own /api/stream by default. */
  streamUrl?: string;
  streamTuning?: StreamTuning;
}

/** The whole dashboard; mount once, inside AppProviders. */
export function App(props: AppProps) {
  return (
    <ErrorBoundary fallback={(error) => <AppFailed error={error} />}>
      <Shell {...props} />
    </ErrorBoundary>
  );
}

function Shell({ streamUrl, streamTuning }: AppProps) {
  useMarginStream(streamUrl, streamTuning);
  useFocusOnNavigation();
  const [path] = useLocation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <ErrorBoundary fallback={(error, reset) => <PartFailed what="header" error={error} reset={reset} />}>
        <Header />
      </ErrorBoundary>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary
          fallback={(error, reset) => <PartFailed what="alert banner" error={error} reset={reset} />}
        >
          <AlertCenter />
        </ErrorBoundary>
        <Announcements />
        <ErrorBoundary
          resetKey={path}
          fallback={(error, reset) => (
            <div className="notice notice--error" role="alert">
              <p>This page failed: {error.message}</p>
              <button type="button" className="button" onClick={reset}>
                Try again
              </button>
            </div>
          )}
        >
          <Switch>
            <Route path="/">
              <Overview />
            </Route>
            <Route path="/accounts/:id">{(params) => <DrillDown id={params.id} />}</Route>
            <Route path="/alerts">
              <AlertsPage />
            </Route>
            <Route>
              <NotFound />
            </Route>
          </Switch>
        </ErrorBoundary>
      </main>
      <footer className="app-footer">
        <p className="muted small">Read-only: Margin Watch never places orders or moves funds.</p>
      </footer>
    </>
  );
}

/** Product name, mode, sections, the stream indicator and the theme toggle. */
function Header() {
  return (
    <header className="app-header">
      <h1 className="brand">
        <Link href="/">
          <img src="/icon.svg" alt="" width="28" height="28" />
          Margin Watch
        </Link>
      </h1>
      <ModeBadge />
      <nav aria-label="Sections" className="app-nav">
        <Link href="/">Accounts</Link>
        <Link href="/alerts">Alerts</Link>
      </nav>
      <div className="app-header__end">
        <StreamIndicator />
        <ThemeToggle />
      </div>
    </header>
  );
}
