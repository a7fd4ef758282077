// What the agent knows about image manifests and indexes on the node: read from the content store
// when their ingest commits, when an image record appears, or — for pulls already running when the
// agent (re)started, or whose manifest committed between two polls — discovered through the gc
// labels of committed manifests (`containerd.io/gc.ref.content.l.<i>` lists a manifest's layers as
// soon as it commits, before any layer downloads).
import type { ContainerdClient } from './containerd/client.ts';
import type { BlobMsg, IndexMsg, ManifestMsg, PlatformMsg } from './frames.ts';
import type { Logger } from './log.ts';
import { errorText } from './log.ts';
import { gcRefsFromLabels, parseImageBlob, platformFromConfig, sourcesFromLabels, toPlatform, type ParsedDescriptor } from './manifests.ts';

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_KNOWN = 512;
const MAX_LISTED = 20_000;
const DISCOVERY_MIN_INTERVAL_MS = 2_000;
const SOURCES_RECHECK_MS = 1_000;

/** A manifest committed (or read) this recently was fetched (or read) for the pull now using it. */
const FRESH_MANIFEST_MS = 30_000;

/** A manifest as read: when containerd committed it, and when we read it (for which pull). */
type KnownManifest = ManifestMsg & { createdAt: number; learnedAt: number };

export interface CatalogEvents {
  manifest(m: ManifestMsg): void;
  /** A blob of a manifest just read is already in the store but was committed after the manifest:
   * this pull fetched it between two polls, never seen as an ingest. */
  fetchedUnseen(digest: string): void;
  index(i: IndexMsg): void;
  bad(kind: string): void;
}

/** A Map that forgets its oldest entries beyond a cap (insertion order = age; set() refreshes). */
class BoundedMap<K, V> extends Map<K, V> {
  private readonly cap: number;
  constructor(cap: number) {
    super();
    this.cap = cap;
  }
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.cap) this.delete(this.keys().next().value as K);
    return this;
  }
}

export class Catalog {
  /** createdAt: the manifest blob's Content.Info created_at, to notice it was deleted and fetched anew */
  readonly manifests = new BoundedMap<string, KnownManifest>(MAX_KNOWN);
  readonly indexes = new BoundedMap<string, IndexMsg>(MAX_KNOWN);
  /** platform of a manifest, from an index that lists it */
  private readonly platformHints = new BoundedMap<string, PlatformMsg>(MAX_KNOWN * 4);
  private readonly notImages = new BoundedMap<string, true>(MAX_KNOWN);
  /** Manifests forgotten because a blob they list was deleted, with when: see contentDeleted. */
  private readonly staleSince = new BoundedMap<string, number>(MAX_KNOWN);
  private readonly learning = new Map<string, Promise<void>>();
  private discovering = false;
  private lastDiscovery = 0;
  private readonly client: ContainerdClient;
  private readonly events: CatalogEvents;
  private readonly log: Logger;
  /** Start of the live ingest of a digest (undefined when none is live). */
  private readonly liveSince: (digest: string) => number | undefined;

  constructor(client: ContainerdClient, events: CatalogEvents, log: Logger, liveSince: (digest: string) => number | undefined) {
    this.client = client;
    this.events = events;
    this.log = log;
    this.liveSince = liveSince;
  }

  private isLive(digest: string): boolean {
    return this.liveSince(digest) !== undefined;
  }

  /** Known manifests that list the blob (as a layer or the config). */
  owners(digest: string): KnownManifest[] {
    return [...this.manifests.values()].filter((m) => m.config?.digest === digest || m.layers.some((l) => l.digest === digest));
  }

  /** A blob of this manifest is being fetched: if the manifest blob itself was deleted and
   * committed anew since we read it (the image was removed and is pulled again), read it again —
   * the desktop needs it for the new pull, and its `present` flags have changed. `newPull`: the
   * blob is this manifest's alone and nothing else of it was being fetched, so a new pull of this
   * very image began — one that found the manifest blob still in the store (it outlived the image's
   * removal): read long ago, for an earlier pull, it is read again too. A blob other manifests list
   * as well says nothing about which image is pulled (re-announcing them all would show pulls of
   * images nobody pulls). */
  async verify(digest: string, newPull: boolean): Promise<void> {
    const known = this.manifests.get(digest);
    if (!known) return;
    const info = await this.client.info(digest);
    const readForEarlierPull = newPull && Date.now() - known.learnedAt > FRESH_MANIFEST_MS;
    if (info && info.createdAt === known.createdAt && !readForEarlierPull) return;
    this.forget(digest);
    if (info) await this.learn(digest);
  }

