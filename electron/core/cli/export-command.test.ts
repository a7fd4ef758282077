import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../history/store.ts';
import { generateRecords } from '../history/test-records.ts';
import { parseExportArgs, runExport, UsageError } from './export-command.ts';
import { parseTimeArg } from './time-arg.ts';

const dir = mkdtempSync(join(tmpdir(), 'pulltrace-cli-'));
const history = join(dir, 'history');
const START = Date.UTC(2026, 10, 1);
const NOW = START + 3 * 3600 * 1000;
const records = [...generateRecords(2000, { clusters: ['kind-lab', 'prod'], startAt: START, stepMs: 5000 })];
const main = join(import.meta.dirname, 'main.ts');

beforeAll(() => {
  const store = HistoryStore.open({ dir: history, fsync: 'never', now: () => NOW });
  store.append(records);
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sink = (): PassThrough & { text: () => string } => {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => chunks.push(c));
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
};

describe('pulltrace export', () => {
  it('exports the filtered history to a file, oldest first', async () => {
    const out = join(dir, 'pulls.csv');
    const stderr = sink();
    const rows = await runExport(['--context', 'prod', '--since', '2h', '--state', 'done,failed', '--image', 'lab/', '--out', out, '--bom'], {
      stdout: sink(),
      stderr,
      env: { PULLTRACE_HISTORY_DIR: history },
      now: NOW,
    });
    const expected = records.filter((r) => r.cluster === 'prod' && r.finishedAt >= NOW - 2 * 3600 * 1000 && (r.state === 'done' || r.state === 'failed') && r.image.includes('lab/'));
    expect(rows).toBe(expected.length);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const parsed = parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
    expect(parsed.map((r) => r.pull_id)).toEqual(expected.map((r) => r.id));
    expect(stderr.text()).toBe(`exported ${rows} pulls to ${out}\n`);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('writes to standard output with --out - and filters by node and --until', async () => {
    const stdout = sink();
    await runExport(['--node', 'node-003', '--until', new Date(START + 3600 * 1000).toISOString(), '--history-dir', history], { stdout, stderr: sink(), env: {}, now: NOW });
    const parsed = parse(stdout.text(), { columns: true }) as Record<string, string>[];
    expect(parsed.length).toBe(records.filter((r) => r.node === 'node-003' && r.finishedAt < START + 3600 * 1000).length);
  });

  it('rejects bad flags with a message naming the flag', () => {
    const bad: [string[], RegExp][] = [
      [['--bogus'], /Unknown option '--bogus'/],
      [['--since', 'yesterday'], /--since "yesterday" is neither a duration/],
      [['--state', 'running'], /--state "running" is not one of done, cached, failed, abandoned/],
      [['--since', '1h', '--until', '2h'], /--since must be earlier than --until/],
      [['--image', ''], /--image/],
      [['--out', ''], /--out needs a file name/],
      [['extra'], /Unexpected argument 'extra'/],
    ];
    for (const [args, message] of bad) {
      expect(() => parseExportArgs(args, {}, NOW)).toThrow(UsageError);
      expect(() => parseExportArgs(args, {}, NOW)).toThrow(message);
    }
  });

  it('accepts durations and ISO 8601 times with a zone only', () => {
    expect(parseTimeArg('since', '24h', NOW)).toBe(NOW - 24 * 3600 * 1000);
    expect(parseTimeArg('since', '1.5d', NOW)).toBe(NOW - 36 * 3600 * 1000);
    expect(parseTimeArg('since', '2026-11-23', NOW)).toBe(Date.UTC(2026, 10, 23));
    expect(parseTimeArg('since', '2026-11-23T10:00:00+02:00', NOW)).toBe(Date.UTC(2026, 10, 23, 8));
    expect(typeof parseTimeArg('since', '2026-11-23T10:00:00', NOW)).toBe('string');
    expect(typeof parseTimeArg('since', '-5h', NOW)).toBe('string');
  });

  it('runs as a command with exit codes 0, 1 and 2', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, PULLTRACE_HISTORY_DIR: history }, timeout: 20_000 });
    const ok = run('export', '--context', 'kind-lab', '--since', '2026-11-01T01:00:00Z', '--until', '2026-11-01T01:01:00Z');
    expect(ok.status).toBe(0);
    expect(ok.stdout.split('\r\n')[0]).toMatch(/^finished_at,cluster,context,node,image,/);
    expect(run('export', '--since', 'soon').status).toBe(2);
    expect(run('frobnicate').stderr).toContain('unknown command "frobnicate"');
    const unwritable = run('export', '--out', join(dir, 'no-such-dir', 'x.csv'));
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toMatch(/cannot write .*no-such-dir\/x\.csv \(ENOENT\)/);
  });
});
