// One pull: summary, phase timeline, rate over time (sampled while the detail is open), layers with
// progress, media type, rate and cached marks, the pods and workloads waiting on it, the error.
// The core sends this one pull in full, with its layers (the `detail` of the view request); the
// table's rows and the core's updates carry none.
import { useEffect, useRef, useState } from 'react';
import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { PullView } from '../../../electron/core/bridge/contract.ts';
import { useCoreState } from '../store/context.tsx';
import { pullKey } from '../store/store.ts';
import { useUi } from '../store/ui.ts';
import { formatBytes, formatClock, formatDuration, formatRate, percent, shortDigest } from '../lib/format.ts';
import { Progress, StateBadge } from './bits.tsx';
import { Empty, Loading } from './States.tsx';

const maxSamples = 300;

export function PullDetail({ pullKey: key }: { pullKey: string }) {
  const detail = useCoreState((s) => (s.detail?.key === key ? s.detail : undefined));
  const pull = detail?.pull ?? undefined;
  const open = useUi((s) => s.open);
  const samples = useRateSamples(pull);

  if (detail === undefined) return <Loading label="Loading the pull…" />;
  if (!pull) {
    return (
      <Empty title="This pull is no longer in the live view">
        <p>Finished pulls leave the live view after a while; the History view keeps them.</p>
        <button onClick={() => open(undefined)}>Back to pulls (Esc)</button>
      </Empty>
    );
  }
  const total = pull.bytes.total;
  return (
    <section className="detail" aria-label={`Pull ${pull.image}`}>
      <div className="detail-head">
        <button className="back" onClick={() => open(undefined)} aria-label="Back to pulls">
          ← Pulls
        </button>
        <h1 title={pull.image}>{pull.image}</h1>
        <StateBadge state={pull.state} />
      </div>
      <p className="muted">
        {pull.cluster} · node <strong>{pull.node}</strong> · digest {shortDigest(pull.digest)} · from {pull.source === 'both' ? 'agent + kubelet events' : pull.source === 'agent' ? 'node agent' : 'kubelet events only'}
      </p>
      {pull.error ? (
        <div className="callout callout-error" role="alert">
          <strong>{pull.error.reason}</strong> — {pull.error.message}
        </div>
      ) : null}
      {pull.state === 'waiting' && pull.waitingOn ? (
        <div className="callout">
          Waiting on a shared layer being fetched by{' '}
          <button className="link" onClick={() => open(pullKey(pull.cluster, pull.waitingOn ?? ''))}>
            {pull.waitingOn}
          </button>
        </div>
      ) : null}

      <div className="stats">
        <Stat label="Downloaded" value={`${formatBytes(pull.bytes.done)} / ${pull.bytes.totalKnown ? formatBytes(total) : `≥ ${formatBytes(total)}`}`} />
        <Stat label="Cached on node" value={formatBytes(pull.bytes.cached)} />
        <Stat label="Rate" value={formatRate(pull.rate)} />
        <Stat label="ETA" value={formatDuration(pull.etaSeconds)} />
      </div>
      <Progress value={percent(pull.bytes.done, total) / 100} state={pull.state} label="overall progress" />

      <h2>Phases</h2>
      <Timeline pull={pull} />

      <h2>Rate</h2>
      <div className="chart-small">
        {samples.length < 2 ? (
          <p className="muted">Sampling the rate while this view is open…</p>
        ) : (
          <ResponsiveContainer width="100%" height={140}>
            <AreaChart data={samples} margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
              <XAxis dataKey="at" type="number" domain={['dataMin', 'dataMax']} ticks={[samples[0]?.at ?? 0, samples.at(-1)?.at ?? 0]} tickFormatter={(at: number) => formatClock(at)} />
              <YAxis tickFormatter={(v: number) => formatRate(v)} width={80} />
              <Tooltip labelFormatter={(at) => formatClock(Number(at))} formatter={(v) => formatRate(Number(v))} />
              <Area dataKey="rate" name="rate" type="linear" isAnimationActive={false} stroke="var(--accent)" fill="var(--accent-soft)" />
            </AreaChart>
          </ResponsiveContainer>
        )}
      </div>

      <h2>Layers ({pull.layers.length})</h2>
      {pull.layers.length === 0 ? (
        <p className="muted">{pull.source === 'events' ? 'No node agent: layer detail needs the agent on this node.' : 'The manifest has not been read yet.'}</p>
      ) : (
        <table className="layers">
          <thead>
            <tr>
              <th>Digest</th>
              <th>Media type</th>
              <th>Size</th>
              <th>Progress</th>
              <th>Rate</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {pull.layers.map((layer) => (
              <tr key={layer.digest} className={layer.state === 'cached' ? 'cached' : undefined}>
                <td className="mono" title={layer.digest}>
                  {shortDigest(layer.digest)}
                  {layer.sharedWith.length > 0 ? <span className="pill" title={layer.sharedWith.join('\n')}>shared</span> : null}
                </td>
                <td title={layer.mediaType}>{shortMediaType(layer.mediaType)}</td>
                <td className="num">{formatBytes(layer.size)}</td>
                <td className="layer-progress">
                  <Progress value={layer.state === 'cached' ? 1 : layer.size > 0 ? layer.done / layer.size : 0} state={layer.state} label={`layer ${shortDigest(layer.digest)}`} />
                </td>
                <td className="num">{formatRate(layer.rate)}</td>
                <td>{layer.state === 'cached' ? <span className="badge badge-cached">cached</span> : <StateBadge state={layer.state} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Waiting pods ({pull.pods.length})</h2>
      {pull.pods.length === 0 ? (
        <p className="muted">No pod is known to wait on this pull (e.g. a pull started with ctr or crictl).</p>
      ) : (
        <table className="pods">
          <thead>
            <tr>
              <th>Pod</th>
              <th>Workload</th>
              <th>Container</th>
              <th>Waiting reason</th>
            </tr>
          </thead>
          <tbody>
            {pull.pods.map((p) => (
              <tr key={`${p.pod.uid}/${p.container ?? ''}`}>
                <td>
                  {p.pod.namespace}/{p.pod.name}
                </td>
                <td>{p.workload ? `${p.workload.kind}/${p.workload.name}` : '—'}</td>
                <td>{p.container ?? '—'}</td>
                <td>{p.waitingReason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
    </div>
  );
}

function Timeline({ pull }: { pull: PullView }) {
  const end = pull.state === 'failed' ? 'failed' : pull.state === 'cached' ? 'cached' : 'done';
  const steps: Array<{ name: string; at: number | undefined }> = [
    { name: 'queued', at: pull.phases.queuedAt },
    { name: 'resolving', at: pull.phases.resolvingAt },
    { name: 'downloading', at: pull.phases.downloadingAt },
    { name: 'unpacking', at: pull.phases.unpackingAt },
    { name: end, at: pull.phases.finishedAt },
  ];
  return (
    <ol className="timeline">
      {steps.map((step, i) => {
        const next = steps.slice(i + 1).find((s) => s.at !== undefined)?.at;
        const current = step.at !== undefined && next === undefined && pull.phases.finishedAt === undefined;
        return (
          <li key={step.name} className={`${step.at !== undefined ? 'reached' : 'pending'}${current ? ` current is-${pull.state}` : ''} step-${step.name}`}>
            <span className="step-name">{step.name}</span>
            <span className="step-at">{formatClock(step.at)}</span>
            {step.at !== undefined && next !== undefined ? <span className="step-took">{formatDuration((next - step.at) / 1000)}</span> : null}
          </li>
        );
      })}
    </ol>
  );
}

function shortMediaType(mediaType: string): string {
  return mediaType.replace(/^application\/vnd\.(oci\.image|docker\.image\.rootfs|docker\.container\.image)\./, '').replace(/^application\//, '');
}

/** The pull's rate, one sample per update at most once a second, for as long as the view is open. */
function useRateSamples(pull: PullView | undefined): Array<{ at: number; rate: number }> {
  const [samples, setSamples] = useState<Array<{ at: number; rate: number }>>([]);
  const last = useRef(0);
  const id = pull?.id;
  useEffect(() => {
    setSamples([]);
    last.current = 0;
  }, [id]);
  useEffect(() => {
    if (!pull || pull.updatedAt - last.current < 1000) return;
    last.current = pull.updatedAt;
    setSamples((s) => [...s.slice(-(maxSamples - 1)), { at: pull.updatedAt, rate: pull.rate }]);
  }, [pull]);
  return samples;
}
