// Records one agent's Watch stream, translated to engine inputs, into an NDJSON recording
// (electron/core/replay format): the replay demo, bug reports and engine regression tests.
import type { AgentInput } from '../engine/types.ts';
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
}

export interface RecordResult {
  frames: number;
  inputs: number;
  stoppedBecause: 'idle' | 'duration' | 'aborted';
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
  let frameCount = 0;
  let inputCount = 0;
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
      for (const input of inputs) writer.write(input);
      inputCount += inputs.length;
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
    session.close();
    await writer.close();
  }
  return { frames: frameCount, inputs: inputCount, stoppedBecause };
}
