// Placements: for one sweep, each variant's best-epoch mAP (mean over seeds, ±1 std error bars),
// sorted, the baseline marked; the table of Δ vs the baseline with its 95% interval (Welch, from the
// store); and the model map coloured by each position's mean effect. A sweep over several scales or
// modules shows one scale's variants, and the map of that scale for one module, each chosen here.
import { api, type Group, type Placements } from './api.js';
import { BASELINE_COLOUR, Chart, colour, pngButton, svgPngButton } from './charts.js';
import { clear, h } from './dom.js';
import { count, fixed, gridText, pValue, signed } from './format.js';
import { drawModelMap } from './model-map.js';
import type { View } from './view.js';

type Metric = 'map50_95' | 'map50';
const METRIC_LABEL: Record<Metric, string> = { map50_95: 'mAP50-95', map50: 'mAP50' };
const settings = { metric: 'map50_95' as Metric };

const groupLabel = (g: Group) => `${g.name}${Object.keys(g.grid).length ? ` ${gridText(g.grid)}` : ''}`;

type Verdict = 'baseline' | 'better' | 'worse' | 'unclear';
/** Better or worse when the 95% interval of Δ excludes zero; unclear when it straddles it or is unknown. */
function verdict(g: Group, metric: Metric): Verdict {
  if (g.is_baseline) return 'baseline';
  const test = g.vs_baseline?.[metric];
  if (test?.ci_low != null && test.ci_low > 0) return 'better';
  if (test?.ci_high != null && test.ci_high < 0) return 'worse';
  return 'unclear';
}
const VERDICT_COLOUR: Record<Verdict, string> = { baseline: BASELINE_COLOUR, better: '#2ca02c', worse: '#d62728', unclear: colour(0) };

function deltaText(g: Group, metric: Metric): string {
  if (g.is_baseline) return 'baseline';
  if (g.delta === null) return 'no baseline';
  const test = g.vs_baseline?.[metric];
  const interval = test ? ` [${signed(test.ci_low)}, ${signed(test.ci_high)}]` : ' (one run: no interval)';
  return `${signed(g.delta[metric])}${interval}`;
}

function groupsTable(groups: Group[], metric: Metric): HTMLTableElement {
  const head = ['variant', 'n', 'seeds', 'mAP50-95', 'mAP50', `Δ ${METRIC_LABEL[metric]} [95% CI]`, 'p', 'params', 'GFLOPs'];
  return h('table', { class: 'groups' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...groups.map((g) => h('tr', { class: g.is_baseline ? 'baseline' : '' },
      h('td', {}, groupLabel(g)),
      h('td', { class: 'num' }, g.n),
      h('td', {}, g.seeds.join(', ')),
      h('td', { class: 'num' }, `${fixed(g.map50_95.mean)} ± ${fixed(g.map50_95.std)}`),
      h('td', { class: 'num' }, `${fixed(g.map50.mean)} ± ${fixed(g.map50.std)}`),
      h('td', { class: `num delta ${verdict(g, metric)}` }, deltaText(g, metric)),
      h('td', { class: 'num' }, pValue(g.vs_baseline?.[metric]?.p)),
      h('td', { class: 'num' }, count(g.params)),
      h('td', { class: 'num' }, fixed(g.gflops, 2))))));
}

