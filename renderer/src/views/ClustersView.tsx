// Clusters: the open clusters (status, mode, missing permissions, agent, install/upgrade/uninstall
// with a manifest preview), the kubeconfig context picker (current preselected, broken contexts
// explained) and the replay demo — started on its own when there is no context at all.
import { useEffect, useRef, useState } from 'react';
import { agentSocketPresets, agentSocketSchema, type AgentSocket, type ClusterStatus, type ContextList, type ManifestPreview } from '../../../electron/core/bridge/contract.ts';
import { useCore, useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { ErrorLine, Loading } from './States.tsx';

export function ClustersView() {
  const { bridge } = useCore();
  const clusters = useCoreState((s) => s.clusters);
  const show = useUi((s) => s.show);
  const [contexts, setContexts] = useState<ContextList | undefined>();
  const [contextsError, setContextsError] = useState<string | undefined>();
  const [chosen, setChosen] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const demoTried = useRef(false);

  const startDemo = async (): Promise<void> => {
    setBusy(true);
    const result = await bridge.invoke({ type: 'demo.start' });
    setBusy(false);
    if (result.ok) show('pulls');
    else setError(`Demo: ${result.error.message}`);
  };

  useEffect(() => {
    void bridge.invoke({ type: 'contexts.list' }).then((result) => {
      if (result.ok) {
        setContexts(result.value);
        setChosen(result.value.current ?? result.value.contexts.find((c) => c.problems.length === 0)?.name);
      } else setContextsError(result.error.message);
    });
  }, [bridge]);

  // No kubeconfig context to offer: start the replay demo once, so the app is never just empty.
  const noContexts = contextsError !== undefined || (contexts !== undefined && contexts.contexts.length === 0);
  useEffect(() => {
    if (noContexts && clusters.size === 0 && !demoTried.current) {
      demoTried.current = true;
      void startDemo();
    }
  }); // runs after every render; the ref makes it once

  const connect = async (): Promise<void> => {
    if (!chosen) return;
    setBusy(true);
    setError(undefined);
    const result = await bridge.invoke({ type: 'context.connect', context: chosen });
    setBusy(false);
    if (!result.ok) setError(`${chosen}: ${result.error.message}`);
  };

  return (
    <section className="clusters" aria-label="Clusters">
      <h1>Clusters</h1>
      {clusters.size === 0 ? <p className="muted">No cluster open yet.</p> : null}
      <div className="cluster-list">
        {[...clusters.values()].map((c) => (
          <ClusterCard key={c.id} cluster={c} />
        ))}
      </div>

      <h2>Kubeconfig contexts</h2>
      {contexts === undefined && contextsError === undefined ? <Loading label="Reading kubeconfig…" /> : null}
      {contextsError ? <p className="muted">Contexts unavailable: {contextsError}</p> : null}
      {contexts && contexts.contexts.length === 0 ? (
        <p className="muted">
          No context found in {contexts.files.map((f) => `${f.path} (${f.state})`).join(', ') || 'KUBECONFIG'}. The replay demo shows what pulltrace does meanwhile.
        </p>
      ) : null}
      {contexts && contexts.contexts.length > 0 ? (
        <div className="contexts" role="radiogroup" aria-label="Contexts">
          {contexts.contexts.map((c) => {
            const broken = c.problems.length > 0;
            return (
              <label key={c.name} className={`context${broken ? ' broken' : ''}${chosen === c.name ? ' chosen' : ''}`}>
                <input type="radio" name="context" value={c.name} checked={chosen === c.name} disabled={broken} onChange={() => setChosen(c.name)} />
                <span className="context-name">
                  {c.name}
                  {c.current ? <span className="pill">current</span> : null}
                </span>
                <span className="muted">
                  {c.server ?? 'no server'} · {c.user ?? 'no user'} · {c.auth}
                </span>
                {broken ? (
                  <ul className="problems">
                    {c.problems.map((p) => (
                      <li key={p}>{p}</li>
                    ))}
                  </ul>
                ) : null}
              </label>
            );
          })}
          <button className="primary" disabled={!chosen || busy || clusters.has(chosen)} onClick={() => void connect()}>
            {chosen && clusters.has(chosen) ? 'Connected' : `Connect ${chosen ?? ''}`}
          </button>
        </div>
      ) : null}
      <ErrorLine message={error} />

      <h2>Replay demo</h2>
      <p className="muted">Every bundled lab recording (real containerd pulls through a throttled registry), each replayed as its own cluster through the real engine, looping.</p>
      <button disabled={busy || [...clusters.values()].some((c) => c.kind === 'demo')} onClick={() => void startDemo()}>
        Start replay demo
      </button>
    </section>
  );
}

function ClusterCard({ cluster }: { cluster: ClusterStatus }) {
  const { bridge } = useCore();
  const [preview, setPreview] = useState<ManifestPreview | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  /** undefined: the core's choice (the installed agent's socket, else the containerd preset) */
  const [socket, setSocket] = useState<AgentSocket | undefined>();

  const ask = async (action: ManifestPreview['action'], chosen = socket): Promise<void> => {
    setError(undefined);
    setDone(undefined);
    const result = await bridge.invoke({ type: 'agent.preview', cluster: cluster.id, action, ...(chosen ? { socket: chosen } : {}) });
    if (result.ok) setPreview(result.value);
    else setError(result.error.message);
  };
  const chooseSocket = (chosen: AgentSocket): void => {
    if (!preview) return;
    setSocket(chosen);
    void ask(preview.action, chosen);
  };
  const apply = async (): Promise<void> => {
    if (!preview) return;
    const result = await bridge.invoke({ type: 'agent.apply', cluster: cluster.id, action: preview.action, hash: preview.hash, ...(socket ? { socket } : {}) });
    if (result.ok) {
      setDone(`${preview.action} done`);
      setPreview(undefined);
    } else setError(result.error.message);
  };
  const disconnect = async (): Promise<void> => {
    const result = await bridge.invoke({ type: 'cluster.disconnect', cluster: cluster.id });
    if (!result.ok) setError(result.error.message);
  };

  return (
    <article className={`cluster-card state-${cluster.state}`} aria-label={`Cluster ${cluster.label}`}>
      <header>
        <strong>{cluster.label}</strong>
        <span className={`badge badge-${cluster.state}`}>{cluster.state}</span>
        <span className="pill">{cluster.mode === 'replay' ? 'replay' : cluster.mode === 'agent' ? 'node agents' : cluster.mode === 'events' ? 'kubelet events only' : 'no data yet'}</span>
      </header>
      {cluster.message ? <p className="muted">{cluster.message}</p> : null}
      {cluster.agent ? (
        <p>
          {cluster.agent.nodesTotal > 0
            ? `Agent streams: ${cluster.agent.nodesConnected}/${cluster.agent.nodesTotal} nodes connected`
            : 'No agent stream yet: streams open when a node starts pulling (install the agent if it is not there).'}
        </p>
      ) : null}
      {cluster.missing.length > 0 ? (
        <details className="missing" open={cluster.missing.length <= 8}>
          <summary>
            {cluster.missing.length} missing permission{cluster.missing.length === 1 ? '' : 's'} ({[...new Set(cluster.missing.map((m) => m.feature))].join(', ')})
          </summary>
          <ul className="problems" aria-label="Missing permissions">
            {cluster.missing.map((m) => (
              <li key={`${m.feature}:${m.sentence}`}>
                <strong>{m.feature}:</strong> {m.sentence}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <div className="actions">
        {cluster.kind === 'context' ? (
          <>
            <button onClick={() => void ask(cluster.agent?.installed ? 'upgrade' : 'install')}>{cluster.agent?.installed ? 'Upgrade agent…' : 'Install or upgrade agent…'}</button>
            <button onClick={() => void ask('uninstall')}>Uninstall agent…</button>
          </>
        ) : null}
        <button onClick={() => void disconnect()}>{cluster.kind === 'demo' ? 'Stop demo' : 'Disconnect'}</button>
      </div>
      <ErrorLine message={error} />
      {done ? <p role="status">{done}</p> : null}
      {preview ? (
        <div className="preview">
          <p>
            {preview.action} will {preview.action === 'uninstall' ? 'delete' : 'apply'} {preview.objects.length} objects: {preview.objects.map((o) => `${o.kind}/${o.name}`).join(', ')}
          </p>
          {preview.socket ? <SocketChoice key={preview.socket.path} current={preview.socket} onChoose={chooseSocket} /> : null}
          <pre className="manifest">{preview.yaml}</pre>
          <button className="primary" onClick={() => void apply()}>
            {preview.action === 'uninstall' ? 'Uninstall' : 'Apply'} exactly this
          </button>
          <button onClick={() => setPreview(undefined)}>Cancel</button>
        </div>
      ) : null}
    </article>
  );
}

/** containerd's socket on the nodes: a distribution's preset or a path; each choice previews anew. */
function SocketChoice({ current, onChoose }: { current: NonNullable<ManifestPreview['socket']>; onChoose: (socket: AgentSocket) => void }) {
  const [custom, setCustom] = useState(current.preset ? undefined : current.path);
  const [problem, setProblem] = useState<string | undefined>();
  const submitCustom = (): void => {
    const parsed = agentSocketSchema.safeParse({ path: custom ?? '' });
    setProblem(parsed.success ? undefined : parsed.error.issues.map((i) => i.message).join('; '));
    if (parsed.success) onChoose(parsed.data);
  };
  return (
    <div className="socket-choice">
      <label>
        containerd socket on the nodes{' '}
        <select
          aria-label="containerd socket"
          value={custom === undefined ? current.preset : 'custom'}
          onChange={(e) => {
            const value = e.target.value;
            const preset = agentSocketPresets.find((p) => p === value);
            if (preset) {
              setCustom(undefined);
              onChoose(preset);
            } else setCustom(current.path);
          }}
        >
          {agentSocketPresets.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
          <option value="custom">another path…</option>
        </select>
      </label>
      {custom !== undefined ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submitCustom();
          }}
        >
          <input aria-label="Socket path" value={custom} spellCheck={false} onChange={(e) => setCustom(e.target.value)} />
          <button type="submit">Use this path</button>
        </form>
      ) : null}
      <p className="muted">
        Mounts the directory of <code>{current.path}</code> read-only (a restarted containerd makes a new socket file there).
      </p>
      <ErrorLine message={problem} />
    </div>
  );
}
