// Test support: reads samples out of a Prometheus text exposition.

/** Labels of one sample. */
export type Labels = Record<string, string>;

function parseLabels(text: string): Labels {
  const labels: Labels = {};
  for (const match of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined) {
      labels[name] = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Every sample of metric `name` whose labels include `match`, in exposition order: [labels, value]. */
export function seriesOf(text: string, name: string, match: Labels): [Labels, number][] {
  const out: [Labels, number][] = [];
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!sample || sample[1] !== name) continue;
    const labels = parseLabels(sample[2] ?? '');
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) {
      out.push([labels, parseValue(sample[3] ?? '')]);
    }
  }
  return out;
}

/** The value of the one sample of `name` whose labels are exactly `labels`, or undefined. */
export function sampleValue(text: string, name: string, labels: Labels): number | undefined {
  const found = seriesOf(text, name, labels).filter(
    ([l]) => Object.keys(l).length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.[1];
}
