// A database written through the store's write API the way a sweep writes it (issue 10's runner):
// a sweep with a model map and a baseline, ACmix variants over three seeds with per-epoch results,
// run folders with results.png, results.csv, args.yaml and weights/; a reproduction on another
// backend, a failed run, a NaN epoch and an infinite loss, a running and a queued run, a sweep
// whose stored strings are HTML (which must show as text), and 40 imported Ultralytics runs (more
// than a page of the runs table). The model map is yolov8n's as
// `acmix-lab model experiments/models/yolov8.yaml --json` lists it, with the seed's three neck
// positions and their ACmix costs (packages/acmix acmixParamCount and acmixFlops at 640).
import fs from 'node:fs';
import path from 'node:path';
import { METRIC_COLUMNS, openStore, type EpochEntry, type MetricColumn, type Store } from '@acmix-lab/store';
import yolov8nMap from './yolov8n-model-map.json' with { type: 'json' };

export const XSS_NAME = '<img src=x onerror=alert(1)>';
export const XSS_SWEEP = '<script>alert(2)</script>';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAADAAAAAYCAIAAAAzn+mLAAAAOElEQVR42mM4gQP8xwForZ5h1EGjDhp10Ihz0EBZjEv9qINGHTTqoJHnoNGSetRBow4addAAOwgA7p//5pC7jDYAAAAASUVORK5CYII=', 'base64');
const EPOCHS = 6;
const VERSIONS = { tensorflow: '2.21.0', tfjs: '4.22.0', node: '20.20.2' };
/** Each position's true effect on the final mAP50-95 in this fixture. */
const EFFECT: Record<string, number> = { P3: 0.012, P4: 0.004, P5: 0.021 };

/** A results.csv row: losses falling and mAPs rising with the epoch, the mAPs shifted by `gain`. */
export function epochRow(epoch: number, gain: number, overrides: Partial<Record<MetricColumn, number>> = {}): EpochEntry['row'] {
  const rise = 1 - Math.exp(-epoch / 2);
  const values: Record<MetricColumn, number> = {
    train_box_loss: 2.4 / (1 + 0.3 * epoch), train_cls_loss: 3.1 / (1 + 0.4 * epoch), train_dfl_loss: 1.6 / (1 + 0.2 * epoch),
    precision: 0.5 * rise + gain, recall: 0.45 * rise + gain, map50: (0.42 + 1.6 * gain) * rise, map50_95: (0.25 + gain) * rise,
    val_box_loss: 2.2 / (1 + 0.25 * epoch), val_cls_loss: 2.9 / (1 + 0.35 * epoch), val_dfl_loss: 1.5 / (1 + 0.2 * epoch),
    lr_pg0: 0.01 * (1 - epoch / (EPOCHS + 1)), lr_pg1: 0.01 * (1 - epoch / (EPOCHS + 1)), lr_pg2: 0.01 * (1 - epoch / (EPOCHS + 1)),
    ...overrides,
  };
  return Object.fromEntries([['epoch', epoch], ...METRIC_COLUMNS.map(({ column, csv }) => [csv, values[column]])]) as EpochEntry['row'];
}

function modelYaml(name: string, positions: string[]): string {
  const placed = positions.map((p) => `  - [-1, 1, ACmix, []] # ${p}: after ${yolov8nMap.positions[p as 'P3']?.layer ?? '?'}`);
  return [`# ${name}.yaml, written by acmix-lab from experiments/models/yolov8.yaml`, 'nc: 3', 'scales:', '  n: [0.33, 0.25, 1024]',
    'backbone:', '  - [-1, 1, Conv, [64, 3, 2]] # 0-P1/2', '  - [-1, 1, Conv, [128, 3, 2]] # 1-P2/4', 'head:',
    '  - [-1, 1, nn.Upsample, [None, 2, nearest]] # 10', ...placed, `  - [[15, 18, 21], 1, Detect, [nc]] # ${22 + positions.length}`, ''].join('\n');
}

/** The run folder a training process writes: results, weights, args. */
function writeRunFolder(store: Store, runId: number, dir: string, rows: EpochEntry['row'][], args: Record<string, unknown>): void {
  fs.mkdirSync(path.join(dir, 'weights', 'best'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.png'), PNG);
  const header = ['epoch', ...METRIC_COLUMNS.map((c) => c.csv)];
  fs.writeFileSync(path.join(dir, 'results.csv'), [header.join(','), ...rows.map((r) => header.map((h) => r[h as keyof typeof r]).join(','))].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'args.yaml'), Object.entries(args).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'weights', 'best', 'model.json'), '{"format": "layers-model"}\n');
  fs.writeFileSync(path.join(dir, 'weights', 'best', 'weights.bin'), Buffer.alloc(64));
  for (const [kind, file] of [['results.png', 'results.png'], ['results.csv', 'results.csv'], ['args.yaml', 'args.yaml'], ['weights/best', 'weights/best']]) {
    store.addArtifact(runId, { kind: kind!, path: path.join(dir, file!), bytes: fs.statSync(path.join(dir, file!)).isFile() ? fs.statSync(path.join(dir, file!)).size : null });
  }
}

export interface FixtureDatabase {
  dbFile: string;
  /** The folder holding the database, the run folders and `secret.txt`, a file outside every run folder. */
  root: string;
  runs: { baseline: number; reproduction: number; failed: number; nan: number; running: number; queued: number; xss: number };
}

interface RunPlan {
  positions: string[];
  seed: number;
  /** Epochs to log; fewer than EPOCHS leaves it running, or failed with `error`. */
  epochs?: number;
  error?: string;
  overrides?: (epoch: number) => Partial<Record<MetricColumn, number>>;
  sweep?: number;
  name?: string;
}

