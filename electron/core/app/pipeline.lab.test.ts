// The whole product against real parts: the kube lab's single-node cluster (real kube-apiserver,
// kubelet and containerd), images pulled through the containerd lab's throttle proxy, the app in
// serve mode with the agent installed through its own UI, and Chromium watching what the user
// sees. Truth comes from the lab: the proxy's rules and log (bytes on the wire, over time), the
// node's containerd (ingest offsets) and kubelet's events. Each case ends in the History CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  exportHistoryCsv,
  ingestReader,
  kubeletPulledSeconds,
  labImage,
  parseShownBytes,
  parseShownPair,
  proxyLog,
  proxyRules,
  pullRow,
  pullRows,
  readRow,
  runPod,
  screenshot,
  showPulls,
  startPipeline,
  startScreenRecorder,
  stopScreenRecorder,
  type CsvRecord,
  type IngestStatus,
  type Pipeline,
  type ProxyEvent,
  type ScreenSample,
} from './pipeline.fixture.ts';
import { waitFor } from '../kube/lab.fixture.ts';

const registry = '127.0.0.1:5001/lab';
const image = (name: string): string => `${registry}/${name}:v1`;
// The lab's deterministic test images (containerd lab README; sizes from its images.json).
const big = { image: image('big'), bytes: labImage('lab/big').bytes, slowDigest: 'sha256:fa34006d', slowBytes: 52_434_871 };
const alpha = { image: image('alpha'), bytes: labImage('lab/alpha').bytes, ownDigest: 'sha256:f3e06e29', ownBytes: 31_461_751, rate: 4_000_000 };
const beta = { image: image('beta'), bytes: labImage('lab/beta').bytes, ownDigest: 'sha256:b8b4ff0f', rate: 800_000 };
const small = { image: image('small'), layerDigest: 'sha256:0825863d' };
const multi = { image: image('multi'), bytes: labImage('lab/multi').bytes, baseDigest: 'sha256:5efee186' };
/** The engine's default stall threshold (defaultEngineConfig: stallAfterMs). */
const stallAfterMs = 10_000;
const throttle = 4_000_000;

let lab: Pipeline;
let page: Page;

beforeAll(async () => {
  lab = await startPipeline('pulltrace-e2e');
  page = lab.page;
});
afterAll(async () => {
  await lab?.close();
});

/** The samples on screen during [from, to]: the one in effect at `from`, then every change. */
function shownDuring(samples: ScreenSample[], from: number, to: number): ScreenSample[] {
  const before = samples.filter((s) => s.t <= from).at(-1);
  return [...(before ? [before] : []), ...samples.filter((s) => s.t > from && s.t <= to)];
}

function blobEvents(log: ProxyEvent[], digest: string, event: string): ProxyEvent[] {
  return log.filter((e) => e.kind === 'blob' && e.event === event && (e.url ?? '').includes(digest));
}

