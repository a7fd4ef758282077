// Test fixture for history.crash.test.ts: appends numbered records to a store as fast as it can
// and prints each sequence number once append() has returned, until it is killed. The parent
// SIGKILLs it at random moments and checks that every acknowledged record survived.
// Usage: node crash-child.ts <dir> <segmentBytes> <bigMessageBytes>
import { writeSync } from 'node:fs';
import { toHistoryRecord } from './record.ts';
import { HistoryStore } from './store.ts';
import { generatePulls } from './test-records.ts';

const [dir, segmentBytes, bigMessageBytes] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-child.ts <dir> <segmentBytes> <bigMessageBytes>');
// Size retention keeps the directory small although big records are written for a while.
const store = HistoryStore.open({ dir, segmentBytes: Number(segmentBytes ?? 1 << 20), fsync: 'never', retention: { maxBytes: 4 * Number(segmentBytes ?? 1 << 20) } });
const stored = [...store.scan({})].map((r) => Number(r.id.slice('seq-'.length)));
const start = stored.length === 0 ? 0 : Math.max(...stored) + 1;
const padding = 'x'.repeat(Number(bigMessageBytes ?? 0));
// Finish times keep growing across runs, so retention's "oldest" is also the lowest sequence.
let seq = start;
for (const pull of generatePulls(1_000_000, { seed: 11, startAt: Date.UTC(2026, 10, 1) + start * 1000 })) {
  // Every third record is big, so that some kills land inside a multi-page write() and tear it.
  const record = { ...toHistoryRecord(pull), id: `seq-${seq}`, ...(seq % 3 === 0 ? { repository: padding } : {}) };
  const result = store.append([record]);
  if (result.error) throw result.error;
  writeSync(1, `${seq}\n`);
  seq++;
}
