// Live charts from /api/series (one sample a second, the last 300 kept by the
// gateway, so they survive a reload): tokens/s, each stage's forward latency,
// queue depth. Small SVG line charts drawn by hand; labels are HTML beside them.
import { byTestId, formatNumber, h, replace, s } from './dom.js';

const POLL_MS = 2000;
const WIDTH = 300;  // viewBox units; the SVG stretches to its box
const HEIGHT = 100;
const MAX_WINDOW_MS = 300_000;  // what the gateway keeps
const MIN_WINDOW_MS = 60_000;  // a young gateway's few samples still spread out

export class Charts {
  constructor() {
    this.timer = null;
  }

  start() {
    this.poll();
  }

  async poll() {
    try {
      const response = await fetch('/api/series', { cache: 'no-store' });
      if (response.ok) this.render(await response.json());
    } catch {
      // The status poll reports an unreachable gateway; charts keep their last picture.
    } finally {
      this.timer = setTimeout(() => this.poll(), POLL_MS);
    }
  }

  render(series) {
    const samples = Array.isArray(series.samples) ? series.samples : [];
    const end = samples.length ? samples[samples.length - 1].time_ms : Date.now();
    const span = samples.length ? end - samples[0].time_ms : 0;
    const spanMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, span));
    const shards = [...new Set(samples.flatMap((x) => Object.keys(x.stage_ms || {})))].sort((a, b) => a - b);
    drawChart(byTestId('chart-tokens'), {
      title: 'Tokens per second',
      unit: 'tok/s',
      end,
      spanMs,
      samples,
      lines: [{ name: 'tokens/s', color: 1, value: (x) => x.tokens_per_s }],
    });
    drawChart(byTestId('chart-latency'), {
      title: 'Forward latency per stage',
      unit: 'ms',
      end,
      spanMs,
      samples,
      lines: shards.map((k, i) => ({ name: `shard ${k}`, color: 1 + (i % 6), value: (x) => x.stage_ms?.[k] })),
    });
    drawChart(byTestId('chart-queue'), {
      title: 'Queue depth',
      unit: '',
      end,
      spanMs,
      samples,
      lines: [
        { name: 'queue', color: 3, value: (x) => x.queue_depth },
        { name: 'sessions', color: 5, value: (x) => x.sessions },
      ],
    });
  }
}

// One chart: a figure with a caption (title, latest values as a legend), the
// SVG, and the y maximum and time span as text.
function drawChart(figure, { title, unit, end, spanMs, samples, lines }) {
  const start = end - spanMs;
  const values = lines.flatMap((l) => samples.map(l.value).filter(Number.isFinite));
  const top = niceMax(Math.max(0, ...values));
  const x = (t) => ((t - start) / spanMs) * WIDTH;
  const y = (v) => HEIGHT - (v / top) * HEIGHT;

  const paths = lines.map((line) => {
    // A gap (null) in the series breaks the line.
    // A lone point gets a short stub, which the round cap draws as a dot.
    let d = '';
    let run = 0;
    const endRun = () => {
      if (run === 1) d += 'l0.01,0';
      run = 0;
    };
    for (const sample of samples) {
      const v = line.value(sample);
      if (!Number.isFinite(v) || sample.time_ms < start) {
        endRun();
        continue;
      }
      d += `${run ? 'L' : 'M'}${x(sample.time_ms).toFixed(1)},${y(v).toFixed(1)}`;
      run += 1;
    }
    endRun();
    return s('path', { d: d || 'M0,0', class: `line c${line.color}`, 'vector-effect': 'non-scaling-stroke', fill: 'none' });
  });
  const grid = [0.25, 0.5, 0.75].map((f) =>
    s('line', { x1: 0, x2: WIDTH, y1: HEIGHT * f, y2: HEIGHT * f, class: 'grid', 'vector-effect': 'non-scaling-stroke' }),
  );
  const latest = lines.map((line) => {
    const last = [...samples].reverse().find((sample) => Number.isFinite(line.value(sample)));
    return { line, value: last ? line.value(last) : null };
  });
  const summary = latest.map(({ line, value }) => `${line.name} ${value === null ? 'no data' : formatNumber(value)}`).join(', ');

  figure.dataset.samples = String(samples.length);
  replace(
    figure,
    h(
      'figcaption',
      {},
      h('span', { class: 'chart-title' }, title),
      h(
        'span',
        { class: 'legend' },
        latest.map(({ line, value }) =>
          h('span', { class: 'key' }, h('span', { class: `swatch c${line.color}`, 'aria-hidden': 'true' }), `${line.name} ${value === null ? '–' : formatNumber(value)}${unit ? ` ${unit}` : ''}`),
        ),
      ),
    ),
    h(
      'div',
      { class: 'plot' },
      h('span', { class: 'y-max' }, `${formatNumber(top, top < 10 ? 1 : 0)}${unit ? ` ${unit}` : ''}`),
      s(
        'svg',
        { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `${title}: ${summary}` },
        s('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'plot-bg' }),
        grid,
        paths,
      ),
      h('span', { class: 'x-axis' }, h('span', {}, spanMs >= 120_000 ? `${Math.round(spanMs / 60_000)} min ago` : `${Math.round(spanMs / 1000)} s ago`), h('span', {}, 'now')),
    ),
  );
}

// 1, 2 or 5 times a power of ten, at least `v` (and at least 1).
function niceMax(v) {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
