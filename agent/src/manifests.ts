// Image manifests and indexes as read from the content store, and the containerd labels that tie
// blobs to repositories (`containerd.io/distribution.source.<host>`) and manifests to their blobs
// (`containerd.io/gc.ref.content.*`).
import * as z from './zod.ts';
import type { PlatformMsg } from './frames.ts';

const digest = z.string().check(z.regex(/^[a-z0-9]+:[a-f0-9]{32,128}$/));
const short = z.string().check(z.maxLength(64));
const platformSchema = z.object({ os: short, architecture: short, variant: z.optional(short) });
const descriptorSchema = z.object({
  mediaType: z._default(z.string().check(z.maxLength(256)), ''),
  digest,
  size: z.int().check(z.nonnegative()),
  platform: z.optional(platformSchema),
});

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const manifestSchema = z.object({
  mediaType: z.optional(z.string()),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).check(z.maxLength(1_000)),
});
const indexSchema = z.object({ mediaType: z.optional(z.string()), manifests: z.array(descriptorSchema).check(z.maxLength(1_000)) });

export type ParsedDescriptor = z.output<typeof descriptorSchema>;
export type ParsedBlob =
  | { kind: 'manifest'; mediaType: string; config: ParsedDescriptor; layers: ParsedDescriptor[] }
  | { kind: 'index'; mediaType: string; manifests: ParsedDescriptor[] }
  | { kind: 'other'; why: string };

/** Tells a manifest from an index by shape (OCI makes `mediaType` optional inside the JSON). */
export function parseImageBlob(bytes: Uint8Array): ParsedBlob {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { kind: 'other', why: 'not JSON' };
  }
  const index = indexSchema.safeParse(json);
  if (index.success) return { kind: 'index', mediaType: index.data.mediaType ?? MEDIA.ociIndex, manifests: index.data.manifests };
  const manifest = manifestSchema.safeParse(json);
  if (manifest.success) {
    return { kind: 'manifest', mediaType: manifest.data.mediaType ?? MEDIA.ociManifest, config: manifest.data.config, layers: manifest.data.layers };
  }
  return { kind: 'other', why: 'neither an image manifest nor an index' };
}

export function platformFromConfig(bytes: Uint8Array): PlatformMsg | undefined {
  try {
    // an image config carries os/architecture/variant at its top level, in the platform's shape
    const parsed = platformSchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    return parsed.success ? toPlatform(parsed.data) : undefined;
  } catch {
    return undefined;
  }
}

export function toPlatform(p: { os: string; architecture: string; variant?: string | undefined }): PlatformMsg {
  return { os: p.os, architecture: p.architecture, variant: p.variant ?? '' };
}

const SOURCE_PREFIX = 'containerd.io/distribution.source.';

/** `containerd.io/distribution.source.127.0.0.1` = `lab/alpha,lab/beta` → `127.0.0.1/lab/alpha`, `127.0.0.1/lab/beta`. */
export function sourcesFromLabels(labels: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(SOURCE_PREFIX)) continue;
    const host = key.slice(SOURCE_PREFIX.length);
    for (const repo of value.split(',')) if (repo.trim()) out.push(`${host}/${repo.trim()}`);
  }
  return out.sort();
}

/** Digests a manifest (`l.<i>`, `config`) or an index (`m.<i>`) references, from its gc labels. */
export function gcRefsFromLabels(labels: Record<string, string>): { layers: string[]; config?: string; manifests: string[] } {
  const layers: string[] = [];
  const manifests: string[] = [];
  let config: string | undefined;
  for (const [key, value] of Object.entries(labels)) {
    if (key === 'containerd.io/gc.ref.content.config') config = value;
    else if (key.startsWith('containerd.io/gc.ref.content.l.')) layers.push(value);
    else if (key.startsWith('containerd.io/gc.ref.content.m.')) manifests.push(value);
  }
  return { layers, config, manifests };
}

/** Splits `host/repo/path` into the registry and repository labels of metrics. */
export function registryAndRepository(source: string | undefined): { registry: string; repository: string } {
  if (!source) return { registry: 'unknown', repository: 'unknown' };
  const slash = source.indexOf('/');
  return slash < 0 ? { registry: source, repository: 'unknown' } : { registry: source.slice(0, slash), repository: source.slice(slash + 1) };
}
