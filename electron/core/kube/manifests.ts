// The ONE source of the agent's Kubernetes objects. The app applies this builder's output (with a
// YAML preview first) and charts/pulltrace-agent is generated from it (scripts in charts/), so the
// two cannot drift. Pure: options and the bundle text in, plain objects out.
//
// No custom image: a stock Node image runs the single-file agent bundle shipped in an immutable
// ConfigMap named after the bundle's sha256. The container's command checks that hash before
// importing the bundle (the image may have no shell, e.g. distroless or the lab's node image, so
// the check is `node -e`). Why each setting is what it is: docs/kube.md, "Install".
import { createHash } from 'node:crypto';
import path from 'node:path';
import { stringify } from 'yaml';

/** Where distributions put containerd's socket on the host. */
export const socketPresets = {
  containerd: '/run/containerd/containerd.sock',
  k3s: '/run/k3s/containerd/containerd.sock',
  rke2: '/run/k3s/containerd/containerd.sock',
  microk8s: '/var/snap/microk8s/common/run/containerd.sock',
} as const;
export type SocketPreset = keyof typeof socketPresets;

export const agentName = 'pulltrace-agent';
export const fieldManager = 'pulltrace-desktop';
export const labels = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  component: 'app.kubernetes.io/component',
} as const;
export const annotations = {
  bundleSha256: 'pulltrace.dev/bundle-sha256',
  grpcPort: 'pulltrace.dev/grpc-port',
  /** the socket's host path, so an upgrade keeps what the install chose */
  socket: 'pulltrace.dev/containerd-socket',
} as const;
/** Selects everything an install created (uninstall and upgrade clean-up use it). */
export const managedSelector = `${labels.name}=${agentName},${labels.managedBy}=${fieldManager}`;

/** Where the socket's directory and the bundle appear inside the container. The directory, not the
 * socket file: a restarted containerd removes its socket and listens on a new file, which a mount
 * of the old file never shows (a directory mount does). */
const socketMountDir = '/run/pulltrace/containerd';
const bundleDir = '/opt/pulltrace';
/** The agent bundle's file name: scripts/build-agent.ts writes it, the ConfigMap key and the pod's
 * mount use it, the installer and chart read it. */
export const agentBundleFile = 'pulltrace-agent.cjs';

export interface AgentBundle {
  /** The esbuild output (out/agent/pulltrace-agent.cjs). */
  content: string;
}

export interface AgentInstallOptions {
  namespace: string;
  /** Also create (and on uninstall delete) the namespace. False when it existed before. */
  createNamespace: boolean;
  image: string;
  imagePullPolicy: 'IfNotPresent' | 'Always' | 'Never';
  /** Host path of containerd's socket: a preset or an explicit path. */
  socket: SocketPreset | { path: string };
  containerdNamespace: string;
  /** Group owning the socket on the host (root:root 0660 on most distributions). */
  socketGroup: number;
  runAsUser: number;
  nodeSelector: Record<string, string>;
  grpcPort: number;
  metricsPort: number;
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /** Shown as app.kubernetes.io/version; an install is "outdated" when it differs. */
  version: string;
  /** Prometheus scrape annotations on the pods (for a cluster's own Prometheus). */
  scrapeAnnotations: boolean;
  /** app.kubernetes.io/managed-by: the app's own installs are found (and removed) by it; the Helm
   * chart sets "Helm" so the app never deletes a chart's objects. */
  managedBy: string;
}

export function defaultInstallOptions(version: string): AgentInstallOptions {
  return {
    namespace: 'pulltrace',
    createNamespace: true,
    image: 'node:24-slim',
    imagePullPolicy: 'IfNotPresent',
    socket: 'containerd',
    containerdNamespace: 'k8s.io',
    socketGroup: 0,
    runAsUser: 1000,
    nodeSelector: {},
    grpcPort: 7441,
    metricsPort: 7442,
    resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '250m', memory: '160Mi' } },
    version,
    scrapeAnnotations: false,
    managedBy: fieldManager,
  };
}

