import { describe, expect, it } from 'vitest';
import type { EngineInput } from '../engine/types.ts';
import { playRecording, type Scheduler, shiftInput, timeline } from './player.ts';

const digest = 'sha256:0825863d15d1e281f27abad6433a1aba99e5543ce2939089b3e902d3111b9ddc';
const inputs: EngineInput[] = [
  { type: 'agent.connected', at: 10_000, node: 'n1', agentVersion: '0.1.0', containerdVersion: '1.6.20' },
  {
    type: 'ingests.observed',
    at: 11_000,
    node: 'n1',
    ingests: [{ ref: `layer-${digest}`, kind: 'layer', digest, offset: 0, total: 5_245_351, startedAt: 10_900, updatedAt: 10_900 }],
  },
  { type: 'ingest.gone', at: 12_200, node: 'n1', ref: `layer-${digest}`, digest, outcome: 'committed' },
];

/** A manual clock: timers fire only when the test advances time. */
function manualScheduler(): Scheduler & { advance(ms: number): void } {
  let now = 0;
  let timers: { due: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      timers.push({ due: now + ms, fn, id: ++nextId });
      return nextId;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== handle);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.due;
        due.fn();
      }
      now = end;
    },
  };
}

describe('replay player', () => {
  it('shifts every timestamp of an input, including ingest times', () => {
    const shifted = shiftInput(inputs[1]!, 1_000);
    expect(shifted).toMatchObject({ at: 12_000, ingests: [{ startedAt: 11_900, updatedAt: 11_900 }] });
    expect(inputs[1]).toMatchObject({ at: 11_000 });
  });

  it('interleaves ticks in quiet gaps and never goes back in time across loops', () => {
    const seq = timeline(inputs, { loop: true, tickEveryMs: 500, loopGapMs: 1_000 });
    const first10 = Array.from({ length: 10 }, () => seq.next().value as EngineInput);
    expect(first10.map((i) => `${i.type}@${i.at}`)).toEqual([
      'agent.connected@10000', 'tick@10500', 'ingests.observed@11000', 'tick@11500', 'tick@12000',
      'ingest.gone@12200', 'tick@12700',
      // second loop: shifted by the recording's length (2.2 s) plus the 1 s gap
      'agent.connected@13200', 'tick@13700', 'ingests.observed@14200',
    ]);
  });

  it('gives replayed kubelet events a new uid each loop, so the engine does not drop them as duplicates', () => {
    const event: EngineInput = {
      type: 'kube.event', at: 10_000, uid: 'ev-1', count: 1, node: 'n1', reason: 'Pulling',
      message: 'Pulling image "127.0.0.1:5001/lab/small:v1"', pod: { namespace: 'default', name: 'p', uid: 'pod-1' },
    };
    const seq = timeline([event, inputs[1]!], { loop: true, tickEveryMs: 10_000 });
    const uids = Array.from({ length: 6 }, () => seq.next().value as EngineInput)
      .flatMap((i) => (i.type === 'kube.event' ? [i.uid] : []));
    expect(uids).toEqual(['ev-1', 'ev-1#loop1', 'ev-1#loop2']);
  });

  it('rebases the recording to a chosen start time', () => {
    const seq = [...timeline(inputs, { rebaseTo: 1_000_000 })];
    expect(seq[0]?.at).toBe(1_000_000);
    expect(seq.at(-1)?.at).toBe(1_002_200);
  });

  it('delivers at the recorded pace scaled by speed', async () => {
    const scheduler = manualScheduler();
    const got: EngineInput[] = [];
    const player = playRecording(inputs, (i) => got.push(i), { speed: 2, tickEveryMs: 10_000 }, scheduler);
    expect(got.map((i) => i.type)).toEqual(['agent.connected']);
    scheduler.advance(499); // 998 ms of engine time
    expect(got).toHaveLength(1);
    scheduler.advance(1); // 1 s of engine time at 2x
    expect(got.map((i) => i.type)).toEqual(['agent.connected', 'ingests.observed']);
    scheduler.advance(600);
    expect(got.map((i) => i.at)).toEqual([10_000, 11_000, 12_200]);
    await player.finished;
  });

  it('stops delivering when stopped', async () => {
    const scheduler = manualScheduler();
    const got: EngineInput[] = [];
    const player = playRecording(inputs, (i) => got.push(i), { loop: true }, scheduler);
    player.stop();
    scheduler.advance(60_000);
    expect(got).toHaveLength(1);
    await player.finished;
    expect(() => playRecording(inputs, () => {}, { speed: 0 }, scheduler)).toThrow(/speed/);
  });
});
