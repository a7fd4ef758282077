import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord } from './codec.ts';
import type { HistoryFilter } from './query.ts';
import { toHistoryRecord, type HistoryRecord } from './record.ts';
import { clusterDirName, HistoryStore, type HistoryStoreOptions } from './store.ts';
import { generatePulls, generateRecords, LAB_IMAGES } from './test-records.ts';

const dirs: string[] = [];
const stores: HistoryStore[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pulltrace-history-'));
  dirs.push(dir);
  return dir;
};
const open = (options: HistoryStoreOptions): HistoryStore => {
  const store = HistoryStore.open({ fsync: 'never', ...options });
  stores.push(store);
  return store;
};
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const segmentFiles = (dir: string, cluster: string): string[] =>
  readdirSync(join(dir, clusterDirName(cluster)))
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .map((f) => join(dir, clusterDirName(cluster), f));

describe('HistoryStore round trip', () => {
  it('persists records per cluster and gives them back identical after a reopen', () => {
    const dir = tempDir();
    const records = [...generateRecords(500, { clusters: ['kind-lab', 'arn:aws:eks:eu-west-1:1234:cluster/prod'] })];
    const first = open({ dir });
    expect(first.append(records)).toEqual({ written: 500 });
    first.close();
    expect(readdirSync(dir).sort()).toEqual(['arn%3Aaws%3Aeks%3Aeu-west-1%3A1234%3Acluster%2Fprod', 'kind-lab']);
    // Other things in the directory are left alone.
    mkdirSync(join(dir, 'notes%zz'));
    mkdirSync(join(dir, 'Backup copy'));
    writeFileSync(join(dir, 'README'), 'x');
    const again = open({ dir });
    expect(again.recovery).toEqual([]);
    expect(again.clusters()).toEqual(['arn:aws:eks:eu-west-1:1234:cluster/prod', 'kind-lab']);
    const byId = (a: HistoryRecord, b: HistoryRecord): number => a.id.localeCompare(b.id);
    expect([...again.scan({})].sort(byId)).toEqual([...records].sort(byId));
    expect(again.health()).toMatchObject({ writable: true, records: 500, failedWrites: 0 });
  });

  it('refuses a record its reader would reject (negative waitMs), reports it, keeps the others across a reopen', () => {
    const dir = tempDir();
    const [good, bad] = [...generateRecords(2, { clusters: ['kind-lab'] })];
    if (good === undefined || bad === undefined) throw new Error('no records');
    const store = open({ dir });
    const result = store.append([{ ...bad, waitMs: -9.5 }, good]);
    expect(result.written).toBe(1);
    expect(result.error).toMatchObject({ code: 'invalid-record', message: expect.stringContaining('waitMs') });
    expect(store.health()).toMatchObject({ failedWrites: 1, records: 1 });
    store.close();
    const again = open({ dir });
    expect(again.recovery).toEqual([]);
    expect([...again.scan({})]).toEqual([good]);
  });

  it('derives context, namespaces, pods, workloads and duration from the FinishedPull', () => {
    const [pull] = [...generatePulls(1)];
    if (pull === undefined) throw new Error('no pull');
    const record = toHistoryRecord({ ...pull, queuedAt: 1000, startedAt: 3000, finishedAt: 9000 }, 'ctx-admin');
    expect(record).toMatchObject({ context: 'ctx-admin', durationMs: 8000, namespaces: [pull.pods[0]?.pod.namespace], pods: pull.pods });
    expect(record.workloads[0]).toMatch(/^.+\/Deployment\/web-0$/);
    expect(toHistoryRecord({ ...pull, queuedAt: undefined, startedAt: undefined }).durationMs).toBeUndefined();
  });
});

