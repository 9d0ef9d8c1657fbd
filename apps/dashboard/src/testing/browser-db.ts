// The database the browser tests run on, written the way users write theirs: a real tiny sweep
// (`acmix-lab sweep`'s runSweep: worker processes training the trainer's tiny YOLOv8, scale t, on a
// 12-image synthetic dataset for 2 epochs) comparing ACmix and SE after the neck's P5 output over two
// seeds, one of its runs reproduced (`acmix-lab reproduce`), a second sweep training the baseline at two
// scales of the tiny model for 1 epoch (t, and u with twice its width), and Ultralytics run folders imported
// (`acmix-lab runs import`): 44 copies of the store's PyTorch fixture (more runs than a page of the
// table), and one whose args.yaml names the model `<img src=x onerror=alert(1)>.pt`, imported into a
// sweep named `<script>alert(2)</script>` — stored strings that must show as text.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importUltralyticsRun, openStore, type RunSummary } from '@acmix-lab/store';
import { reproduceRun, runSweep } from '@acmix-lab/orchestrator';
import { tinyWorkspace } from '@acmix-lab/orchestrator/testing';
import { XSS_NAME, XSS_SWEEP } from './fixture-db.js';

export const SWEEP = 'attention';
export const SCALES_SWEEP = 'scales';
const IMPORTED = 44;

const ULTRALYTICS_RUN = fileURLToPath(new URL('../../../../packages/store/fixtures/ultralytics/train3-v8.3/', import.meta.url));

export interface BrowserDatabase {
  dbFile: string;
  root: string;
  /** The attention sweep's run ids by `<name>/<seed>` (`tiny-t+SE@P5/0`). */
  runs: Record<string, number>;
  /** The reproduction of `tiny-t/0`. */
  reproduction: number;
  /** The imported run named `<img src=x onerror=alert(1)>`. */
  xss: number;
}

/** An Ultralytics run folder: the fixture's results.csv, its args.yaml with `model` and `seed` replaced. */
function ultralyticsFolder(dir: string, model: string, seed: number): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(ULTRALYTICS_RUN, 'results.csv'), path.join(dir, 'results.csv'));
  const args = fs.readFileSync(path.join(ULTRALYTICS_RUN, 'args.yaml'), 'utf8');
  fs.writeFileSync(path.join(dir, 'args.yaml'), args.replace(/^model: .*$/m, `model: ${model}`).replace(/^seed: .*$/m, `seed: ${seed}`));
  return dir;
}

/** `acmix-lab sweep FILE --db DB --workers 2`; every run must complete. */
async function completeSweep(file: string, dbFile: string): Promise<RunSummary[]> {
  const { runs } = await runSweep(file, { dbFile, workers: 2 });
  const failed = runs.filter((r) => r.status !== 'completed');
  if (failed.length) throw new Error(`${file}: ${failed.map((r) => `${r.name} seed ${r.seed} ${r.status}: ${r.error}`).join('; ')}`);
  return runs;
}

export async function writeBrowserDatabase(): Promise<BrowserDatabase> {
  const ws = tinyWorkspace();
  const dbFile = path.join(ws.dir, 'acmix-lab.db');
  const file = ws.sweep(SWEEP, [
    'module: [[ACmix, []], [SE, []]]',
    'positions: {P3: {after: neck.P3}, P5: {after: neck.P5}}', // P3 is a candidate no variant uses: no effect to colour
    'combine: [[], [P5]]',
    'seeds: [0, 1]',
    'train: {epochs: 2, batch: 4, imgsz: 64, warmup_epochs: 0.5, close_mosaic: 1}',
    '',
  ].join('\n'));
  const runs = Object.fromEntries((await completeSweep(file, dbFile)).map((r) => [`${r.name}/${r.seed}`, r.id]));
  const reproduction = (await reproduceRun(dbFile, runs['tiny-t/0']!)).copy.id;

  const twoScales = path.join(ws.dir, 'two-scales', 'tiny.yaml'); // its variants: tiny-t and tiny-u
  fs.mkdirSync(path.dirname(twoScales));
  fs.writeFileSync(twoScales, fs.readFileSync(path.join(ws.dir, 'tiny.yaml'), 'utf8').replace(/^(scales:\n {2}t: .*\n)/m, '$1  u: [0.33, 0.125, 1024]\n'));
  const scalesFile = path.join(ws.dir, `${SCALES_SWEEP}.yaml`);
  fs.writeFileSync(scalesFile, [`name: ${SCALES_SWEEP}`, `model: ${twoScales}`, 'scales: [t, u]', `data: ${path.join(ws.dir, 'data', 'data.yaml')}`,
    'module: [ACmix, []]', 'positions: {P5: {after: neck.P5}}', 'combine: [[]]', 'seeds: [0]',
    'train: {epochs: 1, batch: 4, imgsz: 64, warmup_epochs: 0.5, close_mosaic: 1}', ''].join('\n'));
  await completeSweep(scalesFile, dbFile);

  const store = openStore(dbFile);
  try {
    for (let i = 0; i < IMPORTED; i++) importUltralyticsRun(store, ultralyticsFolder(path.join(ws.dir, 'ultralytics', `train${i}`), 'yolov8s.pt', i));
    const xss = importUltralyticsRun(store, ultralyticsFolder(path.join(ws.dir, 'ultralytics', 'xss'), `${XSS_NAME}.pt`, 0), { sweep: XSS_SWEEP }).id;
    return { dbFile, root: ws.dir, runs, reproduction, xss };
  } finally {
    store.close();
  }
}
