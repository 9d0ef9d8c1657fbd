// Progress on stderr. Per-epoch progress like Ultralytics' tqdm line: epoch, losses, instances,
// size, bar, it/s; and a plain `label done/total` counter for other long work. On a terminal the
// line redraws in place; otherwise (CI, logs, pipes) plain lines (per epoch, or every ~10%).
import type { BatchProgress } from '@acmix-lab/trainer';

/** What train() reports after each batch (running mean losses, it/s). */
export type ProgressUpdate = BatchProgress;

const BAR_WIDTH = 24;

export function formatProgressLine(u: ProgressUpdate, withBar: boolean): string {
  const losses = Object.entries(u.losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
  const head = `${String(u.epoch).padStart(String(u.epochs).length)}/${u.epochs}  ${losses}  inst ${u.instances}  ${u.imgsz}px`;
  const rate = u.itPerSec >= 1 ? `${u.itPerSec.toFixed(2)} it/s` : `${(1 / Math.max(u.itPerSec, 1e-9)).toFixed(2)} s/it`;
  if (!withBar) return `${head}  ${u.batch}/${u.batches}  ${rate}`;
  const filled = Math.round((u.batch / u.batches) * BAR_WIDTH);
  return `${head}  ${String(Math.round((100 * u.batch) / u.batches)).padStart(3)}% ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${u.batch}/${u.batches}  ${rate}`;
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
