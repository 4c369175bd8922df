// The history chart's toolbar: range presets, keyboard zoom and pan, and CSV export of what is in view.
import { useRef } from 'react';
import { RANGE_PRESETS, type RangePreset } from '../../hooks/history/model.ts';
import type { HistoryWindow } from '../../hooks/history/useHistoryWindow.ts';
import { ExportCsvButton } from './ExportCsvButton.tsx';

const PRESET_LABELS: Record<RangePreset, string> = {
  '1h': '1 h',
  '24h': '24 h',
  '7d': '7 d',
  '30d': '30 d',
  all: 'All',
};

export function HistoryToolbar({ view, accountId }: { view: HistoryWindow; accountId: string }) {
  const presetButtons = useRef(new Map<RangePreset, HTMLButtonElement>());
  const { range, data } = view;

  const showPreset = (preset: RangePreset) => {
    view.showPreset(preset);
    // "Reset zoom" disappears with the zoom: keep the keyboard on the range now shown.
    presetButtons.current.get(preset)?.focus();
  };

  return (
    <div className="toolbar toolbar--small history__toolbar">
      <div role="group" aria-label="Range">
        {RANGE_PRESETS.map((preset) => (
          <button
            key={preset}
            ref={(el) => {
              if (el) presetButtons.current.set(preset, el);
              else presetButtons.current.delete(preset);
            }}
            type="button"
            className="button button--quiet"
            aria-pressed={range.kind === 'preset' && range.preset === preset}
            onClick={() => showPreset(preset)}
          >
            {PRESET_LABELS[preset]}
          </button>
        ))}
      </div>
      <div role="group" aria-label="Zoom">
        <button
          type="button"
          className="button button--quiet"
          disabled={!view.canZoomIn}
          onClick={() => view.zoomBy(0.5)}
        >
          Zoom in
        </button>
        <button
          type="button"
          className="button button--quiet"
          disabled={!data}
          onClick={() => view.zoomBy(2)}
        >
          Zoom out
        </button>
        <button
          type="button"
          className="button button--quiet"
          disabled={!data}
          aria-label="Earlier"
          onClick={() => view.zoomBy(1, -0.5)}
        >
          ←
        </button>
        <button
          type="button"
          className="button button--quiet"
          disabled={!data}
          aria-label="Later"
          onClick={() => view.zoomBy(1, 0.5)}
        >
          →
        </button>
        {range.kind === 'window' && (
          <button type="button" className="button button--quiet" onClick={() => showPreset(view.homePreset)}>
            Reset zoom
          </button>
        )}
      </div>
      <ExportCsvButton
        data={data}
        buckets={view.model?.buckets}
        accountId={accountId}
        from={view.xFrom}
        to={view.xTo}
      />
    </div>
  );
}
