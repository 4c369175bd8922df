// The risk lines, in the headline level's unit.
import { unitSign } from '../domain/format.ts';
import type { Band, LevelUnit } from '../domain/model.ts';
import { Amount } from './Figures.tsx';
import { BAND_WORDS } from './words.ts';

/** Compact list of thresholds for a card. */
export function ThresholdList({ bands, unit }: { bands: readonly Band[]; unit: LevelUnit | null }) {
  if (bands.length === 0) return <p className="muted small">No thresholds known</p>;
  return (
    <dl className="pairs pairs--inline" data-testid="thresholds">
      {bands.map((band) => (
        <div key={band.kind}>
          <dt>{BAND_WORDS[band.kind]}</dt>
          <dd>
            <Amount value={band.threshold} />
            {unitSign(unit)}
            {band.source === 'config' && <span className="tag">config</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Full table of thresholds with the exchange's name for each line and where it came from. */
export function ThresholdTable({ bands, unit }: { bands: readonly Band[]; unit: LevelUnit | null }) {
  if (bands.length === 0) {
    return <p className="muted">No thresholds known: the exchange sends none and the config sets none.</p>;
  }
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Thresholds table">
      <table className="table" data-testid="threshold-table">
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col" className="right">
              Level
            </th>
            <th scope="col">Exchange&apos;s name</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          {bands.map((band) => (
            <tr key={band.kind}>
              <th scope="row">{BAND_WORDS[band.kind]}</th>
              <td className="right">
                <Amount value={band.threshold} />
                {unitSign(unit)}
              </td>
              <td>
                <code>{band.label}</code>
              </td>
              <td>{band.source === 'exchange' ? 'Exchange' : 'Config'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
