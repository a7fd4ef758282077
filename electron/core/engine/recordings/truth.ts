// What a recording itself says happened, read from its inputs independently of the engine: the
// oracle for the regression tests on the lab recordings (recordings.test.ts).
//
// From the containerd side only: a manifest is one pull (named by the tagged image record that
// targets it, else provisionally `host/repo@<manifest digest>`), an image record targeting it ends
// it done with every blob in the store, an aborted ingest of one of its blobs ends an agent-only
// pull failed. A blob's fetched bytes are the highest offset containerd showed, or its full size
// once committed.
import type { EngineInput, ManifestSeen } from '../types.ts';

export interface ExpectedPull {
  node: string;
  manifest: string;
  /** When its manifest was seen (the engine can attribute bytes to it from then on). */
  seenAt: number;
  image: string;
  finalState: 'done' | 'failed' | 'active';
  /** Descriptor sizes of the blobs to download (not present when the manifest was read). */
  total: number;
  cached: number;
  sizes: Map<string, number>;
  present: Set<string>;
  /** Shared blobs another pull fetched while CRI blocked this one (see sharedFetches): once this
   * pull has ended they count as cached for it, as if its manifest had been read after they were
   * committed — which of the two orders happens is timing, not what the pull downloaded. */
  fetchedElsewhere: Set<string>;
}

/** Total and cached bytes a pull's view shows: from its manifest while it runs; when it has ended,
 * with the blobs another pull fetched moved from total to cached. */
export function expectedBytes(pull: ExpectedPull, ended: boolean): { total: number; cached: number; isCached: (digest: string) => boolean } {
  const moved = ended ? [...pull.fetchedElsewhere].reduce((sum, digest) => sum + (pull.sizes.get(digest) ?? 0), 0) : 0;
  return {
    total: pull.total - moved,
    cached: pull.cached + moved,
    isCached: (digest) => pull.present.has(digest) || (ended && pull.fetchedElsewhere.has(digest)),
  };
}

interface BlobTruth {
  maxOffset: number;
  committed: boolean;
  live: boolean;
  /** Engine time of the last observation in which the offset moved. */
  lastMovedAt: number;
  /** Engine time of the last sign of life: first seen, offset moved or updated_at advanced. */
  lastAliveAt: number;
  lastUpdatedAt: number;
}

const isTagged = (name: string) => !name.includes('@') && !name.startsWith('sha256:') && /:[^/]+$/.test(name);

/** The pulls a recording contains and how each ended, from the whole input list. */
export function expectedPulls(inputs: readonly EngineInput[]): ExpectedPull[] {
  const pulls: ExpectedPull[] = [];
  for (const input of inputs) {
    if (input.type !== 'manifest.seen' || !input.layers.some((layer) => !layer.present)) continue;
    pulls.push(fromManifest(input, inputs));
  }
  for (const { digest, blocked } of sharedFetches(inputs, pulls)) if (blocked.finalState !== 'active') blocked.fetchedElsewhere.add(digest);
  return pulls;
}

function fromManifest(manifest: ManifestSeen, inputs: readonly EngineInput[]): ExpectedPull {
  const sizes = new Map<string, number>();
  const present = new Set<string>();
  let total = 0;
  let cached = 0;
  for (const blob of manifest.config === undefined ? manifest.layers : [manifest.config, ...manifest.layers]) {
    sizes.set(blob.digest, blob.size);
    if (blob.present) {
      present.add(blob.digest);
      cached += blob.size;
    } else {
      total += blob.size;
    }
  }
  const records = inputs.filter((i) => i.type === 'image.upserted' && i.node === manifest.node && i.targetDigest === manifest.digest);
  const tagged = records.find((i) => i.type === 'image.upserted' && isTagged(i.name));
  const aborted = inputs.some(
    (i) => i.type === 'ingest.gone' && i.node === manifest.node && i.outcome === 'aborted' && sizes.has(i.digest) && !present.has(i.digest),
  );
  return {
    node: manifest.node,
    manifest: manifest.digest,
    seenAt: manifest.at,
    image: tagged?.type === 'image.upserted' ? tagged.name : `${manifest.sources[0]}@${manifest.digest}`,
    finalState: records.length > 0 ? 'done' : aborted ? 'failed' : 'active',
    total,
    cached,
    sizes,
    present,
    fetchedElsewhere: new Set(),
  };
}

/** Follows the blobs' bytes input by input (feed every input the engine gets, in order). */
export class BlobTracker {
  readonly #blobs = new Map<string, BlobTruth>();
  /** Manifests whose image record was seen: all their blobs are in the store. */
  readonly #finishedManifests = new Set<string>();
  /** Blobs whose offset moved in the last input. */
  movedNow = new Set<string>();

