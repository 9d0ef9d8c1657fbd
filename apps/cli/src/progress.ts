// Progress on stderr. Per-epoch progress like Ultralytics' tqdm line: epoch, losses, instances,
// size, bar, it/s; a sweep's live block (one line per worker and an overall bar with ETA); and a plain
// `label done/total` counter for other long work. On a terminal lines redraw in place; otherwise (CI,
// logs, pipes) plain lines (per epoch, or every ~10%).
import type { RunnerProgress, WorkerMessage } from '@acmix-lab/orchestrator';
import type { BatchProgress, LossGains } from '@acmix-lab/trainer';

/** What train() reports after each batch (running mean losses, it/s). */
export type ProgressUpdate = BatchProgress;

const BAR_WIDTH = 24;

const formatLosses = (losses: LossGains) => Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
const rate = (itPerSec: number) => (itPerSec >= 1 ? `${itPerSec.toFixed(2)} it/s` : `${(1 / Math.max(itPerSec, 1e-9)).toFixed(2)} s/it`);
const epochOf = (epoch: number, epochs: number) => `${String(epoch).padStart(String(epochs).length)}/${epochs}`;

/** `NN% ████░░░░` for done/total. */
function bar(done: number, total: number, width = BAR_WIDTH): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  return `${String(Math.round(100 * fraction)).padStart(3)}% ${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function formatProgressLine(u: ProgressUpdate, withBar: boolean): string {
  const head = `${epochOf(u.epoch, u.epochs)}  ${formatLosses(u.losses)}  inst ${u.instances}  ${u.imgsz}px`;
  if (!withBar) return `${head}  ${u.batch}/${u.batches}  ${rate(u.itPerSec)}`;
  return `${head}  ${bar(u.batch, u.batches)} ${u.batch}/${u.batches}  ${rate(u.itPerSec)}`;
}

export class EpochProgress {
  private last: ProgressUpdate | null = null;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly tty = Boolean(out.isTTY)) {}

  update(u: ProgressUpdate): void {
    this.last = u;
    if (this.tty) this.out.write(`\r\x1b[2K${formatProgressLine(u, true)}`);
  }

  /** Finish the epoch's line (the only line written when not on a terminal). */
  end(): void {
    if (!this.last) return;
    this.out.write(this.tty ? '\n' : `${formatProgressLine(this.last, false)}\n`);
    this.last = null;
  }
}

/** A `label done/total` counter: one redrawn line on a terminal, a plain line every ~10% otherwise. */
export function progressReporter(label: string, out: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const tty = Boolean(out.isTTY);
  let lastTenth = -1;
  return (done, total) => {
    if (tty) {
      out.write(`\r\x1b[2K${label} ${done}/${total}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((10 * done) / total);
    if (tenth !== lastTenth || done === total) {
      lastTenth = tenth;
      out.write(`${label} ${done}/${total}\n`);
    }
  };
}

/** 75 s → `1m15s`; an hour or more → `2h05m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The overall line of a sweep: epochs done of planned, bar, ETA from this session's rate. */
export function formatSweepLine(p: RunnerProgress, now = Date.now(), withBar = true): string {
  const trained = p.done - p.doneAtStart;
  const eta = trained > 0 ? ((p.planned - p.done) * (now - p.startedAt)) / 1000 / trained : NaN;
  const head = withBar ? `sweep ${bar(p.done, p.planned)}` : `sweep ${Math.round((100 * p.done) / Math.max(p.planned, 1e-9))}%`;
  return `${head}  ${p.done.toFixed(1)}/${p.planned} epochs  ETA ${formatDuration(eta)}`;
}

interface WorkerState {
  run: { id: number; name: string; seed: number };
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  losses: LossGains | null;
  itPerSec: number;
  /** mAP50 and mAP50-95 of the run's last validated epoch. */
  last: { map50: number; map50_95: number } | null;
}

/** A worker's line: run, variant, seed, epoch, batch, losses, last mAPs. */
export function formatWorkerLine(slot: number, w: WorkerState): string {
  const losses = w.losses ? `  ${formatLosses(w.losses)}` : '';
  const last = w.last ? `  mAP50 ${w.last.map50.toFixed(3)}  mAP50-95 ${w.last.map50_95.toFixed(3)}` : '';
  return `[${slot + 1}] run ${w.run.id} ${w.run.name} seed ${w.run.seed}  ${epochOf(w.epoch, w.epochs)}  ${w.batch}/${w.batches}${losses}${last}`;
}

/**
 * A sweep's progress: on a terminal, a block of one live line per worker and the overall bar, redrawn in
 * place, with notices printed above it; otherwise a plain line per epoch and per finished run, and the
 * overall line every ~10%.
 */
export class SweepProgress {
  private readonly workers = new Map<number, WorkerState>();
  private overall: RunnerProgress | null = null;
  private drawn = 0;
  private lastTenth = -1;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly tty = Boolean(out.isTTY)) {}

  message(slot: number, m: WorkerMessage, run: WorkerState['run']): void {
    if (m.type === 'ready') return;
    const w = this.workers.get(slot);
    if (m.type === 'start') {
      this.workers.set(slot, { run, epoch: m.startEpoch, epochs: m.epochs, batch: 0, batches: 0, losses: null, itPerSec: 0, last: w?.run.id === run.id ? w.last : null });
    } else if (w && m.type === 'batch') Object.assign(w, { epoch: m.epoch, batch: m.batch, batches: m.batches, losses: m.losses, itPerSec: m.itPerSec });
    else if (w && m.type === 'epoch') {
      w.last = { map50: m.map50, map50_95: m.map50_95 };
      if (!this.tty) this.out.write(`${formatWorkerLine(slot, { ...w, epoch: m.epoch })}  (${m.seconds.toFixed(1)} s)\n`);
    } else if (m.type === 'done') {
      this.workers.delete(slot);
      if (!this.tty) this.out.write(`[${slot + 1}] run ${run.id} ${run.name} seed ${run.seed}: ${m.outcome}${m.error ? `: ${m.error}` : ''}\n`);
    }
    this.redraw();
  }

  progress(p: RunnerProgress): void {
    this.overall = p;
    if (this.tty) return this.redraw();
    const tenth = Math.floor((10 * p.done) / Math.max(p.planned, 1e-9));
    if (tenth !== this.lastTenth) {
      this.lastTenth = tenth;
      this.out.write(`${formatSweepLine(p, Date.now(), false)}\n`);
    }
  }

  /** A line above the live block (on `stream`, stdout by default). */
  notice(line: string, stream: NodeJS.WritableStream = process.stdout): void {
    this.clear();
    stream.write(`${line}\n`);
    this.redraw();
  }

  /** Removes the live block (before the final tables). */
  end(): void {
    this.clear();
    this.workers.clear();
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`); // up to the block's first line, erase to the end of the screen
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const lines = [...this.workers].sort(([a], [b]) => a - b).map(([slot, w]) => formatWorkerLine(slot, w));
    if (this.overall) lines.push(formatSweepLine(this.overall));
    const width = this.out.columns || 160; // 0 or undefined: a terminal of unknown width
    for (const line of lines) this.out.write(`${line.slice(0, width - 1)}\n`);
    this.drawn = lines.length;
  }
}