describe('HistoryStore queries', () => {
  const records = [...generateRecords(3000, { clusters: ['kind-lab', 'staging'], nodes: 5, startAt: 1_000_000, stepMs: 1000 })];
  const expectSame = (store: HistoryStore, filter: HistoryFilter, predicate: (r: HistoryRecord) => boolean): void => {
    const expected = records.filter(predicate);
    expect(expected.length).toBeGreaterThan(0);
    expect(store.count(filter)).toBe(expected.length);
    expect(store.query(filter, { limit: 5000 }).records.map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
  };

  // The records finish in 1970: a clock near them keeps age retention from deleting them.
  const now = (): number => 4_000_000;

  it('filters by cluster, context, node, image substring, namespace, state and time range', () => {
    const store = open({ dir: tempDir(), segmentBytes: 64 * 1024, now });
    store.append(records);
    expectSame(store, { clusters: ['staging'] }, (r) => r.cluster === 'staging');
    expectSame(store, { nodes: ['node-001', 'node-003'] }, (r) => r.node === 'node-001' || r.node === 'node-003');
    expectSame(store, { image: 'LAB/' }, (r) => r.image.toLowerCase().includes('lab/'));
    expectSame(store, { image: '日本' }, (r) => r.image.includes('日本'));
    expectSame(store, { namespaces: ['données'] }, (r) => r.namespaces.includes('données'));
    expectSame(store, { states: ['failed', 'abandoned'] }, (r) => r.state === 'failed' || r.state === 'abandoned');
    expectSame(store, { since: 1_500_000, until: 2_000_000 }, (r) => r.finishedAt >= 1_500_000 && r.finishedAt < 2_000_000);
    expectSame(
      store,
      { clusters: ['kind-lab'], nodes: ['node-002'], image: 'nginx', states: ['done'], since: 1_200_000 },
      (r) => r.cluster === 'kind-lab' && r.node === 'node-002' && r.image.includes('nginx') && r.state === 'done' && r.finishedAt >= 1_200_000,
    );
    expect(store.count({ image: 'no-such-image' })).toBe(0);
    expect(store.count({ clusters: ['nope'] })).toBe(0);
  });

  it('matches a kubeconfig context name as a cluster filter', () => {
    const store = open({ dir: tempDir() });
    const [pull] = [...generatePulls(1)];
    if (pull === undefined) throw new Error('no pull');
    store.append([toHistoryRecord({ ...pull, cluster: 'c1' }, 'admin@lab'), toHistoryRecord({ ...pull, cluster: 'c1', id: 'other' }, 'viewer@lab')]);
    expect(store.query({ clusters: ['viewer@lab'] }).records.map((r) => r.id)).toEqual(['other']);
    expect(store.count({ clusters: ['c1'] })).toBe(2);
  });

  it('pages newest first', () => {
    const store = open({ dir: tempDir(), segmentBytes: 64 * 1024, now });
    store.append(records);
    const newest = [...records].sort((a, b) => b.finishedAt - a.finishedAt);
    const page = store.query({}, { offset: 10, limit: 25 });
    expect(page.total).toBe(3000);
    expect(page.records.map((r) => r.id)).toEqual(newest.slice(10, 35).map((r) => r.id));
  });

  it('computes per-image and per-registry count, p50/p95 duration, bytes and failure rate', () => {
    const store = open({ dir: tempDir(), now });
    store.append(records);
    const stats = store.stats({}, 'registry');
    const docker = stats.find((s) => s.key === 'docker.io');
    const mine = records.filter((r) => r.registry === 'docker.io');
    const durations = mine.flatMap((r) => (r.durationMs === undefined ? [] : [r.durationMs])).sort((a, b) => a - b);
    expect(docker).toEqual({
      key: 'docker.io',
      count: mine.length,
      failed: mine.filter((r) => r.state === 'failed').length,
      failureRate: mine.filter((r) => r.state === 'failed').length / mine.length,
      p50DurationS: (durations[Math.ceil(0.5 * durations.length) - 1] ?? 0) / 1000,
      p95DurationS: (durations[Math.ceil(0.95 * durations.length) - 1] ?? 0) / 1000,
      bytesDownloaded: mine.reduce((s, r) => s + r.bytesDownloaded, 0),
    });
    expect(stats.reduce((s, g) => s + g.count, 0)).toBe(3000);
    expect(store.stats({ image: 'alpha' }, 'image').map((s) => s.key)).toEqual([LAB_IMAGES[0].image]);
  });
});

describe('HistoryStore recovery', () => {
  const fill = (dir: string, count: number): HistoryRecord[] => {
    const records = [...generateRecords(count, { clusters: ['kind-lab'] })];
    const store = HistoryStore.open({ dir, fsync: 'never' });
    store.append(records);
    store.close();
    return records;
  };

  it('truncates a record torn at every possible byte and keeps all earlier ones', () => {
    const dir = tempDir();
    const records = fill(dir, 20);
    const [segment] = segmentFiles(dir, 'kind-lab');
    if (segment === undefined) throw new Error('no segment');
    const intact = readFileSync(segment);
    const torn = encodeRecord({ ...records[0]!, id: 'torn' });
    for (const cut of [1, 8, 9, Math.floor(torn.length / 2), torn.length - 1]) {
      writeFileSync(segment, Buffer.concat([intact, torn.subarray(0, cut)]));
      const store = HistoryStore.open({ dir, fsync: 'never' });
      expect(store.recovery).toEqual([{ file: segment, offset: intact.length, bytes: cut, action: 'truncated-partial-tail', problem: 'record cut off mid-write' }]);
      expect(store.count()).toBe(20);
      store.append([{ ...records[0]!, id: 'after' }]);
      store.close();
      const reopened = HistoryStore.open({ dir, fsync: 'never' });
      expect(reopened.recovery).toEqual([]);
      expect([...reopened.scan({})].map((r) => r.id)).toContain('after');
      reopened.close();
      writeFileSync(segment, intact);
    }
  });

  it('cuts a damaged tail (complete lines with a bad checksum, e.g. zeros after a power loss)', () => {
    const dir = tempDir();
    fill(dir, 10);
    const [segment] = segmentFiles(dir, 'kind-lab');
    if (segment === undefined) throw new Error('no segment');
    const size = statSync(segment).size;
    appendFileSync(segment, Buffer.concat([Buffer.alloc(300), Buffer.from('\n'), Buffer.from('deadbeef {"v":1}\n')]));
    const store = open({ dir });
    expect(store.recovery).toEqual([{ file: segment, offset: size, bytes: 318, action: 'truncated-damaged-tail', problem: 'no checksum header' }]);
    expect(store.count()).toBe(10);
    expect(statSync(segment).size).toBe(size);
  });

  it('skips a damaged record in the middle, reports where, and keeps the records after it', () => {
    const dir = tempDir();
    const records = fill(dir, 30);
    const [segment] = segmentFiles(dir, 'kind-lab');
    if (segment === undefined) throw new Error('no segment');
    const bytes = readFileSync(segment);
    const lineStarts = [0, ...[...bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1)];
    const victim = lineStarts[12] ?? 0;
    bytes[victim + 40] = (bytes[victim + 40] ?? 0) ^ 0x20; // a flipped bit inside record 12's JSON
    writeFileSync(segment, bytes);
    const store = open({ dir });
    expect(store.recovery).toEqual([{ file: segment, offset: victim, bytes: (lineStarts[13] ?? 0) - victim, action: 'skipped-damaged-records', problem: 'checksum mismatch' }]);
    expect(store.count()).toBe(29);
    const ids = new Set([...store.scan({})].map((r) => r.id));
    expect(records.filter((r) => !ids.has(r.id)).map((r) => r.id)).toEqual([records[12]?.id]);
    // The damage is left in place for inspection and reported again; new records still append.
    store.append([{ ...records[0]!, id: 'new' }]);
    expect(store.count()).toBe(30);
  });

  it('opens a read-only view without touching a torn tail (the app may still be writing it)', () => {
    const dir = tempDir();
    fill(dir, 5);
    const [segment] = segmentFiles(dir, 'kind-lab');
    if (segment === undefined) throw new Error('no segment');
    appendFileSync(segment, '0badc0de {"v":1,');
    const size = statSync(segment).size;
    const store = open({ dir, readOnly: true });
    expect(store.count()).toBe(5);
    expect(store.recovery.map((n) => n.action)).toEqual(['ignored-partial-tail']);
    expect(statSync(segment).size).toBe(size);
    expect(store.append([...generateRecords(1)]).error?.code).toBe('read-only');
  });
});

describe('HistoryStore retention', () => {
  it('deletes whole sealed segments older than maxAge, never the one being written', () => {
    const dir = tempDir();
    const day = 24 * 3600 * 1000;
    let now = 20 * day;
    const store = open({ dir, segmentBytes: 16 * 1024, retention: { maxAgeMs: 10 * day }, now: () => now });
    // 80 days of history, one pull per hour, written while the clock still says day 20.
    store.append([...generateRecords(80 * 24, { startAt: 20 * day, stepMs: 3600 * 1000 })]);
    const before = store.count();
    expect(before).toBe(80 * 24);
    now = 100 * day;
    const { deletedSegments } = store.applyRetention();
    expect(deletedSegments).toBeGreaterThan(0);
    const left = [...store.scan({})];
    expect(left.length).toBeLessThan(before);
    // Segment granularity: the oldest record left is from the first segment still within 10 days.
    expect(Math.min(...left.map((r) => r.finishedAt))).toBeGreaterThan(now - 10 * day - 2 * day);
    expect(Math.max(...left.map((r) => r.finishedAt))).toBe(100 * day);
    store.close();
    const reopened = open({ dir, segmentBytes: 16 * 1024, retention: { maxAgeMs: 10 * day }, now: () => now });
    expect(reopened.count()).toBe(left.length);
    expect(reopened.applyRetention().deletedSegments).toBe(0);
  });

  it('keeps the total size under maxBytes by deleting the oldest segments as new ones are sealed', () => {
    const dir = tempDir();
    const store = open({ dir, segmentBytes: 32 * 1024, retention: { maxBytes: 200 * 1024 } });
    store.append([...generateRecords(3000, { clusters: ['a', 'b'] })]);
    const { bytes } = store.health();
    expect(bytes).toBeLessThanOrEqual(200 * 1024 + 2 * 32 * 1024);
    const files = [...segmentFiles(dir, 'a'), ...segmentFiles(dir, 'b')];
    expect(files.reduce((s, f) => s + statSync(f).size, 0)).toBe(bytes);
    // What is left is the newest history.
    expect(Math.max(...[...store.scan({})].map((r) => r.finishedAt))).toBe(Math.max(...[...generateRecords(3000)].map((r) => r.finishedAt)));
  });
});

describe('HistoryStore segment files', () => {
  it('rotates at segmentBytes and survives a truncated middle segment being cut to nothing', () => {
    const dir = tempDir();
    const store = HistoryStore.open({ dir, segmentBytes: 8 * 1024, fsync: 'every-record' });
    store.append([...generateRecords(100)]);
    store.close();
    const files = segmentFiles(dir, 'kind-lab');
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(8 * 1024);
    truncateSync(files[2]!, 0);
    const reopened = open({ dir, segmentBytes: 8 * 1024 });
    expect(reopened.count()).toBeLessThan(100);
    expect(reopened.recovery).toEqual([]);
  });
});

describe('saved segment indexes', () => {
  const build = (dir: string): HistoryRecord[] => {
    const records = [...generateRecords(400, { clusters: ['kind-lab'], nodes: 4 })];
    const store = HistoryStore.open({ dir, segmentBytes: 32 * 1024, fsync: 'never', retention: { maxAgeMs: Infinity } });
    store.append(records);
    store.close();
    return records;
  };
  const indexFiles = (dir: string): string[] => readdirSync(join(dir, 'kind-lab')).filter((f) => f.endsWith('.idx')).map((f) => join(dir, 'kind-lab', f));
  const summary = (store: HistoryStore) => ({
    count: store.count(),
    node1: store.query({ nodes: ['node-001'] }, { limit: 1000 }).records.map((r) => r.id),
    stats: store.stats({}, 'image'),
  });

  it('are written for every sealed segment and give the same answers as scanning', () => {
    const dir = tempDir();
    build(dir);
    const segments = segmentFiles(dir, 'kind-lab');
    expect(indexFiles(dir)).toHaveLength(segments.length - 1);
    const fromIndexes = summary(open({ dir, retention: { maxAgeMs: Infinity } }));
    stores.splice(0).forEach((s) => s.close());
    for (const f of indexFiles(dir)) rmSync(f);
    const scanned = open({ dir, retention: { maxAgeMs: Infinity } });
    expect(summary(scanned)).toEqual(fromIndexes);
    expect(fromIndexes.count).toBe(400);
    // Opening a store without index files writes them for next time.
    expect(indexFiles(dir)).toHaveLength(segments.length - 1);
  });

  it('are used only while they match their segment byte for byte', () => {
    const dir = tempDir();
    build(dir);
    const [firstIndex] = indexFiles(dir).sort();
    if (firstIndex === undefined) throw new Error('no index file');
    // Proof that the saved index is what gets loaded: rename a node inside it.
    const saved = JSON.parse(readFileSync(firstIndex, 'utf8')) as { strings: { nodes: string[] } };
    saved.strings.nodes[0] = 'renamed-in-index';
    writeFileSync(firstIndex, JSON.stringify(saved));
    const trusted = open({ dir, retention: { maxAgeMs: Infinity } });
    expect(trusted.count({ nodes: ['renamed-in-index'] })).toBeGreaterThan(0);
    stores.splice(0).forEach((s) => s.close());
    // Change one byte of the segment (same size): the CRC no longer matches, the segment is scanned.
    const [firstSegment] = segmentFiles(dir, 'kind-lab');
    if (firstSegment === undefined) throw new Error('no segment');
    const bytes = readFileSync(firstSegment);
    bytes[100] = (bytes[100] ?? 0) ^ 0x01;
    writeFileSync(firstSegment, bytes);
    const rescanned = open({ dir, retention: { maxAgeMs: Infinity } });
    expect(rescanned.count({ nodes: ['renamed-in-index'] })).toBe(0);
    expect(rescanned.recovery.map((n) => n.action)).toEqual(['skipped-damaged-records']);
    expect(rescanned.count()).toBe(399);
    stores.splice(0).forEach((s) => s.close());
    // The rebuilt index keeps reporting the damage.
    const again = open({ dir, retention: { maxAgeMs: Infinity } });
    expect(again.recovery).toEqual(rescanned.recovery);
    expect(again.count()).toBe(399);
  });

  it('fall back to scanning when the index file is not an index', () => {
    const dir = tempDir();
    build(dir);
    for (const f of indexFiles(dir)) writeFileSync(f, '{"v":1,"rows":"many"}');
    const store = open({ dir, retention: { maxAgeMs: Infinity } });
    expect(store.count()).toBe(400);
    expect(store.recovery).toEqual([]);
  });
});
