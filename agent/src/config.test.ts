import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has defaults for containerd, k8s.io, loopback gRPC and adaptive polling', () => {
    const c = loadConfig([], {});
    expect(c).toMatchObject({ socket: '/run/containerd/containerd.sock', namespace: 'k8s.io', grpcPort: 7441, metricsPort: 7442, pollActiveMs: 250, pollIdleMs: 1000 });
  });

  it('takes presets, environment and flags (flags win)', () => {
    expect(loadConfig(['--preset', 'k3s'], {}).socket).toBe('/run/k3s/containerd/containerd.sock');
    expect(loadConfig([], { PULLTRACE_PRESET: 'microk8s' }).socket).toBe('/var/snap/microk8s/common/run/containerd.sock');
    expect(loadConfig(['--socket', '/x.sock'], { PULLTRACE_SOCKET: '/y.sock', PULLTRACE_NAMESPACE: 'moby' })).toMatchObject({ socket: '/x.sock', namespace: 'moby' });
  });

  it('names the setting in errors', () => {
    expect(() => loadConfig(['--grpc-port', '99999'], {})).toThrow(/--grpc-port \/ PULLTRACE_GRPC_PORT/);
    expect(() => loadConfig([], { PULLTRACE_PRESET: 'docker' })).toThrow(ConfigError);
    expect(() => loadConfig(['--bogus', '1'], {})).toThrow(/bad command line/);
    expect(() => loadConfig(['--poll-active-ms', '5000', '--poll-idle-ms', '1000'], {})).toThrow(/must not exceed/);
  });
});
