import { describe, expect, it } from 'vitest';
import { failureReasonOf, isPullBackOff, parseGoDuration, parsePulledMessage } from './kubelet-messages.ts';

describe('kubelet message parsing', () => {
  it('parses Go durations', () => {
    expect(parseGoDuration('1.538129446s')).toBeCloseTo(1538.129446, 6);
    expect(parseGoDuration('1m2.5s')).toBe(62_500);
    expect(parseGoDuration('1h0m3s')).toBe(3_603_000);
    expect(parseGoDuration('25.697413ms')).toBeCloseTo(25.697413, 9);
    expect(parseGoDuration('850µs')).toBeCloseTo(0.85, 9);
    expect(parseGoDuration('0s')).toBe(0);
    expect(parseGoDuration('soon')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });

  it('reads the old, the waiting and the current Pulled formats and "already present"', () => {
    expect(parsePulledMessage('Successfully pulled image "nginx:1.25" in 1.538129446s')).toMatchObject({ image: 'nginx:1.25', alreadyPresent: false, pullMs: 1538.129446 });
    expect(parsePulledMessage('Successfully pulled image "nginx:1.25" in 1.538s (1.538s including waiting)')).toMatchObject({ pullMs: 1538, totalMs: 1538, sizeBytes: undefined });
    expect(parsePulledMessage('Successfully pulled image "nginx:1.25" in 1.538s (2.1s including waiting). Image size: 12345678 bytes.')).toMatchObject({ pullMs: 1538, totalMs: 2100, sizeBytes: 12_345_678 });
    expect(parsePulledMessage('Container image "nginx:1.25" already present on machine')).toEqual({ image: 'nginx:1.25', alreadyPresent: true });
  });

  it('maps failure messages to reasons', () => {
    expect(failureReasonOf('pulling from host 127.0.0.1:5001 failed with status code [manifests v1]: 401 Unauthorized')).toBe('auth');
    expect(failureReasonOf('unexpected status: 403 Forbidden')).toBe('auth');
    expect(failureReasonOf('rpc error: code = NotFound desc = failed to resolve reference "x": x: not found')).toBe('not-found');
    expect(failureReasonOf('manifest unknown: manifest unknown')).toBe('manifest-unknown');
    expect(failureReasonOf('context deadline exceeded')).toBe('timeout');
    expect(failureReasonOf('failed to pull: image pull progress timeout: no progress for 20s')).toBe('timeout');
    expect(failureReasonOf('Back-off pulling image "x"')).toBe('backoff');
    expect(failureReasonOf('failed to copy: read tcp: read: connection reset by peer')).toBe('network');
    expect(failureReasonOf('code = Canceled desc = context canceled')).toBe('aborted');
    expect(failureReasonOf('something else')).toBe('other');
    expect(failureReasonOf('whatever', 'ErrImageNeverPull')).toBe('never-pull');
    expect(isPullBackOff('Back-off pulling image "x"')).toBe(true);
    expect(isPullBackOff('Back-off restarting failed container app in pod web(uid)')).toBe(false);
  });
});