/** A ConfigMap holds at most 1 MiB (etcd's object size limit minus overhead). */
export const maxBundleBytes = 1024 * 1024 - 4096;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface AgentManifests {
  objects: KubeObject[];
  bundleSha256: string;
  configMapName: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function socketHostPath(socket: AgentInstallOptions['socket']): string {
  return typeof socket === 'string' ? socketPresets[socket] : socket.path;
}

/** The socket's host path, its directory (mounted) and file name (found in the mount). */
function socketParts(socket: AgentInstallOptions['socket']): { hostPath: string; dir: string; file: string } {
  const hostPath = socketHostPath(socket);
  return { hostPath, dir: path.posix.dirname(hostPath), file: path.posix.basename(hostPath) };
}

/** `node -e` program: refuse to start unless the mounted bundle has the expected sha256, then run it. */
export function launcherScript(): string {
  return [
    "const f='" + bundleDir + '/' + agentBundleFile + "';",
    "const h=require('node:crypto').createHash('sha256').update(require('node:fs').readFileSync(f)).digest('hex');",
    'const want=process.env.PULLTRACE_BUNDLE_SHA256;',
    "if(h!==want){console.error('pulltrace: '+f+' has sha256 '+h+', expected '+want+': refusing to start');process.exit(78);}",
    'require(f);',
  ].join('');
}

export function buildAgentManifests(options: AgentInstallOptions, bundle: AgentBundle): AgentManifests {
  const size = Buffer.byteLength(bundle.content, 'utf8');
  if (size > maxBundleBytes) throw new Error(`agent bundle is ${size} bytes; a ConfigMap holds at most ${maxBundleBytes}`);
  const hash = sha256(bundle.content);
  const configMapName = `${agentName}-${hash.slice(0, 12)}`;
  const common = { [labels.name]: agentName, [labels.managedBy]: options.managedBy, [labels.version]: options.version };
  const meta = (name: string) => ({ name, namespace: options.namespace, labels: { ...common } });
  const selector = { [labels.name]: agentName };

  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: options.namespace,
      // hostPath volumes are forbidden by the baseline and restricted Pod Security levels.
      labels: { ...common, 'pod-security.kubernetes.io/enforce': 'privileged' },
    },
  };
  const serviceAccount: KubeObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(agentName),
    // The agent never calls the Kubernetes API: no token in the pod.
    automountServiceAccountToken: false,
  };
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...meta(configMapName), annotations: { [annotations.bundleSha256]: hash } },
    immutable: true,
    data: { [agentBundleFile]: bundle.content },
  };
  const podAnnotations: Record<string, string> = { [annotations.bundleSha256]: hash, [annotations.grpcPort]: String(options.grpcPort) };
  if (options.scrapeAnnotations) {
    Object.assign(podAnnotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(options.metricsPort), 'prometheus.io/path': '/metrics' });
  }
  const socket = socketParts(options.socket);
  const daemonSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { ...meta(agentName), annotations: { [annotations.socket]: socket.hostPath } },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '20%' } },
      template: {
        metadata: { labels: { ...common, [labels.component]: 'agent' }, annotations: podAnnotations },
        spec: {
          serviceAccountName: agentName,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          // Every node pulls images, tainted or not (control planes, GPU pools, NoExecute too).
          tolerations: [{ operator: 'Exists' }],
          nodeSelector: { 'kubernetes.io/os': 'linux', ...options.nodeSelector },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: options.runAsUser,
            runAsGroup: options.runAsUser,
            // The socket is root:root 0660: its group, not root, is what the agent needs.
            supplementalGroups: [options.socketGroup],
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [{
            name: 'agent',
            image: options.image,
            imagePullPolicy: options.imagePullPolicy,
            command: ['node', '-e', launcherScript()],
            env: [
              { name: 'PULLTRACE_BUNDLE_SHA256', value: hash },
              { name: 'PULLTRACE_SOCKET', value: `${socketMountDir}/${socket.file}` },
              { name: 'PULLTRACE_NAMESPACE', value: options.containerdNamespace },
              { name: 'PULLTRACE_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'PULLTRACE_GRPC_PORT', value: String(options.grpcPort) },
              { name: 'PULLTRACE_METRICS_PORT', value: String(options.metricsPort) },
            ],
            // gRPC listens on the pod's 127.0.0.1 only (reached through port-forward), so it is
            // not declared; metrics are for the cluster's Prometheus.
            ports: [{ name: 'metrics', containerPort: options.metricsPort, protocol: 'TCP' }],
            resources: options.resources,
            securityContext: {
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [
              { name: 'containerd-socket', mountPath: socketMountDir, readOnly: true },
              { name: 'bundle', mountPath: bundleDir, readOnly: true },
            ],
          }],
          volumes: [
            { name: 'containerd-socket', hostPath: { path: socket.dir, type: 'Directory' } },
            { name: 'bundle', configMap: { name: configMapName, defaultMode: 0o444 } },
          ],
        },
      },
    },
  };
  const objects = options.createNamespace ? [namespace, serviceAccount, configMap, daemonSet] : [serviceAccount, configMap, daemonSet];
  return { objects, bundleSha256: hash, configMapName };
}

/** The preview shown before applying: multi-document YAML, the bundle body elided (it is large
 * and its hash is what matters). */
export function manifestsYaml(objects: readonly KubeObject[], options: { elideBundle: boolean } = { elideBundle: true }): string {
  return objects
    .map((o) => {
      const shown = options.elideBundle && o.kind === 'ConfigMap'
        ? { ...o, data: { [agentBundleFile]: `<agent bundle, ${Buffer.byteLength(String((o.data as Record<string, string>)[agentBundleFile]), 'utf8')} bytes, sha256 ${o.metadata.annotations?.[annotations.bundleSha256]}>` } }
        : o;
      return stringify(shown, { lineWidth: 0 });
    })
    .join('---\n');
}
