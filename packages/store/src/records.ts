// What the store takes and returns: plain rows of the tables, JSON columns parsed, snake_case names as
// in SQL (and in `acmix-lab runs --json`), so README.md, sqlite3 and the API all use one vocabulary.
import type { ResultsRow } from '@acmix-lab/trainer/results-csv';
import type { RunStatus } from './run-state.js';

export interface WorkerIdentity {
  /** Unique among live workers: `host:pid` of the process training the run (a local worker, or a queue worker on its machine). */
  worker: string;
  host: string;
  pid: number;
}

export interface NewSweep {
  name: string;
  file?: string | null;
  spec?: unknown;
}

export interface NewRun {
  /** Identifies the run within its sweep: adding a run whose key exists returns the existing one. */
  key: string;
  name: string;
  positions: string[] | null;
  /** The module placed at the positions (`ACmix`, `CBAM`, …); null or absent for the baseline, which places none. */
  module?: string | null;
  grid?: Record<string, unknown>;
  scale: string | null;
  seed: number;
  model_yaml: string | null;
  config: Record<string, unknown>;
  epoch_budget: number;
  run_dir?: string | null;
  reproduces?: number | null;
}

/** What a worker learns once the run starts: where it runs on what, and the model's cost. */
export interface RunInfo {
  backend?: string;
  versions?: Record<string, string>;
  params?: number;
  gflops?: number;
  run_dir?: string;
}

/** One results.csv row and Ultralytics' `time` column: seconds of training up to the end of the epoch. */
export interface EpochEntry {
  row: ResultsRow;
  time?: number | null;
}

export interface SweepRecord {
  id: number;
  name: string;
  /** The sweep yaml it was created from, if any. */
  file: string | null;
  /** The sweep as the runner parsed it. */
  spec: unknown;
  created_at: string;
}

export interface RunRecord {
  id: number;
  sweep_id: number;
  sweep: string;
  key: string;
  name: string;
  /** Position names; [] is the baseline, null unknown (an imported run). */
  positions: string[] | null;
  /** The module placed at the positions; null for the baseline, and for a run whose module is unknown (positions null). */
  module: string | null;
  grid: Record<string, unknown>;
  scale: string | null;
  seed: number;
  model_yaml: string | null;
  config: Record<string, unknown>;
  status: RunStatus;
  error: string | null;
  /** The last epoch logged; metrics holds exactly epochs 1..epoch. */
  epoch: number;
  /** The epoch this run may train to now: train.epochs, or a halving rung. */
  epoch_budget: number;
  best_epoch: number | null;
  retries: number;
  worker: string | null;
  host: string | null;
  pid: number | null;
  backend: string | null;
  versions: Record<string, string> | null;
  params: number | null;
  gflops: number | null;
  run_dir: string | null;
  reproduces: number | null;
  created_at: string;
  started_at: string | null;
  heartbeat_at: string | null;
  ended_at: string | null;
}

/** One row of `acmix-lab runs --json` and of the dashboard's GET /api/runs. */
export interface RunSummary extends Pick<RunRecord,
  'id' | 'sweep' | 'name' | 'key' | 'positions' | 'module' | 'grid' | 'scale' | 'seed' | 'status' | 'epoch_budget' | 'best_epoch' |
  'params' | 'gflops' | 'reproduces' | 'host' | 'worker' | 'backend' | 'retries' | 'error' | 'started_at' | 'ended_at'> {
  /** Epochs completed. */
  epochs: number;
  /** At the best epoch by fitness = 0.1·mAP50 + 0.9·mAP50-95; null before the first epoch. */
  map50: number | null;
  map50_95: number | null;
  fitness: number | null;
  /** Training seconds: the last epoch's `time`, else from start to end (or to the last heartbeat). */
  duration: number | null;
}

export interface ArtifactRecord {
  id: number;
  run_id: number;
  /** What it is, e.g. `weights/best`, `weights/last`, `results.csv`, `results.png`, `args.yaml`. */
  kind: string;
  path: string;
  bytes: number | null;
  created_at: string;
}

type Raw = Record<string, unknown>;
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.parse(v as string));

export function toSweepRecord(raw: Raw): SweepRecord {
  return { ...(raw as unknown as SweepRecord), spec: json(raw.spec) };
}

export function toRunRecord(raw: Raw): RunRecord {
  return {
    ...(raw as unknown as RunRecord),
    positions: json(raw.positions),
    grid: json(raw.grid),
    config: json(raw.config),
    versions: json(raw.versions),
  };
}

export function toRunSummary(raw: Raw): RunSummary {
  return { ...(raw as unknown as RunSummary), positions: json(raw.positions), grid: json(raw.grid) };
}
