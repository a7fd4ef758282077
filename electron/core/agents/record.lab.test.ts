// The record command against the lab's real single-node cluster: the agent (a local process on
// the kubelet node's containerd socket) and the kube watches of the lab's API server are recorded
// together while the kubelet pulls a pod's image through the throttle proxy. The recording must
// parse with the lead's loader, stay in time order, and hold the node's own pull: the agent's
// progress, kubelet's Pulling/Pulled events and the pod — and nothing of other nodes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../../agent/test/harness.ts';
import type { KubeletEvent, PodObserved } from '../engine/types.ts';
import { blobsOnNode, kubectl, labAdmin, labScript, labSocket, nodeActivity, removeLeftoverContainers, requireLab, waitFor, waitNodeQuiet } from '../kube/lab.fixture.ts';
import { loadRecording } from '../replay/files.ts';
import { recordAgent } from './record.ts';

const NODE = 'lab-kubelet';
const image = '127.0.0.1:5001/lab/alpha-run:v1';
/** alpha-run's two big layers (base 20 MB, alpha 30 MB): gone from the node, the pull is cold */
const bigLayers = ['sha256:5efee186663b3147d6c131e966e26d58e75912fb8d796a9cb68d8d60c988e98c', 'sha256:f3e06e29bccb72f1c2317d3e04222197cf5966af3bc78a31a9436b50f6718013'];
const namespace = `pulltrace-record-${Date.now().toString(36)}`;
let agent: AgentProcess;
let dir: string;

beforeAll(async () => {
  requireLab({ kubelet: true });
  kubectl(['create', 'namespace', namespace]);
  agent = await startAgent({ args: ['--socket', labSocket, '--node', NODE, '--heartbeat-ms', '1000'] });
  dir = mkdtempSync(join(tmpdir(), 'pulltrace-record-'));
});
afterAll(async () => {
  kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('record (lab: kubelet node + its containerd)', () => {
  it('records the agent stream and the node’s kubelet pull events and pods in one time-ordered file', async () => {
    // a cold pull of alpha-run (its blobs shared with alpha go too), throttled for its four blobs only
    // The recording stops once the node has had no live ingest for 4 s, after at least one: an
    // earlier test's pull still running in containerd would keep it going to its time limit, and
    // blobs an earlier test's image left on the node would make this pull cached, with no ingest.
    await waitNodeQuiet(90_000);
    await waitFor('alpha-run cold on the node', () => {
      removeLeftoverContainers();
      labScript('node-reset.sh', ['--keep-proxy', '127.0.0.1:5000/lab/alpha', '127.0.0.1:5001/lab/alpha']);
      return blobsOnNode(bigLayers).length === 0 ? true : undefined;
    }, 60_000, 2_000).catch((error: unknown) => {
      throw new Error(`${String(error)}: still on the node ${JSON.stringify(blobsOnNode(bigLayers))}; ${JSON.stringify(nodeActivity())}; images ${execFileSync('ctr', ['-a', labSocket, '-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter((n) => n.includes('alpha')).join(' ')}`);
    });
    const rule = await fetch('http://127.0.0.1:5001/_lab/rules', { method: 'POST', body: JSON.stringify({ match: { repo: 'lab/alpha-run', kind: 'blob' }, action: 'rate', rate: '8MB', times: 4 }) });
    expect(rule.ok).toBe(true);
    const out = join(dir, 'alpha-run.ndjson');
    const result = await recordAgent({
      host: '127.0.0.1',
      port: agent.grpcPort,
      out,
      cluster: 'lab',
      source: 'record.lab.test',
      maxDurationMs: 120_000,
      untilIdleMs: 4_000,
      kube: { config: labAdmin },
      onReady: () =>
        kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'puller' },
          spec: { nodeSelector: { 'lab-kube/kubelet': 'true' }, terminationGracePeriodSeconds: 1, containers: [{ name: 'alpha', image, imagePullPolicy: 'Always' }] },
        })),
    });
    const recording = await loadRecording(out);
    const ingestsRecorded = recording.inputs.filter((i) => i.type === 'ingests.observed').length;
    expect(result.stoppedBecause, `ingest inputs recorded: ${ingestsRecorded}; the node now: ${JSON.stringify(nodeActivity())}`).toBe('idle');

    expect(recording.errors, 'every line parses and time never goes backwards').toEqual([]);
    const types = recording.inputs.map((i) => i.type);
    expect(types[0]).toBe('agent.connected');
    expect(types).toEqual(expect.arrayContaining(['ingests.observed', 'manifest.seen', 'ingest.gone']));
    expect(result.kubeInputs).toBeGreaterThan(0);

    const events = recording.inputs.filter((i): i is KubeletEvent => i.type === 'kube.event');
    const ours = events.filter((e) => e.pod.namespace === namespace && e.pod.name === 'puller');
    const reasons = ours.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Pulling', 'Pulled']));
    expect(reasons.indexOf('Pulling')).toBeLessThan(reasons.indexOf('Pulled'));
    expect(ours.find((e) => e.reason === 'Pulling')?.message).toContain(image);
    // kubelet's Pulling comes before the download it announces is over; Pulled after it
    const firstGone = recording.inputs.findIndex((i) => i.type === 'ingest.gone');
    expect(recording.inputs.indexOf(ours.find((e) => e.reason === 'Pulling')!)).toBeLessThan(firstGone);
    expect(recording.inputs.indexOf(ours.find((e) => e.reason === 'Pulled')!)).toBeGreaterThan(firstGone);

    const pods = recording.inputs.filter((i): i is PodObserved => i.type === 'kube.pod');
    expect(pods.some((p) => p.pod.namespace === namespace && p.pod.name === 'puller' && p.containers.some((c) => c.image === image))).toBe(true);
    // only this node: no event or pod of another node, no event from before the recording
    expect(events.every((e) => e.node === NODE)).toBe(true);
    expect(pods.every((p) => p.node === NODE)).toBe(true);
    expect(events.every((e) => e.at >= recording.header.recordedAt - 1_000)).toBe(true);
  });
});
