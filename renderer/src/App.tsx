// The window: header with views and connection status, the current view, toasts; global keys.
import { useEffect } from 'react';
import { useCoreState } from './store/context.tsx';
import { useUi, VIEWS } from './store/ui.ts';
import { ClustersView } from './views/ClustersView.tsx';
import { PullsView } from './views/PullsView.tsx';
import { PullDetail } from './views/PullDetail.tsx';
import { ChartsView } from './views/ChartsView.tsx';
import { NodesView } from './views/NodesView.tsx';
import { HistoryView } from './views/HistoryView.tsx';
import { Toasts } from './views/Toasts.tsx';
import { Fatal, Loading } from './views/States.tsx';

export function App() {
  const connection = useCoreState((s) => s.connection);
  const synced = useCoreState((s) => s.synced);
  const protocolError = useCoreState((s) => s.protocolError);
  const clusterCount = useCoreState((s) => s.clusters.size);
  const { view, openPull, show, open, focusSearch } = useUi();

  // With no cluster open, start on the clusters view (context picker and demo).
  const noClusters = clusterCount === 0;
  useEffect(() => {
    if (synced && noClusters) show('clusters');
  }, [synced, noClusters, show]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const typing = event.target instanceof HTMLElement && ['INPUT', 'SELECT', 'TEXTAREA'].includes(event.target.tagName);
      if (event.key === 'Escape') {
        if (typing) (event.target as HTMLElement).blur();
        else if (useUi.getState().openPull) open(undefined);
        return;
      }
      if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key === '/') {
        event.preventDefault();
        focusSearch();
      } else if (/^[1-5]$/.test(event.key)) {
        const target = VIEWS[Number(event.key) - 1];
        if (target) show(target.name);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, show, focusSearch]);

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">pulltrace</span>
        <nav aria-label="Views">
          {VIEWS.map((v, i) => (
            <button key={v.name} className={view === v.name ? 'tab active' : 'tab'} aria-current={view === v.name ? 'page' : undefined} onClick={() => show(v.name)} title={`${v.label} (${i + 1})`}>
              {v.label}
            </button>
          ))}
        </nav>
        <span className={`conn conn-${connection.status}`} title={connection.status === 'closed' ? connection.reason : undefined}>
          {connection.status === 'open' ? `${clusterCount} cluster${clusterCount === 1 ? '' : 's'}` : connection.status === 'connecting' ? 'connecting…' : 'disconnected'}
        </span>
      </header>
      {protocolError ? <div className="banner banner-error">Core and UI disagree on the bridge format: {protocolError}</div> : null}
      {connection.status === 'closed' && synced ? <div className="banner banner-error">Lost the connection to the core ({connection.reason}); reconnecting…</div> : null}
      <main className="content">
        {!synced ? (
          connection.status === 'closed' ? (
            <Fatal title="Cannot reach the pulltrace core" detail={connection.reason} />
          ) : (
            <Loading label="Connecting to the pulltrace core…" />
          )
        ) : view === 'clusters' ? (
          <ClustersView />
        ) : view === 'pulls' ? (
          openPull ? <PullDetail pullKey={openPull} /> : <PullsView />
        ) : view === 'charts' ? (
          <ChartsView />
        ) : view === 'nodes' ? (
          <NodesView />
        ) : (
          <HistoryView />
        )}
      </main>
      <Toasts />
    </div>
  );
}
