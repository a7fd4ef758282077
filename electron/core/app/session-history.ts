// The history of this session, in memory: finished pulls the engines emitted since the app
// started, newest first, bounded. It answers history queries and CSV exports until the persistent
// store of electron/core/history is plugged in through the same HistoryStore port.
import { stringify } from 'csv-stringify/sync';
import type { FinishedPull } from '../engine/types.ts';
import type { HistoryQuery } from '../bridge/contract.ts';
import type { HistoryRows, HistoryStore } from './ports.ts';

const csvColumns = [
  'cluster', 'node', 'image', 'digest', 'state', 'error', 'queuedAt', 'startedAt', 'finishedAt',
  'waitMs', 'downloadMs', 'unpackMs', 'bytesTotal', 'bytesDownloaded', 'bytesCached', 'avgRate', 'peakRate', 'layerCount', 'pods',
] as const;
const defaultLimit = 500;

export function createSessionHistory(capacity = 20_000): HistoryStore {
  // Oldest first; trimming from the front keeps the newest `capacity` pulls.
  const pulls: FinishedPull[] = [];

  const select = (q: HistoryQuery): HistoryRows => {
    const limit = q.limit ?? defaultLimit;
    const text = q.text?.toLowerCase();
    const rows: FinishedPull[] = [];
    for (let i = pulls.length - 1; i >= 0; i--) {
      const p = pulls[i];
      if (p === undefined) continue;
      if (q.cluster !== undefined && p.cluster !== q.cluster) continue;
      if (q.state !== undefined && p.state !== q.state) continue;
      if (q.from !== undefined && p.finishedAt < q.from) continue;
      if (q.to !== undefined && p.finishedAt > q.to) continue;
      if (text !== undefined && !matchesText(p, text)) continue;
      if (rows.length === limit) return { rows, truncated: true };
      rows.push(p);
    }
    return { rows, truncated: false };
  };

  return {
    record(finished) {
      pulls.push(...finished);
      if (pulls.length > capacity) pulls.splice(0, pulls.length - capacity);
    },
    query: async (query) => select(query),
    async exportCsv(query) {
      const { rows } = select({ ...query, limit: query.limit ?? 10_000 });
      const records = rows.map((p) => ({
        ...p,
        digest: p.digest ?? '',
        error: p.error ? `${p.error.reason}: ${p.error.message}` : '',
        startedAt: iso(p.startedAt),
        queuedAt: iso(p.queuedAt),
        finishedAt: iso(p.finishedAt),
        pods: p.pods.map((w) => `${w.pod.namespace}/${w.pod.name}`).join(' '),
      }));
      return { csv: stringify(records, { header: true, columns: [...csvColumns] }), rows: rows.length };
    },
  };
}

function matchesText(p: FinishedPull, text: string): boolean {
  return p.image.toLowerCase().includes(text) || p.node.toLowerCase().includes(text) || p.pods.some((w) => w.pod.name.toLowerCase().includes(text));
}

function iso(at: number | undefined): string {
  return at === undefined ? '' : new Date(at).toISOString();
}
