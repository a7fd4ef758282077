import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvRowFormatter, writeCsv } from './csv.ts';
import { HistoryError } from './errors.ts';
import type { HistoryRecord } from './record.ts';
import { HistoryStore } from './store.ts';
import { generateRecords } from './test-records.ts';

const exportBytes = async (records: HistoryRecord[], bom = false): Promise<Buffer> => {
  const out = new PassThrough();
  const done = buffer(out);
  const rows = await writeCsv(records, out, { bom });
  expect(rows).toBe(records.length);
  return done;
};
// Buffer#toString keeps a BOM as U+FEFF (TextDecoder-based helpers would drop it).
const exportText = async (records: HistoryRecord[], bom = false): Promise<string> => (await exportBytes(records, bom)).toString('utf8');

const base = (): HistoryRecord => {
  const [record] = [...generateRecords(1, { seed: 3 })];
  if (record === undefined) throw new Error('no record');
  return record;
};

describe('CSV export', () => {
  it('writes RFC 4180 CSV (CRLF, quoted fields) that parses back to the same values', async () => {
    const records = [...generateRecords(200, { seed: 5 })];
    const tricky = { ...base(), id: 'tricky', state: 'failed' as const, error: { reason: 'auth' as const, message: 'pull access denied, "401 Unauthorized"\r\nretrying; see https://x' } };
    const csv = await exportText([...records, tricky]);
    expect(csv.startsWith('finished_at,cluster,context,node,image,')).toBe(true);
    expect(csv.split('\r\n').length).toBeGreaterThan(200);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual(CSV_COLUMNS.map(([h]) => h));
    expect(rows).toHaveLength(201);
    const first = records[0]!;
    expect(rows[0]).toMatchObject({
      finished_at: new Date(first.finishedAt).toISOString(),
      image: first.image,
      state: first.state,
      bytes_total: String(first.bytesTotal),
      wait_s: String((first.waitMs ?? 0) / 1000),
      namespaces: first.namespaces.join(';'),
      pull_id: first.id,
    });
    expect(rows[0]?.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rows[200]).toMatchObject({ failure_reason: 'auth', failure_message: tricky.error.message });
  });

  it('keeps unicode image names intact and adds a UTF-8 BOM only when asked', async () => {
    const record = { ...base(), image: 'registry.example.com/équipe/café-日本語:v1', namespaces: ['données'] };
    const plain = await exportText([record]);
    expect(plain.charCodeAt(0)).not.toBe(0xfeff);
    const withBom = await exportText([record], true);
    expect((await exportBytes([record], true)).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(withBom.charCodeAt(0)).toBe(0xfeff);
    const rows = parse(withBom, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({ image: 'registry.example.com/équipe/café-日本語:v1', namespaces: 'données' });
  });

  it('neutralises every cell a spreadsheet would read as a formula', async () => {
    const payloads = ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '＝1+1', '＠SUM(A1)', '－1+1', '＋1+1', '=1+1\nsecond line'];
    const safe = ['nginx', 'a=b', ' =1', '1-2'];
    const cells = [...payloads, ...safe];
    const records = cells.map((p, i) => ({ ...base(), id: `x${i}`, image: p, node: p, error: { reason: 'other' as const, message: p }, pods: [{ pod: { namespace: p, name: p, uid: 'u' } }] }));
    const rows = parse(await exportText(records), { columns: true }) as Record<string, string>[];
    rows.forEach((row, i) => {
      const expected = i < payloads.length ? `'${cells[i]}` : cells[i];
      for (const column of ['image', 'node', 'failure_message']) expect(row[column]).toBe(expected);
      expect(row.pods).toBe(i < payloads.length ? `'${cells[i]}/${cells[i]}` : `${cells[i]}/${cells[i]}`);
      // Numbers are never prefixed.
      expect(row.bytes_total).toMatch(/^\d+$/);
    });
  });

  it('prints durations as seconds with at most 3 decimals, as String(ms / 1000) would', () => {
    const row = csvRowFormatter();
    const waitColumn = CSV_COLUMNS.findIndex(([header]) => header === 'wait_s');
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 10 ** 12 }), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom(0, 1, 10, 100, 1000, 1500, 2250, 1e21)), (waitMs) => {
        expect(row({ ...base(), waitMs })[waitColumn]).toBe(String(Math.round(waitMs) / 1000));
      }),
    );
    expect(row({ ...base(), waitMs: undefined })[waitColumn]).toBe('');
  });

  it('writes only the header for an empty export', async () => {
    expect(await exportText([])).toBe(`${CSV_COLUMNS.map(([h]) => h).join(',')}\r\n`);
  });

  it('pulls records only as fast as the destination takes them (backpressure keeps memory flat)', async () => {
    let pulled = 0;
    const records = (function* () {
      for (const record of generateRecords(50_000, { seed: 9 })) {
        pulled++;
        yield record;
      }
    })();
    let release: () => void = () => undefined;
    let received = 0;
    // A destination that takes one chunk and then stalls until released.
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        release = done;
      },
    });
    const exporting = writeCsv(records, slow);
    await sleep(200);
    // One 256 KiB chunk in the destination and ~1 MiB buffered before it: a few thousand rows, not 50 k.
    expect(received).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(10_000);
    const stalledAt = pulled;
    await sleep(100);
    expect(pulled).toBe(stalledAt);
    // Let it run to the end, one chunk at a time.
    const pump = setInterval(() => release(), 1);
    try {
      expect(await exporting).toBe(50_000);
    } finally {
      clearInterval(pump);
    }
    expect(pulled).toBe(50_000);
  });

  it('rejects with the error of a record that cannot be read, after closing the record source', async () => {
    let closed = false;
    const records = (function* () {
      try {
        yield* generateRecords(3, { seed: 4 });
        throw new HistoryError('io', 'History record at x.ndjson:123 changed on disk (checksum mismatch).', 'x.ndjson');
      } finally {
        closed = true;
      }
    })();
    const out = new PassThrough();
    void buffer(out).catch(() => undefined);
    await expect(writeCsv(records, out)).rejects.toThrow(/x\.ndjson:123 changed on disk/);
    expect(closed).toBe(true);
  });

  it('stops reading the store when the destination fails, and the store stays usable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulltrace-csv-'));
    try {
      const writer = HistoryStore.open({ dir, fsync: 'never' });
      writer.append([...generateRecords(2_000, { seed: 6 })]);
      writer.close();
      const store = HistoryStore.open({ dir, readOnly: true });
      const failing = new Writable({ write: (_chunk, _encoding, done) => done(new Error('disk went away')) });
      await expect(writeCsv(store.scan({}), failing)).rejects.toThrow('disk went away');
      expect(store.query({}, { limit: 5 }).records).toHaveLength(5);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a record that changed on disk after the store opened, instead of crashing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulltrace-csv-'));
    try {
      const writer = HistoryStore.open({ dir, fsync: 'never' });
      writer.append([...generateRecords(50, { seed: 8, clusters: ['kind-lab'] })]);
      writer.close();
      const store = HistoryStore.open({ dir, readOnly: true });
      const clusterDir = join(dir, 'kind-lab');
      const segment = join(clusterDir, readdirSync(clusterDir).find((f) => f.endsWith('.ndjson')) ?? '');
      const bytes = readFileSync(segment);
      const victim = bytes.indexOf('"node":"', bytes.length / 2);
      bytes[victim + 9] = (bytes[victim + 9] ?? 0) ^ 0x01; // one flipped bit in a later record
      writeFileSync(segment, bytes);
      const out = new PassThrough();
      void buffer(out).catch(() => undefined);
      const failure = await writeCsv(store.scan({}), out).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(HistoryError);
      expect((failure as HistoryError).code).toBe('io');
      expect((failure as HistoryError).message).toMatch(/00000001\.ndjson:\d+ changed on disk \(checksum mismatch\)/);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
