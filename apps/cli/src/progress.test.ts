import { describe, expect, it } from 'vitest';
import { EpochProgress, formatDuration, formatProgressLine, formatSweepLine, SweepProgress } from './progress.js';

const update = { epoch: 3, epochs: 10, batch: 8, batches: 16, losses: { box: 1.23456, cls: 2.5, dfl: 1 }, instances: 12, imgsz: 320, itPerSec: 2.5 };

describe('progress', () => {
  it('draws a half-full bar at batch 8 of 16', () => {
    const line = formatProgressLine(update, true);
    expect(line).toContain(' 3/10  box 1.2346  cls 2.5000  dfl 1.0000  inst 12  320px');
    expect(line).toContain(' 50% ' + '█'.repeat(12) + '░'.repeat(12) + ' 8/16  2.50 it/s');
  });

  it('prints one plain line per epoch when not on a terminal', () => {
    const chunks: string[] = [];
    const out = { write: (s: string) => chunks.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
    const p = new EpochProgress(out);
    p.update({ ...update, batch: 1 });
    p.update({ ...update, batch: 16, itPerSec: 0.5 });
    p.end();
    expect(chunks).toEqual([' 3/10  box 1.2346  cls 2.5000  dfl 1.0000  inst 12  320px  16/16  2.00 s/it\n']);
  });
});

function stream(tty: boolean): { out: NodeJS.WriteStream; chunks: string[] } {
  const chunks: string[] = [];
  return { out: { write: (c: string) => chunks.push(c), isTTY: tty, columns: 200 } as unknown as NodeJS.WriteStream, chunks };
}

const run = { id: 7, name: 'yolov8n+P5', seed: 1 };
const losses = { box: 1.5, cls: 2.25, dfl: 1 };

describe('sweep progress', () => {
  it('the overall line: epochs done of planned and the ETA from this session\'s rate', () => {
    const p = { done: 5, planned: 20, doneAtStart: 0, startedAt: 0 };
    expect(formatSweepLine(p, 100_000)).toBe(`sweep  25% ${'█'.repeat(6)}${'░'.repeat(18)}  5.0/20 epochs  ETA 5m00s`);
    expect(formatSweepLine({ ...p, doneAtStart: 5 }, 100_000, false)).toBe('sweep 25%  5.0/20 epochs  ETA ?');
    expect([formatDuration(59.6), formatDuration(3725), formatDuration(NaN)]).toEqual(['1m00s', '1h02m', '?']);
  });

  it('on a terminal: a live line per worker and the overall bar, redrawn in place under the notices', () => {
    const { out, chunks } = stream(true);
    const notices = stream(false);
    const display = new SweepProgress(out);
    display.message(0, { type: 'start', runId: 7, name: run.name, seed: 1, startEpoch: 3, epochs: 10, budget: 10 }, run);
    display.message(0, { type: 'epoch', runId: 7, epoch: 3, epochs: 10, map50: 0.5, map50_95: 0.25, seconds: 3 }, run);
    display.message(0, { type: 'batch', runId: 7, epoch: 4, epochs: 10, batch: 2, batches: 8, losses, itPerSec: 1 }, run);
    display.progress({ done: 3.25, planned: 10, doneAtStart: 3, startedAt: Date.now() - 10_000 });
    chunks.length = 0;
    display.notice('run 8 failed', notices.out);
    expect(chunks.join('')).toBe('\x1b[2A\x1b[0J'
      + '[1] run 7 yolov8n+P5 seed 1   4/10  2/8  box 1.5000  cls 2.2500  dfl 1.0000  mAP50 0.500  mAP50-95 0.250\n'
      + `sweep  33% ${'█'.repeat(8)}${'░'.repeat(16)}  3.3/10 epochs  ETA 4m30s\n`);
    expect(notices.chunks).toEqual(['run 8 failed\n']);
    chunks.length = 0;
    display.end();
    expect(chunks).toEqual(['\x1b[2A\x1b[0J']);
  });

  it('otherwise: a plain line per epoch and per finished run, the overall line every ~10%', () => {
    const { out, chunks } = stream(false);
    const display = new SweepProgress(out);
    display.message(1, { type: 'start', runId: 7, name: run.name, seed: 1, startEpoch: 1, epochs: 10, budget: 2 }, run);
    display.message(1, { type: 'batch', runId: 7, epoch: 1, epochs: 10, batch: 8, batches: 8, losses, itPerSec: 1 }, run);
    display.message(1, { type: 'epoch', runId: 7, epoch: 1, epochs: 10, map50: 0.5, map50_95: 0.25, seconds: 3 }, run);
    for (const done of [0.5, 1, 1.04, 2]) display.progress({ done, planned: 10, doneAtStart: 0, startedAt: Date.now() - 10_000 });
    display.message(1, { type: 'done', runId: 7, outcome: 'parked' }, run);
    expect(chunks.map((c) => c.replace(/ETA \S+/, 'ETA x'))).toEqual([
      '[2] run 7 yolov8n+P5 seed 1   1/10  8/8  box 1.5000  cls 2.2500  dfl 1.0000  mAP50 0.500  mAP50-95 0.250  (3.0 s)\n',
      'sweep 5%  0.5/10 epochs  ETA x\n', 'sweep 10%  1.0/10 epochs  ETA x\n', 'sweep 20%  2.0/10 epochs  ETA x\n',
      '[2] run 7 yolov8n+P5 seed 1: parked\n',
    ]);
  });
});
