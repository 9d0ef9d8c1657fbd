// Curves: any results.csv column by epoch for the selected runs, one line per run or, grouped by
// variant, the mean over seeds with a ±1 std band (the store computes both); zoom with the wheel or
// a pinch, pan by dragging. NaN epochs are gaps.
import type { ChartDataset } from 'chart.js';
import { METRIC_COLUMNS, type MetricColumn } from '@acmix-lab/store/metric-columns';
import { api, type Curve, type Epoch, type Run } from './api.js';
import { Chart, colour, pngButton, translucent } from './charts.js';
import { h } from './dom.js';
import { gridText } from './format.js';
import { allRuns, selection } from './state.js';
import type { View } from './view.js';

/** Beyond this many runs, one line each is unreadable (and one request each): group them instead. */
const MAX_LINES = 40;

const settings = { column: 'map50_95' as MetricColumn, grouped: false };
type Point = { x: number; y: number | null };
type LineDataset = ChartDataset<'line', Point[]>;

const csvName = (column: MetricColumn) => METRIC_COLUMNS.find((c) => c.column === column)!.csv;
const runLabel = (r: Run) => `#${r.id} ${r.name}${r.grid && Object.keys(r.grid).length ? ` ${gridText(r.grid)}` : ''} seed ${r.seed}`;

function runDatasets(runs: Run[], epochs: Epoch[][]): LineDataset[] {
  return runs.map((run, i) => ({
    label: runLabel(run), borderColor: colour(i), backgroundColor: colour(i), pointRadius: 2, borderWidth: 1.5,
    data: epochs[i]!.map((e) => ({ x: e.epoch!, y: e[settings.column] })),
  }));
}

/** Per variant: the band's lower edge, its upper edge filled down to it, then the mean line. */
function variantDatasets(curves: Curve[], bands: WeakSet<object>): LineDataset[] {
  return curves.flatMap((curve, i) => {
    const c = colour(i);
    const edge = (sign: 1 | -1) => curve.points.map((p) => ({ x: p.epoch!, y: p.mean === null || p.std === null ? null : p.mean + sign * p.std }));
    const lower: LineDataset = { label: '', data: edge(-1), borderWidth: 0, pointRadius: 0, fill: false };
    const upper: LineDataset = { label: '', data: edge(1), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: translucent(c, 0.18) };
    bands.add(lower).add(upper);
    const seeds = curve.reproduces !== null ? ` (reproduction of #${curve.reproduces})`
      : curve.seeds.length > 1 ? ` (mean of ${curve.seeds.length} seeds)` : ` (seed ${curve.seeds[0]})`;
    const label = `${curve.name}${Object.keys(curve.grid).length ? ` ${gridText(curve.grid)}` : ''}${seeds}`;
    return [lower, upper, { label, borderColor: c, backgroundColor: c, pointRadius: 2, borderWidth: 2, data: curve.points.map((p) => ({ x: p.epoch!, y: p.mean })) }];
  });
}

export const curvesView: View = {
  title: 'Curves',
  async render() {
    const bands = new WeakSet<object>();
    const canvas = h('canvas', { attrs: { role: 'img' } });
    const note = h('p', { class: 'note' });
    const chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        maintainAspectRatio: false,
        spanGaps: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: { x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0 } }, y: { title: { display: true, text: '' } } },
        plugins: {
          legend: { position: 'bottom', labels: { filter: (item, data) => !bands.has(data.datasets[item.datasetIndex!]!) } },
          tooltip: { filter: (item) => !bands.has(item.dataset) },
          zoom: { zoom: { wheel: { enabled: true }, pinch: { enabled: true }, mode: 'xy' }, pan: { enabled: true, mode: 'xy' } },
        },
      },
    });

    const load = async () => {
      const byId = new Map((await allRuns()).map((r) => [r.id, r]));
      const runs = [...selection.ids].sort((a, b) => a - b).flatMap((id) => byId.get(id) ?? []);
      const grouped = settings.grouped || runs.length > MAX_LINES;
      note.textContent = runs.length === 0 ? 'No runs selected: tick runs in the Runs table to compare them here.'
        : grouped && !settings.grouped ? `${runs.length} runs selected: grouped by variant (one line per run up to ${MAX_LINES}).` : '';
      const datasets = runs.length === 0 ? []
        : grouped ? variantDatasets(await api.curves(runs.map((r) => r.id), settings.column), bands)
          : runDatasets(runs, await Promise.all(runs.map((r) => api.metrics(r.id))));
      chart.data.datasets = datasets;
      chart.options.scales!.y!.title!.text = csvName(settings.column);
      chart.update();
      const lines = datasets.filter((d) => !bands.has(d)).map((d) => d.label);
      canvas.setAttribute('aria-label', `${csvName(settings.column)} by epoch: ${lines.length} curves: ${lines.join('; ')}`);
      canvas.dataset.curves = String(lines.length);
    };

    const columnSelect = h('select', {
      attrs: { 'aria-label': 'results.csv column' },
      on: { change: (e) => { settings.column = (e.target as HTMLSelectElement).value as MetricColumn; void load(); } },
    }, ...METRIC_COLUMNS.map(({ column, csv }) => h('option', { attrs: { value: column, selected: column === settings.column } }, csv)));
    const groupBox = h('input', {
      attrs: { type: 'checkbox', checked: settings.grouped },
      on: { change: (e) => { settings.grouped = (e.target as HTMLInputElement).checked; void load(); } },
    });

    await load();
    const element = h('section', { class: 'curves' },
      h('div', { class: 'toolbar' }, columnSelect,
        h('label', {}, groupBox, ' group by variant: mean ± std over seeds'),
        h('button', { attrs: { type: 'button' }, on: { click: () => chart.resetZoom() } }, 'reset zoom'),
        pngButton(() => chart, () => `curves-${settings.column}`)),
      note,
      h('div', { class: 'chart tall' }, canvas));
    return { element, refresh: load, dispose: () => chart.destroy() };
  },
};
