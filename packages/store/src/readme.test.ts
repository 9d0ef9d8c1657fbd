// The sqlite3 queries README.md shows users run, on a database with every kind of run in it.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { openReader } from './reader.js';
import { openStore } from './store.js';
import { newRun, resultsRow, tempDbPath } from './test-helpers.js';

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const queries = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

function populatedDb(): string {
  const file = tempDbPath();
  const store = openStore(file);
  const who = { worker: 'h:1', host: 'h', pid: 1 };
  const sweep = store.ensureSweep({ name: 'demo' });
  const runs = store.addRuns(sweep.id, [
    newRun('base-0', { name: 'yolov8n', positions: [] }), newRun('base-1', { name: 'yolov8n', positions: [], seed: 1 }),
    newRun('P5-0', { name: 'yolov8n+P5', positions: ['P5'], module: 'ACmix' }), newRun('P5-1', { name: 'yolov8n+P5', positions: ['P5'], module: 'ACmix', seed: 1 }),
  ]);
  for (const run of runs) {
    store.claimRun(who);
    for (let e = 1; e <= 3; e++) store.logEpoch(run.id, { row: resultsRow(e, run.id, e === 2 ? { 'train/box_loss': NaN } : {}), time: e });
    store.finishRun(run.id, 'completed');
  }
  const copy = store.addReproduction(runs[0]!.id);
  store.claimRun(who);
  for (let e = 1; e <= 3; e++) store.logEpoch(copy.id, { row: resultsRow(e, runs[0]!.id) });
  store.finishRun(copy.id, 'completed');
  const [bad, live] = store.addRuns(sweep.id, [newRun('bad'), newRun('live')]);
  store.claimRun(who);
  store.finishRun(bad!.id, 'failed', { error: 'data.yaml: no such file' });
  store.claimRun(who);
  store.logEpoch(live!.id, { row: resultsRow(1) });
  store.close();
  return file;
}

describe('README.md sqlite3 queries', () => {
  it('are all there', () => expect(queries.length).toBeGreaterThanOrEqual(6));

  it('run, read-only, and return rows', () => {
    const reader = openReader(populatedDb());
    for (const sql of queries) expect(reader.db.prepare(sql).all().length, sql).toBeGreaterThan(0);
    const [best] = reader.db.prepare(queries[0]!).all() as { name: string; n: number }[];
    expect(best).toMatchObject({ name: 'yolov8n+P5', n: 2 });
    const diffs = reader.db.prepare(queries.find((q) => q.includes('copy.reproduces'))!).all() as { d_map50_95: number }[];
    expect(diffs.map((d) => d.d_map50_95)).toEqual([0, 0, 0]);
    const modules = reader.db.prepare(queries.find((q) => q.includes('r.module'))!).all() as { module: string; n: number }[];
    expect(modules.map((m) => [m.module, m.n])).toEqual([['ACmix', 2], ['(baseline)', 2]]);
  });
});
