import { describe, expect, it } from 'vitest';
import { EpochProgress, formatProgressLine } from './progress.js';

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
