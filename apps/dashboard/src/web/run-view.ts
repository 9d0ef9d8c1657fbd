// A run's page: what it is and how it went, its model yaml and training config, the environment it
// ran in, its artifacts, the command that reproduces it, its original (for a reproduction) with the
// metric differences, and a diff against any other run showing only what differs.
import { api, type Diff, type Epoch, type RunPage } from './api.js';
import { Chart, colour, pngButton } from './charts.js';
import { clear, h } from './dom.js';
import { count, duration, fixed, gridText } from './format.js';
import type { View } from './view.js';

const show = (v: unknown) => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));

function facts(rows: [string, unknown][]): HTMLTableElement {
  return h('table', { class: 'facts' }, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v instanceof Node ? v : show(v))))));
}

function runLink(id: number | null, text?: string): HTMLAnchorElement | string {
  return id === null ? '–' : h('a', { attrs: { href: `#/run/${id}` } }, text ?? `#${id}`);
}

function metricsChart(canvas: HTMLCanvasElement, epochs: Epoch[]): Chart {
  const series = [['map50', 'mAP50'], ['map50_95', 'mAP50-95'], ['precision', 'precision'], ['recall', 'recall']] as const;
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: series.map(([key, label], i) => ({
        label, borderColor: colour(i), backgroundColor: colour(i), pointRadius: 2, data: epochs.map((e) => ({ x: e.epoch!, y: e[key] })),
      })),
    },
    options: {
      maintainAspectRatio: false, spanGaps: false,
      scales: { x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0 } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

function diffSection(diff: Diff): HTMLElement {
  const table = (title: string, rows: Diff['fields']) => (rows.length === 0 ? null : h('div', {},
    h('h3', {}, title),
    h('table', { class: 'diff' }, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, `#${diff.a}`), h('th', {}, `#${diff.b}`))),
      h('tbody', {}, ...rows.map((d) => h('tr', {}, h('th', {}, d.field), h('td', {}, show(d.a)), h('td', {}, show(d.b))))))));
  const same = diff.fields.length + diff.config.length + diff.model_yaml.length === 0;
  return h('div', { class: 'diff-result' },
    same ? h('p', { class: 'note' }, `Runs #${diff.a} and #${diff.b} have the same description, config and model yaml.`) : null,
    table('run', diff.fields),
    table('training config', diff.config),
    diff.model_yaml.length === 0 ? null : h('div', {}, h('h3', {}, 'model yaml'),
      h('pre', { class: 'yaml-diff' }, ...diff.model_yaml.map((l) => h('span', { class: l.op === '-' ? 'removed' : 'added' }, `${l.op}${String(l.line).padStart(4)} ${l.text}\n`)))));
}

function artifactsSection(page: RunPage): HTMLElement {
  if (page.artifacts.length === 0) return h('p', { class: 'note' }, 'No artifacts recorded.');
  return h('div', {}, ...page.artifacts.map((a) => h('div', { class: 'artifact' },
    h('h3', {}, a.kind, ' ', h('span', { class: 'note' }, a.bytes === null ? '' : `${count(a.bytes)} bytes`)),
    a.url ? h('a', { attrs: { href: a.url } }, a.path) : a.files.length ? null : h('span', { class: 'note' }, `${a.path} (not in the run folder)`),
    a.url && /\.(png|jpe?g)$/i.test(a.path) ? h('div', {}, h('img', { class: 'artifact-image', attrs: { src: a.url, alt: a.kind } })) : null,
    a.files.length ? h('ul', {}, ...a.files.map((f) => h('li', {}, h('a', { attrs: { href: f.url } }, f.path), ` ${count(f.bytes)} bytes`))) : null)));
}

