// Records one agent's Watch stream, translated to engine inputs, into an NDJSON recording
// (electron/core/replay format): the replay demo, bug reports and engine regression tests. Given
// the cluster, it also records what the kube layer sees of the same node — kubelet's pull events
// and the node's pods, through the app's own watches (kube/cluster-watches.ts) — so a replay
// drives the engine's pod correlation as a live cluster does.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentInput, EngineInput, KubeInput } from '../engine/types.ts';
import { ClusterWatches } from '../kube/cluster-watches.ts';
import type { WatchStatus } from '../kube/list-watch.ts';
import { createRecordingWriter } from '../replay/files.ts';
import { RECORDING_FORMAT, RECORDING_VERSION } from '../replay/recording.ts';
import { connectAgent } from './agent-client.ts';
import { FrameTranslator } from './frames-to-inputs.ts';

export interface RecordOptions {
  host: string;
  port: number;
  out: string;
  cluster: string;
  /** what was recorded, e.g. "lab containerd 1.6.20, CRI pulls alpha+beta at 2 MB/s" */
  source: string;
  note?: string;
  /** node name for the inputs; defaults to the agent's Hello */
  node?: string;
  /** stop after this long */
  maxDurationMs: number;
  /** stop once no ingest has been live for this long, after at least one was (0: never) */
  untilIdleMs: number;
  signal?: AbortSignal;
  /** called once the stream is open (e.g. to start the pulls being recorded) */
  onReady?: () => void;
  /** the node's cluster: its kubelet events and pods are recorded too (only those of
   * `namespaces` when given: a fixture from a shared cluster keeps to its own pods) */
  kube?: { config: () => KubeConfig; namespaces?: readonly string[]; onStatus?: (status: WatchStatus) => void };
}

export interface RecordResult {
  frames: number;
  inputs: number;
  /** of `inputs`, those from the kube watches */
  kubeInputs: number;
  stoppedBecause: 'idle' | 'duration' | 'aborted';
}

/** kubelet stamps events to the second: an event up to this much older than the recording's start
 * may be one of its pulls; older ones are the node's history (the watch's initial list). */
const KUBELET_CLOCK_SLACK_MS = 1_000;

/** Whether a kube input is about this node (and these namespaces) and this recording. */
export function kubeInputForNode(input: KubeInput, node: string, startedAt: number, namespaces?: readonly string[]): boolean {
  if (input.node !== node) return false;
  if (namespaces?.length && (input.type === 'kube.node.removed' || !namespaces.includes(input.pod.namespace))) return false;
  return input.type !== 'kube.event' || input.at >= startedAt - KUBELET_CLOCK_SLACK_MS;
}

export async function recordAgent(opts: RecordOptions): Promise<RecordResult> {
  const session = connectAgent({ host: opts.host, port: opts.port, clientName: 'pulltrace-record' });
  const frames = session.frames();
  const hello = await session.hello;
  const writer = createRecordingWriter(opts.out, {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    cluster: opts.cluster,
    recordedAt: Date.now(),
    source: `${opts.source} (agent ${hello.agentVersion}, containerd ${hello.containerdVersion || 'unreachable'})`,
    ...(opts.note ? { note: opts.note } : {}),
  });
  const translator = new FrameTranslator(opts.node);
  const node = opts.node ?? hello.node;
  const startedAt = Date.now();
  let frameCount = 0;
  let inputCount = 0;
  let kubeInputs = 0;
  // Lines are in arrival order, as the live engine receives them. A recording's time never goes
  // backwards, and kubelet's timestamps (1 s resolution) can trail the agent's frames: such an
  // input is written at the time of the line before it.
  let lastAt = 0;
  const write = (input: EngineInput): void => {
    lastAt = Math.max(lastAt, input.at);
    writer.write(input.at === lastAt ? input : { ...input, at: lastAt });
    inputCount++;
  };
  const watches = opts.kube
    ? new ClusterWatches({
        config: opts.kube.config,
        status: opts.kube.onStatus,
        sink: (input) => {
          if (!kubeInputForNode(input, node, startedAt, opts.kube?.namespaces)) return;
          write(input);
          kubeInputs++;
        },
      })
    : undefined;
  watches?.start();
  let sawIngest = false;
  let idleSince: number | null = null;
  let stoppedBecause: RecordResult['stoppedBecause'] = 'duration';
  const stopAt = Date.now() + opts.maxDurationMs;
  const timer = setTimeout(() => session.close(), opts.maxDurationMs);
  const abort = (): void => {
    stoppedBecause = 'aborted';
    session.close();
  };
  opts.signal?.addEventListener('abort', abort, { once: true });
  opts.onReady?.();
  try {
    for await (const frame of frames) {
      frameCount++;
      const now = Date.now();
      const inputs: AgentInput[] = translator.translate(frame, { at: now });
      for (const input of inputs) write(input);
      const live = frame.body === 'heartbeat' ? frame.heartbeat.liveIngests : frame.body === 'snapshot' ? frame.snapshot.ingests.length : null;
      if (frame.body === 'ingests' || (live !== null && live > 0)) sawIngest = true;
      if (live !== null) idleSince = live === 0 ? (idleSince ?? now) : null;
      if (frame.body === 'ingests') idleSince = null;
      if (opts.untilIdleMs > 0 && sawIngest && idleSince !== null && now - idleSince >= opts.untilIdleMs) {
        stoppedBecause = 'idle';
        break;
      }
      if (now >= stopAt) break;
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', abort);
    watches?.stop();
    session.close();
    await writer.close();
  }
  return { frames: frameCount, inputs: inputCount, kubeInputs, stoppedBecause };
}
