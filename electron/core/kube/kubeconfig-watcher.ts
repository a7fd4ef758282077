// Keeps the context list live while kubeconfig files are edited, replaced, deleted or created.
// We watch each file's DIRECTORY, not the file: editors and `kubectl config` save by writing a
// temporary file and renaming it over the old one, which silently ends a watch on the old inode.
// A directory that does not exist yet (or vanished) cannot be watched, so a slow ticker re-adds
// watches (Headlamp re-adds vanished files every 10 s). Changes are debounced, and listeners hear
// only about snapshots whose visible content changed.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { loadKubeconfigs, type KubeconfigSnapshot } from './kubeconfig-source.ts';

export interface KubeconfigWatcherOptions {
  paths: readonly string[];
  searchPath: string;
  debounceMs?: number;
  /** How often missing directories are retried and files re-read as a safety net. */
  rescanMs?: number;
}

export class KubeconfigWatcher {
  private readonly options: Required<KubeconfigWatcherOptions>;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly listeners = new Set<(snapshot: KubeconfigSnapshot) => void>();
  private debounce: NodeJS.Timeout | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private current: KubeconfigSnapshot;
  private fingerprint: string;

  constructor(options: KubeconfigWatcherOptions) {
    this.options = { debounceMs: 200, rescanMs: 10_000, ...options };
    this.current = loadKubeconfigs(this.options.paths, this.options.searchPath);
    this.fingerprint = fingerprintOf(this.current);
  }

  get snapshot(): KubeconfigSnapshot {
    return this.current;
  }

  onChange(listener: (snapshot: KubeconfigSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.addWatches();
    this.rescan = setInterval(() => {
      this.addWatches();
      this.reload();
    }, this.options.rescanMs);
    this.rescan.unref();
  }

  stop(): void {
    clearInterval(this.rescan);
    clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private addWatches(): void {
    const dirs = new Set(this.options.paths.map((p) => path.dirname(p)));
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      const names = new Set(this.options.paths.filter((p) => path.dirname(p) === dir).map((p) => path.basename(p)));
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          // Some platforms give no name; then any change in the directory counts.
          if (name === null || names.has(name.toString())) this.schedule();
        });
        watcher.on('error', () => {
          // The directory itself went away: forget the watch, the ticker re-adds it.
          watcher.close();
          this.watchers.delete(dir);
          this.schedule();
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Directory missing: retried by the ticker.
      }
    }
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), this.options.debounceMs);
    this.debounce.unref();
  }

  private reload(): void {
    const next = loadKubeconfigs(this.options.paths, this.options.searchPath);
    const fingerprint = fingerprintOf(next);
    // Always keep the newest snapshot (its clientFor reads rotated credentials), but tell
    // listeners only about visible changes.
    this.current = next;
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    for (const listener of this.listeners) listener(next);
  }
}

/** What a listener can see of a snapshot. Credentials are not in it (KubeContext holds none), so
 * a rotated token alone does not count as a change — the next client built reads the new one. */
function fingerprintOf(snapshot: KubeconfigSnapshot): string {
  return JSON.stringify([snapshot.files, snapshot.contexts, snapshot.current]);
}
