import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importUltralyticsRun } from './import-ultralytics.js';
import { openStore } from './store.js';
import { tempDbPath } from './test-helpers.js';

// tools/fixtures/ultralytics_run_fixtures.py: folders as Ultralytics 8.2 and 8.3 write them.
const fixtures = fileURLToPath(new URL('../fixtures/ultralytics/', import.meta.url));
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'expected.json'), 'utf8'));

function copyFixture(name: string): string {
  const dir = path.join(path.dirname(tempDbPath()), name);
  fs.cpSync(path.join(fixtures, name), dir, { recursive: true });
  return dir;
}

describe('importUltralyticsRun', () => {
  it('imports the padded (≤ 8.2) and unpadded (8.3, with time) folders as completed runs', () => {
    const store = openStore(tempDbPath());
    const v82 = importUltralyticsRun(store, path.join(fixtures, 'train-v8.2'));
    const v83 = importUltralyticsRun(store, path.join(fixtures, 'train3-v8.3'), { sweep: 'pytorch' });
    expect(v82).toMatchObject({
      sweep: 'imported', name: 'yolov8n', scale: 'n', seed: 0, positions: [], status: 'completed', backend: 'pytorch',
      epoch: 5, epoch_budget: 5, best_epoch: 3, run_dir: path.join(fixtures, 'train-v8.2'), model_yaml: null,
    });
    expect(v82.config).toMatchObject({ model: 'yolov8n.yaml', data: 'coco8.yaml', lr0: 0.01, save_dir: 'runs/detect/train-v8.2' });
    expect(v83).toMatchObject({ sweep: 'pytorch', name: 'yolov8s', scale: 's', seed: 1, epoch: 4 });
    for (const [run, name] of [[v82, 'train-v8.2'], [v83, 'train3-v8.3']] as const) {
      const summary = store.listRuns().find((r) => r.id === run.id)!;
      const want = expected[name];
      expect(summary).toMatchObject({ epochs: want.epochs, best_epoch: want.best_epoch, map50: want.map50, map50_95: want.map50_95 });
    }
    const [first] = store.runMetrics(v82.id);
    expect(first!.val_cls_loss).toBeNaN();
    expect(first!.time).toBeNull();
    expect(store.runMetrics(v83.id).map((m) => m.time)).toEqual([41.493, 82.863, 124.233, 165.603]);
    expect(store.listRuns({ sweep: 'pytorch' })[0]!.duration).toBe(165.603);
  });

  it('re-imports a folder into the same run, replacing its epochs', () => {
    const store = openStore(tempDbPath());
    const dir = copyFixture('train-v8.2');
    const first = importUltralyticsRun(store, dir);
    const csv = fs.readFileSync(path.join(dir, 'results.csv'), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(dir, 'results.csv'), `${csv.slice(0, 3).join('\n')}\n`);
    const again = importUltralyticsRun(store, dir);
    expect(again.id).toBe(first.id);
    expect(store.runMetrics(first.id)).toHaveLength(2);
    expect(store.getRun(first.id)).toMatchObject({ epoch: 2, best_epoch: 2 });
  });

  it('reads an acmix-lab run folder: its backend, scale and model yaml', () => {
    const store = openStore(tempDbPath());
    const dir = copyFixture('train-v8.2');
    const model = path.join(dir, 'yolov8-acmix-p5.yaml');
    fs.writeFileSync(model, 'nc: 1\n');
    const args = fs.readFileSync(path.join(dir, 'args.yaml'), 'utf8').replace('model: yolov8n.yaml', `model: ${model}`);
    fs.writeFileSync(path.join(dir, 'args.yaml'), `${args}model_scale: m\nbackend: tensorflow\n`);
    const run = importUltralyticsRun(store, dir);
    expect(run).toMatchObject({ name: 'yolov8-acmix-p5', scale: 'm', backend: 'tensorflow', positions: null, model_yaml: 'nc: 1\n' });
  });

  it('names the file, line and field of bad input', () => {
    const store = openStore(tempDbPath());
    const dir = copyFixture('train3-v8.3');
    const results = path.join(dir, 'results.csv');
    const text = fs.readFileSync(results, 'utf8');
    fs.writeFileSync(results, text.replace('\n3,', '\n4,'));
    expect(() => importUltralyticsRun(store, dir)).toThrow(`${results}:4:1: epoch: is 4, expected 3`);
    fs.writeFileSync(results, text.replace('metrics/mAP50-95(B)', 'metrics/mAP50-95(M)'));
    expect(() => importUltralyticsRun(store, dir)).toThrow(`${results}:1:1: metrics/mAP50-95(B): missing column`);
    fs.rmSync(results);
    expect(() => importUltralyticsRun(store, dir)).toThrow(`${results}:0:0: cannot read (ENOENT)`);
    const args = path.join(dir, 'args.yaml');
    fs.writeFileSync(args, fs.readFileSync(args, 'utf8').replace('epochs: 4', 'epochs: four'));
    expect(() => importUltralyticsRun(store, dir)).toThrow(new RegExp(`^${args.replace(/[.]/g, '\\.')}:5:9: epochs: `));
    expect(store.listRuns()).toEqual([]);
  });
});
