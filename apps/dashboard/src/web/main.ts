// The page: a hash router over the views, a navigation bar, and live updates from the server's
// event stream (the runs are fetched again and the current view refreshed, at most once a second).
import { clear, h } from './dom.js';
import { curvesView } from './curves-view.js';
import { parallelView } from './parallel-view.js';
import { placementsView } from './placements-view.js';
import { runView } from './run-view.js';
import { runsView } from './runs-view.js';
import { invalidateRuns } from './state.js';
import type { RenderedView, View } from './view.js';

const ROUTES: Record<string, View> = { runs: runsView, curves: curvesView, placements: placementsView, parallel: parallelView, run: runView };
const NAV = ['runs', 'curves', 'placements', 'parallel'] as const;

const main = document.getElementById('view')!;
const nav = document.getElementById('nav')!;
const live = document.getElementById('live')!;
let current: RenderedView | undefined;
let rendering = 0;

async function route(): Promise<void> {
  const [name = 'runs', ...args] = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const view = ROUTES[name] ?? runsView;
  const ticket = ++rendering;
  current?.dispose?.();
  current = undefined;
  clear(nav, ...NAV.map((n) => h('a', { class: n === name ? 'active' : '', attrs: { href: `#/${n}` } }, ROUTES[n]!.title)));
  document.title = `${view.title} · acmix-lab`;
  main.setAttribute('aria-busy', 'true');
  try {
    const rendered = await view.render(args);
    if (ticket !== rendering) return rendered.dispose?.(); // the user moved on meanwhile
    current = rendered;
    clear(main, rendered.element);
  } catch (err) {
    if (ticket === rendering) clear(main, h('p', { class: 'error' }, (err as Error).message));
  } finally {
    if (ticket === rendering) main.setAttribute('aria-busy', 'false');
  }
}

function listen(): void {
  const events = new EventSource('/api/events');
  let pending: ReturnType<typeof setTimeout> | undefined;
  let lastVersion: number | undefined;
  events.addEventListener('change', (e) => {
    const { version } = JSON.parse((e as MessageEvent<string>).data) as { version: number };
    live.textContent = `live · ${new Date().toLocaleTimeString()}`;
    if (lastVersion === undefined || version === lastVersion) {
      lastVersion = version;
      return;
    }
    lastVersion = version;
    pending ??= setTimeout(() => {
      pending = undefined;
      invalidateRuns();
      void current?.refresh?.();
    }, 1000);
  });
  events.addEventListener('error', () => {
    live.textContent = 'offline: reconnecting…';
  });
}

window.addEventListener('hashchange', () => void route());
void route();
listen();
