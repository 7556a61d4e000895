import { ALERT_KINDS } from '../pipeline/types.js';
import { describe, expect, it } from 'vitest';
import { REJECT_REASONS, type Alert, type BatchResult, type ScoredWindow } from '../pipeline/types.js';
import { AnomalydMetrics } from './anomalydMetrics.js';
import { findSamples, parseExposition, type Sample } from './exposition.js';

function scoredWindow(stream: string, score: number, opts: Partial<ScoredWindow> & { last?: number[] } = {}): ScoredWindow {
  const seqStep = opts.seqStep ?? 5;
  const last = opts.last ?? [score * 100];
  const features = last.length;
  const values = new Float32Array(seqStep * features);
  values.set(last, (seqStep - 1) * features);
  return {
    stream,
    model: opts.model ?? 'eps-gru',
    index: 10,
    ts: opts.ts ?? 1_700_000_000_000,
    values,
    seqStep,
    features,
    receivedAt: opts.receivedAt,
    score,
    threshold: opts.threshold ?? 0.5,
    anomalous: score > (opts.threshold ?? 0.5),
    reconstruction: new Float32Array(seqStep * features),
    stepErrors: new Float32Array(seqStep),
    expected: opts.expected,
    cadenceMs: opts.cadenceMs,
  };
}

function batch(scored: ScoredWindow[], extra: Partial<BatchResult> = {}): BatchResult {
  return {
    scored,
    alerts: [],
    rejected: [],
    sources: [],
    events: scored.length,
    state: [],
    inference: [{ model: 'eps-gru', backend: 'cpu', windows: scored.length, seconds: 0.004 }],
    ...extra,
  };
}

function alert(stream: string, state: Alert['state'], extra: Partial<Alert> = {}): Alert {
  return {
    schemaVersion: 2,
    alertId: `${stream}-1`,
    state,
    kind: 'spike',
    detectedAt: '2026-11-22T10:00:00.000Z',
    expected: null,
    deviation: null,
    stream,
    model: 'eps-gru',
    score: 1,
    threshold: 0.5,
    startIndex: 1,
    peakIndex: 1,
    endIndex: null,
    startTs: '2024-01-01T00:00:00.000Z',
    peakTs: '2024-01-01T00:00:00.000Z',
    endTs: null,
    peak: { score: 1, values: [[1]], reconstruction: [[1]], stepErrors: [1] },
    ...extra,
  };
}

