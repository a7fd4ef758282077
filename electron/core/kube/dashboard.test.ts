// The chart's Grafana dashboard (charts/pulltrace-agent/dashboards/pulltrace-fleet.json, proved
// equal to the generator's output by chart.test.ts): a well-formed dashboard, and every query uses
// metrics the agent really exports, with their real types and labels. Those are read from the
// agent's own Prometheus registry, built by its code in a separate Node process (the desktop
// never imports agent/), so a renamed metric or label fails here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

interface ExportedMetric { name: string; type: 'counter' | 'gauge' | 'histogram' | 'summary'; labels: string[] }

function agentMetrics(): Map<string, ExportedMetric> {
  const script = `
    const { AgentMetrics } = await import(${JSON.stringify(path.join(repo, 'agent/src/metrics.ts'))});
    const metrics = new AgentMetrics(10);
    const all = await metrics.registry.getMetricsAsJSON();
    console.log(JSON.stringify(all.map((m) => ({ name: m.name, type: m.type, labels: metrics.registry.getSingleMetric(m.name).labelNames ?? [] }))));
    process.exit(0);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
  const list = z.array(z.object({ name: z.string(), type: z.enum(['counter', 'gauge', 'histogram', 'summary']), labels: z.array(z.string()) })).parse(JSON.parse(out));
  return new Map(list.map((m) => [m.name, m]));
}

const dashboardSchema = z.object({
  title: z.string().min(1),
  uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
  schemaVersion: z.number().int().min(30),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string(), query: z.string(), label: z.string().optional() })) }),
  panels: z.array(z.object({
    id: z.number().int().positive(),
    title: z.string().min(1),
    type: z.enum(['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'heatmap']),
    datasource: z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') }),
    gridPos: z.object({ h: z.number().int().positive(), w: z.number().int().positive(), x: z.number().int().min(0), y: z.number().int().min(0) }),
    fieldConfig: z.object({ defaults: z.object({ unit: z.string() }) }),
    targets: z.array(z.object({ refId: z.string().regex(/^[A-Z]$/), expr: z.string().min(1), legendFormat: z.string() })).min(1),
  })).min(1),
});

// Labels Prometheus itself attaches to every scraped series: from the target (instance, job) and
// from the Kubernetes pod discovery of the scrape annotations' usual relabelling or a PodMonitor.
const targetLabels = new Set(['instance', 'job', 'namespace', 'pod', 'container', 'node']);

const dashboard = dashboardSchema.parse(JSON.parse(readFileSync(path.join(repo, 'charts/pulltrace-agent/dashboards/pulltrace-fleet.json'), 'utf8')));
const exported = agentMetrics();

/** A metric reference in a query, with the series it names (name, or a histogram's _bucket/_sum/_count). */
function resolve(series: string): { metric: ExportedMetric; part: 'value' | 'bucket' | 'sum' | 'count' } | undefined {
  const exact = exported.get(series);
  if (exact) return { metric: exact, part: 'value' };
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m ? exported.get(m[1]!) : undefined;
  return base && (base.type === 'histogram' || base.type === 'summary') ? { metric: base, part: m![2] as 'bucket' | 'sum' | 'count' } : undefined;
}

describe('Grafana fleet dashboard', () => {
  it('the agent registry read from its own code (sanity: the figures the chart talks about are there)', () => {
    expect(exported.get('pulltrace_agent_pull_bytes_total')).toEqual({ name: 'pulltrace_agent_pull_bytes_total', type: 'counter', labels: ['registry', 'repository'] });
  });

  it('is a well-formed dashboard: datasource variable, unique ids and refIds, panels on the 24-column grid without overlap', () => {
    expect(dashboard.templating.list).toContainEqual({ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' });
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      expect(new Set(panel.targets.map((t) => t.refId)).size, panel.title).toBe(panel.targets.length);
      for (let x = panel.gridPos.x; x < panel.gridPos.x + panel.gridPos.w; x++) {
        for (let y = panel.gridPos.y; y < panel.gridPos.y + panel.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${panel.title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('every query uses exported metrics the way their type allows, and only labels they have', () => {
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const { expr, legendFormat } of panel.targets) {
        const where = `${panel.title}: ${expr}`;
        const refs = [...expr.matchAll(/\b(pulltrace_agent_[a-z0-9_]+)/g)];
        expect(refs.length, where).toBeGreaterThan(0);
        const available = new Set(targetLabels);
        for (const ref of refs) {
          const series = ref[1]!;
          const found = resolve(series);
          expect(found, `${where}: ${series} is not exported by the agent`).toBeDefined();
          if (!found) continue;
          used.add(found.metric.name);
          for (const label of found.metric.labels) available.add(label);
          const before = expr.slice(0, ref.index);
          const inRate = /\b(rate|irate|increase)\(\s*$/.test(before);
          // Counters only make sense as rates; a gauge's rate is meaningless; buckets feed quantiles.
          if (found.metric.type === 'counter') expect(inRate, `${where}: counter ${series} outside rate()/increase()`).toBe(true);
          if (found.metric.type === 'gauge') expect(inRate, `${where}: rate() of gauge ${series}`).toBe(false);
          if (found.part === 'bucket') {
            expect(expr, where).toMatch(/histogram_quantile\(/);
            expect(expr, `${where}: quantiles need "le" kept`).toMatch(/by \([^)]*\ble\b[^)]*\)/);
            available.add('le');
          }
        }
        for (const clause of expr.matchAll(/\b(?:by|without) \(([^)]*)\)/g)) {
          for (const label of clause[1]!.split(',').map((l) => l.trim()).filter(Boolean)) {
            expect(available.has(label), `${where}: no metric in it has label "${label}"`).toBe(true);
          }
        }
        for (const placeholder of legendFormat.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
          expect(available.has(placeholder[1]!), `${where}: legend uses "${placeholder[1]}"`).toBe(true);
        }
      }
    }
    // The fleet view the chart promises: throughput, durations, failures, active pulls, containerd health.
    expect([...used].sort()).toEqual(['pulltrace_agent_active_pulls', 'pulltrace_agent_containerd_up', 'pulltrace_agent_pull_bytes_total', 'pulltrace_agent_pull_duration_seconds', 'pulltrace_agent_pull_failures_total']);
  });
});