  /** Manifests with a live ingest among their blobs, and the indexes that list them. */
  inProgress(live: ReadonlySet<string>): { manifests: ManifestMsg[]; indexes: IndexMsg[] } {
    const manifests = [...this.manifests.values()].filter((m) => m.layers.some((l) => live.has(l.digest)) || (m.config !== undefined && live.has(m.config.digest)));
    const digests = new Set(manifests.map((m) => m.digest));
    const indexes = [...this.indexes.values()].filter((i) => i.manifests.some((e) => digests.has(e.digest)));
    return { manifests: manifests.map(strip), indexes };
  }

  forget(digest: string): void {
    this.manifests.delete(digest);
    this.indexes.delete(digest);
  }

  /** A blob was deleted from the store. What we read of the manifests listing it (their `present`
   * flags) is stale: they are forgotten — the next pull of one of them reads it again even when
   * its own blob outlived the image's removal — and remembered as stale since now, so that read
   * counts the blobs committed after this as fetched by the new pull. */
  contentDeleted(digest: string, at: number): void {
    this.forget(digest);
    for (const owner of this.owners(digest)) {
      this.forget(owner.digest);
      this.staleSince.set(owner.digest, at);
    }
  }

  /** Reads a committed manifest or index once (concurrent calls share the read). */
  learn(digest: string, opts: { withPresentManifests?: boolean } = {}): Promise<void> {
    if (this.manifests.has(digest) || this.indexes.has(digest) || this.notImages.has(digest)) return Promise.resolve();
    const running = this.learning.get(digest);
    if (running) return running;
    const p = this.read(digest, opts.withPresentManifests ?? false)
      .catch((err: unknown) => this.log.warn('could not read manifest', { digest, error: errorText(err) }))
      .finally(() => this.learning.delete(digest));
    this.learning.set(digest, p);
    return p;
  }

  private async read(digest: string, withPresentManifests: boolean): Promise<void> {
    const info = await this.client.info(digest);
    if (!info) return;
    const parsed = parseImageBlob(await this.client.read(digest, MAX_MANIFEST_BYTES));
    if (parsed.kind === 'other') {
      this.notImages.set(digest, true);
      return;
    }
    const sources = sourcesFromLabels(info.labels);
    if (parsed.kind === 'index') {
      const index: IndexMsg = {
        digest,
        mediaType: parsed.mediaType,
        sources,
        manifests: parsed.manifests.map((d) => ({ digest: d.digest, size: d.size, ...(d.platform ? { platform: toPlatform(d.platform) } : {}) })),
      };
      for (const e of index.manifests) if (e.platform) this.platformHints.set(e.digest, e.platform);
      this.indexes.set(digest, index);
      this.events.index(index);
      for (const e of index.manifests) {
        const known = this.manifests.get(e.digest);
        if (known && !known.platform && e.platform) this.publishManifest({ ...strip(known), platform: e.platform }, known.createdAt);
      }
      if (withPresentManifests) {
        for (const e of index.manifests) if (await this.client.info(e.digest)) await this.learn(e.digest);
      }
      return;
    }
    const fetchedUnseen: string[] = [];
    const pullStart = this.pullStartOf(digest, info.createdAt, [parsed.config, ...parsed.layers]);
    const describe = async (d: ParsedDescriptor): Promise<BlobMsg> => {
      const blob = await this.client.info(d.digest);
      // present = committed before this pull began: cached on the node, not fetched by this pull
      const present = blob !== null && blob.createdAt <= pullStart && !this.isLive(d.digest);
      if (blob !== null && !present && !this.isLive(d.digest)) fetchedUnseen.push(d.digest);
      return { digest: d.digest, size: d.size, mediaType: d.mediaType, present };
    };
    const [config, ...layers] = await Promise.all([describe(parsed.config), ...parsed.layers.map(describe)]);
    const platform = this.platformHints.get(digest) ?? (await this.platformOf(parsed.config.digest));
    const manifest: ManifestMsg = { digest, mediaType: parsed.mediaType, sources, config: config!, layers, ...(platform ? { platform } : {}) };
    this.publishManifest(manifest, info.createdAt);
    for (const digest of fetchedUnseen) this.events.fetchedUnseen(digest);
    // the distribution.source label is set right after the commit: look again once if it was not there yet
    if (sources.length === 0) setTimeout(() => void this.recheckSources(digest), SOURCES_RECHECK_MS).unref();
  }

