// SIGKILL during writes: a child appends records and acknowledges each one; the parent kills it
// at random moments, 30 times over the same directory. After every kill the store must open, hold
// every acknowledged record (size retention may have deleted the oldest segments), and hold a
// gap-free range of the sequence (only a record being
// written may be lost, never an earlier one).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from './store.ts';
import { seededRandom } from './test-records.ts';

// Big records (1 MiB) make write() long enough for some kills to land inside it and tear a record.
const SEGMENT_BYTES = 4 << 20;
const BIG_BYTES = 1 << 20;
const child = join(import.meta.dirname, 'crash-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'pulltrace-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it has acknowledged at least one record, waits `killAfterMs`, kills it. */
function runAndKill(killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, String(SEGMENT_BYTES), String(BIG_BYTES)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      timer ??= setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      clearTimeout(deadline);
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited by itself: ${err}`));
      const acked = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
      resolve(acked.length === 0 ? -1 : Math.max(...acked));
    });
  });
}

describe('history under SIGKILL', () => {
  it('keeps every acknowledged record across 30 random kills', { timeout: 120_000 }, async () => {
    const random = seededRandom(2026);
    let tornTails = 0;
    let highestAck = -1;
    for (let i = 0; i < 30; i++) {
      const lastAck = await runAndKill(Math.floor(random() * 60));
      highestAck = Math.max(highestAck, lastAck);
      const store = HistoryStore.open({ dir, fsync: 'never', segmentBytes: SEGMENT_BYTES, retention: { maxBytes: 4 * SEGMENT_BYTES } });
      try {
        tornTails += store.recovery.filter((n) => n.action === 'truncated-partial-tail').length;
        expect(store.recovery.filter((n) => n.action !== 'truncated-partial-tail')).toEqual([]);
        const ids = [...store.scan({})].map((r) => Number(r.id.slice('seq-'.length))).sort((a, b) => a - b);
        // Size retention drops the oldest segments, so what is stored is a range [first, last]:
        // gap-free and ending at or after the highest acknowledgement.
        const first = ids[0] ?? 0;
        expect(ids).toEqual(ids.map((_, k) => first + k));
        expect(ids.at(-1)).toBeGreaterThanOrEqual(highestAck);
      } finally {
        store.close();
      }
    }
    console.log(`[history.crash] 30 kills, highest acknowledged seq ${highestAck}, torn records truncated on reopen: ${tornTails}`);
  });
});
