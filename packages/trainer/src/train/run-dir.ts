// Where a run writes: `<project>/<name>` with Ultralytics' increment_path rule (train, train2,
// train3, …) unless exist_ok, so a second run never overwrites the first.
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_PROJECT = path.join('runs', 'detect');

export function incrementPath(base: string, existOk: boolean): string {
  if (existOk || !fs.existsSync(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}${n}`;
    if (!fs.existsSync(candidate)) return candidate;
  }
}

export function resolveRunDir(project: string | null, name: string | null, existOk: boolean): string {
  return incrementPath(path.resolve(project ?? DEFAULT_PROJECT, name ?? 'train'), existOk);
}

/** The files of a run directory, named as Ultralytics names them. */
export function runFiles(dir: string) {
  return {
    dir,
    args: path.join(dir, 'args.yaml'),
    results: path.join(dir, 'results.csv'),
    plot: path.join(dir, 'results.png'),
    weights: path.join(dir, 'weights'),
    last: path.join(dir, 'weights', 'last'),
    best: path.join(dir, 'weights', 'best'),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;
