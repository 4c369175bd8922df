// "Export CSV": the buckets drawn in the visible range, as a file the browser downloads.
import type { BucketDto, HistoryData } from '../../hooks/history/model.ts';
import { csvFileName, historyCsv } from '../../hooks/history/csv.ts';

function downloadCsv(
  data: HistoryData,
  buckets: readonly BucketDto[],
  accountId: string,
  from: number,
  to: number,
): void {
  const blob = new Blob([historyCsv(data, from, to, buckets)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = csvFileName(accountId, from, to);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Downloads what is in view; disabled until there is something to export. */
export function ExportCsvButton({
  data,
  buckets,
  accountId,
  from,
  to,
}: {
  data: HistoryData | undefined;
  buckets: readonly BucketDto[] | undefined;
  accountId: string;
  from: number;
  to: number;
}) {
  return (
    <button
      type="button"
      className="button button--quiet"
      disabled={!data || !buckets || data.buckets.length === 0}
      onClick={() => data && buckets && downloadCsv(data, buckets, accountId, from, to)}
    >
      Export CSV
    </button>
  );
}