  /** When the pull using a manifest began. A manifest fetched just now marks it. One that was
   * already in the store (it outlived an image removal, and a new pull found it) says nothing about
   * this pull: its first live ingest does; failing that (the pull fetched everything between two
   * polls), the deletion that made what we knew of it stale — nothing committed after that was
   * there before, though another pull may have fetched a shared blob since; failing both, now. */
  private pullStartOf(digest: string, manifestCreatedAt: number, blobs: readonly ParsedDescriptor[]): number {
    const now = Date.now();
    const stale = this.staleSince.get(digest);
    this.staleSince.delete(digest);
    if (now - manifestCreatedAt <= FRESH_MANIFEST_MS) return manifestCreatedAt;
    let liveStart: number | undefined;
    for (const d of blobs) {
      const since = this.liveSince(d.digest);
      if (since !== undefined) liveStart = Math.min(liveStart ?? since, since);
    }
    return liveStart ?? stale ?? now;
  }

  private publishManifest(m: ManifestMsg, createdAt: number): void {
    this.manifests.set(m.digest, { ...m, createdAt, learnedAt: Date.now() });
    this.events.manifest(m);
  }

  private async platformOf(configDigest: string): Promise<PlatformMsg | undefined> {
    try {
      if (!(await this.client.info(configDigest))) return undefined;
      return platformFromConfig(await this.client.read(configDigest, MAX_CONFIG_BYTES));
    } catch {
      return undefined;
    }
  }

  private async recheckSources(digest: string): Promise<void> {
    const known = this.manifests.get(digest);
    if (!known || known.sources.length > 0) return;
    try {
      const info = await this.client.info(digest);
      const sources = info ? sourcesFromLabels(info.labels) : [];
      if (sources.length > 0) this.publishManifest({ ...strip(known), sources }, known.createdAt);
    } catch (err) {
      this.log.debug('source label recheck failed', { digest, error: errorText(err) });
    }
  }

  /** A config blob committed: a manifest that had no platform yet may get one now. */
  async configCommitted(configDigest: string): Promise<void> {
    for (const m of this.manifests.values()) {
      if (m.config?.digest !== configDigest || m.platform) continue;
      const platform = await this.platformOf(configDigest);
      if (platform) this.publishManifest({ ...strip(m), platform }, m.createdAt);
    }
  }

  /** Finds the manifests (and their indexes) of live blobs no known manifest lists. */
  async discover(unmapped: ReadonlySet<string>): Promise<void> {
    if (unmapped.size === 0 || this.discovering || Date.now() - this.lastDiscovery < DISCOVERY_MIN_INTERVAL_MS) return;
    this.discovering = true;
    this.lastDiscovery = Date.now();
    try {
      // presence filters: every committed manifest has l.0 (or at least a config), every index m.0
      const { items, truncated } = await this.client.listContent(
        ['labels."containerd.io/gc.ref.content.l.0"', 'labels."containerd.io/gc.ref.content.config"', 'labels."containerd.io/gc.ref.content.m.0"'],
        MAX_LISTED,
      );
      if (truncated) this.events.bad('content-list-truncated');
      const wanted = new Set<string>();
      for (const info of items) {
        const refs = gcRefsFromLabels(info.labels);
        if (refs.layers.some((d) => unmapped.has(d)) || (refs.config !== undefined && unmapped.has(refs.config))) wanted.add(info.digest);
      }
      // indexes first, so the manifests carry their platform from the start
      for (const info of items) {
        if (gcRefsFromLabels(info.labels).manifests.some((d) => wanted.has(d))) await this.learn(info.digest);
      }
      for (const digest of wanted) await this.learn(digest);
    } catch (err) {
      this.log.warn('manifest discovery failed', { error: errorText(err) });
    } finally {
      this.discovering = false;
    }
  }
}

function strip(v: KnownManifest): ManifestMsg {
  const { createdAt: _createdAt, learnedAt: _learnedAt, ...rest } = v;
  return rest;
}
