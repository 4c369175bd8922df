// The alert markers on the history chart: a vertical line at each alert, its label placed in the plot so that
// labels never overlap each other nor run past the plot's edge (markerLabelPlaces decides where).
import { ReferenceLine, usePlotArea, useXAxisDomain } from 'recharts';
import { markerLabelPlaces, type AlertMarker } from '../../hooks/alerts/markers.ts';

export function AlertMarkerLines({ markers }: { markers: readonly AlertMarker[] }) {
  const plot = usePlotArea();
  const domain = useXAxisDomain();
  const from = typeof domain?.[0] === 'number' ? domain[0] : 0;
  const to = typeof domain?.[1] === 'number' ? domain[1] : 0;
  const places = markerLabelPlaces(
    markers.map((marker) => ({ x: to > from ? (marker.t - from) / (to - from) : 0, label: marker.label })),
    plot?.width ?? 0,
  );
  return markers.map((marker, i) => {
    const place = places[i];
    const colour = marker.kind === 'fired' ? 'var(--liquidation)' : 'var(--safe)';
    return (
      <ReferenceLine
        key={marker.id}
        x={marker.t}
        ifOverflow="hidden"
        stroke={colour}
        strokeWidth={1.5}
        className={`history-alert history-alert--${marker.kind}`}
        {...(place?.shown
          ? {
              label: {
                value: marker.label,
                position: place.position,
                offset: place.offset,
                fill: colour,
                fontSize: 11,
              },
            }
          : {})}
      />
    );
  });
}
