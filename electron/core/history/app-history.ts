// Plugs the persistent store into the app's history port (electron/core/app/ports.ts), in place of
// the in-memory session history: finished pulls from every engine are appended, history queries and
// exports are answered from disk. A failing disk is reported through `onError` (once per failure
// episode, not once per pull) and never thrown into the live pipeline. Fed the drains' upserts too
// (`observe`), it stores each pull's download-rate series with its record (throughput.ts).
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { HistoryQuery } from '../bridge/contract.ts';
import type { HistoryRows, HistoryStore as HistoryPort } from '../app/ports.ts';
import type { FinishedPull, PullView } from '../engine/types.ts';
import { writeCsv } from './csv.ts';
import type { HistoryError } from './errors.ts';
import type { HistoryFilter } from './query.ts';
import { toHistoryRecord } from './record.ts';
import type { HistoryStore } from './store.ts';
import { ThroughputSampler } from './throughput.ts';

const DEFAULT_LIMIT = 500;
const EXPORT_LIMIT = 10_000;

export interface AppHistoryOptions {
  /** kubeconfig context of a cluster, when the engine's cluster name is not the context name. */
  contextOf?: (cluster: string) => string | undefined;
  /** Called when writing starts failing, and with `undefined` once it works again. */
  onError?: (error: HistoryError | undefined) => void;
}

/** The bridge's query (`to` inclusive, `text` matching image or node) as a store filter. */
export function filterOf(query: HistoryQuery): HistoryFilter {
  return {
    clusters: query.cluster === undefined ? undefined : [query.cluster],
    states: query.state === undefined ? undefined : [query.state],
    text: query.text === undefined || query.text === '' ? undefined : query.text,
    since: query.from,
    // Times are whole milliseconds: finishedAt ≤ to  ⇔  finishedAt < to + 1.
    until: query.to === undefined ? undefined : query.to + 1,
  };
}

/** The app's history port, plus `observe`: the app passes each drain's upserts (before its
 * finished pulls) so that records carry a throughput series. */
export interface AppHistory extends HistoryPort {
  observe(pulls: readonly PullView[]): void;
}

export function createAppHistory(store: HistoryStore, options: AppHistoryOptions = {}): AppHistory {
  let failing = false;
  const sampler = new ThroughputSampler();
  return {
    observe(pulls) {
      sampler.observe(pulls);
    },
    record(pulls: readonly FinishedPull[]) {
      const fresh = pulls.filter((p) => !alreadyRecorded(store, p));
      const { error } = store.append(fresh.map((p) => toHistoryRecord(p, options.contextOf?.(p.cluster), sampler.finish(p))));
      if ((error !== undefined) !== failing) {
        failing = error !== undefined;
        options.onError?.(error);
      }
    },
    async query(query): Promise<HistoryRows> {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const { total, records } = store.query(filterOf(query), { limit });
      return { rows: records, truncated: total > records.length };
    },
    async exportCsv(query) {
      // The port returns the CSV as text (serve mode downloads it), so this one is bounded; a
      // file export streams instead: writeCsv(store.scan(filter), createWriteStream(path)).
      const { records } = store.query(filterOf(query), { limit: query.limit ?? EXPORT_LIMIT });
      const out = new PassThrough();
      const text = buffer(out);
      const rows = await writeCsv(records.reverse(), out);
      return { csv: (await text).toString('utf8'), rows };
    },
  };
}

/** Finish times of one pull seen twice differ by kubelet's 1 s timestamp resolution and the agent's
 * lead on kubelet's Pulled event; two real attempts of one pod are ≥ 10 s apart (kubelet's first
 * image-pull back-off). */
const SAME_PULL_WINDOW_MS = 5_000;

/** After a restart the engine re-reads kubelet's events (kept an hour) and finishes the pulls they
 * describe again. A record of the same node, image, state and pod finished within a few seconds of
 * this one is that same pull: it is not recorded twice. (A pull that ended while the app was down
 * has no such record and is recorded.) Not for `cached`: kubelet reports an image already present
 * once per container start, and a container that crashed is started again at once (kubelet's
 * back-off begins at the second crash), so two of them for one pod within the window are two
 * starts; a restart's re-read never finishes one again (the first list's outcomes are dropped,
 * kube/events-backlog.ts). Seen in the lab: the agent's own pod, killed seconds after it started. */
function alreadyRecorded(store: HistoryStore, pull: FinishedPull): boolean {
  if (pull.pods.length === 0 || pull.state === 'cached') return false;
  const uids = new Set(pull.pods.map((p) => p.pod.uid));
  const { records } = store.query(
    { clusters: [pull.cluster], nodes: [pull.node], states: [pull.state], since: pull.finishedAt - SAME_PULL_WINDOW_MS, until: pull.finishedAt + SAME_PULL_WINDOW_MS + 1 },
    { limit: 50 },
  );
  return records.some((r) => r.image === pull.image && r.pods.some((p) => uids.has(p.pod.uid)));
}
