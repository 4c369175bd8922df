import { describe, expect, it } from 'vitest';
import { bannerAlerts } from './banner.ts';
import { makeAlert } from '../../contract/testing/alerts.ts';

describe('bannerAlerts', () => {
  it('shows open alerts newest first', () => {
    const open = [makeAlert(2, 200, { rule: 'stale' }), makeAlert(1, 100)];
    expect(bannerAlerts(open, [], {}).map((a) => a.id)).toEqual(['a2', 'a1']);
  });

  it('lets a live alert replace the open one of the same account and rule', () => {
    const open = [makeAlert(1, 100)];
    const live = [makeAlert(2, 200, { kind: 'recovered', zone: 'safe' })];
    expect(bannerAlerts(open, live, {}).map((a) => [a.id, a.kind])).toEqual([['a2', 'recovered']]);
  });

  it('ignores a live alert older than the open one, and never shows a recovered that did not arrive live', () => {
    const open = [makeAlert(3, 300)];
    expect(bannerAlerts(open, [makeAlert(2, 200, { kind: 'recovered' })], {}).map((a) => a.id)).toEqual([
      'a3',
    ]);
    expect(bannerAlerts([makeAlert(4, 400, { kind: 'recovered' })], [], {})).toEqual([]);
  });

  it('applies live alerts in order and leaves dismissed ones out', () => {
    const live = [
      makeAlert(1, 100),
      makeAlert(2, 200, { kind: 'recovered' }),
      makeAlert(3, 300),
      makeAlert(4, 300, { accountId: 'valr-demo' }),
    ];
    expect(bannerAlerts(undefined, live, {}).map((a) => a.id)).toEqual(['a3', 'a4']);
    expect(bannerAlerts(undefined, live, { a3: true }).map((a) => a.id)).toEqual(['a4']);
  });
});
