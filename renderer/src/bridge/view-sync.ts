// Keeps the core's session told what this window looks at: sends `view.set` whenever the view state
// (ui.ts) changes and again after every snapshot (a reconnect opens a new session, which starts from
// its default view). Changes within one task are sent once.
import type { BridgeClient } from './client.ts';
import type { PulltraceStore } from '../store/store.ts';
import { useUi, viewRequest } from '../store/ui.ts';

export function syncView(bridge: BridgeClient, store: PulltraceStore): () => void {
  let sentText = '';
  let sentEpoch = -1;
  let scheduled = false;
  const send = (): void => {
    scheduled = false;
    const request = viewRequest(useUi.getState());
    const text = JSON.stringify(request);
    const epoch = store.getState().sessionEpoch;
    if (epoch === 0 || (text === sentText && epoch === sentEpoch)) return;
    sentText = text;
    sentEpoch = epoch;
    void bridge.invoke({ type: 'view.set', view: request }).then((result) => {
      // Only a contract mismatch can make the core refuse it.
      if (!result.ok) store.getState().setProtocolError(`view.set refused: ${result.error.message}`);
    });
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(send, 0);
  };
  const stopUi = useUi.subscribe(schedule);
  const stopStore = store.subscribe((state) => {
    if (state.sessionEpoch !== sentEpoch) schedule();
  });
  return () => {
    stopUi();
    stopStore();
  };
}
