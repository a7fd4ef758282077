// Translates validated agent frames into engine inputs (electron/core/engine/types.ts). Stateless
// apart from the node name: the caller says which node a session belongs to (the kube layer knows
// the pod's node); without one, the Hello's node name is used.
import type { AgentInput, BlobDescriptor, IngestStatus, ManifestSeen, Platform } from '../engine/types.ts';
import type { AgentFrame, FrameIngest } from './frames-schema.ts';

type Manifest = Extract<AgentFrame, { body: 'manifest' }>['manifest'];
type Index = Extract<AgentFrame, { body: 'index' }>['index'];
type PlatformIn = { os: string; architecture: string; variant: string } | null | undefined;

function platform(p: PlatformIn): Platform | undefined {
  if (!p || (!p.os && !p.architecture)) return undefined;
  return p.variant ? { os: p.os, architecture: p.architecture, variant: p.variant } : { os: p.os, architecture: p.architecture };
}

function ingest(i: FrameIngest): IngestStatus {
  return { ref: i.ref, kind: i.kind, digest: i.digest, offset: i.offset, total: i.total, startedAt: i.startedAtMs, updatedAt: i.updatedAtMs };
}

function manifestInput(m: Manifest, at: number, node: string): ManifestSeen {
  const blob = (b: BlobDescriptor): BlobDescriptor => ({ digest: b.digest, size: b.size, mediaType: b.mediaType, present: b.present });
  const p = platform(m.platform);
  return {
    type: 'manifest.seen',
    at,
    node,
    digest: m.digest,
    mediaType: m.mediaType,
    sources: m.sources,
    ...(p ? { platform: p } : {}),
    ...(m.config ? { config: blob(m.config) } : {}),
    layers: m.layers.map(blob),
  };
}

function indexInput(i: Index, at: number, node: string): AgentInput {
  return {
    type: 'index.seen',
    at,
    node,
    digest: i.digest,
    mediaType: i.mediaType,
    sources: i.sources,
    manifests: i.manifests.map((e) => {
      const p = platform(e.platform);
      return { digest: e.digest, size: e.size, ...(p ? { platform: p } : {}) };
    }),
  };
}

export interface TranslateOptions {
  /** the node this session watches; defaults to the node named in the Hello */
  node?: string;
  /** observation time; defaults to the frame's own atMs (agent clock) */
  at?: number;
}

export class FrameTranslator {
  private node: string | undefined;
  private agentVersion = '';
  /** containerd's state as last reported: a repeated report is not a new (dis)connection */
  private containerd: { up: boolean; reason: string } | undefined;

  constructor(node?: string) {
    this.node = node;
  }

  translate(frame: AgentFrame, opts: TranslateOptions = {}): AgentInput[] {
    if (frame.body === 'hello') {
      this.node ??= frame.hello.node;
      this.agentVersion = frame.hello.agentVersion;
    }
    const node = opts.node ?? this.node ?? 'unknown';
    const at = opts.at ?? frame.atMs;
    switch (frame.body) {
      case 'hello':
        return [{ type: 'agent.connected', at, node, agentVersion: frame.hello.agentVersion, containerdVersion: frame.hello.containerdVersion }];
      case 'snapshot':
        this.containerd = { up: frame.snapshot.containerdUp, reason: '' };
        return [
          // indexes and manifests first: the engine can attribute the snapshot's ingests at once
          ...frame.snapshot.indexes.map((i) => indexInput(i, at, node)),
          ...frame.snapshot.manifests.map((m) => manifestInput(m, at, node)),
          { type: 'agent.snapshot', at, node, ingests: frame.snapshot.ingests.map(ingest) },
        ];
      case 'ingests':
        return [{ type: 'ingests.observed', at, node, ingests: frame.ingests.ingests.map(ingest) }];
      case 'ingestGone':
        return [{ type: 'ingest.gone', at, node, ref: frame.ingestGone.ref, digest: frame.ingestGone.digest, outcome: frame.ingestGone.outcome }];
      case 'manifest':
        return [manifestInput(frame.manifest, at, node)];
      case 'index':
        return [indexInput(frame.index, at, node)];
      case 'image':
        return [{ type: 'image.upserted', at, node, name: frame.image.name, ...(frame.image.targetDigest ? { targetDigest: frame.image.targetDigest } : {}) }];
      case 'contentDeleted':
        return [{ type: 'content.deleted', at, node, digest: frame.contentDeleted.digest }];
      case 'health': {
        // containerd gone: what the engine knew of this node's pulls is no longer confirmed
        const { containerdUp, reason, error, containerdVersion } = frame.health;
        // 'unknown': the agent has not asked containerd yet (it has just started). Not a
        // disconnection: seen in the lab as "containerd unreachable (unknown): " on a healthy node.
        if (!containerdUp && reason === 'unknown') return [];
        const before = this.containerd;
        this.containerd = { up: containerdUp, reason };
        if (containerdUp) return before?.up === true ? [] : [{ type: 'agent.connected', at, node, agentVersion: this.agentVersion, containerdVersion }];
        if (before && !before.up && before.reason === reason) return [];
        return [{ type: 'agent.disconnected', at, node, reason: `containerd unreachable (${reason}): ${error}` }];
      }
      case 'heartbeat':
        return [];
    }
  }
}