function barChart(canvas: HTMLCanvasElement, groups: Group[], metric: Metric): Chart {
  const sorted = [...groups].sort((a, b) => (b[metric].mean ?? -Infinity) - (a[metric].mean ?? -Infinity));
  const baselines = sorted.filter((g) => g.is_baseline);
  const bars = sorted.map((g) => {
    const { mean, std } = g[metric];
    return { y: mean ?? 0, yMin: (mean ?? 0) - (std ?? 0), yMax: (mean ?? 0) + (std ?? 0) };
  });
  canvas.setAttribute('aria-label', `best-epoch ${METRIC_LABEL[metric]} by variant, highest first: ${sorted.map((g) => `${groupLabel(g)}${g.is_baseline ? ' (baseline)' : ''} ${fixed(g[metric].mean)}`).join('; ')}`);
  return new Chart(canvas, {
    type: 'barWithErrorBars',
    data: {
      labels: sorted.map((g) => (g.is_baseline ? `${groupLabel(g)} (baseline)` : groupLabel(g))),
      datasets: [
        { label: `${METRIC_LABEL[metric]}, mean ± std over seeds`, data: bars, backgroundColor: sorted.map((g) => VERDICT_COLOUR[verdict(g, metric)]) },
        // One baseline: a dashed line across every bar at its mean.
        ...(baselines.length === 1 ? [{
          type: 'line' as const, label: `baseline ${groupLabel(baselines[0]!)}`, data: sorted.map(() => baselines[0]![metric].mean),
          borderColor: '#333', borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0,
        }] : []),
      ],
    } as never,
    options: {
      maintainAspectRatio: false,
      scales: { y: { title: { display: true, text: `best-epoch ${METRIC_LABEL[metric]}` } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

export const placementsView: View = {
  title: 'Placements',
  async render([sweepArg]) {
    const sweeps = await api.sweeps();
    const sweep = sweepArg ?? sweeps.find((s) => s.runs > 0)?.name ?? sweeps[0]?.name;
    const element = h('section', { class: 'placements' });
    if (!sweep) {
      element.append(h('p', { class: 'note' }, 'No sweeps in this database yet.'));
      return { element };
    }
    const choice: { scale?: string; module?: string } = {};
    let data: Placements = await api.placements(sweep);
    let chart: Chart | undefined;
    let map: SVGSVGElement | undefined;
    const canvas = h('canvas', { attrs: { role: 'img' } });
    const tableBox = h('div', { class: 'table-scroll' });
    const mapBox = h('div', { class: 'map-box' });

    const draw = () => {
      chart?.destroy();
      chart = data.groups.length ? barChart(canvas, data.groups, settings.metric) : undefined;
      clear(tableBox, data.groups.length ? groupsTable(data.groups, settings.metric) : h('p', { class: 'note' }, 'No completed runs in this sweep yet.'));
      map = data.model_map ? drawModelMap(data.model_map, data.position_effects, data.module) : undefined;
      clear(mapBox, map ?? h('p', { class: 'note' }, data.model_map_error ?? 'This sweep carries no model map (sweeps.spec.model_map).'));
    };

    const sweepSelect = h('select', {
      attrs: { 'aria-label': 'sweep' },
      on: { change: (e) => { location.hash = `#/placements/${encodeURIComponent((e.target as HTMLSelectElement).value)}`; } },
    }, ...sweeps.map((s) => h('option', { attrs: { value: s.name, selected: s.name === sweep } }, `${s.name} (${s.runs} runs)`)));
    const metricSelect = h('select', {
      attrs: { 'aria-label': 'metric' },
      on: { change: (e) => { settings.metric = (e.target as HTMLSelectElement).value as Metric; draw(); } },
    }, ...(['map50_95', 'map50'] as Metric[]).map((m) => h('option', { attrs: { value: m, selected: m === settings.metric } }, METRIC_LABEL[m])));
    const refresh = async () => {
      data = await api.placements(sweep, choice);
      draw();
    };
    /** A select over the sweep's scales or modules, shown when it has more than one. */
    const chooser = (what: 'scale' | 'module', values: string[], current: string | null) => (values.length < 2 ? [] : [h('select', {
      attrs: { 'aria-label': what },
      on: { change: (e) => { choice[what] = (e.target as HTMLSelectElement).value; void refresh(); } },
    }, ...values.map((v) => h('option', { attrs: { value: v, selected: v === current } }, `${what} ${v}`)))]);

    draw();
    element.append(
      h('div', { class: 'toolbar' }, sweepSelect, ...chooser('scale', data.scales, data.scale), metricSelect,
        pngButton(() => chart, () => `placements-${sweep}${data.scale ? `-${data.scale}` : ''}-${settings.metric}`)),
      h('div', { class: 'chart' }, canvas),
      tableBox,
      h('h2', {}, 'Model map ', ...chooser('module', data.modules, data.module), svgPngButton(() => map, () => `model-map-${sweep}${data.module ? `-${data.module}` : ''}`)),
      mapBox);
    return {
      element,
      refresh,
      dispose: () => chart?.destroy(),
    };
  },
};
