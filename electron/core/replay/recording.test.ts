import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineInput } from '../engine/types.ts';
import { formatRecordingHeader, formatRecordingLine, parseRecording, RecordingError } from './recording.ts';
import { createRecordingWriter, loadRecording } from './files.ts';

const header = { format: 'pulltrace-recording' as const, version: 1 as const, cluster: 'lab', recordedAt: 1_000, source: 'test' };
const layer = 'sha256:5efee186663b3147d6c131e966e26d58e75912fb8d796a9cb68d8d60c988e98c';
const inputs: EngineInput[] = [
  { type: 'agent.connected', at: 1_000, node: 'n1', agentVersion: '0.1.0', containerdVersion: '1.6.20' },
  {
    type: 'ingests.observed',
    at: 1_500,
    node: 'n1',
    ingests: [{ ref: `layer-${layer}`, kind: 'layer', digest: layer, offset: 1_048_576, total: 20_975_191, startedAt: 1_000, updatedAt: 1_400 }],
  },
  { type: 'tick', at: 2_000 },
];

describe('recording format', () => {
  it('round-trips a header and inputs', () => {
    const text = formatRecordingHeader(header) + inputs.map(formatRecordingLine).join('');
    const parsed = parseRecording(text);
    expect(parsed.header).toEqual(header);
    expect(parsed.inputs).toEqual(inputs);
    expect(parsed.errors).toEqual([]);
  });

  it('reports bad lines with their number and keeps the rest', () => {
    const text = [
      JSON.stringify(header),
      JSON.stringify(inputs[0]),
      '{not json',
      JSON.stringify({ type: 'ingests.observed', at: 1_200, node: 'n1', ingests: [{ ref: 'x', kind: 'layer', digest: 'nope', offset: -1, total: 1, startedAt: 0, updatedAt: 0 }] }),
      JSON.stringify({ type: 'warp.drive', at: 1_300 }),
      JSON.stringify({ type: 'tick', at: 500 }),
      JSON.stringify(inputs[2]),
    ].join('\n');
    const parsed = parseRecording(text);
    expect(parsed.inputs).toEqual([inputs[0], inputs[2]]);
    expect(parsed.errors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    expect(parsed.errors[0]?.message).toMatch(/not JSON/);
    expect(parsed.errors[1]?.message).toMatch(/digest/);
    expect(parsed.errors[3]?.message).toMatch(/time goes backwards/);
  });

  it('refuses a missing or foreign header clearly', () => {
    expect(() => parseRecording('')).toThrow(RecordingError);
    expect(() => parseRecording('{"format":"something-else","version":1}')).toThrow(/not a pulltrace-recording v1 header/);
    expect(() => parseRecording(JSON.stringify({ ...header, version: 2 }))).toThrow(/version/);
  });

  it('writes a file that loads back, and refuses to overwrite one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulltrace-rec-'));
    const path = join(dir, 'r.ndjson');
    const writer = createRecordingWriter(path, header);
    for (const input of inputs) writer.write(input);
    await writer.close();
    expect((await loadRecording(path)).inputs).toEqual(inputs);

    const again = createRecordingWriter(path, header);
    await expect(again.close()).rejects.toThrow(/EEXIST/);
    await expect(loadRecording(join(dir, 'missing.ndjson'))).rejects.toThrow(/ENOENT/);
    writeFileSync(join(dir, 'bad.ndjson'), 'garbage\n');
    await expect(loadRecording(join(dir, 'bad.ndjson'))).rejects.toThrow(/bad\.ndjson: recording header is not JSON/);
  });
});
