// Parallel coordinates (chartjs-chart-pcp) over a sweep's runs: one axis per candidate position
// (0 absent, 1 present), per grid value and for the scale, then cost (params, GFLOPs) and best-epoch
// metrics; each line one run, coloured from low (blue) to high (red) mAP50-95.
import type { Run } from './api.js';
import { Chart, pngButton } from './charts.js';
import { h } from './dom.js';
import { fixed, gridText } from './format.js';
import { allRuns } from './state.js';
import type { View } from './view.js';

interface Axis {
  label: string;
  value: (r: Run) => number | null;
  /** Category names of a categorical axis, by value. */
  categories?: string[];
}

function categorical(label: string, runs: Run[], key: (r: Run) => string): Axis {
  const categories = [...new Set(runs.map(key))].sort();
  return { label, categories, value: (r) => categories.indexOf(key(r)) };
}

function axesOf(runs: Run[]): Axis[] {
  const positions = [...new Set(runs.flatMap((r) => r.positions ?? []))].sort();
  const gridKeys = [...new Set(runs.flatMap((r) => Object.keys(r.grid)))];
  const modules = new Set(runs.flatMap((r) => r.module ?? []));
  const axes: Axis[] = [
    ...positions.map((p) => ({ label: `+${p}`, value: (r: Run) => (r.positions?.includes(p) ? 1 : 0), categories: ['no', 'yes'] })),
    // A sweep comparing modules: which one each run places (none for the baseline).
    ...(modules.size > 1 ? [categorical('module', runs, (r) => r.module ?? 'none')] : []),
    ...gridKeys.map((k) => (runs.every((r) => typeof r.grid[k] === 'number')
      ? { label: k, value: (r: Run) => r.grid[k] as number }
      : categorical(k, runs, (r) => JSON.stringify(r.grid[k] ?? null)))),
    categorical('scale', runs, (r) => r.scale ?? '?'),
    { label: 'params (M)', value: (r) => (r.params === null ? null : r.params / 1e6) },
    { label: 'GFLOPs', value: (r) => r.gflops },
    { label: 'mAP50', value: (r) => r.map50 },
    { label: 'mAP50-95', value: (r) => r.map50_95 },
  ];
  return axes.filter((a) => runs.some((r) => a.value(r) !== null));
}

function heat(t: number): string {
  return `hsl(${Math.round(240 * (1 - t))}, 70%, 45%)`;
}

export const parallelView: View = {
  title: 'Parallel coordinates',
  async render([sweepArg]) {
    const all = await allRuns();
    const sweeps = [...new Set(all.map((r) => r.sweep))];
    const sweep = sweepArg ?? sweeps[0];
    const runs = all.filter((r) => r.sweep === sweep && r.map50_95 !== null);
    const axes = axesOf(runs);
    const complete = runs.filter((r) => axes.every((a) => a.value(r) !== null));
    const sweepSelect = h('select', {
      attrs: { 'aria-label': 'sweep' },
      on: { change: (e) => { location.hash = `#/parallel/${encodeURIComponent((e.target as HTMLSelectElement).value)}`; } },
    }, ...sweeps.map((s) => h('option', { attrs: { value: s, selected: s === sweep } }, s)));
    if (complete.length === 0) {
      return { element: h('section', { class: 'parallel' }, h('div', { class: 'toolbar' }, sweepSelect), h('p', { class: 'note' }, 'No runs with a validated epoch in this sweep yet.')) };
    }
    const maps = complete.map((r) => r.map50_95!);
    const [low, high] = [Math.min(...maps), Math.max(...maps)];
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `parallel coordinates of ${complete.length} runs over ${axes.map((a) => a.label).join(', ')}` } });
    const chart = new Chart(canvas, {
      type: 'pcp',
      data: {
        labels: complete.map((r) => `#${r.id} ${r.name} ${gridText(r.grid)} seed ${r.seed}`),
        datasets: axes.map((a) => ({
          label: a.label,
          data: complete.map((r) => a.value(r)!),
          borderColor: (ctx: { dataIndex: number }) => heat(high > low ? (maps[ctx.dataIndex]! - low) / (high - low) : 0.5),
          ...(a.categories ? { ticks: { stepSize: 1, callback: (v: number | string) => a.categories![Number(v)] ?? '' } } : {}),
        })),
      },
      options: { maintainAspectRatio: false, layout: { padding: { top: 16 } }, plugins: { legend: { display: false } } },
    } as never);
    const element = h('section', { class: 'parallel' },
      h('div', { class: 'toolbar' }, sweepSelect, pngButton(() => chart, () => `parallel-${sweep}`),
        h('span', { class: 'note' }, `${complete.length} runs with a validated epoch; colour: mAP50-95 from ${fixed(low)} (blue) to ${fixed(high)} (red)`)),
      h('div', { class: 'chart tall' }, canvas));
    return { element, dispose: () => chart.destroy() };
  },
};
