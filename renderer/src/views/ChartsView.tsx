// Cluster throughput over time, stacked per node (top nodes + "other"), one chart per cluster, and
// the fastest pulls right now. The series arrive pre-aggregated at 1 Hz from the engine; the chart
// redraws at most once per new bucket, with animations off.
import { memo, useMemo } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { stackTopNodes, OTHER } from '../lib/chart-data.ts';
import { formatClock, formatRate } from '../lib/format.ts';
import type { ClusterSeries } from '../store/store.ts';
import { Empty } from './States.tsx';
import { pullKey } from '../store/store.ts';

const TOP_NODES = 6;
const WINDOW_POINTS = 300;
const palette = ['#3b82f6', '#10b981', '#f59e0b', '#8b5cf6', '#ef4444', '#06b6d4'];

export function ChartsView() {
  const series = useCoreState((s) => s.series);
  const clusters = useCoreState((s) => s.clusters);
  const pulls = useCoreState((s) => s.pulls);
  const open = useUi((s) => s.open);
  const fastest = useMemo(() => [...pulls.values()].filter((p) => p.rate > 0).sort((a, b) => b.rate - a.rate).slice(0, 8), [pulls]);
  const maxRate = fastest[0]?.rate ?? 1;

  if (clusters.size === 0) return <Empty title="No cluster open">Throughput charts appear once a cluster or the demo is running.</Empty>;
  return (
    <section className="charts" aria-label="Throughput">
      {[...clusters.values()].map((c) => (
        <ClusterChart key={c.id} title={c.label} data={series.get(c.id)} />
      ))}
      <h2>Fastest pulls now</h2>
      {fastest.length === 0 ? (
        <p className="muted">No bytes are moving right now.</p>
      ) : (
        <ul className="bars">
          {fastest.map((p) => (
            <li key={`${p.cluster}/${p.id}`}>
              <button className="link bar-label" onClick={() => open(pullKey(p.cluster, p.id))} title={p.image}>
                {p.image} <span className="muted">on {p.node}</span>
              </button>
              <span className="bar">
                <span className="bar-fill" style={{ width: `${(100 * p.rate) / maxRate}%` }} />
              </span>
              <span className="num">{formatRate(p.rate)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// Memoised: pull deltas re-render the view ~10×/s; the chart only changes with a new 1 Hz bucket.
const ClusterChart = memo(function ClusterChart({ title, data }: { title: string; data: ClusterSeries | undefined }) {
  const lastAt = data?.cluster.at(-1)?.at ?? 0;
  // Recomputed only when a new bucket arrives, not on every pull delta.
  const stacked = useMemo(() => (data ? stackTopNodes(data.nodes, TOP_NODES, WINDOW_POINTS) : { keys: [], rows: [] }), [data, lastAt]);
  return (
    <div className="chart-card">
      <h2>{title}</h2>
      {stacked.rows.length < 2 ? (
        <p className="muted">Collecting throughput (one point per second)…</p>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <AreaChart data={stacked.rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="at" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(at: number) => formatClock(at)} minTickGap={80} stroke="var(--muted)" />
            <YAxis tickFormatter={(v: number) => formatRate(v)} width={84} stroke="var(--muted)" />
            <Tooltip labelFormatter={(at) => formatClock(Number(at))} formatter={(v) => formatRate(Number(v))} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
            <Legend />
            {stacked.keys.map((key, i) => (
              <Area
                key={key}
                dataKey={key}
                stackId="nodes"
                type="linear"
                isAnimationActive={false}
                stroke={key === OTHER ? '#9ca3af' : palette[i % palette.length]}
                fill={key === OTHER ? '#9ca3af' : palette[i % palette.length]}
                fillOpacity={0.35}
                dot={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      )}
    </div>
  );
});
