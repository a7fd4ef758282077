// Opens an exported CSV in real LibreOffice Calc (headless), with formula evaluation switched ON
// (the worst case a user can choose in the import dialog), saves it back as CSV and checks the
// cells. Needs Debian's libreoffice-calc-nogui (`soffice` on PATH): this test fails without it.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCsv } from './csv.ts';
import { generateRecords } from './test-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'pulltrace-lo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Import: comma, double quote, UTF-8, from line 1, quoted fields as text off, detect numbers on,
// …, evaluate formulas ON. Export: the same separators, every text cell quoted.
const IMPORT = 'CSV:44,34,76,1,,0,false,true,false,false,false,-1,true';
const EXPORT = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,false,true,false,false,-1';

describe('CSV in LibreOffice Calc', () => {
  it('opens with the right cells, unicode intact and injected formulas left as text', { timeout: 120_000 }, async () => {
    const records = [...generateRecords(3, { seed: 9 })].map((r, i) => ({
      ...r,
      image: ['registry.example.com/équipe/café-日本語:v1', '=1+1', '@SUM(1,2)'][i] ?? r.image,
      node: i === 1 ? '+7*6' : r.node,
      error: { reason: 'other' as const, message: 'quoted "text", commas\r\nand a newline' },
    }));
    const source = join(dir, 'pulls.csv');
    await writeCsv(records, createWriteStream(source), { bom: true });
    execFileSync('soffice', ['--headless', '--infilter=' + IMPORT, '--convert-to', EXPORT, '--outdir', join(dir, 'out'), source], { timeout: 110_000, stdio: 'pipe' });
    const back = parse(readFileSync(join(dir, 'out', 'pulls-pulls.csv'), 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(back).toHaveLength(3);
    expect(back.map((r) => r.image)).toEqual(['registry.example.com/équipe/café-日本語:v1', "'=1+1", "'@SUM(1,2)"]);
    expect(back[1]?.node).toBe("'+7*6");
    expect(back[0]?.failure_message).toBe('quoted "text", commas\nand a newline');
    expect(back[0]?.pull_id).toBe(records[0]?.id);
    expect(Number(back[0]?.bytes_total)).toBe(records[0]?.bytesTotal);
  });
});
