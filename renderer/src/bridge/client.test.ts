import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type CommandRequest, type ServerMessage } from '../../../electron/core/bridge/contract.ts';
import { createBridgeClient, type RawTransport, type TransportState } from './client.ts';

function fakeTransport() {
  const sent: CommandRequest[] = [];
  let deliver: (raw: unknown) => void = () => {};
  let state: (s: TransportState) => void = () => {};
  const transport: RawTransport = {
    open(onMessage, onState) {
      deliver = onMessage;
      state = onState;
    },
    send: (r) => sent.push(r),
  };
  return { transport, sent, deliver: (raw: unknown) => deliver(raw), state: (s: TransportState) => state(s) };
}

describe('bridge client', () => {
  it('correlates results with commands and validates result values per command', async () => {
    const t = fakeTransport();
    const client = createBridgeClient(t.transport);
    const started = client.invoke({ type: 'demo.start' });
    const settings = client.invoke({ type: 'settings.get' });
    const [first, second] = t.sent;
    t.deliver({ type: 'result', id: second?.id, result: { ok: true, value: { notifications: 'yes' } } });
    t.deliver({ type: 'result', id: first?.id, result: { ok: true, value: { cluster: 'demo:lab' } } });
    expect(await started).toEqual({ ok: true, value: { cluster: 'demo:lab' } });
    expect(await settings).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('malformed settings.get result') } });
  });

  it('passes valid server messages on and reports invalid ones as protocol errors', () => {
    const t = fakeTransport();
    const client = createBridgeClient(t.transport);
    const got: ServerMessage[] = [];
    const errors: string[] = [];
    client.subscribe((m) => got.push(m));
    client.onProtocolError((m) => errors.push(m));
    t.deliver({ type: 'hello', protocol: PROTOCOL_VERSION, transport: 'websocket', appVersion: 'x' });
    t.deliver({ type: 'delta', at: 'soon' });
    expect(got.map((m) => m.type)).toEqual(['hello']);
    expect(errors).toHaveLength(1);
  });

  it('fails commands in flight when the connection closes', async () => {
    const t = fakeTransport();
    const client = createBridgeClient(t.transport);
    const pending = client.invoke({ type: 'contexts.list' });
    t.state({ status: 'closed', reason: 'gone' });
    expect(await pending).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('gone') } });
  });
});
