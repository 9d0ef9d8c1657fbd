// What the views share: the runs (refreshed while a sweep writes) and the runs selected for comparison.
import { api, type Run } from './api.js';

const SELECTION_KEY = 'acmix-lab.selection';

function loadSelection(): Set<number> {
  try {
    return new Set((JSON.parse(sessionStorage.getItem(SELECTION_KEY) ?? '[]') as number[]).filter(Number.isInteger));
  } catch {
    return new Set();
  }
}

export const selection = {
  ids: loadSelection(),
  has(id: number): boolean {
    return this.ids.has(id);
  },
  set(ids: Iterable<number>, selected: boolean): void {
    for (const id of ids) {
      if (selected) this.ids.add(id);
      else this.ids.delete(id);
    }
    sessionStorage.setItem(SELECTION_KEY, JSON.stringify([...this.ids]));
  },
};

let runs: Promise<Run[]> | undefined;

/** The runs, fetched once and again after each change of the database. */
export function allRuns(): Promise<Run[]> {
  runs ??= api.runs();
  return runs;
}

export function invalidateRuns(): void {
  runs = undefined;
}
