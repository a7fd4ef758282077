import { describe, expect, it } from 'vitest';
import { parseImageName, provisionalName, stripPort } from './image-name.ts';

describe('image names', () => {
  it('fills in Docker Hub defaults so kubelet and containerd spellings meet', () => {
    expect(parseImageName('nginx:1.25')).toMatchObject({ registry: 'docker.io', repository: 'library/nginx', tag: '1.25', canonical: 'docker.io/library/nginx:1.25', sourceKey: 'docker.io/library/nginx' });
    expect(parseImageName('docker.io/library/nginx:1.25')?.canonical).toBe('docker.io/library/nginx:1.25');
    expect(parseImageName('busybox')?.canonical).toBe('docker.io/library/busybox:latest');
  });

  it('keys sources by host without port, as containerd labels do', () => {
    const alpha = parseImageName('127.0.0.1:5001/lab/alpha:v1');
    expect(alpha).toMatchObject({ registry: '127.0.0.1:5001', repository: 'lab/alpha', tag: 'v1', sourceKey: '127.0.0.1/lab/alpha' });
    expect(parseImageName('127.0.0.1/lab/alpha')?.sourceKey).toBe(alpha?.sourceKey);
    expect(stripPort('[::1]:5000')).toBe('[::1]');
    expect(parseImageName('localhost:5000/app@sha256:abc')).toMatchObject({ registry: 'localhost:5000', digest: 'sha256:abc', tag: undefined });
  });

  it('rejects what is not an image reference, and names provisional pulls host/repo@digest', () => {
    expect(parseImageName('sha256:3910a93a')).toBeUndefined();
    expect(parseImageName('two words')).toBeUndefined();
    expect(parseImageName('')).toBeUndefined();
    expect(provisionalName('127.0.0.1/lab/alpha', 'sha256:4f19').canonical).toBe('127.0.0.1/lab/alpha@sha256:4f19');
    expect(provisionalName(undefined, 'sha256:4f19').canonical).toBe('@sha256:4f19');
  });
});
