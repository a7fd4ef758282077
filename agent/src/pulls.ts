// Pull-level accounting for the metrics: which repository a downloading blob belongs to (through
// the manifests that list it), when a manifest's last missing blob lands (duration), and when one
// of its downloads vanishes without a commit (failure). The desktop does its own, richer
// accounting from the frames; this is only what Prometheus needs.
import type { IngestMsg, IngestOutcome, ManifestMsg } from './frames.ts';
import { registryAndRepository } from './manifests.ts';
import type { AgentMetrics } from './metrics.ts';

interface TrackedPull {
  labels: { registry: string; repository: string };
  startedAt: number;
  pending: Set<string>;
  blobs: Set<string>;
  lastActivity: number;
}

const MAX_PULLS = 1_000;
const FORGET_IDLE_MS = 60 * 60 * 1000;

export class PullAccounting {
  private readonly pulls = new Map<string, TrackedPull>();
  private readonly metrics: AgentMetrics;

  constructor(metrics: AgentMetrics) {
    this.metrics = metrics;
  }

  onManifest(m: ManifestMsg, now: number): void {
    const existing = this.pulls.get(m.digest);
    const { registry, repository } = registryAndRepository(m.sources[0]);
    const labels = this.metrics.labeler.labels(registry, repository);
    if (existing) {
      existing.labels = labels;
      return;
    }
    const blobs = [...m.layers, ...(m.config ? [m.config] : [])];
    const pending = new Set(blobs.filter((b) => !b.present).map((b) => b.digest));
    if (pending.size === 0) return;
    if (this.pulls.size >= MAX_PULLS) this.forgetOldest();
    this.pulls.set(m.digest, { labels, startedAt: now, pending, blobs: new Set(blobs.map((b) => b.digest)), lastActivity: now });
  }

  private owners(digest: string): TrackedPull[] {
    const out: TrackedPull[] = [];
    for (const p of this.pulls.values()) if (p.blobs.has(digest)) out.push(p);
    return out;
  }

  private labelsFor(digest: string): { registry: string; repository: string } {
    return this.owners(digest)[0]?.labels ?? { registry: 'unknown', repository: 'unknown' };
  }

  onProgress(before: IngestMsg | undefined, now: IngestMsg, at: number): void {
    // a retried ingest restarting lower is not negative traffic: count only growth
    const delta = now.offset - (before?.offset ?? 0);
    if (delta > 0) this.metrics.bytes.inc(this.labelsFor(now.digest), delta);
    for (const p of this.owners(now.digest)) p.lastActivity = at;
  }

  onGone(last: IngestMsg, outcome: IngestOutcome, at: number): void {
    if (outcome === 'committed') {
      // containerd never shows the last partial MiB: the commit tells it arrived
      const tail = last.total - last.offset;
      if (tail > 0) this.metrics.bytes.inc(this.labelsFor(last.digest), tail);
      this.onPresent(last.digest, at);
    } else if (outcome === 'aborted') {
      for (const [digest, p] of this.pulls) {
        if (!p.blobs.has(last.digest)) continue;
        this.metrics.failures.inc({ ...p.labels, reason: 'aborted' });
        this.pulls.delete(digest);
      }
    }
  }

  /** The blob is in the content store (committed by any pull). */
  onPresent(digest: string, at: number): void {
    for (const [manifest, p] of this.pulls) {
      if (!p.pending.delete(digest)) continue;
      p.lastActivity = at;
      if (p.pending.size === 0) {
        this.metrics.duration.observe(p.labels, Math.max(0, at - p.startedAt) / 1000);
        this.pulls.delete(manifest);
      }
    }
  }

  /** Blobs still missing for pulls with nothing live: the caller checks them with Content.Info. */
  pendingWithoutIngest(live: ReadonlySet<string>): string[] {
    const out = new Set<string>();
    for (const p of this.pulls.values()) {
      if ([...p.pending].some((d) => live.has(d))) continue;
      for (const d of p.pending) out.add(d);
    }
    return [...out];
  }

  updateActive(live: ReadonlySet<string>, now: number): void {
    this.metrics.activePulls.reset();
    for (const [manifest, p] of this.pulls) {
      if ([...p.pending].some((d) => live.has(d))) this.metrics.activePulls.inc(p.labels);
      else if (now - p.lastActivity > FORGET_IDLE_MS) this.pulls.delete(manifest);
    }
  }

  private forgetOldest(): void {
    const oldest = [...this.pulls.entries()].sort((a, b) => a[1].lastActivity - b[1].lastActivity)[0];
    if (oldest) this.pulls.delete(oldest[0]);
  }
}
