// Connection state and age of the figures, in words.
import type { Freshness } from '../stores/freshness.ts';
import { Age, AgeText } from './Figures.tsx';
import { freshnessWords } from './words.ts';

/**
 * "Live · updated 3 s ago", "Stale · 23 s", or the connection problem with the proxy's reason. No age while
 * starting: until the proxy's clock is known, an age could be wrong.
 */
export function FreshnessLine({ freshness }: { freshness: Freshness }) {
  const { kind, since } = freshness;
  return (
    <p className={`freshness freshness--${kind}`} data-testid="freshness" data-kind={kind}>
      <span className="freshness__state">
        {kind === 'stale' && since !== null ? (
          <>
            Stale · <AgeText since={since} />
          </>
        ) : (
          freshnessWords(freshness, null)
        )}
      </span>
      {since !== null && kind !== 'stale' && kind !== 'starting' && (
        <>
          {' · '}
          <Age since={since} prefix="updated" />
        </>
      )}
    </p>
  );
}