async function csvRecord(predicate: (r: CsvRecord) => boolean, what: string): Promise<CsvRecord> {
  // A finished pull's record waits up to 3 s for kubelet's Pulled figures before it is written.
  return waitFor(what, async () => (await exportHistoryCsv(page)).find(predicate), 20_000, 1_000);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

describe('pulls through the real cluster, as the user sees them (lab)', () => {
  it('1. one throttled pull: bytes and rate within 5 % of the throttle, done with the right duration', async () => {
    await lab.reset();
    // Only the 50 MiB layer is throttled (4 MB/s, one request); the other layers arrive at once,
    // so for most of the pull the image's true rate is exactly the throttle.
    await proxyRules([{ match: { digest: big.slowDigest }, action: 'rate', rate: throttle, times: 1 }]);
    runPod(lab.namespace, 'e2e-one', big.image);
    await showPulls(page);
    const row = pullRow(page, big.image, 'downloading');
    await row.waitFor({ timeout: 30_000 });
    expect((await readRow(row)).state).toBe('downloading');
    await row.getByRole('button', { name: big.image }).click();
    await startScreenRecorder(page, [big.image]);
    const detail = page.getByRole('region', { name: `Pull ${big.image}` });
    await detail.waitFor();
    await waitFor('8 s of the throttled layer', async () => {
      const started = blobEvents(await proxyLog(), big.slowDigest, 'response')[0];
      return started && Date.now() - started.atMs > 8_000 ? true : undefined;
    }, 30_000);
    await screenshot(page, '1-throttled-detail');
    await detail.locator('.detail-head .badge-done').waitFor({ timeout: 30_000 });
    const samples = (await stopScreenRecorder(page)).filter((s) => s.where === 'detail');

    const log = await proxyLog();
    const slowStart = blobEvents(log, big.slowDigest, 'response')[0];
    const slowEnd = blobEvents(log, big.slowDigest, 'end')[0];
    const fastEnds = log.filter((e) => e.kind === 'blob' && e.event === 'end' && !(e.url ?? '').includes(big.slowDigest));
    expect(slowStart && slowEnd, 'proxy log has the throttled request').toBeTruthy();
    if (!slowStart || !slowEnd) return;
    const fastBytes = fastEnds.reduce((sum, e) => sum + (e.bytes ?? 0), 0);
    const fastDone = Math.max(...fastEnds.map((e) => e.atMs));
    // The other layers and the image config went through unthrottled, each exactly once.
    expect(fastBytes).toBe(big.bytes - big.slowBytes);
    const truthBytes = (t: number): number => fastBytes + Math.min(big.slowBytes, throttle * ((t - slowStart.atMs) / 1000));

    // Rate: once the fast layers have left the engine's 5 s window, until the slow layer ends.
    const rateWindow = shownDuring(samples, Math.max(fastDone, slowStart.atMs) + 5_500, slowEnd.atMs - 300);
    const rateErrors = rateWindow.map((s) => Math.abs(parseShownBytes(s.rate) - throttle) / throttle);
    // Bytes: every value shown while only the throttled layer moved, against the throttle's clock,
    // from 1 s (the freshness budget, case 7) after the ~47 MB burst of the other layers.
    const byteSamples = samples.filter((s) => s.t > fastDone + 1_000 && s.t < slowEnd.atMs - 300 && s.state === 'downloading');
    const byteErrors = byteSamples.map((s) => Math.abs(parseShownPair(s.bytes).done - truthBytes(s.t)) / truthBytes(s.t));
    const byteTrail = byteSamples.map((s) => `+${((s.t - slowStart.atMs) / 1000).toFixed(1)}s ${s.bytes} (truth ${(truthBytes(s.t) / 1e6).toFixed(1)} MB)`).join(' | ');
    console.log(`[e2e 1] rate shown ${rateWindow.map((s) => s.rate).join(', ')}; max rate error ${pct(Math.max(...rateErrors))}; ` +
      `${byteSamples.length} byte values, max byte error ${pct(Math.max(...byteErrors))}: ${byteTrail}`);
    expect(rateWindow.length).toBeGreaterThan(0);
    expect(Math.max(...rateErrors)).toBeLessThanOrEqual(0.05);
    expect(byteSamples.length).toBeGreaterThanOrEqual(3);
    // Soft: the duration and CSV checks below are independent of this one.
    expect.soft(Math.max(...byteErrors), `bytes on screen vs the registry: ${byteTrail}`).toBeLessThanOrEqual(0.05);
    const total = parseShownPair(samples.at(-1)?.bytes ?? '').total;
    expect(Math.abs(total - big.bytes)).toBeLessThanOrEqual(50_000);

    const record = await csvRecord((r) => r['image'] === big.image && r['state'] === 'done', 'the CSV row of the big pull');
    console.log(`[e2e 1] CSV row: ${JSON.stringify(record)}`);
    const kubeletSeconds = kubeletPulledSeconds(lab.namespace, 'e2e-one');
    const wireSeconds = (slowEnd.atMs - Math.min(...log.filter((e) => e.kind === 'blob' && e.event === 'response').map((e) => e.atMs))) / 1000;
    console.log(`[e2e 1] CSV download_s ${record['download_s']} duration_s ${record['duration_s']}; registry wire ${wireSeconds.toFixed(2)} s; kubelet Pulled ${kubeletSeconds} s`);
    expect(Number(record['bytes_downloaded'])).toBe(big.bytes);
    expect(Number(record['bytes_total'])).toBe(big.bytes);
    // The agent measures the download from what it polls: idle, it polls every second, so the
    // first byte can be seen up to 1 s late (the end, at most one 250 ms active poll late).
    expect.soft(Math.abs(Number(record['download_s']) - wireSeconds), 'CSV download_s vs the registry').toBeLessThanOrEqual(Math.max(1, 0.05 * wireSeconds));
    expect(kubeletSeconds).toBeDefined();
    expect(Math.abs(Number(record['duration_s']) - (kubeletSeconds ?? 0))).toBeLessThanOrEqual(Math.max(1, 0.05 * (kubeletSeconds ?? 0)));
    expect(record['pods']).toBe(`${lab.namespace}/e2e-one`);
    await showPulls(page);
    expect.soft((await readRow(pullRow(page, big.image, 'done'))).pods, 'the finished pull still names its pod').toBe('1');
  });

  it('2. two concurrent pulls sharing a layer: two rows, right totals, no dip when one finishes', async () => {
    await lab.reset();
    // The shared base layer is not throttled; each image's own big layer is, so whichever pull
    // wins the base, the other one is mid-download of its own layer when the first finishes.
    await proxyRules([
      { match: { digest: alpha.ownDigest }, action: 'rate', rate: alpha.rate, times: 1 },
      { match: { digest: beta.ownDigest }, action: 'rate', rate: beta.rate, times: 1 },
    ]);
    await showPulls(page);
    await startScreenRecorder(page, [alpha.image, beta.image]);
    runPod(lab.namespace, 'e2e-alpha', alpha.image);
    runPod(lab.namespace, 'e2e-beta', beta.image);
    await pullRow(page, alpha.image, 'downloading').or(pullRow(page, beta.image, 'downloading')).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(4_000);
    await screenshot(page, '2-shared-layer');
    await pullRow(page, alpha.image, 'done').waitFor({ timeout: 60_000 });
    await pullRow(page, beta.image, 'done').waitFor({ timeout: 60_000 });
    const samples = (await stopScreenRecorder(page)).filter((s) => s.where === 'row');

    const finishedAt = (img: string): number => samples.find((s) => s.image === img && (s.state === 'unpacking' || s.state === 'done'))?.t ?? Infinity;
    const [first, second] = finishedAt(alpha.image) <= finishedAt(beta.image) ? [alpha, beta] : [beta, alpha];
    const t1 = finishedAt(first.image);
    const around = shownDuring(samples.filter((s) => s.image === second.image), t1 - 1_000, t1 + 2_000);
    console.log(`[e2e 2] ${first.image} finished first; ${second.image} around it: ${around.map((s) => `${s.t - t1}ms ${s.state} ${s.rate}`).join(' | ')}`);
    expect(around.length).toBeGreaterThan(0);
    for (const s of around) {
      expect(s.state, `${second.image} at ${s.t - t1} ms`).toBe('downloading');
      expect(parseShownBytes(s.rate), `${second.image} rate at ${s.t - t1} ms`).toBeGreaterThanOrEqual(0.9 * second.rate);
    }
    await csvRecord((r) => r['image'] === second.image && r['state'] === 'done', 'the CSV rows of alpha and beta');
    const csv = await exportHistoryCsv(page);
    await showPulls(page);
    for (const p of [alpha, beta]) {
      expect.soft(await pullRows(page, p.image).count(), `rows for ${p.image}: one pull, one row`).toBe(1);
      const shown = await readRow(pullRow(page, p.image, 'done'));
      const record = csv.find((r) => r['image'] === p.image && r['state'] === 'done');
      const name = p === alpha ? 'e2e-alpha' : 'e2e-beta';
      console.log(`[e2e 2] ${p.image}: on screen ${shown.progress}, pods ${shown.pods}; CSV bytes_total ${record?.['bytes_total']} bytes_cached ${record?.['bytes_cached']} bytes_downloaded ${record?.['bytes_downloaded']}`);
      // Totals exclude blobs already on the node (docs/history.md): the shared layer is cached
      // for whichever pull did not fetch it; together they are the image.
      expect(Number(record?.['bytes_total']) + Number(record?.['bytes_cached']), `${p.image} total + cached`).toBe(p.bytes);
      expect.soft(Math.abs(parseShownPair(shown.progress).total - Number(record?.['bytes_total'])), `${p.image} total on screen (${shown.progress})`).toBeLessThanOrEqual(50_000);
      expect.soft(shown.pods, `${p.image} pods on screen`).toBe('1');
      expect(record?.['pods']).toBe(`${lab.namespace}/${name}`);
    }
    // The shared layer crossed the wire once: the two downloads add up to what the registry sent.
    const sent = (await proxyLog()).filter((e) => e.kind === 'blob' && e.event === 'end').reduce((sum, e) => sum + (e.bytes ?? 0), 0);
    const downloaded = csv.filter((r) => (r['image'] === alpha.image || r['image'] === beta.image) && r['state'] === 'done').reduce((sum, r) => sum + Number(r['bytes_downloaded']), 0);
    console.log(`[e2e 2] registry sent ${sent} B; CSV bytes_downloaded alpha + beta ${downloaded} B`);
    expect.soft(downloaded, 'alpha + beta downloaded vs the registry').toBe(sent);
  });

  it('3. a stall is shown within the threshold + 1 s and recovers to downloading', async () => {
    await lab.reset();
    await proxyRules([
      { match: { digest: small.layerDigest }, action: 'rate', rate: 1_000_000, times: 1 },
      // Stops exactly at a 1 MiB boundary, where containerd's offset last moves.
      { match: { digest: small.layerDigest }, action: 'stall', atByte: 2 * 1024 * 1024, seconds: 14, times: 1 },
    ]);
    await showPulls(page);
    await startScreenRecorder(page, [small.image]);
    const ingests = ingestReader();
    const seen: IngestStatus[] = [];
    const poll = setInterval(() => {
      void ingests.list().then((list) => seen.push(...list.filter((s) => s.ref.includes(small.layerDigest.slice(7)))), () => undefined);
    }, 100);
    // The warm-up pull of the same image is listed as done: count on one more.
    const doneBefore = await pullRows(page, small.image, 'done').count();
    try {
      runPod(lab.namespace, 'e2e-stall', small.image);
      await pullRow(page, small.image, 'stalled').waitFor({ timeout: 40_000 });
      await screenshot(page, '3-stalled');
      await page.locator('.toasts').getByRole('button', { name: /Pull stalled/ }).waitFor({ timeout: 5_000 });
      await waitFor('the stalled pull done', async () => ((await pullRows(page, small.image, 'done').count()) > doneBefore ? true : undefined), 40_000);
    } finally {
      clearInterval(poll);
      ingests.close();
    }
    const samples = (await stopScreenRecorder(page)).filter((s) => s.where === 'row');
    const stalledAt = samples.find((s) => s.state === 'stalled')?.t ?? NaN;
    const frozen = seen.filter((s) => s.offset === 2 * 1024 * 1024);
    expect(frozen.length, 'containerd shows the ingest frozen at 2 MiB').toBeGreaterThan(0);
    const lastProgressAt = Math.min(...frozen.map((s) => s.updatedAtMs));
    const delay = stalledAt - lastProgressAt;
    console.log(`[e2e 3] last progress (containerd updated_at) → "stalled" on screen: ${delay} ms (threshold ${stallAfterMs} ms)`);
    expect(delay).toBeGreaterThanOrEqual(stallAfterMs - 1_000);
    expect(delay).toBeLessThanOrEqual(stallAfterMs + 1_000);
    const rows = await pullRows(page, small.image).allTextContents();
    expect.soft(rows.length, `one row per pull of ${small.image} (the warm-up and this one): ${rows.join(' | ')}`).toBe(doneBefore + 1);
    const recovered = samples.find((s) => s.t > stalledAt && s.state === 'downloading');
    expect(recovered, `states after the stall: ${samples.filter((s) => s.t > stalledAt).map((s) => s.state).join(' → ')}`).toBeDefined();
  });

  it('4. registry 404 and 401: failed with the reason, failure counter and notification', async () => {
    await lab.reset();
    const missing = image('dockerfmt');
    const denied = image('alpha-run');
    await proxyRules([
      { match: { repo: 'lab/dockerfmt', kind: 'manifest' }, action: 'status', status: 404, times: 3 },
      { match: { repo: 'lab/alpha-run', kind: 'manifest' }, action: 'status', status: 401, times: 3 },
    ]);
    await showPulls(page);
    const failedPill = page.getByRole('region', { name: 'Live pulls' }).locator('.summary .pill-failed');
    const before = (await failedPill.count()) ? Number.parseInt((await failedPill.textContent()) ?? '0', 10) : 0;
    runPod(lab.namespace, 'e2e-missing', missing);
    runPod(lab.namespace, 'e2e-denied', denied);
    const missingRow = pullRow(page, missing, 'failed');
    const deniedRow = pullRow(page, denied, 'failed');
    await missingRow.waitFor({ timeout: 30_000 });
    await deniedRow.waitFor({ timeout: 30_000 });
    await page.locator('.toasts').getByRole('button', { name: new RegExp(`Pull failed.*${missing.replaceAll('.', '\\.')}`) }).waitFor({ timeout: 5_000 });
    await page.locator('.toasts').getByRole('button', { name: new RegExp(`Pull failed.*${denied.replaceAll('.', '\\.')}`) }).waitFor({ timeout: 5_000 });
    await screenshot(page, '4-registry-404-401');
    const missingText = await readRow(missingRow);
    const deniedText = await readRow(deniedRow);
    console.log(`[e2e 4] 404 row: ${missingText.progress} (${missingText.tooltip}); 401 row: ${deniedText.progress} (${deniedText.tooltip})`);
    expect(missingText.progress).toMatch(/^(not-found|manifest-unknown)$/);
    expect(missingText.tooltip).toMatch(/not found/);
    expect(deniedText.progress).toBe('auth');
    expect(deniedText.tooltip).toMatch(/401|[Uu]nauthorized/);
    await expect(failedPill.textContent()).resolves.toBe(`${before + 2} failed`);
    const failed = await csvRecord((r) => r['image'] === denied && r['state'] === 'failed', 'the CSV rows of the failed pulls');
    expect(failed['failure_reason']).toBe('auth');
    const notFound = (await exportHistoryCsv(page)).find((r) => r['image'] === missing && r['state'] === 'failed');
    expect(notFound?.['failure_reason']).toMatch(/^(not-found|manifest-unknown)$/);
    expect(notFound?.['bytes_downloaded']).toBe('0');
  });

  it('5. a connection dropped mid-blob and resumed: no zero rate while downloading, bytes never go back', async () => {
    await lab.reset();
    await proxyRules([
      // Config, three layers and the resumed request(s) of the base layer: all at 4 MB/s.
      { match: { repo: 'lab/multi', kind: 'blob' }, action: 'rate', rate: throttle, times: 8 },
      { match: { digest: multi.baseDigest }, action: 'drop', atByte: 10_000_000, mode: 'close', times: 1 },
    ]);
    await showPulls(page);
    await startScreenRecorder(page, [multi.image]);
    runPod(lab.namespace, 'e2e-drop', multi.image);
    await waitFor('the proxy to cut the base layer', async () => (blobEvents(await proxyLog(), multi.baseDigest, 'drop').length > 0 ? true : undefined), 30_000);
    await page.waitForTimeout(1_500);
    await screenshot(page, '5-dropped-resumed');
    await pullRow(page, multi.image, 'done').waitFor({ timeout: 40_000 });
    const samples = (await stopScreenRecorder(page)).filter((s) => s.where === 'row');

    const log = await proxyLog();
    const resumed = blobEvents(log, multi.baseDigest, 'response').filter((e) => e.offset0 !== undefined && e.offset0 > 0);
    expect(resumed.length, 'containerd resumed the base layer with a Range request').toBeGreaterThan(0);
    const trail = samples.map((s) => `${s.state} ${s.progress} ${s.rate} [${s.bytes}]`).join(' | ');
    console.log(`[e2e 5] ${samples.length} row changes; resumed at byte ${resumed[0]?.offset0}`);
    const firstRate = samples.findIndex((s) => s.state === 'downloading' && parseShownBytes(s.rate) > 0);
    expect(firstRate, trail).toBeGreaterThanOrEqual(0);
    for (const s of samples.slice(firstRate).filter((x) => x.state === 'downloading')) {
      expect(parseShownBytes(s.rate), `rate shown while downloading: ${trail}`).toBeGreaterThan(0);
    }
    let highest = 0;
    for (const s of samples) {
      const shown = parseShownPair(s.bytes).done;
      if (Number.isNaN(shown)) continue;
      expect(shown, `bytes went back: ${trail}`).toBeGreaterThanOrEqual(highest);
      highest = shown;
    }
    const record = await csvRecord((r) => r['image'] === multi.image && r['state'] === 'done', 'the CSV row of the multi pull');
    expect(Number(record['bytes_downloaded'])).toBe(multi.bytes);
  });

  it('6. an image already present: cached, with zero download', async () => {
    // No reset: the multi image pulled in case 5 is on the node.
    await showPulls(page);
    runPod(lab.namespace, 'e2e-again', multi.image);
    await pullRow(page, multi.image, 'cached').waitFor({ timeout: 30_000 });
    await screenshot(page, '6-cached');
    // e2e-again never waited on case 5's download: that pull keeps its own pod only.
    expect.soft((await readRow(pullRow(page, multi.image, 'done'))).pods, `pods of case 5's finished pull`).toBe('1');
    const record = await csvRecord((r) => r['image'] === multi.image && r['state'] === 'cached', 'the CSV row of the cached pull');
    expect(record['bytes_downloaded']).toBe('0');
    expect(record['pods']).toBe(`${lab.namespace}/e2e-again`);
  });

  it('7. freshness: a containerd offset change reaches the screen with p95 < 1 s', async () => {
    await lab.reset();
    // beta first, unthrottled: alpha's shared layers are then on the node, so alpha downloads
    // only its 30 MiB layer (4 MB/s, ~30 offset steps of 1 MiB) and "Downloaded" on screen is
    // that ingest's offset (+ config and a 2.5 KB layer).
    await showPulls(page);
    const betaDone = await pullRows(page, beta.image, 'done').count();
    runPod(lab.namespace, 'e2e-fresh-base', beta.image);
    await waitFor('beta pulled', async () => ((await pullRows(page, beta.image, 'done').count()) > betaDone ? true : undefined), 30_000);
    await proxyRules([{ match: { digest: alpha.ownDigest }, action: 'rate', rate: throttle, times: 1 }]);
    const ingests = ingestReader();
    const changes: IngestStatus[] = [];
    const poll = setInterval(() => {
      void ingests.list().then((list) => {
        for (const s of list.filter((x) => x.ref.includes(alpha.ownDigest.slice(7)))) {
          if (changes.at(-1)?.offset !== s.offset) changes.push(s);
        }
      }, () => undefined);
    }, 50);
    try {
      runPod(lab.namespace, 'e2e-fresh', alpha.image);
      const row = pullRow(page, alpha.image, 'downloading');
      await row.waitFor({ timeout: 30_000 });
      await row.getByRole('button', { name: alpha.image }).click();
      await startScreenRecorder(page, [alpha.image]);
      await page.getByRole('region', { name: `Pull ${alpha.image}` }).locator('.detail-head .badge-done').waitFor({ timeout: 40_000 });
      await screenshot(page, '7-freshness-done');
    } finally {
      clearInterval(poll);
      ingests.close();
    }
    const samples = (await stopScreenRecorder(page)).filter((s) => s.where === 'detail' && s.bytes.includes('/'));
    await showPulls(page);
    const recorded = samples[0]?.t ?? Infinity;
    const offsetAt = (t: number): number => changes.filter((c) => c.updatedAtMs <= t).at(-1)?.offset ?? 0;
    // "Downloaded" also counts the pull's other blobs, fetched before this ingest moved (whether
    // that count is right is 7b's question): the first sample's excess over the offset, kept after.
    const baseline = Math.max(0, (samples[0] ? parseShownPair(samples[0].bytes).done : 0) - offsetAt(recorded));
    const latencies = changes
      .filter((c) => c.offset > 0 && c.updatedAtMs > recorded)
      .map((c) => {
        // formatBytes shows 0.1 MB steps: the offset is on screen once the value is within 50 kB.
        const shown = samples.find((s) => parseShownPair(s.bytes).done - baseline >= c.offset - 50_000);
        return (shown?.t ?? Infinity) - c.updatedAtMs;
      });
    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1] ?? Infinity;
    const updates = samples.map((s, k) => (k === 0 ? 0 : s.t - (samples[k - 1]?.t ?? 0))).slice(1);
    console.log(`[e2e 7] ${latencies.length} offset changes; containerd updated_at → number on screen: median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
      `p95 ${p95} ms, max ${sorted.at(-1)} ms; the number changed ${samples.length} times, every ${Math.min(...updates)}–${Math.max(...updates)} ms`);
    if (p95 >= 1_000) console.log(`[e2e 7] screen: ${samples.map((s) => `${s.t} ${s.bytes}`).join(' | ')}\n[e2e 7] containerd: ${changes.map((c) => `${c.updatedAtMs} ${c.offset}`).join(' | ')}`);
    // The latency above assumes "Downloaded" = the ingest's offset (+ under 4 KB): check that no
    // value on screen ran ahead of containerd, which would make the measured latencies too short.
    const ahead = samples.filter((s) => s.state === 'downloading' && parseShownPair(s.bytes).done - baseline > offsetAt(s.t) + 100_000);
    expect(ahead.map((s) => `${s.bytes} at offset ${offsetAt(s.t)}`)).toEqual([]);
    expect(latencies.length).toBeGreaterThanOrEqual(20);
    expect(p95).toBeLessThan(1_000);
  });

  // alpha was pulled earlier in this file (case 2) and its manifest may outlive node-reset: then no
  // fetch re-announces it, and flags read for that earlier pull counted the base layer beta had just
  // brought as downloaded (CSV 52.4 MB against the registry's 31.5 MB; see agent/src/catalog.ts
  // contentDeleted and pullStartOf).
  it('7b. after a pull of the same image earlier, the CSV counts only what the registry sent', async () => {
    // What the registry sent for alpha in case 7 (its shared layers came with beta).
    const sent = (await proxyLog()).filter((e) => e.kind === 'blob' && e.event === 'end' && e.repo === 'lab/alpha').reduce((sum, e) => sum + (e.bytes ?? 0), 0);
    const record = await csvRecord((r) => r['pods'] === `${lab.namespace}/e2e-fresh`, 'the CSV row of the alpha pull');
    console.log(`[e2e 7b] registry sent ${sent} B for alpha; CSV bytes_downloaded ${record['bytes_downloaded']} bytes_cached ${record['bytes_cached']}`);
    expect(Number(record['bytes_downloaded']), 'CSV bytes_downloaded vs the registry').toBe(sent);
  });
});