async function scrape(m: AnomalydMetrics): Promise<Sample[]> {
  return parseExposition(await m.registry.metrics());
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = findSamples(samples, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describe('AnomalydMetrics', () => {
  it('exposes the latest score, threshold, anomalous flag and value per stream', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    m.observeBatch(batch([scoredWindow('fw-01', 0.2), scoredWindow('fw-02', 0.9, { threshold: 0.7 })]));
    m.observeBatch(batch([scoredWindow('fw-01', 0.6, { last: [1234] })]));

    const s = await scrape(m);
    expect(value(s, 'anomalyd_stream_anomaly_score', { stream: 'fw-01', model: 'eps-gru' })).toBeCloseTo(0.6);
    expect(value(s, 'anomalyd_stream_anomalous', { stream: 'fw-01' })).toBe(1);
    expect(value(s, 'anomalyd_stream_last_value', { stream: 'fw-01' })).toBe(1234);
    expect(findSamples(s, 'anomalyd_stream_last_value', { stream: 'fw-01' })[0].labels).not.toHaveProperty('feature');
    expect(value(s, 'anomalyd_stream_threshold', { stream: 'fw-02' })).toBeCloseTo(0.7);
    expect(value(s, 'anomalyd_stream_anomalous', { stream: 'fw-02' })).toBe(1);
    expect(value(s, 'anomalyd_stream_windows_scored_total', { stream: 'fw-01' })).toBe(2);
    expect(value(s, 'anomalyd_stream_windows_scored_total', { stream: 'fw-02' })).toBe(1);
    expect(value(s, 'anomalyd_events_total', { outcome: 'scored' })).toBe(3);
  });

  it('labels each feature of a multivariate stream', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    m.observeBatch(batch([scoredWindow('host-a', 0.1, { model: 'mv', last: [3, 4, 5] })]));
    const s = await scrape(m);
    expect(findSamples(s, 'anomalyd_stream_last_value', { stream: 'host-a', model: 'mv' }).map((x) => [x.labels.feature, x.value])).toEqual([
      ['0', 3],
      ['1', 4],
      ['2', 5],
    ]);
  });

  it('keeps counting windows across scrapes without losing or double-counting', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    m.observeBatch(batch([scoredWindow('a', 0.1), scoredWindow('a', 0.1)]));
    expect(value(await scrape(m), 'anomalyd_stream_windows_scored_total', { stream: 'a' })).toBe(2);
    expect(value(await scrape(m), 'anomalyd_stream_windows_scored_total', { stream: 'a' })).toBe(2);
    m.observeBatch(batch([scoredWindow('a', 0.1)]));
    expect(value(await scrape(m), 'anomalyd_stream_windows_scored_total', { stream: 'a' })).toBe(3);
  });

  it('folds streams beyond the cap into __other__ and counts them', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 2, collectDefault: false });
    m.observeBatch(
      batch([
        scoredWindow('s1', 0.1),
        scoredWindow('s2', 0.2),
        scoredWindow('s3', 0.3, { last: [30] }),
        scoredWindow('s4', 0.9, { last: [90], threshold: 0.8 }),
        scoredWindow('s5', 0.4),
      ]),
    );
    m.observeBatch(batch([scoredWindow('s3', 0.35), scoredWindow('s1', 0.15)]));

    const s = await scrape(m);
    const streams = new Set(findSamples(s, 'anomalyd_stream_anomaly_score').map((x) => x.labels.stream));
    expect(streams).toEqual(new Set(['s1', 's2', '__other__']));
    expect(value(s, 'anomalyd_stream_labels_folded_total')).toBe(3);
    // __other__ shows the folded stream with the highest latest score (s4) and whether any folded stream is anomalous.
    expect(value(s, 'anomalyd_stream_anomaly_score', { stream: '__other__' })).toBeCloseTo(0.9);
    expect(value(s, 'anomalyd_stream_threshold', { stream: '__other__' })).toBeCloseTo(0.8);
    expect(value(s, 'anomalyd_stream_last_value', { stream: '__other__' })).toBe(90);
    expect(value(s, 'anomalyd_stream_anomalous', { stream: '__other__' })).toBe(1);
    expect(value(s, 'anomalyd_stream_windows_scored_total', { stream: '__other__' })).toBe(4);
    expect(value(s, 'anomalyd_stream_windows_scored_total', { stream: 's1' })).toBe(2);

    // s4 calms down: __other__ now follows the new top folded score and is no longer anomalous.
    m.observeBatch(batch([scoredWindow('s4', 0.05, { threshold: 0.8 })]));
    const after = await scrape(m);
    expect(value(after, 'anomalyd_stream_anomaly_score', { stream: '__other__' })).toBeCloseTo(0.4);
    expect(value(after, 'anomalyd_stream_anomalous', { stream: '__other__' })).toBe(0);
    expect(value(after, 'anomalyd_stream_labels_folded_total')).toBe(3);
  });

  it('folds alert labels with the same cap', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 1, collectDefault: false });
    m.observeBatch(batch([], { alerts: [alert('x', 'open'), alert('y', 'open'), alert('y', 'resolved'), alert('z', 'open')], inference: [] }));
    const s = await scrape(m);
    expect(value(s, 'anomalyd_alerts_total', { stream: 'x', state: 'open' })).toBe(1);
    expect(value(s, 'anomalyd_alerts_total', { stream: '__other__', state: 'open' })).toBe(2);
    expect(value(s, 'anomalyd_alerts_total', { stream: '__other__', state: 'resolved' })).toBe(1);
    // Series exist at 0 from a stream's first appearance, so alert rates read 0 instead of no data.
    expect(value(s, 'anomalyd_alerts_total', { stream: 'x', state: 'update' })).toBe(0);
    expect(value(s, 'anomalyd_stream_labels_folded_total')).toBe(2);
  });

  it('splits events by outcome and counts dead-lettered events by reason', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    const before = await scrape(m);
    expect(findSamples(before, 'anomalyd_invalid_events_total').map((x) => [x.labels.reason, x.value])).toContainEqual(['duplicate_timestamp', 0]);
    expect(findSamples(before, 'anomalyd_invalid_events_total')).toHaveLength(REJECT_REASONS.length);
    m.observeBatch(
      batch([scoredWindow('a', 0.1)], {
        events: 6,
        rejected: [
          { reason: 'invalid_json', detail: 'Unexpected token' },
          { reason: 'out_of_order', detail: 'ts went back', stream: 'a' },
        ],
      }),
    );
    m.observeRejected('invalid_json', 2);
    m.observeRejected('out_of_order');
    const s = await scrape(m);
    expect(value(s, 'anomalyd_events_total', { outcome: 'scored' })).toBe(1);
    expect(value(s, 'anomalyd_events_total', { outcome: 'rejected' })).toBe(2);
    expect(value(s, 'anomalyd_events_total', { outcome: 'warming_up' })).toBe(3);
    expect(value(s, 'anomalyd_invalid_events_total', { reason: 'invalid_json' })).toBe(2);
    expect(value(s, 'anomalyd_invalid_events_total', { reason: 'out_of_order' })).toBe(1);
  });

  it('records inference batch size and duration per model and backend, and event-to-score latency', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    const now = 1_000_000;
    m.observeBatch(
      batch([scoredWindow('a', 0.1, { receivedAt: now - 3 }), scoredWindow('b', 0.1, { receivedAt: now - 200 }), scoredWindow('c', 0.1)], {
        inference: [
          { model: 'eps-gru', backend: 'wasm', windows: 100, seconds: 0.003 },
          { model: 'eps-lstm', backend: 'wasm', windows: 3, seconds: 0.0004 },
        ],
      }),
      now,
    );
    m.observeBatch(batch([], { inference: [{ model: 'eps-gru', backend: 'wasm', windows: 700, seconds: 0.02 }] }), now);

    const s = await scrape(m);
    const gru = { model: 'eps-gru', backend: 'wasm' };
    expect(value(s, 'anomalyd_inference_batch_size_count', gru)).toBe(2);
    expect(value(s, 'anomalyd_inference_batch_size_sum', gru)).toBe(800);
    expect(value(s, 'anomalyd_inference_batch_size_bucket', { ...gru, le: '128' })).toBe(1);
    expect(value(s, 'anomalyd_inference_batch_size_bucket', { ...gru, le: '1024' })).toBe(2);
    expect(value(s, 'anomalyd_inference_duration_seconds_bucket', { ...gru, le: '0.005' })).toBe(1);
    expect(value(s, 'anomalyd_inference_duration_seconds_sum', gru)).toBeCloseTo(0.023);
    expect(value(s, 'anomalyd_inference_duration_seconds_count', { model: 'eps-lstm', backend: 'wasm' })).toBe(1);

    // Only windows that carry receivedAt are timed.
    expect(value(s, 'anomalyd_event_to_score_latency_seconds_count')).toBe(2);
    expect(value(s, 'anomalyd_event_to_score_latency_seconds_bucket', { le: '0.005' })).toBe(1);
    expect(value(s, 'anomalyd_event_to_score_latency_seconds_bucket', { le: '0.1' })).toBe(1);
    expect(value(s, 'anomalyd_event_to_score_latency_seconds_bucket', { le: '0.25' })).toBe(2);
    expect(value(s, 'anomalyd_event_to_score_latency_seconds_sum')).toBeCloseTo(0.203);
  });

  it('reports consumer lag, active streams and build info', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    m.setConsumerLag('metrics.eps', 0, 12);
    m.setConsumerLag('metrics.eps', 1, 30);
    m.setConsumerLag('metrics.eps', 0, 5);
    m.setActiveStreams(42);
    m.setBuildInfo('0.1.0', 'cpu');
    m.setBuildInfo('0.1.0', 'wasm');
    let s = await scrape(m);
    expect(value(s, 'anomalyd_consumer_lag', { topic: 'metrics.eps', partition: '0' })).toBe(5);
    expect(value(s, 'anomalyd_consumer_lag', { topic: 'metrics.eps', partition: '1' })).toBe(30);
    expect(value(s, 'anomalyd_active_streams')).toBe(42);
    expect(findSamples(s, 'anomalyd_build_info').map((x) => x.labels)).toEqual([{ version: '0.1.0', backend: 'wasm' }]);

    m.clearConsumerLag();
    s = await scrape(m);
    expect(findSamples(s, 'anomalyd_consumer_lag')).toEqual([]);
  });

  it('includes the standard process and nodejs metrics unless disabled', async () => {
    const withDefaults = await scrape(new AnomalydMetrics({ maxStreamLabels: 1 }));
    expect(findSamples(withDefaults, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(withDefaults.some((x) => x.name.startsWith('nodejs_'))).toBe(true);
    const without = await scrape(new AnomalydMetrics({ maxStreamLabels: 1, collectDefault: false }));
    expect(without.every((x) => x.name.startsWith('anomalyd_'))).toBe(true);
  });

  it('exposes each stream\'s newest event time, learned cadence and expected value once the pipeline reports them', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    const t = Date.UTC(2026, 10, 22);
    m.observeBatch(batch([scoredWindow('fw-01', 0.1, { ts: t }), scoredWindow('dns-01', 0.1, { ts: t + 1000, cadenceMs: 300_000, expected: 812.5 })]));
    let s = await scrape(m);
    expect(value(s, 'anomalyd_stream_last_event_timestamp_seconds', { stream: 'fw-01' })).toBe(t / 1000);
    // Still learning: no cadence and no expected value yet, rather than a made-up 0.
    expect(findSamples(s, 'anomalyd_stream_cadence_seconds', { stream: 'fw-01' })).toEqual([]);
    expect(findSamples(s, 'anomalyd_stream_expected_value', { stream: 'fw-01' })).toEqual([]);
    expect(value(s, 'anomalyd_stream_cadence_seconds', { stream: 'dns-01' })).toBe(300);
    expect(value(s, 'anomalyd_stream_expected_value', { stream: 'dns-01', model: 'eps-gru' })).toBe(812.5);

    m.observeBatch(batch([scoredWindow('fw-01', 0.1, { ts: t + 1_800_000, cadenceMs: 1_800_000, expected: 9400 }), scoredWindow('dns-01', 0.1, { ts: t + 301_000, cadenceMs: 300_000 })]));
    s = await scrape(m);
    expect(value(s, 'anomalyd_stream_last_event_timestamp_seconds', { stream: 'fw-01' })).toBe(t / 1000 + 1800);
    expect(value(s, 'anomalyd_stream_cadence_seconds', { stream: 'fw-01' })).toBe(1800);
    expect(value(s, 'anomalyd_stream_expected_value', { stream: 'fw-01' })).toBe(9400);
    expect(value(s, 'anomalyd_stream_last_event_timestamp_seconds', { stream: 'dns-01' })).toBe(t / 1000 + 301);
    // The latest window has no expected value: the gauge says nothing rather than repeat a stale one.
    expect(findSamples(s, 'anomalyd_stream_expected_value', { stream: 'dns-01' })).toEqual([]);
  });

  it('tracks open episodes per stream and kind, and counts opened episodes by kind', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    let s = await scrape(m);
    expect(findSamples(s, 'anomalyd_alert_episodes_total').map((x) => [x.labels.kind, x.value])).toEqual(
      ALERT_KINDS.map((kind) => [kind, 0]),
    );
    m.observeBatch(
      batch([], {
        inference: [],
        alerts: [
          alert('fw-01', 'open', { alertId: 'a1', kind: 'spike' }),
          alert('fw-01', 'update', { alertId: 'a1', kind: 'spike' }),
          alert('vpn-01', 'open', { alertId: 'a2', kind: 'silence' }),
          alert('dns-01', 'open', { alertId: 'a3', kind: 'flat' }),
        ],
      }),
    );
    s = await scrape(m);
    expect(value(s, 'anomalyd_stream_episode_open', { stream: 'fw-01', kind: 'spike' })).toBe(1);
    expect(value(s, 'anomalyd_stream_episode_open', { stream: 'vpn-01', kind: 'silence' })).toBe(1);
    expect(value(s, 'anomalyd_stream_episode_open', { stream: 'dns-01', kind: 'flat' })).toBe(1);
    expect(findSamples(s, 'anomalyd_stream_episode_open', { stream: 'fw-01' })).toHaveLength(1);
    expect(value(s, 'anomalyd_alert_episodes_total', { kind: 'spike' })).toBe(1);
    expect(value(s, 'anomalyd_alert_episodes_total', { kind: 'silence' })).toBe(1);
    expect(value(s, 'anomalyd_alert_episodes_total', { kind: 'flat' })).toBe(1);

    m.observeBatch(batch([], { inference: [], alerts: [alert('vpn-01', 'resolved', { alertId: 'a2', kind: 'silence' }), alert('fw-01', 'resolved', { alertId: 'a1', kind: 'spike' })] }));
    s = await scrape(m);
    expect(value(s, 'anomalyd_stream_episode_open', { stream: 'vpn-01', kind: 'silence' })).toBe(0);
    expect(value(s, 'anomalyd_stream_episode_open', { stream: 'fw-01', kind: 'spike' })).toBe(0);
    expect(value(s, 'anomalyd_stream_episode_open', { stream: 'dns-01', kind: 'flat' })).toBe(1);
    expect(value(s, 'anomalyd_alert_episodes_total', { kind: 'spike' })).toBe(1);
  });

  it('folds the new per-stream series into __other__: the most overdue source, any open episode, the top scorer\'s expected value', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 1, collectDefault: false });
    const now = Date.now();
    const hour = 3_600_000;
    m.observeBatch(
      batch([
        scoredWindow('own', 0.1, { ts: now, cadenceMs: 60_000 }),
        // 20 cadences overdue.
        scoredWindow('f-half-hourly', 0.9, { ts: now - 10 * hour, cadenceMs: hour / 2, expected: 5000 }),
        // 24 cadences overdue: the one __other__ must show, though its newest event is more recent.
        scoredWindow('f-five-minute', 0.2, { ts: now - 2 * hour, cadenceMs: 300_000, expected: 70 }),
        // Oldest, but without a learned cadence it cannot be judged silent.
        scoredWindow('f-learning', 0.3, { ts: now - 100 * hour }),
      ]),
    );
    m.observeBatch(batch([], { inference: [], alerts: [alert('f-learning', 'open', { alertId: 'x', kind: 'drop' })] }));
    const s = await scrape(m);
    const other = { stream: '__other__' };
    expect(value(s, 'anomalyd_stream_last_event_timestamp_seconds', other)).toBe((now - 2 * hour) / 1000);
    expect(value(s, 'anomalyd_stream_cadence_seconds', other)).toBe(300);
    expect(value(s, 'anomalyd_stream_expected_value', other)).toBe(5000);
    expect(value(s, 'anomalyd_stream_last_value', other)).toBeCloseTo(90);
    expect(value(s, 'anomalyd_stream_episode_open', { ...other, kind: 'drop' })).toBe(1);
    expect(value(s, 'anomalyd_stream_last_event_timestamp_seconds', { stream: 'own' })).toBe(now / 1000);
    expect(new Set(findSamples(s, 'anomalyd_stream_cadence_seconds').map((x) => x.labels.stream))).toEqual(new Set(['own', '__other__']));
  });

  it('forgets the newest event, cadence and episodes of dropped streams, so they do not look silent', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    m.observeBatch(
      batch([scoredWindow('kept', 0.1, { cadenceMs: 1000 }), scoredWindow('moved', 0.1, { cadenceMs: 1000 })], {
        alerts: [alert('moved', 'open', { alertId: 'm', kind: 'spike' })],
      }),
    );
    expect(findSamples(await scrape(m), 'anomalyd_stream_last_event_timestamp_seconds')).toHaveLength(2);
    m.dropStreams((stream) => stream === 'moved');
    const s = await scrape(m);
    for (const name of ['anomalyd_stream_last_event_timestamp_seconds', 'anomalyd_stream_cadence_seconds', 'anomalyd_stream_episode_open']) {
      expect(findSamples(s, name, { stream: 'moved' }), name).toEqual([]);
    }
    expect(value(s, 'anomalyd_stream_cadence_seconds', { stream: 'kept' })).toBe(1);
    // Back on this instance later: its series return.
    m.observeBatch(batch([scoredWindow('moved', 0.1, { cadenceMs: 2000 })]));
    expect(value(await scrape(m), 'anomalyd_stream_cadence_seconds', { stream: 'moved' })).toBe(2);
  });

  it('rejects a non-positive label cap', () => {
    expect(() => new AnomalydMetrics({ maxStreamLabels: 0 })).toThrow(/maxStreamLabels must be a positive integer/);
  });

  it('forgets evicted streams: their series and alert counters go, their label slot goes to the next new stream', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 2, collectDefault: false });
    m.observeBatch(batch([scoredWindow('a', 0.1), scoredWindow('b', 0.2), scoredWindow('c', 0.3)], { alerts: [alert('a', 'open')] }));
    let s = await scrape(m);
    expect(findSamples(s, 'anomalyd_stream_anomaly_score').map((x) => x.labels.stream).sort()).toEqual(['__other__', 'a', 'b']);
    m.forgetStreams(['a']);
    m.observeEvicted(1);
    m.observeBatch(batch([scoredWindow('d', 0.4)]));
    s = await scrape(m);
    expect(findSamples(s, 'anomalyd_stream_anomaly_score').map((x) => x.labels.stream).sort()).toEqual(['__other__', 'b', 'd']);
    expect(findSamples(s, 'anomalyd_stream_windows_scored_total').map((x) => x.labels.stream).sort()).toEqual(['__other__', 'b', 'd']);
    expect(findSamples(s, 'anomalyd_stream_last_value').map((x) => x.labels.stream).sort()).toEqual(['__other__', 'b', 'd']);
    expect(findSamples(s, 'anomalyd_alerts_total').filter((x) => x.labels.stream === 'a')).toEqual([]);
    expect(findSamples(s, 'anomalyd_streams_evicted_total')[0].value).toBe(1);
  });
});
