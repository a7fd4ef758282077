// CSV export: RFC 4180 (CRLF, quoting by csv-stringify), one documented header row, ISO 8601 UTC
// times, plain units (bytes, seconds, bytes per second), and every text cell that a spreadsheet
// would take for a formula neutralised (csv-stringify's escape_formulas). Streams record by record, so memory stays flat.
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { HistoryRecord } from './record.ts';

type Cell = string | number | undefined;

/** The columns, in order; docs/history.md documents each one. */
export const CSV_COLUMNS: readonly (readonly [header: string, value: (r: HistoryRecord) => Cell])[] = [
  ['finished_at', (r) => iso(r.finishedAt)],
  ['cluster', (r) => r.cluster],
  ['context', (r) => r.context],
  ['node', (r) => r.node],
  ['image', (r) => r.image],
  ['registry', (r) => r.registry],
  ['repository', (r) => r.repository],
  ['digest', (r) => r.digest],
  ['state', (r) => r.state],
  ['failure_reason', (r) => r.error?.reason],
  ['failure_message', (r) => r.error?.message],
  ['queued_at', (r) => iso(r.queuedAt)],
  ['started_at', (r) => iso(r.startedAt)],
  ['wait_s', (r) => seconds(r.waitMs)],
  ['download_s', (r) => seconds(r.downloadMs)],
  ['unpack_s', (r) => seconds(r.unpackMs)],
  ['duration_s', (r) => seconds(r.durationMs)],
  ['bytes_total', (r) => r.bytesTotal],
  ['bytes_downloaded', (r) => r.bytesDownloaded],
  ['bytes_cached', (r) => r.bytesCached],
  ['avg_rate_bytes_per_s', (r) => Math.round(r.avgRate)],
  ['peak_rate_bytes_per_s', (r) => Math.round(r.peakRate)],
  ['layer_count', (r) => r.layerCount],
  ['namespaces', (r) => r.namespaces.join(';')],
  ['pods', (r) => r.pods.map((p) => `${p.pod.namespace}/${p.pod.name}`).join(';')],
  ['workloads', (r) => r.workloads.join(';')],
  ['source', (r) => r.source],
  ['pull_id', (r) => r.id],
];

const iso = (at: number | undefined): string | undefined => (at === undefined ? undefined : new Date(at).toISOString());
// Milliseconds → seconds with at most 3 decimals, never exponent notation for realistic values.
const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms) / 1000);

/** One CSV row: text cells as strings, numeric cells as numbers (so that csv-stringify's formula
 * escaping, which skips numbers, never touches them), absent values as empty cells. */
export function csvRow(record: HistoryRecord): Cell[] {
  const row = new Array<Cell>(CSV_COLUMNS.length);
  for (let i = 0; i < CSV_COLUMNS.length; i++) row[i] = CSV_COLUMNS[i]?.[1](record);
  return row;
}

export interface CsvOptions {
  /** Prefix a UTF-8 byte order mark so spreadsheet apps detect the encoding. */
  bom?: boolean;
}

/** Streams the records as CSV into `out` (which is ended); resolves with the number of rows. */
export async function writeCsv(records: Iterable<HistoryRecord>, out: Writable, options: CsvOptions = {}): Promise<number> {
  let rows = 0;
  const source = Readable.from(
    (function* () {
      for (const record of records) {
        rows++;
        yield csvRow(record);
      }
    })(),
  );
  const stringifier = stringify({
    header: true,
    columns: CSV_COLUMNS.map(([header]) => header),
    bom: options.bom ?? false,
    record_delimiter: 'windows',
    // Spreadsheets run a cell starting with = + - @ tab or CR (or their full-width forms) as a
    // formula: csv-stringify prefixes such text cells with a quote, OWASP's advice for CSV injection.
    escape_formulas: true,
  });
  await pipeline(source, stringifier, coalesce(64 * 1024), out);
  return rows;
}

/** csv-stringify emits one chunk per row; gathering them into ~64 KiB chunks saves the file (or
 * socket) one write per row. */
function coalesce(bytes: number): Transform {
  let pending: Buffer[] = [];
  let size = 0;
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      pending.push(buffer);
      size += buffer.length;
      if (size >= bytes) {
        this.push(Buffer.concat(pending, size));
        pending = [];
        size = 0;
      }
      done();
    },
    flush(done) {
      if (size > 0) this.push(Buffer.concat(pending, size));
      done();
    },
  });
}
