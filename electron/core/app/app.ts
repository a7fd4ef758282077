// The composition root of the core: one engine per cluster (live contexts and the replay demo),
// fanned out to every bridge session, the history store and the notifier; and the handler of the
// renderer's commands. Runs under plain Node (serve mode, tests) and inside Electron's main process.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createEngine, defaultEngineConfig } from '../engine/index.ts';
import type { EngineDelta } from '../engine/types.ts';
import type { ClusterStatus, Command, CommandResult, PullNotification } from '../bridge/contract.ts';
import type { CommandHandler } from '../bridge/session.ts';
import type { CoreSnapshot, CoreStateSource, CoreUpdate } from '../bridge/updates.ts';
import { loadRecording } from '../replay/files.ts';
import { playRecording, type Player } from '../replay/player.ts';
import { PullNotifier } from './notifier.ts';
import { CommandError, type AgentInstaller, type ClusterConnection, type ClusterConnector, type ContextSource, type EngineFactory, type HistoryStore, type PullEngine } from './ports.ts';
import { createSettingsStore, type SettingsStore } from './settings.ts';

/** Pause between two loops of the demo's longest recording. */
const DEMO_LOOP_GAP_MS = 5_000;

export interface AppOptions {
  /** One engine per cluster; the real engine with its default configuration unless given. */
  engine?: EngineFactory;
  /** Folder of `.ndjson` recordings for the replay demo. */
  recordingsDir?: string;
  contexts?: ContextSource;
  connector?: ClusterConnector;
  installer?: AgentInstaller;
  history?: HistoryStore;
  settings?: SettingsStore;
  /** How often engines are drained into the bridge (the bridge coalesces further to ≤ 10 Hz). */
  drainEveryMs?: number;
}

export interface App extends CoreStateSource, CommandHandler {
  /** Desktop notifications for the Electron shell (the bridge sends them to the renderer too). */
  onNotification(listener: (notification: PullNotification) => void): () => void;
  /** Drains every engine now (the timer does this on its own). */
  pump(): void;
  /** Stops every player, connection and timer. */
  close(): Promise<void>;
}

interface ClusterRuntime {
  status: ClusterStatus;
  engine: PullEngine;
  player?: Player;
  connection?: ClusterConnection;
}