  observe(input: EngineInput): void {
    this.movedNow = new Set();
    if (input.type === 'ingests.observed' || input.type === 'agent.snapshot') {
      for (const ingest of input.ingests) {
        const blob = this.#blob(input.node, ingest.digest);
        if (!blob.live || ingest.updatedAt > blob.lastUpdatedAt) blob.lastAliveAt = input.at;
        blob.live = true;
        blob.lastUpdatedAt = Math.max(blob.lastUpdatedAt, ingest.updatedAt);
        if (ingest.offset > blob.maxOffset) {
          blob.maxOffset = ingest.offset;
          blob.lastMovedAt = input.at;
          this.movedNow.add(`${input.node} ${ingest.digest}`);
        }
      }
    } else if (input.type === 'ingest.gone') {
      const blob = this.#blob(input.node, input.digest);
      blob.live = false;
      if (input.outcome === 'committed') blob.committed = true;
    } else if (input.type === 'image.upserted' && input.targetDigest !== undefined) {
      this.#finishedManifests.add(`${input.node} ${input.targetDigest}`);
    }
  }

  /** Bytes of one blob of a pull that the engine must show now. */
  fetched(pull: ExpectedPull, digest: string): number {
    const size = pull.sizes.get(digest) ?? 0;
    const blob = this.#blobs.get(`${pull.node} ${digest}`);
    if (pull.present.has(digest) || blob?.committed === true || this.#finishedManifests.has(`${pull.node} ${pull.manifest}`)) return size;
    return Math.min(blob?.maxOffset ?? 0, size);
  }

  /** A blob of the pull, live and not cached for it, whose offset moved within `windowMs`. */
  movedWithin(pull: ExpectedPull, now: number, windowMs: number): boolean {
    for (const digest of pull.sizes.keys()) {
      const blob = this.#blobs.get(`${pull.node} ${digest}`);
      if (blob !== undefined && blob.live && !pull.present.has(digest) && now - blob.lastMovedAt < windowMs) return true;
    }
    return false;
  }

  /** The pull has live blobs (not cached for it) and none showed life within `ms`. */
  idleFor(pull: ExpectedPull, now: number, ms: number): boolean {
    let live = 0;
    for (const digest of pull.sizes.keys()) {
      const blob = this.#blobs.get(`${pull.node} ${digest}`);
      if (blob === undefined || !blob.live || pull.present.has(digest)) continue;
      live++;
      if (now - blob.lastAliveAt < ms) return false;
    }
    return live > 0;
  }

  /** Digests with a live ingest on the node. */
  liveDigests(node: string): string[] {
    const out: string[] = [];
    for (const [key, blob] of this.#blobs) if (blob.live && key.startsWith(`${node} `)) out.push(key.slice(node.length + 1));
    return out;
  }

  #blob(node: string, digest: string): BlobTruth {
    const key = `${node} ${digest}`;
    let blob = this.#blobs.get(key);
    if (blob === undefined) {
      blob = { maxOffset: 0, committed: false, live: false, lastMovedAt: -Infinity, lastAliveAt: -Infinity, lastUpdatedAt: -Infinity };
      this.#blobs.set(key, blob);
    }
    return blob;
  }
}

/** A layer two pulls share, fetched by one while containerd's CRI blocked the other: the blocked
 * pull's own layers started only after the shared one was committed, the fetcher's before. */
export interface SharedFetch {
  digest: string;
  fetcher: ExpectedPull;
  blocked: ExpectedPull;
  /** While both manifests are known and the shared layer is not yet committed. */
  from: number;
  until: number;
}

export function sharedFetches(inputs: readonly EngineInput[], pulls: readonly ExpectedPull[]): SharedFetch[] {
  const firstSeen = new Map<string, number>();
  const committedAt = new Map<string, number>();
  for (const input of inputs) {
    if (input.type === 'ingests.observed' || input.type === 'agent.snapshot') {
      for (const ingest of input.ingests) if (!firstSeen.has(ingest.digest)) firstSeen.set(ingest.digest, input.at);
    } else if (input.type === 'ingest.gone' && input.outcome === 'committed') {
      committedAt.set(input.digest, input.at);
    }
  }
  const downloads = (pull: ExpectedPull) => [...pull.sizes.keys()].filter((digest) => !pull.present.has(digest));
  /** When the first layer only this pull needs was seen downloading. */
  const ownStart = (pull: ExpectedPull, other: ExpectedPull) =>
    Math.min(...downloads(pull).filter((digest) => !other.sizes.has(digest)).map((digest) => firstSeen.get(digest) ?? Infinity));
  const out: SharedFetch[] = [];
  for (const a of pulls) {
    for (const b of pulls) {
      if (a === b || a.node !== b.node) continue;
      for (const digest of downloads(a).filter((d) => downloads(b).includes(d))) {
        const until = committedAt.get(digest);
        if (until === undefined || !(ownStart(a, b) < until) || !(ownStart(b, a) > until)) continue;
        out.push({ digest, fetcher: a, blocked: b, from: Math.max(a.seenAt, b.seenAt), until });
      }
    }
  }
  return out;
}
