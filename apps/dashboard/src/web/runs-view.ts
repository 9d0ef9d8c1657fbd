// Runs: every run of every sweep, sortable and filterable by any column, paginated, refreshed while a
// sweep writes, with a checkbox per run to compare their curves.
import type { Run } from './api.js';
import { clear, download, h } from './dom.js';
import { COLUMNS, matcher, sortRuns, toCsv, type Column } from './runs-columns.js';
import { allRuns, selection } from './state.js';
import type { View } from './view.js';

const PAGE_SIZES = [25, 50, 100, 500];

/** Table state kept across visits and live refreshes. */
const table = { sortKey: 'id', descending: false, filters: {} as Record<string, string>, page: 0, pageSize: 50 };

function visibleRuns(runs: readonly Run[]): Run[] {
  const tests = COLUMNS.map((c) => matcher(c, table.filters[c.key] ?? ''));
  const kept = runs.filter((r) => tests.every((test) => test(r)));
  return sortRuns(kept, COLUMNS.find((c) => c.key === table.sortKey)!, table.descending);
}

function cell(column: Column, run: Run): HTMLTableCellElement {
  const text = column.show?.(run) ?? String(column.value(run) ?? '');
  if (column.key === 'name') return h('td', {}, h('a', { attrs: { href: `#/run/${run.id}` } }, text));
  if (column.key === 'reproduces' && run.reproduces !== null) return h('td', {}, h('a', { attrs: { href: `#/run/${run.reproduces}` } }, `#${run.reproduces}`));
  return h('td', { class: `${column.numeric ? 'num' : ''} ${column.key === 'status' ? `status-${run.status}` : ''}`, attrs: { title: column.key === 'error' ? text : undefined } }, text);
}

export const runsView: View = {
  title: 'Runs',
  async render() {
    let runs = await allRuns();
    const body = h('tbody');
    const pager = h('div', { class: 'pager' });
    const summary = h('span', { class: 'summary' });
    const selectPage = h('input', { attrs: { type: 'checkbox', title: 'select the runs on this page' } });

    const draw = () => {
      const rows = visibleRuns(runs);
      const pages = Math.max(1, Math.ceil(rows.length / table.pageSize));
      table.page = Math.min(table.page, pages - 1);
      const shown = rows.slice(table.page * table.pageSize, (table.page + 1) * table.pageSize);
      clear(body, ...shown.map((run) => h('tr', { class: selection.has(run.id) ? 'selected' : '', attrs: { 'data-run': run.id } },
        h('td', {}, h('input', {
          attrs: { type: 'checkbox', checked: selection.has(run.id), 'aria-label': `select run ${run.id}` },
          on: { change: (e) => { selection.set([run.id], (e.target as HTMLInputElement).checked); draw(); } },
        })),
        ...COLUMNS.map((c) => cell(c, run)))));
      selectPage.checked = shown.length > 0 && shown.every((r) => selection.has(r.id));
      const first = rows.length ? table.page * table.pageSize + 1 : 0;
      summary.textContent = `${first}–${table.page * table.pageSize + shown.length} of ${rows.length} runs (${runs.length} in all) · ${selection.ids.size} selected`;
      clear(pager,
        h('button', { attrs: { type: 'button', disabled: table.page === 0 }, on: { click: () => { table.page--; draw(); } } }, '‹ previous'),
        ` page ${table.page + 1} of ${pages} `,
        h('button', { attrs: { type: 'button', disabled: table.page >= pages - 1 }, on: { click: () => { table.page++; draw(); } } }, 'next ›'));
    };

    selectPage.addEventListener('change', () => {
      const rows = visibleRuns(runs).slice(table.page * table.pageSize, (table.page + 1) * table.pageSize);
      selection.set(rows.map((r) => r.id), selectPage.checked);
      draw();
    });

    const header = h('tr', {}, h('th', {}, selectPage), ...COLUMNS.map((c) => h('th', {
      class: `sortable ${c.numeric ? 'num' : ''}`,
      attrs: { 'data-column': c.key, 'aria-sort': table.sortKey === c.key ? (table.descending ? 'descending' : 'ascending') : 'none' },
      on: {
        click: (e) => {
          table.descending = table.sortKey === c.key ? !table.descending : false;
          table.sortKey = c.key;
          for (const th of header.querySelectorAll('th[data-column]')) th.setAttribute('aria-sort', 'none');
          (e.currentTarget as HTMLElement).setAttribute('aria-sort', table.descending ? 'descending' : 'ascending');
          draw();
        },
      },
    }, c.label)));
    const filters = h('tr', { class: 'filters' }, h('th'), ...COLUMNS.map((c) => h('th', {}, h('input', {
      attrs: {
        type: 'search', value: table.filters[c.key] ?? '', 'data-filter': c.key, 'aria-label': `filter ${c.label}`,
        placeholder: c.numeric ? '>0.3, 1..5' : 'filter',
      },
      on: { input: (e) => { table.filters[c.key] = (e.target as HTMLInputElement).value; table.page = 0; draw(); } },
    }))));
    const pageSize = h('select', { attrs: { 'aria-label': 'runs per page' }, on: { change: (e) => { table.pageSize = Number((e.target as HTMLSelectElement).value); table.page = 0; draw(); } } },
      ...PAGE_SIZES.map((n) => h('option', { attrs: { value: n, selected: n === table.pageSize } }, `${n} per page`)));

    draw();
    return {
      element: h('section', { class: 'runs' },
        h('div', { class: 'toolbar' }, summary,
          h('a', { class: 'button', attrs: { href: '#/curves' } }, 'curves of the selected runs'),
          h('button', { attrs: { type: 'button' }, on: { click: () => { selection.set([...selection.ids], false); draw(); } } }, 'clear selection'),
          h('button', { attrs: { type: 'button', title: 'the filtered rows, all pages, as CSV' }, on: { click: () => download(new Blob([toCsv(visibleRuns(runs))], { type: 'text/csv' }), 'runs.csv') } }, 'CSV'),
          pageSize),
        h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, header, filters), body)),
        pager),
      async refresh() {
        runs = await allRuns();
        draw();
      },
    };
  },
};
