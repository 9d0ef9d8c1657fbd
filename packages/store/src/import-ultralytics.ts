// An Ultralytics run folder (args.yaml + results.csv, e.g. runs/detect/train3 from PyTorch Ultralytics,
// or one written by `acmix-lab train`) imported as a completed run, so PyTorch and acmix-lab results
// sit in one table. Both results.csv forms are read: Ultralytics ≤ 8.2 pads every field to 23
// characters; 8.3 writes them unpadded with a `time` column after `epoch` (BaseTrainer.save_metrics).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, readYamlFile, validateYaml } from '@acmix-lab/runtime/yaml-config';
import { parseResultsCsv, RESULTS_COLUMNS, type ResultsRow } from '@acmix-lab/trainer/results-csv';
import type { EpochEntry, RunRecord } from './records.js';
import type { Store } from './store.js';

const argsSchema = z.looseObject({
  model: z.string().min(1),
  epochs: z.number().int().positive(),
  seed: z.number().int().nonnegative().default(0),
  model_scale: z.string().nullable().optional(),
  backend: z.string().nullable().optional(),
});

export interface ImportOptions {
  /** The sweep the run is filed under, created if absent; default `imported`. */
  sweep?: string;
  /** Its placement positions; by default [] (a baseline) for a stock model name such as yolov8n, else unknown. */
  positions?: string[] | null;
}

export const IMPORT_SWEEP = 'imported';

/** Ultralytics' guess_model_scale: the letter after the version in the model file's name. */
function scaleOf(stem: string): string | null {
  return /yolo(?:v)?\d+([nslmx])/.exec(stem)?.[1] ?? null;
}

function readEpochs(file: string): EpochEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, 0, 0, '', `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const header = text.split('\n')[0]!.split(',').map((c) => c.trim());
  for (const column of ['epoch', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)']) {
    if (!header.includes(column)) throw new ConfigError(file, 1, 1, column, 'missing column: not a detection results.csv');
  }
  const rows = parseResultsCsv(text) as (ResultsRow & { time?: number })[];
  if (rows.length === 0) throw new ConfigError(file, 2, 1, 'epoch', 'no epochs');
  return rows.map((parsed, i) => {
    if (parsed.epoch !== i + 1) throw new ConfigError(file, i + 2, 1, 'epoch', `is ${parsed.epoch}, expected ${i + 1}`);
    // A column this version of Ultralytics did not write is NaN, as pandas would read it.
    const row = Object.fromEntries(RESULTS_COLUMNS.map((c) => [c, parsed[c] ?? NaN])) as ResultsRow;
    return { row, time: parsed.time ?? null };
  });
}

/** The model yaml's text when args.yaml names a yaml file that still exists (from the run's cwd or beside it). */
function modelYamlText(model: string, dir: string): string | null {
  if (!/\.ya?ml$/.test(model)) return null;
  const found = [path.resolve(model), path.resolve(dir, model)].find((f) => fs.existsSync(f));
  return found ? fs.readFileSync(found, 'utf8') : null;
}

export function importUltralyticsRun(store: Store, dir: string, { sweep = IMPORT_SWEEP, positions }: ImportOptions = {}): RunRecord {
  const argsFile = path.join(dir, 'args.yaml');
  const resultsFile = path.join(dir, 'results.csv');
  const parsed = readYamlFile(argsFile);
  const args = validateYaml(parsed, argsSchema);
  const epochs = readEpochs(resultsFile);
  const stem = path.basename(args.model).replace(/\.(ya?ml|pt)$/, '');
  const sweepId = store.ensureSweep({ name: sweep }).id;
  return store.importRun(sweepId, {
    key: `ultralytics:${path.resolve(dir)}`,
    name: stem,
    positions: positions !== undefined ? positions : /^yolov?\d+[nslmx]?$/.test(stem) ? [] : null,
    scale: args.model_scale ?? scaleOf(stem),
    seed: args.seed,
    model_yaml: modelYamlText(args.model, dir),
    config: parsed.value as Record<string, unknown>,
    epoch_budget: args.epochs,
    run_dir: path.resolve(dir),
    backend: args.backend ?? 'pytorch',
    ended_at: fs.statSync(resultsFile).mtime.toISOString(),
  }, epochs);
}
