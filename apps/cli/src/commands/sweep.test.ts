// `acmix-lab sweep`, `runs`, `runs import` and `reproduce` through the real command, on the tiny model:
// the whole sweep (its process group: the runner and its workers) SIGKILLed at a random point after the
// first epoch, then the same command again: every run completed, each epoch once in the store and in
// results.csv, and each interrupted run ends as its reproduction (an uninterrupted run): same metrics,
// same weights. `runs --json` numbers are the results.csv numbers; a sweep whose runs fail exits 1.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReader, type RunRecord, type RunSummary } from '@acmix-lab/store';
import { parseResultsCsv } from '@acmix-lab/trainer';
import { formatG, type ResultsRow } from '@acmix-lab/trainer/results-csv';
import { CLI_BIN, differingWeights, writeTinyModelYaml } from '@acmix-lab/trainer/testing';
import { loggedEpochs } from '@acmix-lab/orchestrator/testing';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-sweep-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const env = { ...process.env, ACMIX_LAB_BACKEND: '', TF_CPP_MIN_LOG_LEVEL: undefined };
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: 'utf8', cwd: tmp, env });
const db = path.join(tmp, 'runs.db');
const SWEEP = ['sweep', 'kill.yaml', '--workers', '2', '--db', db];

function sweepFile(name: string, data: string, extra = ''): void {
  fs.writeFileSync(path.join(tmp, `${name}.yaml`), `name: ${name}\nmodel: tiny.yaml\nscales: [t]\npositions:\n  P5: {after: neck.P5}\n`
    + `combine: [[], [P5]]\ndata: ${data}\n${extra}train: {epochs: 2, batch: 4, imgsz: 64, warmup_epochs: 0.5, close_mosaic: 1, plots: false}\n`);
}

function runs(): RunRecord[] {
  const reader = openReader(db);
  try {
    return reader.listRuns().map((r) => reader.getRun(r.id)!);
  } finally {
    reader.close();
  }
}

/** Resolves once `ready()` holds (the database may not exist or be half-created before). */
async function until(ready: () => boolean, timeoutMs = 240_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      if (ready()) return;
    } catch { /* not there yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The best epoch's row by fitness, the first of the highest (Ultralytics' best.pt). */
function bestRow(runDir: string): { best: ResultsRow; epochs: number } {
  const rows = parseResultsCsv(fs.readFileSync(path.join(runDir, 'results.csv'), 'utf8'));
  const fitness = rows.map((x) => 0.1 * x['metrics/mAP50(B)'] + 0.9 * x['metrics/mAP50-95(B)']);
  return { best: rows[fitness.indexOf(Math.max(...fitness))]!, epochs: rows.length };
}

/** Processes still in process group `pgid`. */
function groupMembers(pgid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]) === pgid;
    } catch {
      return false;
    }
  }).map(Number);
}

let interrupted: RunRecord[] = [];
let rerun: ReturnType<typeof cli>;

