// `acmix-lab worker --data-map FROM=TO`: where this machine keeps the datasets the coordinator named by its
// own absolute paths. A run's `data` (part of its key, in its stored config and args.yaml) stays the
// coordinator's path; a worker reads the dataset at the mapped path: the data.yaml, and the absolute `path`,
// `train`, `val`, `test` inside it. Ultralytics users keep datasets under each machine's `datasets_dir`
// setting; mapping the coordinator's datasets folder to this machine's is the same idea, for any path.
import fs from 'node:fs';
import path from 'node:path';
import { QueueError } from './queue.js';

/** FROM → TO pairs, both absolute, longest FROM first (the longest prefix wins). */
export type DataMap = { from: string; to: string }[];

/** Parses and checks `--data-map` values (FROM absolute, TO existing here; relative TO from the working directory). */
export function parseDataMap(values: readonly string[]): DataMap {
  const map: DataMap = [];
  for (const value of values) {
    const at = value.indexOf('=');
    const bad = (why: string) => new QueueError(`--data-map ${value}: ${why}`);
    if (at < 0) throw bad('expected FROM=TO, the coordinator\'s dataset folder = this machine\'s');
    const [from, to] = [value.slice(0, at), value.slice(at + 1)];
    if (!path.isAbsolute(from)) throw bad(`FROM must be an absolute path (the coordinator's), got "${from}"`);
    if (to === '') throw bad('TO is empty');
    const entry = { from: path.resolve(from), to: path.resolve(to) };
    if (!fs.existsSync(entry.to)) throw bad(`${entry.to} does not exist on this machine`);
    if (map.some((m) => m.from === entry.from)) throw bad(`${entry.from} is mapped twice`);
    map.push(entry);
  }
  return map.sort((a, b) => b.from.length - a.from.length);
}

/** `file` (absolute) on this machine: its longest mapped prefix (whole path components) replaced. */
export function mapDataPath(map: DataMap, file: string): string {
  const hit = map.find((m) => file === m.from || file.startsWith(m.from.endsWith(path.sep) ? m.from : m.from + path.sep));
  return hit ? path.join(hit.to, path.relative(hit.from, file)) : file;
}
