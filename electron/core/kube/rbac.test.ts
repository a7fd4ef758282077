import { describe, expect, it } from 'vitest';
import { accessChecks, describeCheck, evaluatePreflight, type AccessResult } from './rbac.ts';

const allowAll = (ns: string): AccessResult[] => accessChecks(ns).map((c) => ({ ...c, allowed: true }));

describe('RBAC preflight evaluation', () => {
  it('everything allowed → install mode', () => {
    const p = evaluatePreflight(allowAll('pulltrace'));
    expect(p.mode).toBe('install');
    expect(p.missing).toEqual({ events: [], agent: [], install: [] });
  });

  it('names each missing verb and resource, and falls back to the best mode', () => {
    const results = allowAll('pulltrace').map((r) =>
      r.resource === 'daemonsets' && r.verb === 'patch' ? { ...r, allowed: false }
      : r.subresource === 'portforward' ? { ...r, allowed: false }
      : r);
    const p = evaluatePreflight(results);
    expect(p.mode).toBe('events');
    expect(p.missing.agent).toEqual(['cannot create pods/portforward in namespace pulltrace']);
    expect(p.missing.install).toEqual(['cannot patch daemonsets.apps in namespace pulltrace']);
    expect(p.summary).toBe('Events-only mode (kubelet events and pod status, no byte-level progress): cannot create pods/portforward in namespace pulltrace.');
  });

  it('install denied but port-forward allowed → agent mode', () => {
    const p = evaluatePreflight(allowAll('ns').map((r) => (r.resource === 'namespaces' && r.verb === 'create' ? { ...r, allowed: false } : r)));
    expect(p.mode).toBe('agent');
    expect(p.summary).toBe('An installed agent can be used, but it cannot be installed or changed (cannot create namespaces (cluster-wide)).');
  });

  it('nothing allowed → none, listing the events-only needs first', () => {
    const p = evaluatePreflight(accessChecks('ns').map((c) => ({ ...c, allowed: false })));
    expect(p.mode).toBe('none');
    expect(p.missing.events).toEqual([
      'cannot list events in all namespaces', 'cannot watch events in all namespaces',
      'cannot list pods in all namespaces', 'cannot watch pods in all namespaces',
      'cannot list nodes (cluster-wide)', 'cannot watch nodes (cluster-wide)',
    ]);
  });

  it('describes checks with group and scope', () => {
    expect(describeCheck({ feature: 'install', verb: 'delete', group: 'apps', resource: 'daemonsets', namespace: 'x' })).toBe('cannot delete daemonsets.apps in namespace x');
  });
});