beforeAll(async () => {
  writeTinyModelYaml(tmp);
  sweepFile('kill', 'data/data.yaml', 'synth: {train: 12, val: 4, imgsz: 64, classes: 2, seed: 1}\n');
  const child = spawn(process.execPath, [CLI_BIN, ...SWEEP], { cwd: tmp, env, detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Some run has logged its first epoch and is training its second: kill within the next 0.4 s.
  await until(() => fs.existsSync(db) && runs().some((r) => r.status === 'running' && r.epoch === 1));
  await new Promise((r) => setTimeout(r, Math.random() * 400));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  await until(() => groupMembers(child.pid!).length === 0, 10_000); // the workers died with it
  interrupted = runs().filter((r) => r.status === 'running');
  rerun = cli(...SWEEP);
});

describe('acmix-lab sweep', () => {
  it('after kill -9 of the whole sweep, the same command completes every run with each epoch once', () => {
    expect(interrupted.length).toBeGreaterThan(0);
    expect(rerun.status, rerun.stderr).toBe(0);
    for (const run of interrupted) {
      expect(rerun.stdout).toContain(`run ${run.id} (${run.name}, seed 0) was interrupted at epoch ${run.epoch} (worker pid ${run.pid} is gone): it resumes from its last checkpoint`);
    }
    expect(rerun.stdout).toContain('2 runs: 2 completed');
    const all = runs();
    expect(all.map((r) => [r.name, r.status, r.epoch, r.retries])).toEqual([['tiny-t', 'completed', 2, 0], ['tiny-t+P5', 'completed', 2, 0]]);
    for (const run of all) expect(loggedEpochs(db, run)).toEqual({ store: [1, 2], csv: [1, 2] });
    // The comparison ends the output, then where to look next.
    expect(rerun.stdout).toMatch(/variant\s+module\s+scale\s+n\s+params\s+GFLOPs\s+mAP50\s+mAP50-95\s+Δ mAP50 vs baseline/);
    expect(rerun.stdout.trimEnd().split('\n').slice(-2)).toEqual([`Every run: acmix-lab runs --sweep kill --db ${db}`, `In the browser: acmix-lab dashboard --db ${db}`]);
  });

  it('reproduce: an interrupted 2-epoch run trained again uninterrupted has identical metrics and weights', () => {
    for (const run of interrupted) {
      const res = cli('reproduce', String(run.id), '--db', db);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^run (\\d+) reproduces run ${run.id} \\(${run.name.replace('+', '\\+')}, seed 0, 2 epochs\\):`));
      expect(res.stdout).toContain('identical: every metric of every epoch is equal');
      expect(res.stdout).toMatch(/^metrics\/mAP50-95\(B\)\s+\S+\s+\S+\s+0\s+0$/m);
      const copy = runs().find((r) => r.reproduces === run.id)!;
      expect(differingWeights(copy.run_dir!, run.run_dir!)).toEqual([]);
    }
  });

  it('runs --json: the best epoch\'s numbers are each run\'s results.csv numbers; runs and --group print tables', () => {
    const res = cli('runs', '--sweep', 'kill', '--db', db, '--json');
    expect(res.status, res.stderr).toBe(0);
    const listed = JSON.parse(res.stdout) as RunSummary[];
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const r of listed) {
      for (const key of ['id', 'sweep', 'name', 'key', 'positions', 'module', 'scale', 'seed', 'status', 'epochs', 'params', 'gflops', 'map50', 'map50_95', 'reproduces']) expect(r).toHaveProperty(key);
      const { best, epochs } = bestRow(runs().find((x) => x.id === r.id)!.run_dir!);
      // The store keeps full precision; results.csv, Ultralytics' 5 significant digits.
      expect([formatG(r.map50!), formatG(r.map50_95!), r.epochs]).toEqual([formatG(best['metrics/mAP50(B)']), formatG(best['metrics/mAP50-95(B)']), epochs]);
      expect(r.params).toBeGreaterThan(0);
    }
    const table = cli('runs', '--db', db);
    expect(table.stdout).toMatch(/^id\s+sweep\s+variant\s+positions\s+grid\s+scale\s+seed\s+status\s+epochs\s+params\s+GFLOPs\s+mAP50\s+mAP50-95\s+note$/m);
    expect(table.stdout).toMatch(/ reproduces \d+$/m);
    const groups = cli('runs', '--db', db, '--group', '--json');
    const parsed = JSON.parse(groups.stdout) as { name: string; module: string | null; is_baseline: boolean }[];
    expect(parsed.map((g) => [g.name, g.module, g.is_baseline])).toEqual([['tiny-t', null, true], ['tiny-t+P5', 'ACmix', false]]);
    expect(cli('runs', '--db', db, '--group').stdout).toMatch(/^tiny-t\+P5\s+ACmix\s+t\s+\d+\s/m);
  });

  it('runs import: an acmix-lab run folder and an Ultralytics (PyTorch) one, listed with the rest', () => {
    const folder = runs()[0]!.run_dir!;
    const fixture = path.resolve(CLI_BIN, '../../../../packages/store/fixtures/ultralytics/train3-v8.3');
    const res = cli('runs', 'import', folder, fixture, '--db', db, '--sweep', 'mine');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^imported .* as run \d+: tiny-t \(sweep mine, seed 0, 2 epochs, tensorflow\)$/m);
    expect(res.stdout).toMatch(/^imported .* as run \d+: yolov8s \(sweep mine, seed 1, 4 epochs, pytorch\)$/m);
    const listed = JSON.parse(cli('runs', '--sweep', 'mine', '--db', db, '--json').stdout) as RunSummary[];
    const { best } = bestRow(folder);
    expect(listed[0]).toMatchObject({ name: 'tiny-t', status: 'completed', epochs: 2, map50: best['metrics/mAP50(B)'], map50_95: best['metrics/mAP50-95(B)'] });
  });

  it('Ctrl-C (SIGINT to the process group): workers stop at their next batch, runs left queued, exit 130; the same command completes them', async () => {
    sweepFile('ctrlc', 'data/data.yaml');
    const args = ['sweep', 'ctrlc.yaml', '--db', db];
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: tmp, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ours = () => runs().filter((r) => r.sweep === 'ctrlc');
    await until(() => ours().some((r) => r.status === 'running' && r.epoch === 1));
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    expect(stderr.trim().split('\n').at(-1)).toBe('acmix-lab: error: interrupted: run the same command to continue the sweep');
    const stopped = ours();
    expect(stopped.filter((r) => r.status === 'running')).toEqual([]); // each worker gave its run back
    expect(stopped.some((r) => r.status === 'queued' && r.epoch >= 1)).toBe(true);
    const again = cli(...args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('2 runs: 2 completed');
    expect(ours().map((r) => [r.status, r.epoch, r.retries])).toEqual([['completed', 2, 0], ['completed', 2, 0]]);
    for (const run of ours()) expect(loggedEpochs(db, run)).toEqual({ store: [1, 2], csv: [1, 2] });
  });

  it('a sweep whose runs fail (no dataset) reports each with its error and exits 1', () => {
    sweepFile('broken', 'nodata/data.yaml');
    const res = cli('sweep', 'broken.yaml', '--db', path.join(tmp, 'broken.db'));
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('2 runs: 2 failed');
    expect(res.stdout).toMatch(new RegExp(`^  run 1 \\(tiny-t, seed 0\\) failed: .*${path.join(tmp, 'nodata', 'data.yaml').replace(/[.+]/g, '\\$&')}`, 'm'));
    expect(res.stderr.trim().split('\n').at(-1)).toBe('acmix-lab: error: 2 of 2 runs failed (listed above)');
  });
});