export function createApp(options: AppOptions): App {
  const clusters = new Map<string, ClusterRuntime>();
  const listeners = new Set<(update: CoreUpdate) => void>();
  const notificationListeners = new Set<(n: PullNotification) => void>();
  const history = options.history;
  const settings = options.settings ?? createSettingsStore();
  const notifier = new PullNotifier();
  const emit = (update: CoreUpdate): void => {
    for (const listener of listeners) listener(update);
  };

  const newEngine = options.engine ?? ((cluster: string): PullEngine => createEngine(defaultEngineConfig(cluster)));

  const setStatus = (runtime: ClusterRuntime, patch: Partial<ClusterStatus>): void => {
    runtime.status = { ...runtime.status, ...patch };
    emit({ kind: 'cluster', status: runtime.status });
  };

  const pump = (): void => {
    for (const [cluster, runtime] of clusters) {
      // A live cluster's clock is the wall clock; the demo's player inserts its own ticks.
      if (runtime.status.kind === 'context') runtime.engine.apply({ type: 'tick', at: Date.now() });
      const delta = runtime.engine.drain();
      if (isEmptyDelta(delta)) continue;
      history?.observe?.(delta.upserts);
      if (delta.finished.length > 0) history?.record(delta.finished);
      emit({ kind: 'engine', cluster, delta });
      for (const notification of notifier.observe(cluster, delta.upserts, delta.removals, settings.get().notifications)) {
        emit({ kind: 'notification', notification });
        for (const listener of notificationListeners) listener(notification);
      }
    }
  };
  const drainTimer = setInterval(pump, options.drainEveryMs ?? 200);

  const removeCluster = async (cluster: string): Promise<void> => {
    const runtime = clusters.get(cluster);
    if (!runtime) throw new CommandError('not-found', `no cluster ${cluster} is open`);
    clusters.delete(cluster);
    runtime.player?.stop();
    await runtime.connection?.close();
    notifier.forgetCluster(cluster);
    emit({ kind: 'cluster.removed', cluster });
  };

  /** Every recording in the folder plays at once, each as its own looping demo cluster (recordings
   * of one lab share node names, so they cannot share an engine), all on the longest one's period:
   * a 5 s recording would otherwise loop twelve times a minute and flood the table with repeats.
   * Answers the first one's id. */
  const startDemo = async (): Promise<string> => {
    const running = [...clusters.values()].find((c) => c.status.kind === 'demo');
    if (running) return running.status.id;
    const files = await recordingFiles(options.recordingsDir);
    const recordings = await Promise.all(files.map(async (file) => ({ file, recording: await loadRecording(file) })));
    const startAt = Date.now();
    const span = (inputs: readonly { at: number }[]): number => (inputs.at(-1)?.at ?? 0) - (inputs[0]?.at ?? 0);
    const period = Math.max(...recordings.map(({ recording }) => span(recording.inputs))) + DEMO_LOOP_GAP_MS;
    for (const { file, recording } of recordings) {
      const name = path.basename(file, '.ndjson');
      const id = `demo:${name}`;
      const runtime: ClusterRuntime = {
        engine: newEngine(id),
        status: { id, label: `Demo: ${name}`, kind: 'demo', state: 'connected', mode: 'replay', message: `Replaying ${path.basename(file)}: ${recording.header.source}`, missing: [] },
      };
      clusters.set(id, runtime);
      runtime.player = playRecording(recording.inputs, (input) => runtime.engine.apply(input), {
        loop: true,
        loopGapMs: period - span(recording.inputs),
        rebaseTo: startAt,
        speed: settings.get().demoSpeed,
      });
      emit({ kind: 'cluster', status: runtime.status });
    }
    return `demo:${path.basename(files[0] ?? '', '.ndjson')}`;
  };

  const connectContext = async (context: string): Promise<string> => {
    if (!options.connector) throw new CommandError('not-available', 'connecting to clusters is not available in this build yet (the kube layer is not wired)');
    if (clusters.has(context)) throw new CommandError('conflict', `${context} is already connected`);
    const runtime: ClusterRuntime = {
      engine: newEngine(context),
      status: { id: context, label: context, kind: 'context', state: 'connecting', mode: 'none', missing: [] },
    };
    clusters.set(context, runtime);
    emit({ kind: 'cluster', status: runtime.status });
    try {
      runtime.connection = await options.connector.connect(context, (input) => runtime.engine.apply(input), (status) => setStatus(runtime, status));
    } catch (error) {
      // Nothing to watch: the cluster goes away and the picker shows why, ready for a retry.
      clusters.delete(context);
      emit({ kind: 'cluster.removed', cluster: context });
      if (error instanceof CommandError) throw error;
      throw new CommandError('failed', error instanceof Error ? error.message : String(error));
    }
    return context;
  };

  const run = async (command: Command): Promise<unknown> => {
    switch (command.type) {
      case 'contexts.list':
        if (!options.contexts) throw new CommandError('not-available', 'reading kubeconfig contexts is not available in this build');
        return options.contexts.listContexts();
      case 'context.connect':
        return { cluster: await connectContext(command.context) };
      case 'cluster.disconnect':
        await removeCluster(command.cluster);
        return { cluster: command.cluster };
      case 'demo.start':
        return { cluster: await startDemo() };
      case 'agent.preview':
        if (!options.installer) throw new CommandError('not-available', 'installing the agent is not available in this build yet');
        requireContextCluster(command.cluster);
        return options.installer.preview(command.cluster, command.action, command.socket);
      case 'agent.apply':
        if (!options.installer) throw new CommandError('not-available', 'installing the agent is not available in this build yet');
        requireContextCluster(command.cluster);
        await options.installer.apply(command.cluster, command.action, command.hash, command.socket);
        return { cluster: command.cluster, action: command.action };
      case 'history.query':
        if (!history) throw new CommandError('not-available', 'no history store is open in this session');
        return history.query(command.query);
      case 'history.export': {
        if (!history) throw new CommandError('not-available', 'no history store is open in this session');
        if (command.destination === 'dialog') throw new CommandError('not-available', 'a save dialog exists only in the desktop app; use destination "inline"');
        const { csv, rows } = await history.exportCsv(command.query);
        return { rows, csv, filename: `pulltrace-history-${new Date().toISOString().replace(/[:.]/g, '-')}.csv` };
      }
      case 'settings.get':
        return settings.get();
      case 'view.set':
        // Each bridge session answers it for its own connection; it never reaches the app.
        throw new CommandError('not-available', 'view.set is answered by the bridge session, not the app');
      case 'settings.set': {
        const next = settings.update(command.patch);
        emit({ kind: 'settings', settings: next });
        return next;
      }
    }
  };

  const requireContextCluster = (cluster: string): void => {
    const runtime = clusters.get(cluster);
    if (!runtime) throw new CommandError('not-found', `no cluster ${cluster} is open`);
    if (runtime.status.kind !== 'context') throw new CommandError('conflict', `${cluster} is a replay: there is no cluster to install into`);
  };

  return {
    snapshot(): CoreSnapshot {
      const all = [...clusters];
      return {
        at: Date.now(),
        clusters: all.map(([, r]) => r.status),
        pulls: all.flatMap(([, r]) => r.engine.pulls()),
        nodes: all.map(([cluster, r]) => ({ cluster, nodes: r.engine.nodes() })),
        series: all.map(([cluster, r]) => ({ cluster, series: r.engine.series() })),
        settings: settings.get(),
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pullDetail: (cluster, id) => clusters.get(cluster)?.engine.pull(id),
    async handle(command): Promise<CommandResult> {
      try {
        // The value's shape per command is pinned by the contract's result schemas (checked in tests).
        return { ok: true, value: (await run(command)) as never };
      } catch (error) {
        if (error instanceof CommandError) return { ok: false, error: { code: error.code, message: error.message } };
        return { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
      }
    },
    onNotification(listener) {
      notificationListeners.add(listener);
      return () => notificationListeners.delete(listener);
    },
    pump,
    async close() {
      clearInterval(drainTimer);
      await Promise.allSettled([...clusters.keys()].map((c) => removeCluster(c)));
      listeners.clear();
    },
  };
}

function isEmptyDelta(delta: EngineDelta): boolean {
  return (
    delta.upserts.length === 0 &&
    delta.removals.length === 0 &&
    delta.finished.length === 0 &&
    delta.nodes.length === 0 &&
    delta.series.cluster.length === 0 &&
    Object.keys(delta.series.nodes).length === 0
  );
}

async function recordingFiles(dir: string | undefined): Promise<string[]> {
  if (dir === undefined) throw new CommandError('not-available', 'no replay recordings are bundled with this build');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.ndjson')).sort();
  } catch {
    throw new CommandError('not-available', `no replay recordings: cannot read ${dir}`);
  }
  if (names.length === 0) throw new CommandError('not-available', `no replay recordings (*.ndjson) in ${dir}`);
  return names.map((name) => path.join(dir, name));
}
