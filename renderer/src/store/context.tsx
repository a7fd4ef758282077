// React access to the core store and the bridge client.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { BridgeClient } from '../bridge/client.ts';
import type { PulltraceState, PulltraceStore } from './store.ts';

export interface Core {
  store: PulltraceStore;
  bridge: BridgeClient;
  transport: 'ipc' | 'websocket';
}

export const CoreContext = createContext<Core | undefined>(undefined);

export function useCore(): Core {
  const core = useContext(CoreContext);
  if (core === undefined) throw new Error('CoreContext missing');
  return core;
}

export function useCoreState<T>(selector: (state: PulltraceState) => T): T {
  return useStore(useCore().store, selector);
}
