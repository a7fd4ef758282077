// Starts the core in a worker thread and relays to it: the shell's side of protocol.ts.
//
// Why a worker. The main thread keeps Electron's windows, menus and IPC responsive while the
// engines drain thousands of pulls. And the core gets a V8 heap sized for it: in the main process
// V8 sizes the young generation from the machine's memory (two 64 MiB semi-spaces on a 24 GiB
// machine, all resident once a burst of new state has filled them) and lets the old generation
// grow to about four times what survives a full GC before collecting. A worker's heap is set by
// `resourceLimits`; Electron's main-process heap cannot be set from the app at all (V8 flags for
// it are taken from the command line only). Measured with the engine benchmark: docs/engine.md,
// "Memory".
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { PullNotification, ServerMessage } from '../bridge/contract.ts';
import { parseFromWorker, type CoreWorkerOptions, type ToWorker } from './protocol.ts';
import type { AskSavePath } from './save-dialog.ts';

/** The core's heap (MiB). Young: V8 gives a third to each semi-space (4 MiB, instead of up to
 * 64 MiB each in a main process on a large machine; 8 MiB until session 8, which measured the
 * smaller one at ~10 MiB less peak RSS for the same CPU). Old: far above what a large cluster needs
 * (the benchmark's 10 k pulls / 200 k layers retain ~106 MiB with the harness), and low enough that
 * V8 collects before the old generation has grown to several times the live heap: V8 scales its
 * heap growing factor with this limit. Measured with the engine benchmark (docs/engine.md,
 * "Memory"): peak RSS 272–334 MiB (five runs) against 330–365 MiB in-process, at the same CPU. A core
 * that exceeds it stops with ERR_WORKER_OUT_OF_MEMORY, and onExit says so. */
export const CORE_HEAP_LIMITS = { maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: 1024 } as const;

/** The old generation's first collection limit (MiB). Without it V8 starts a heap of this maximum
 * with a high first limit and lets the old generation grow far past the live state before its first
 * full GC, and the pages it took stay resident. Engine benchmark, session 7 (docs/engine.md,
 * "Memory"): peak RSS 322–389 MiB without it (8 runs, median 362), 298–341 with 128 (10 runs,
 * median 310). */
const CORE_INITIAL_OLD_SPACE_MB = 128;

/** After each full GC, the old generation may grow by this share of what survived before the next
 * one starts. V8's own factor for a 1 GiB limit is ~1.6 (up to 4 for larger limits): the core's
 * live state is mostly long-lived (pulls and layers in the window), so most of what accumulates
 * between full GCs is garbage, resident until collected. Engine benchmark, session 8
 * (docs/engine.md, "Memory"): peak RSS median ~300 MiB with 20 % against ~316 without (same
 * CPU: more frequent full GCs, each marking the same live heap concurrently). */
const CORE_HEAP_GROWING_PERCENT = 20;

/** The Worker options that size a core isolate's heap. Node's `resourceLimits` has no field for the
 * initial limit or the growing factor, so the V8 flags are set process-wide first: the initial
 * limit is read only by isolates created afterwards, the growing factor at every full GC of every
 * isolate (Electron's main isolate, which holds little, included; renderers are other
 * processes). */
export function coreHeapOptions(): { resourceLimits: typeof CORE_HEAP_LIMITS } {
  setFlagsFromString(`--initial-old-space-size=${CORE_INITIAL_OLD_SPACE_MB}`);
  setFlagsFromString(`--heap-growing-percent=${CORE_HEAP_GROWING_PERCENT}`);
  return { resourceLimits: CORE_HEAP_LIMITS };
}

const CLOSE_TIMEOUT_MS = 5_000;

/** One renderer's bridge session, run by the core; main only relays. */
export interface HostSession {
  receive(raw: unknown): void;
  close(): void;
}

export interface SessionOpener {
  openSession(send: (message: ServerMessage) => void, appVersion: string): HostSession;
}

export interface CoreHostOptions {
  /** The worker's entry: out/main/core-worker.js in the app, worker-entry.ts in a checkout. */
  entry: URL | string;
  core: CoreWorkerOptions;
  askSavePath?: AskSavePath;
  onNotification?: (notification: PullNotification) => void;
  /** The worker ended without being asked to, after it was ready (out of memory, a defect). One
   * that fails to start is reported by `ready` instead. */
  onExit?: (reason: string) => void;
  log?: (message: string) => void;
}

export interface CoreHost extends SessionOpener {
  /** Resolves once the core is built; rejects if the worker ends first. */
  ready: Promise<void>;
  /** Closes every session and the core (streams, watches, history), then ends the worker. */
  close(): Promise<void>;
}

export function startCoreHost(options: CoreHostOptions): CoreHost {
  const log = options.log ?? ((message: string) => console.warn(`[pulltrace] ${message}`));
  const worker = new Worker(options.entry, { workerData: options.core, ...coreHeapOptions() });
  const sessions = new Map<number, (message: ServerMessage) => void>();
  let nextSession = 1;
  let state: 'running' | 'closing' | 'gone' = 'running';
  let lastError: Error | undefined;
  let wasReady = false;
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  // Handled here too: a worker that dies before anyone awaits `ready` is reported by onExit.
  ready.catch(() => {});
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const post = (message: ToWorker): void => {
    if (state !== 'gone') worker.postMessage(message);
  };

  const answerSavePath = async (request: number, defaultName: string): Promise<void> => {
    let path: string | null = null;
    try {
      path = (await options.askSavePath?.(defaultName)) ?? null;
    } catch (error) {
      log(`save dialog: ${error instanceof Error ? error.message : String(error)}`);
    }
    post({ type: 'save-path', request, path });
  };

  worker.on('message', (raw: unknown) => {
    const message = parseFromWorker(raw);
    if (message === undefined) return log('core worker: malformed message ignored');
    switch (message.type) {
      case 'ready':
        wasReady = true;
        markReady();
        break;
      case 'session.message':
        sessions.get(message.session)?.(message.message);
        break;
      case 'notification':
        options.onNotification?.(message.notification);
        break;
      case 'save-path.ask':
        void answerSavePath(message.request, message.defaultName);
        break;
      case 'closed':
        break;
    }
  });
  worker.on('error', (error) => {
    lastError = error;
  });
  worker.on('exit', (code) => {
    const expected = state === 'closing';
    state = 'gone';
    sessions.clear();
    const reason = lastError === undefined ? `core worker exited with code ${code}` : `core worker failed: ${lastError.message}`;
    failReady(new Error(reason));
    markClosed();
    if (!expected && wasReady) options.onExit?.(reason);
  });

  return {
    ready,
    openSession(send, appVersion) {
      const session = nextSession++;
      sessions.set(session, send);
      post({ type: 'session.open', session, appVersion });
      return {
        receive: (raw) => post({ type: 'session.command', session, raw }),
        close: () => {
          if (sessions.delete(session)) post({ type: 'session.close', session });
        },
      };
    },
    close() {
      if (state === 'running') {
        state = 'closing';
        post({ type: 'shutdown' });
        // A core that does not finish closing in time is stopped: quitting must not hang.
        const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
        void closed.then(() => clearTimeout(timer));
      }
      return closed;
    },
  };
}
