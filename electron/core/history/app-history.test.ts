import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHistory } from './app-history.ts';
import { HistoryStore } from './store.ts';
import { generatePulls } from './test-records.ts';
import { MAX_POINTS } from './throughput.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const START = Date.UTC(2026, 10, 1);
const pulls = [...generatePulls(300, { clusters: ['kind-lab', 'prod'], startAt: START, stepMs: 1000 })];

function openApp(): { store: HistoryStore; app: ReturnType<typeof createAppHistory>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pulltrace-app-history-'));
  dirs.push(dir);
  const store = HistoryStore.open({ dir, fsync: 'never', now: () => START });
  return { store, app: createAppHistory(store, { contextOf: (c) => `${c}-ctx` }), dir };
}

describe('app history port backed by the store', () => {
  it('records finished pulls and answers the bridge queries from disk after a restart', async () => {
    const { store, app, dir } = openApp();
    app.record(pulls);
    store.close();
    const reopened = HistoryStore.open({ dir, fsync: 'never', now: () => START });
    const again = createAppHistory(reopened);
    const to = START + 200_000;
    const { rows, truncated } = await again.query({ cluster: 'prod-ctx', state: 'done', from: START + 100_000, to, text: 'NODE-00', limit: 10 });
    const expected = pulls
      .filter((p) => p.cluster === 'prod' && p.state === 'done' && p.finishedAt >= START + 100_000 && p.finishedAt <= to && p.node.includes('node-00'))
      .sort((a, b) => b.finishedAt - a.finishedAt);
    expect(rows.map((r) => r.id)).toEqual(expected.slice(0, 10).map((p) => p.id));
    expect(truncated).toBe(expected.length > 10);
    expect(rows[0]).toMatchObject({ pods: expected[0]?.pods, bytesTotal: expected[0]?.bytesTotal });
    const { rows: byImage } = await again.query({ text: '日本語', limit: 1000 });
    expect(byImage.length).toBe(pulls.filter((p) => p.image.includes('日本語')).length);
    reopened.close();
  });

  it('after a restart, a pull finished again from re-read kubelet events is not recorded twice; a later attempt is', async () => {
    const { store, app, dir } = openApp();
    const first = pulls.find((p) => p.pods.length > 0 && p.state === 'done');
    if (first === undefined) throw new Error('no pull with pods');
    app.record([first]);
    store.close();
    const reopened = HistoryStore.open({ dir, fsync: 'never', now: () => START });
    const again = createAppHistory(reopened);
    // The new engine numbers attempts afresh and dates the pull from kubelet's event (1 s resolution).
    const replayed = { ...first, id: `${first.node}/${first.image}#1`, finishedAt: first.finishedAt + 1_200, source: 'events' as const, bytesDownloaded: 0 };
    const retried = { ...first, id: `${first.node}/${first.image}#2`, finishedAt: first.finishedAt + 15_000 };
    const podless = { ...first, id: 'agent-only', pods: [], finishedAt: first.finishedAt + 500 };
    again.record([replayed, retried, podless]);
    const rows = reopened.query({ clusters: [first.cluster], nodes: [first.node] }, { limit: 100 }).records.filter((r) => r.image === first.image);
    expect(rows.map((r) => r.id).sort()).toEqual([first.id, retried.id, podless.id].sort());
    reopened.close();
  });

  it('records every container start of a pod whose image is present, however close together', () => {
    const { store, app } = openApp();
    const first = pulls.find((p) => p.pods.length > 0 && p.state === 'cached');
    if (first === undefined) throw new Error('no cached pull with pods');
    // A container killed and started again at once: kubelet's second "already present" 2 s later.
    const restarted = { ...first, id: `${first.node}/${first.image}#restart`, finishedAt: first.finishedAt + 2_000 };
    app.record([first]);
    app.record([restarted]);
    const rows = store.query({ clusters: [first.cluster], nodes: [first.node], states: ['cached'] }, { limit: 100 }).records.filter((r) => r.image === first.image);
    expect(rows.map((r) => r.id).sort()).toEqual([first.id, restarted.id].sort());
    store.close();
  });

  it('stores the download-rate series sampled from the drains with the finished pull, across a restart', async () => {
    const { store, app, dir } = openApp();
    // Between 5 s and MAX_POINTS seconds long: one bucket per second.
    const [pull] = pulls.filter((p) => p.state === 'done' && (p.downloadMs ?? 0) > 5000 && (p.downloadMs ?? 0) <= MAX_POINTS * 1000);
    if (pull === undefined || pull.startedAt === undefined || pull.downloadMs === undefined) throw new Error('no long pull in the test data');
    const startedAt = pull.startedAt;
    const seconds = Math.floor(pull.downloadMs / 1000);
    // What the engine's drains send while it downloads: its view about once a second.
    for (let s = 1; s <= seconds; s++) {
      app.observe([{ id: pull.id, cluster: pull.cluster, node: pull.node, image: pull.image, registry: pull.registry, repository: pull.repository, state: 'downloading', phases: { downloadingAt: startedAt }, bytes: { done: Math.round((pull.bytesDownloaded * s * 1000) / pull.downloadMs), total: pull.bytesTotal, cached: 0, totalKnown: true }, rate: pull.avgRate, etaSeconds: null, pods: pull.pods, source: 'both', updatedAt: startedAt + s * 1000 }]);
    }
    app.record([pull, ...pulls.filter((p) => p !== pull).slice(0, 5)]);
    store.close();
    const reopened = HistoryStore.open({ dir, fsync: 'never', now: () => START });
    const stored = [...reopened.scan({})];
    const withSeries = stored.find((r) => r.id === pull.id && r.cluster === pull.cluster);
    expect(withSeries?.throughput).toMatchObject({ startAt: startedAt, stepMs: 1000 });
    expect(withSeries?.throughput?.bytesPerSecond).toHaveLength(Math.ceil(pull.downloadMs / 1000));
    for (const rate of withSeries?.throughput?.bytesPerSecond.slice(0, -1) ?? []) expect(Math.abs(rate - pull.avgRate) / pull.avgRate).toBeLessThan(0.01);
    // Pulls never seen downloading have none.
    expect(stored.filter((r) => r.throughput !== undefined)).toHaveLength(1);
    reopened.close();
  });

  it('exports CSV text oldest first', async () => {
    const { store, app } = openApp();
    app.record(pulls);
    const { csv, rows } = await app.exportCsv({ cluster: 'kind-lab' });
    const parsed = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows).toBe(pulls.filter((p) => p.cluster === 'kind-lab').length);
    expect(parsed.map((r) => r.pull_id)).toEqual(pulls.filter((p) => p.cluster === 'kind-lab').map((p) => p.id));
    expect(parsed[0]?.context).toBe('kind-lab-ctx');
    store.close();
  });

  it('reports a write failure once, keeps accepting pulls, and reports the recovery', () => {
    const { store, dir } = openApp();
    const events: (string | undefined)[] = [];
    const app = createAppHistory(store, { onError: (e) => events.push(e?.code) });
    // Closed, so that nothing keeps writing to an open descriptor of the deleted directory's file.
    store.close();
    // The history directory is replaced by a file under the app's feet: every write fails.
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'not a directory');
    expect(() => app.record(pulls.slice(0, 5))).not.toThrow();
    expect(() => app.record(pulls.slice(5, 10))).not.toThrow();
    expect(events).toEqual(['not-a-directory']);
    expect(store.health()).toMatchObject({ writable: false, failedWrites: 10 });
    rmSync(dir);
    app.record(pulls.slice(10, 12));
    expect(events).toEqual(['not-a-directory', undefined]);
    expect(store.count()).toBe(2);
    store.close();
  });
});
