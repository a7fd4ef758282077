import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, writeCsv } from './csv.ts';
import type { HistoryRecord } from './record.ts';
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
    const payloads = ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '＝1+1', '＠SUM(A1)'];
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

  it('writes only the header for an empty export', async () => {
    expect(await exportText([])).toBe(`${CSV_COLUMNS.map(([h]) => h).join(',')}\r\n`);
  });
});
