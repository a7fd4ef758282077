// RBAC preflight: before watching or installing anything, ask the API server (one
// SelfSubjectAccessReview per verb and resource — every authenticated user may create those) what
// this user may do, then pick the best mode and name exactly what is missing for the better ones.
import type { AuthorizationV1Api } from '@kubernetes/client-node';

export type Feature = 'events' | 'agent' | 'install';
export type Mode = 'install' | 'agent' | 'events' | 'none';

export interface AccessCheck {
  feature: Feature;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Absent: all namespaces (or a cluster-scoped resource). */
  namespace?: string;
}

export interface AccessResult extends AccessCheck {
  allowed: boolean;
}

export interface Preflight {
  mode: Mode;
  features: Record<Feature, boolean>;
  /** Per feature, each denied check as a sentence: `cannot create pods/portforward in namespace pulltrace`. */
  missing: Record<Feature, string[]>;
  /** One sentence for the user: the mode chosen and why not better. */
  summary: string;
}

/** What each feature needs; docs/kube.md explains why each one is needed. */
export function accessChecks(agentNamespace: string): AccessCheck[] {
  const checks: AccessCheck[] = [];
  for (const resource of ['events', 'pods', 'nodes']) {
    for (const verb of ['list', 'watch']) checks.push({ feature: 'events', verb, group: '', resource });
  }
  checks.push(
    { feature: 'agent', verb: 'list', group: '', resource: 'pods', namespace: agentNamespace },
    { feature: 'agent', verb: 'create', group: '', resource: 'pods', subresource: 'portforward', namespace: agentNamespace },
  );
  checks.push(...['get', 'create', 'patch', 'delete'].map((verb): AccessCheck => ({ feature: 'install', verb, group: '', resource: 'namespaces' })));
  for (const [group, resource] of [['', 'serviceaccounts'], ['', 'configmaps'], ['apps', 'daemonsets']] as const) {
    for (const verb of ['get', 'list', 'create', 'patch', 'delete']) {
      checks.push({ feature: 'install', verb, group, resource, namespace: agentNamespace });
    }
  }
  return checks;
}

export function describeCheck(check: AccessCheck): string {
  const resource = check.subresource ? `${check.resource}/${check.subresource}` : check.resource;
  const qualified = check.group ? `${resource}.${check.group}` : resource;
  const scope = check.namespace ? `in namespace ${check.namespace}` : check.resource === 'namespaces' || check.resource === 'nodes' ? '(cluster-wide)' : 'in all namespaces';
  return `cannot ${check.verb} ${qualified} ${scope}`;
}

export function evaluatePreflight(results: readonly AccessResult[]): Preflight {
  const missing: Record<Feature, string[]> = { events: [], agent: [], install: [] };
  for (const r of results) if (!r.allowed) missing[r.feature].push(describeCheck(r));
  const features = { events: missing.events.length === 0, agent: missing.agent.length === 0, install: missing.install.length === 0 };
  const mode: Mode = features.install && features.agent && features.events ? 'install'
    : features.agent ? 'agent'
    : features.events ? 'events'
    : 'none';
  return { mode, features, missing, summary: summarize(mode, missing) };
}

function summarize(mode: Mode, missing: Record<Feature, string[]>): string {
  const list = (items: string[]) => items.join('; ');
  switch (mode) {
    case 'install':
      return 'Full access: the agent can be installed, upgraded and uninstalled.';
    case 'agent': {
      const limits = [
        missing.install.length > 0 ? `it cannot be installed or changed (${list(missing.install)})` : '',
        missing.events.length > 0 ? `kubelet events and pods cannot be watched (${list(missing.events)})` : '',
      ].filter(Boolean);
      return `An installed agent can be used, but ${limits.join(', and ')}.`;
    }
    case 'events':
      return `Events-only mode (kubelet events and pod status, no byte-level progress): ${list(missing.agent)}.`;
    case 'none':
      return `Nothing can be watched: ${list(missing.events)}.`;
  }
}

/** Asks the API server about every check, in parallel. A failed request (network, 401) rejects:
 * that is a connection problem, not a permission answer. */
export async function runPreflight(authz: AuthorizationV1Api, agentNamespace: string): Promise<Preflight> {
  const checks = accessChecks(agentNamespace);
  const results = await Promise.all(checks.map(async (check): Promise<AccessResult> => {
    const review = await authz.createSelfSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: check.verb, group: check.group, resource: check.resource, subresource: check.subresource, namespace: check.namespace } },
      },
    });
    return { ...check, allowed: review.status?.allowed === true };
  }));
  return evaluatePreflight(results);
}