export const runView: View = {
  title: 'Run',
  async render([idArg]) {
    const id = Number(idArg);
    const [page, epochs] = await Promise.all([api.run(id), api.metrics(id)]);
    const { run, summary } = page;
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `metrics of run ${id} by epoch` } });
    const chart = metricsChart(canvas, epochs);
    const diffBox = h('div');
    const against = h('input', { attrs: { type: 'number', min: 1, value: run.reproduces ?? '', 'aria-label': 'run id to diff against', placeholder: 'run id' } });
    const showDiff = async () => {
      const other = Number(against.value);
      if (!Number.isInteger(other) || other < 1) return;
      try {
        clear(diffBox, diffSection(await api.diff(id, other)));
      } catch (err) {
        clear(diffBox, h('p', { class: 'error' }, (err as Error).message));
      }
    };
    const copy = h('button', { attrs: { type: 'button' }, on: { click: () => void navigator.clipboard?.writeText(page.reproduce_command) } }, 'copy');

    const element = h('section', { class: 'run' },
      h('h2', {}, `Run #${run.id} · `, run.name, ' ', h('span', { class: `status status-${run.status}` }, run.status)),
      run.error ? h('pre', { class: 'error' }, run.error) : null,
      h('div', { class: 'columns' },
        facts([
          ['sweep', h('a', { attrs: { href: `#/placements/${encodeURIComponent(run.sweep)}` } }, run.sweep)],
          ['positions', run.positions === null ? 'unknown' : run.positions.join(', ') || 'none (baseline)'],
          ['grid', gridText(run.grid) || '–'], ['scale', run.scale], ['seed', run.seed],
          ['epochs', `${run.epoch} of ${run.epoch_budget}`], ['best epoch', run.best_epoch],
          ['mAP50 (best)', fixed(summary.map50)], ['mAP50-95 (best)', fixed(summary.map50_95)],
          ['params', count(run.params)], ['GFLOPs', fixed(run.gflops, 2)], ['duration', duration(summary.duration)],
          ['key', run.key], ['run folder', run.run_dir],
        ]),
        facts([
          ['backend', run.backend], ...Object.entries(run.versions ?? {}).map(([k, v]): [string, unknown] => [k, v]),
          ['host', run.host], ['worker', run.worker], ['pid', run.pid], ['retries', run.retries],
          ['created', run.created_at], ['started', run.started_at], ['last heartbeat', run.heartbeat_at], ['ended', run.ended_at],
        ])),
      h('h3', {}, 'Reproduce'),
      h('p', {}, h('code', { class: 'command' }, page.reproduce_command), ' ', copy),
      page.original ? h('div', { class: 'original' },
        h('h3', {}, 'Reproduction of ', runLink(page.original.summary.id, `#${page.original.summary.id} ${page.original.summary.name} seed ${page.original.summary.seed}`)),
        h('p', {}, `best mAP50-95: this run ${fixed(summary.map50_95)}, original ${fixed(page.original.summary.map50_95)}; `
          + `${page.original.comparison.epochs} epochs compared (zero differences expected on the same backend with deterministic ops)`),
        h('table', { class: 'comparison' },
          h('thead', {}, h('tr', {}, ...['column', 'epochs differing', 'max |Δ|', 'Δ at the last common epoch'].map((c) => h('th', {}, c)))),
          h('tbody', {}, ...page.original.comparison.columns.map((c) => h('tr', { class: c.differing_epochs ? 'differs' : '' },
            h('td', {}, c.column), h('td', { class: 'num' }, c.differing_epochs), h('td', { class: 'num' }, fixed(c.max_abs, 6)), h('td', { class: 'num' }, fixed(c.last, 6))))))) : null,
      page.reproductions.length ? h('p', {}, 'Reproduced by ', ...page.reproductions.flatMap((r) => [runLink(r.id), ` (${r.status}) `])) : null,
      h('h3', {}, 'Metrics ', pngButton(() => chart, () => `run-${id}-metrics`)),
      h('div', { class: 'chart' }, canvas),
      h('h3', {}, 'Diff against another run'),
      h('form', { class: 'toolbar', on: { submit: (e) => { e.preventDefault(); void showDiff(); } } }, against, h('button', { attrs: { type: 'submit' } }, 'diff')),
      diffBox,
      h('h3', {}, 'Artifacts'), artifactsSection(page),
      h('h3', {}, 'Model yaml'), h('pre', { class: 'yaml' }, run.model_yaml ?? '(not stored)'),
      h('h3', {}, 'Training config'), facts(Object.entries(run.config)));
    if (run.reproduces !== null) void showDiff();
    return { element, dispose: () => chart.destroy() };
  },
};