export function writeFixtureDatabase(root: string): FixtureDatabase {
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'secret.txt'), 'outside every run folder\n');
  const dbFile = path.join(root, 'acmix-lab.db');
  const store = openStore(dbFile);
  const who = { worker: 'fixture:1', host: 'fixture', pid: 1 };
  const neck = store.ensureSweep({
    name: 'neck', file: 'experiments/sweeps/neck.yaml',
    spec: { name: 'neck', model: yolov8nMap.model, positions: { P3: { after: 15 }, P4: { after: 18 }, P5: { after: 21 } }, seeds: [0, 1, 2], model_map: yolov8nMap },
  });
  const xssSweep = store.ensureSweep({ name: XSS_SWEEP, spec: { name: XSS_SWEEP } });

  const train = ({ positions, seed, epochs = EPOCHS, error, overrides, sweep = neck.id, name = ['yolov8n', ...positions].join('+') }: RunPlan): number => {
    const gain = positions.reduce((s, p) => s + (EFFECT[p] ?? 0), 0) + 0.004 * (seed - 1);
    const config = { model: `${name}.yaml`, model_scale: 'n', data: '/data/synth-shapes/data.yaml', epochs: EPOCHS, imgsz: 64, batch: 8, lr0: 0.01, seed };
    const [run] = store.addRuns(sweep, [{
      key: `${name}/${seed}`, name, positions, module: positions.length ? 'ACmix' : null, grid: {}, scale: 'n', seed, model_yaml: modelYaml(name, positions), config, epoch_budget: EPOCHS,
    }]);
    const id = run!.id;
    if (epochs === 0) return id;
    store.claimRun(who, { runId: id });
    const params = yolov8nMap.layers.reduce((s, l) => s + l.params, 0) + positions.reduce((s, p) => s + (yolov8nMap.positions[p as 'P3']?.costs.ACmix.params_delta ?? 0), 0);
    const runDir = path.join(root, 'runs', `run-${id}`);
    store.setRunInfo(id, { backend: 'tensorflow', versions: VERSIONS, params, gflops: 8.856 + positions.length * 0.25, run_dir: runDir });
    const rows = Array.from({ length: epochs }, (_, i) => epochRow(i + 1, gain, overrides?.(i + 1)));
    rows.forEach((row, i) => store.logEpoch(id, { row, time: 12.5 * (i + 1) }, { worker: who.worker }));
    writeRunFolder(store, id, runDir, rows, config);
    if (error) store.finishRun(id, 'failed', { error, worker: who.worker });
    else if (epochs === EPOCHS) store.finishRun(id, 'completed', { worker: who.worker });
    return id;
  };

  let baseline = 0;
  let nan = 0;
  for (const positions of [[], ['P3'], ['P5'], ['P3', 'P5']]) {
    for (const seed of [0, 1, 2]) {
      const nanEpoch = positions.join() === 'P5' && seed === 2;
      const id = train({ positions, seed, overrides: nanEpoch ? (e) => (e === 4 ? { train_box_loss: NaN, val_dfl_loss: Infinity } : {}) : undefined });
      if (positions.length === 0 && seed === 0) baseline = id;
      if (nanEpoch) nan = id;
    }
  }
  const failed = train({ positions: ['P4'], seed: 0, epochs: 2, error: 'the loss is NaN at epoch 3 (train/box_loss); the last good checkpoint is kept in weights/last' });
  const running = train({ positions: ['P3'], seed: 3, epochs: 3 });
  const queued = train({ positions: ['P3', 'P4', 'P5'], seed: 0, epochs: 0 });

  // A reproduction of the baseline's seed 0 on the cpu backend: the same config, slightly different numbers.
  const reproduction = store.addReproduction(baseline).id;
  store.claimRun(who, { runId: reproduction });
  store.setRunInfo(reproduction, { backend: 'cpu', versions: { ...VERSIONS, tensorflow: 'none (cpu)' }, params: 3157200, gflops: 8.856 });
  for (let e = 1; e <= EPOCHS; e++) store.logEpoch(reproduction, { row: epochRow(e, -0.004, { map50_95: (0.246 - 0.0001 * e) * (1 - Math.exp(-e / 2)) }), time: 40 * e });
  store.finishRun(reproduction, 'completed');

  const imported = store.ensureSweep({ name: 'imported' });
  for (let i = 0; i < 40; i++) {
    const [name, scale] = i % 2 ? ['yolov8s', 's'] : ['yolov8n', 'n'];
    const config = { model: `${name}.pt`, data: 'coco8.yaml', epochs: 3, imgsz: 640, seed: i };
    store.importRun(imported.id, { key: `ultralytics:runs/detect/train${i}`, name, positions: [], scale, seed: i, model_yaml: null, config, epoch_budget: 3, backend: 'pytorch' },
      [1, 2, 3].map((e) => ({ row: epochRow(e, 0.002 * i - 0.04), time: 30 * e })));
  }

  const xss = train({ positions: [XSS_NAME], seed: 0, sweep: xssSweep.id, name: XSS_NAME });
  train({ positions: [], seed: 1, epochs: 1, sweep: xssSweep.id, name: XSS_NAME, error: '<script>alert(3)</script>' });
  fs.symlinkSync(path.join(root, 'secret.txt'), path.join(root, 'runs', `run-${baseline}`, 'leak.txt'));
  fs.symlinkSync(root, path.join(root, 'runs', `run-${baseline}`, 'weights', 'up'));
  fs.writeFileSync(path.join(root, 'runs', `run-${baseline}`, 'page.html'), `<script>alert(4)</script>${XSS_NAME}`);
  store.close();
  return { dbFile, root, runs: { baseline, reproduction, failed, nan, running, queued, xss } };
}
