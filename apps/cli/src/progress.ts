// Per-epoch progress like Ultralytics' tqdm line: epoch, losses, instances, size, bar, it/s.
// On a terminal the line redraws in place; otherwise (CI, logs, pipes) one plain line per epoch.
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
