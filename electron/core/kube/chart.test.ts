// The committed chart is what the generator produces, and its default values render exactly the
// app's manifests (rendered by chart-render.fixture.ts: `helm` is not obtainable here).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { chartFiles, projectVersion } from './chart.ts';
import { renderChart } from './chart-render.fixture.ts';
import { buildAgentManifests, defaultInstallOptions } from './manifests.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const chartDir = path.join(repo, 'charts/pulltrace-agent');

describe('charts/pulltrace-agent', () => {
  const version = projectVersion(repo);
  const generated = chartFiles(version);

  it('is up to date with the manifest builder (run: node electron/core/kube/chart.ts)', () => {
    for (const [file, text] of Object.entries(generated)) {
      expect(readFileSync(path.join(chartDir, file), 'utf8'), file).toBe(text);
    }
  });

  it('default values render the same objects the app applies (namespace from the release, managed-by Helm)', () => {
    const bundle = 'console.log("agent");\n// "quotes" and \\ backslashes survive\n';
    const values = parse(generated['values.yaml']!) as Record<string, unknown>;
    const rendered = renderChart(generated, values, bundle, version);
    const app = buildAgentManifests({ ...defaultInstallOptions(version), createNamespace: false, managedBy: 'Helm' }, { content: bundle });
    expect(rendered).toEqual(app.objects);
  });

  it('values change what they should: preset socket, node selector, scrape annotations, image', () => {
    const defaults = parse(generated['values.yaml']!) as Record<string, unknown> & { metrics: Record<string, unknown> };
    // helm merges -f/--set values into the defaults; so do we.
    const values = { ...defaults, socketPath: '/run/k3s/containerd/containerd.sock', nodeSelector: { pool: 'gpu', zone: 'a' }, metrics: { ...defaults.metrics, scrapeAnnotations: true }, image: 'registry.local/node:24' };
    const rendered = renderChart(generated, values, 'x', version);
    const app = buildAgentManifests({ ...defaultInstallOptions(version), createNamespace: false, managedBy: 'Helm', socket: 'k3s', nodeSelector: { pool: 'gpu', zone: 'a' }, scrapeAnnotations: true, image: 'registry.local/node:24' }, { content: 'x' });
    expect(rendered).toEqual(app.objects);
  });

  it('an optional PodMonitor for the Prometheus Operator, off by default', () => {
    const values = parse(generated['values.yaml']!) as { metrics: { podMonitor: { enabled: boolean } } };
    expect(renderChart(generated, values as unknown as Record<string, unknown>, 'x', version).map((o) => (o as { kind: string }).kind)).not.toContain('PodMonitor');
    values.metrics.podMonitor.enabled = true;
    const monitor = renderChart(generated, values as unknown as Record<string, unknown>, 'x', version).find((o) => (o as { kind: string }).kind === 'PodMonitor');
    expect(monitor).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      metadata: { namespace: 'pulltrace' },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'pulltrace-agent' } }, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }] },
    });
  });
});
