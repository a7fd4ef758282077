import { describe, expect, it } from 'vitest';
import { gcRefsFromLabels, parseImageBlob, platformFromConfig, registryAndRepository, sourcesFromLabels } from './manifests.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('image blobs', () => {
  it('tells manifests from indexes by shape, with OCI media types when the JSON has none', () => {
    const manifest = parseImageBlob(
      bytes({ schemaVersion: 2, config: { mediaType: 'c', digest: d('a'), size: 880 }, layers: [{ mediaType: 'l', digest: d('b'), size: 5 }] }),
    );
    expect(manifest).toMatchObject({ kind: 'manifest', mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [{ digest: d('b'), size: 5 }] });
    const index = parseImageBlob(
      bytes({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [{ mediaType: 'm', digest: d('c'), size: 9, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] }),
    );
    expect(index).toMatchObject({ kind: 'index', manifests: [{ platform: { variant: 'v8' } }] });
    expect(parseImageBlob(Buffer.from('\u0000garbage'))).toEqual({ kind: 'other', why: 'not JSON' });
    expect(parseImageBlob(bytes({ layers: 'no' })).kind).toBe('other');
  });

  it('reads the platform from an image config', () => {
    expect(platformFromConfig(bytes({ os: 'linux', architecture: 'amd64', rootfs: {} }))).toEqual({ os: 'linux', architecture: 'amd64', variant: '' });
    expect(platformFromConfig(Buffer.from('{'))).toBeUndefined();
  });
});

describe('containerd labels', () => {
  it('renders distribution sources as host/repo, one per repo when shared', () => {
    expect(sourcesFromLabels({ 'containerd.io/distribution.source.127.0.0.1': 'lab/alpha,lab/beta', 'containerd.io/uncompressed': 'x' })).toEqual([
      '127.0.0.1/lab/alpha',
      '127.0.0.1/lab/beta',
    ]);
    expect(registryAndRepository('registry.k8s.io/pause')).toEqual({ registry: 'registry.k8s.io', repository: 'pause' });
    expect(registryAndRepository(undefined)).toEqual({ registry: 'unknown', repository: 'unknown' });
  });

  it('reads the gc references of manifests and indexes', () => {
    expect(
      gcRefsFromLabels({
        'containerd.io/gc.ref.content.config': d('a'),
        'containerd.io/gc.ref.content.l.0': d('b'),
        'containerd.io/gc.ref.content.l.1': d('c'),
        'containerd.io/gc.ref.content.m.0': d('e'),
      }),
    ).toEqual({ config: d('a'), layers: [d('b'), d('c')], manifests: [d('e')] });
  });
});
