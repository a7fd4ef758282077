// Image references as kubelet, pod specs and containerd spell them, reduced to the keys the engine
// joins on. Two keys matter:
//  - `canonical`: registry/repository[:tag][@digest] with Docker Hub defaults filled in, so that
//    kubelet's "nginx:1.25" and containerd's "docker.io/library/nginx:1.25" are the same image;
//  - `sourceKey`: host WITHOUT port + "/" + repository, because containerd's
//    `containerd.io/distribution.source.<host>` label drops the port ("127.0.0.1/lab/alpha" for a
//    pull of "127.0.0.1:5001/lab/alpha:v1"), and manifests reach us only with those labels.

export interface ImageName {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  canonical: string;
  sourceKey: string;
}

const DOCKER_HUB = 'docker.io';

function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function stripPort(host: string): string {
  // IPv6 literals come bracketed ("[::1]:5000"); keep the brackets, drop the port.
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** Parses an image reference; undefined when it is not one (empty, spaces, bare digest). */
export function parseImageName(raw: string): ImageName | undefined {
  const text = raw.trim();
  if (text === '' || /\s/.test(text) || text.startsWith('sha256:')) return undefined;
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const tagColon = rest.lastIndexOf(':');
  if (tagColon > lastSlash) {
    tag = rest.slice(tagColon + 1);
    rest = rest.slice(0, tagColon);
  }
  const firstSlash = rest.indexOf('/');
  let registry = DOCKER_HUB;
  let repository = rest;
  if (firstSlash >= 0 && looksLikeRegistry(rest.slice(0, firstSlash))) {
    registry = rest.slice(0, firstSlash);
    repository = rest.slice(firstSlash + 1);
  }
  if (repository === '' || registry === '') return undefined;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  // kubelet pulls ":latest" when no tag and no digest is given.
  if (tag === undefined && digest === undefined) tag = 'latest';
  const base = `${registry}/${repository}`;
  const canonical = `${base}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return { registry, repository, tag, digest, canonical, sourceKey: `${stripPort(registry)}/${repository}` };
}

/** Splits an agent `sources` entry ("127.0.0.1/lab/alpha") into a provisional image name. */
export function provisionalName(source: string | undefined, digest: string): ImageName {
  const parsed = source === undefined ? undefined : parseImageName(source);
  const registry = parsed?.registry ?? '';
  const repository = parsed?.repository ?? '';
  const base = parsed === undefined ? '' : `${registry}/${repository}`;
  return {
    registry,
    repository,
    digest,
    canonical: `${base}@${digest}`,
    sourceKey: parsed?.sourceKey ?? '',
  };
}
