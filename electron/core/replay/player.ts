// Plays a recording into a sink (usually an engine's apply) at the recorded pace.
//
// The inputs keep their recorded spacing in engine time: a recording replayed at 4× speed still
// tells the engine that a layer took 16 s, so rates and durations stay those of the real pull.
// Each loop, and the optional rebase to "now", shifts every timestamp in the input (including the
// ingests' startedAt/updatedAt) by the same amount, so time never goes backwards for the engine.
// Ticks are interleaved between inputs so stall detection and rate decay run during quiet gaps.
// From the second loop on, kubelet event uids get a loop suffix: the engine applies an event
// (uid, count) once, so a replayed event with its original uid would be dropped as a duplicate.
import type { EngineInput } from '../engine/types.ts';

export interface PlayerOptions {
  /** Delivery speed: 2 plays a 60 s recording in 30 s of wall time. */
  speed?: number;
  loop?: boolean;
  /** Shift the recording so its first input happens at this time (e.g. the wall clock at start). */
  rebaseTo?: number;
  /** Engine-time spacing of the ticks inserted between inputs. */
  tickEveryMs?: number;
  /** Engine-time pause between the end of one loop and the start of the next. */
  loopGapMs?: number;
}

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function shiftInput(input: EngineInput, deltaMs: number, loop = 0): EngineInput {
  if (deltaMs === 0 && loop === 0) return input;
  const at = input.at + deltaMs;
  if (input.type === 'kube.event' && loop > 0) return { ...input, at, uid: `${input.uid}#loop${loop}` };
  if (input.type === 'agent.snapshot' || input.type === 'ingests.observed') {
    return {
      ...input,
      at,
      ingests: input.ingests.map((i) => ({ ...i, startedAt: i.startedAt + deltaMs, updatedAt: i.updatedAt + deltaMs })),
    };
  }
  return { ...input, at };
}

/** The engine-time sequence a player delivers: shifted inputs with ticks between them. Endless
 * when looping (callers pull lazily). */
export function* timeline(inputs: readonly EngineInput[], options: PlayerOptions = {}): Generator<EngineInput> {
  const first = inputs[0];
  const last = inputs[inputs.length - 1];
  if (first === undefined || last === undefined) return;
  const tickEvery = options.tickEveryMs ?? 500;
  const loopLength = last.at - first.at + (options.loopGapMs ?? 3_000);
  let shift = options.rebaseTo === undefined ? 0 : options.rebaseTo - first.at;
  let clock = first.at + shift;
  let loop = 0;
  do {
    for (const input of inputs) {
      const shifted = shiftInput(input, shift, loop);
      for (let t = clock + tickEvery; t < shifted.at; t += tickEvery) yield { type: 'tick', at: t };
      clock = shifted.at;
      yield shifted;
    }
    shift += loopLength;
    loop++;
  } while (options.loop === true);
}

export interface Player {
  stop(): void;
  /** Resolves when a non-looping recording has been fully delivered (or the player is stopped). */
  readonly finished: Promise<void>;
}

/** Starts delivering at once; inputs whose time has come are delivered together (catch-up), so a
 * slow sink never makes the player fall further behind. */
export function playRecording(
  inputs: readonly EngineInput[],
  sink: (input: EngineInput) => void,
  options: PlayerOptions = {},
  scheduler: Scheduler = realScheduler,
): Player {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`replay speed must be > 0, got ${speed}`);
  const items = timeline(inputs, options);
  const wallStart = scheduler.now();
  let next = items.next();
  const engineStart = next.done ? 0 : next.value.at;
  let handle: unknown;
  let stopped = false;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });

  const pump = (): void => {
    if (stopped) return;
    const engineNow = engineStart + (scheduler.now() - wallStart) * speed;
    while (!next.done && next.value.at <= engineNow) {
      sink(next.value);
      next = items.next();
    }
    if (next.done) {
      resolveFinished();
      return;
    }
    const waitMs = Math.max(0, (next.value.at - engineNow) / speed);
    handle = scheduler.setTimeout(pump, waitMs);
  };
  pump();

  return {
    stop() {
      stopped = true;
      scheduler.clearTimeout(handle);
      resolveFinished();
    },
    finished,
  };
}
