// CSV export: RFC 4180 (CRLF between records; fields quoted by d3-dsv when they hold a comma,
// quote, CR or LF, quotes doubled), one documented header row, ISO 8601 UTC times, plain units
// (bytes, seconds, bytes per second), and every text cell a spreadsheet would take for a formula
// neutralised. Streams in 256 KiB chunks pulled by the destination, so memory stays flat.
//
// Why d3-dsv and not csv-stringify or papaparse: for 100 k rows × 28 columns, csv-stringify took
// 1.6–1.8 s and papaparse's unparse 1.0–1.1 s, d3-dsv's csvFormatRow 0.4–0.6 s, next to ~0.9 s
// that reading and JSON-parsing the records takes anyway (docs/history.md, "Why d3-dsv").
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvFormatRow } from 'd3-dsv';
import { isoFormatter } from './iso-time.ts';
import type { HistoryRecord } from './record.ts';

type Column = readonly [header: string, value: (r: HistoryRecord, iso: (at: number) => string) => string];

/** The columns, in order; docs/history.md documents each one. */
export const CSV_COLUMNS: readonly Column[] = [
  ['finished_at', (r, iso) => iso(r.finishedAt)],
  ['cluster', (r) => text(r.cluster)],
  ['context', (r) => text(r.context)],
  ['node', (r) => text(r.node)],
  ['image', (r) => text(r.image)],
  ['registry', (r) => text(r.registry)],
  ['repository', (r) => text(r.repository)],
  ['digest', (r) => text(r.digest)],
  ['state', (r) => text(r.state)],
  ['failure_reason', (r) => text(r.error?.reason)],
  ['failure_message', (r) => text(r.error?.message)],
  ['queued_at', (r, iso) => (r.queuedAt === undefined ? '' : iso(r.queuedAt))],
  ['started_at', (r, iso) => (r.startedAt === undefined ? '' : iso(r.startedAt))],
  ['wait_s', (r) => seconds(r.waitMs)],
  ['download_s', (r) => seconds(r.downloadMs)],
  ['unpack_s', (r) => seconds(r.unpackMs)],
  ['duration_s', (r) => seconds(r.durationMs)],
  ['bytes_total', (r) => String(r.bytesTotal)],
  ['bytes_downloaded', (r) => String(r.bytesDownloaded)],
  ['bytes_cached', (r) => String(r.bytesCached)],
  ['avg_rate_bytes_per_s', (r) => String(Math.round(r.avgRate))],
  ['peak_rate_bytes_per_s', (r) => String(Math.round(r.peakRate))],
  ['layer_count', (r) => String(r.layerCount)],
  ['namespaces', (r) => text(r.namespaces.join(';'))],
  ['pods', (r) => text(r.pods.map((p) => `${p.pod.namespace}/${p.pod.name}`).join(';'))],
  ['workloads', (r) => text(r.workloads.join(';'))],
  ['source', (r) => text(r.source)],
  ['pull_id', (r) => text(r.id)],
];

/** Milliseconds → seconds with at most 3 decimals and no trailing zeros (`2259` → `2.259`, `2500`
 * → `2.5`, `2000` → `2`): the text String(Math.round(ms) / 1000) gives, built from integers because
 * printing a fractional double was 5 % of an export's time. */
const seconds = (ms: number | undefined): string => {
  if (ms === undefined) return '';
  const whole = Math.round(ms);
  if (!Number.isSafeInteger(whole) || whole < 0) return String(whole / 1000);
  const fraction = whole % 1000;
  if (fraction === 0) return String(whole / 1000);
  const digits = fraction < 10 ? `00${fraction}` : fraction < 100 ? `0${fraction}` : String(fraction);
  return `${(whole - fraction) / 1000}.${digits.replace(TRAILING_ZEROS, '')}`;
};
const TRAILING_ZEROS = /0+$/;

// First characters that make a spreadsheet evaluate a cell: = + - @ tab CR, and the full-width
// forms of = + - @ that some apps normalise (the same list as csv-stringify's escape_formulas).
const FORMULA_STARTS = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d, 0xff1d, 0xff0b, 0xff0d, 0xff20]);

/** A text cell, with a `'` put in front when a spreadsheet would run it as a formula (OWASP's
 * advice against CSV injection). Only text goes through here: numbers are never prefixed. */
const text = (value: string | undefined): string =>
  value === undefined ? '' : FORMULA_STARTS.has(value.charCodeAt(0)) ? `'${value}` : value;

/** Returns a function building one export's rows (it keeps the last day's date for the times). */
export function csvRowFormatter(): (record: HistoryRecord) => string[] {
  const iso = isoFormatter();
  return (record) => {
    const row = new Array<string>(CSV_COLUMNS.length);
    for (let i = 0; i < CSV_COLUMNS.length; i++) row[i] = CSV_COLUMNS[i]?.[1](record, iso) ?? '';
    return row;
  };
}

export interface CsvOptions {
  /** Prefix a UTF-8 byte order mark so spreadsheet apps detect the encoding. */
  bom?: boolean;
}

// Rows are UTF-8-encoded straight into 256 KiB buffers: building a 64 KiB string of rows and
// converting it when pushed cost more than formatting the rows (flattening the concatenations).
const CHUNK_BYTES = 256 * 1024;
// Up to 4 chunks wait in the stream while the destination writes, so that rows are still being
// formatted while a write is in flight (with one chunk, the export stalled on every write).
const BUFFERED_BYTES = 4 * CHUNK_BYTES;

/** Streams the records as CSV into `out` (which is ended); resolves with the number of rows.
 * Records are pulled only when `out` wants more (a Readable's read() is called again only once
 * its buffer drains), and an error from the records (a record that changed on disk) or from
 * `out` rejects the promise and closes the record source. */
export async function writeCsv(records: Iterable<HistoryRecord>, out: Writable, options: CsvOptions = {}): Promise<number> {
  const iterator = records[Symbol.iterator]();
  const row = csvRowFormatter();
  const lines = new LineChunks();
  let rows = 0;
  lines.add(`${options.bom ? '\uFEFF' : ''}${csvFormatRow(CSV_COLUMNS.map(([header]) => header))}`);
  const source = new Readable({
    highWaterMark: BUFFERED_BYTES,
    read() {
      try {
        for (;;) {
          const next = iterator.next();
          if (next.done === true) {
            const rest = lines.take();
            if (rest !== undefined) this.push(rest);
            this.push(null);
            return;
          }
          rows++;
          const full = lines.add(csvFormatRow(row(next.value)));
          if (full !== undefined && !this.push(full)) return;
        }
      } catch (error) {
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    },
    destroy(error, callback) {
      // Closes the store's open segment files when the export stops early.
      iterator.return?.();
      callback(error);
    },
  });
  await pipeline(source, out);
  return rows;
}

/** Collects CRLF-terminated lines, UTF-8-encoded, in buffers of about CHUNK_BYTES. */
class LineChunks {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  /** Adds a line; returns the previous chunk when the line did not fit in it any more. */
  add(line: string): Buffer | undefined {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; a longer line gets a chunk of its own size.
    const most = line.length * 3 + 2;
    let full: Buffer | undefined;
    if (most > this.chunk.length - this.used) {
      full = this.take();
      if (most > this.chunk.length) this.chunk = Buffer.allocUnsafe(most);
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
    this.chunk[this.used++] = 0x0d;
    this.chunk[this.used++] = 0x0a;
    return full;
  }

  /** The lines added since the last take, if any; later lines go into a new buffer. */
  take(): Buffer | undefined {
    if (this.used === 0) return undefined;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    return full;
  }
}
