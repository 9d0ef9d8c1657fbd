import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImageLabel } from './labels.js';
import { DatasetError, scanSplit } from './scan.js';

const dir = fileURLToPath(new URL('../../fixtures/labels/', import.meta.url));
const image = (name: string) => path.join(dir, 'images', name);
const label = (name: string) => path.join(dir, 'labels', name.replace(/\.[^.]+$/, '.txt'));
const check = (name: string) => checkImageLabel(image(name), label(name), 3);

describe('checkImageLabel (one fixture per fault)', () => {
  it('accepts a good pair and keeps float32 values', () => {
    const res = check('ok.png');
    expect(res.status).toBe('ok');
    if (res.status !== 'ok') return;
    expect(res.item.cls).toEqual([0, 2]);
    expect(res.item.boxes).toEqual([0.5, 0.5, 0.25, 0.5, Math.fround(0.1), Math.fround(0.2), Math.fround(0.05), Math.fround(0.1)]);
    expect([res.item.width, res.item.height]).toEqual([12, 12]);
  });

  it('accepts a JPEG', () => {
    const res = check('ok-jpeg.jpg');
    expect(res.status).toBe('ok');
  });

  it('turns polygon rows into their bounding box (segments2boxes)', () => {
    const res = check('polygon.png');
    expect(res.status).toBe('ok');
    if (res.status !== 'ok') return;
    expect(res.item.cls).toEqual([1]);
    const f = Math.fround;
    expect(res.item.boxes).toEqual([f((f(0.1) + f(0.5)) / 2), f((f(0.2) + f(0.6)) / 2), f(f(0.5) - f(0.1)), f(f(0.6) - f(0.2))]);
  });

  it('keeps an image without a label file as a background', () => {
    const res = check('missing-label.png');
    expect(res.status).toBe('missing');
    if (res.status === 'missing') expect(res.item.cls).toEqual([]);
  });

  it('keeps an image with an empty label file as a background', () => {
    expect(check('empty-label.png').status).toBe('empty');
  });

  it('removes duplicate rows and reports their lines', () => {
    const res = check('duplicates.png');
    expect(res.status).toBe('ok');
    if (res.status !== 'ok') return;
    expect(res.duplicates).toEqual([3]);
    expect(res.item.cls).toEqual([0, 1]);
  });

  const faults: [string, string, RegExp][] = [
    ['columns.png', 'columns', /columns\.txt:2: labels require 5 columns, 4 columns detected/],
    ['non-numeric.png', 'non-numeric', /non-numeric\.txt:3: non-numeric value 'abc' in column 3/],
    ['out-of-bounds.png', 'out-of-bounds', /out-of-bounds\.txt:1: non-normalized or out of bounds coordinate 1\.2/],
    ['negative.png', 'negative', /negative\.txt:1: negative coordinate -0\.1/],
    ['class-range.png', 'class-range', /class-range\.txt:2: class 3 exceeds dataset class count 3 \(classes 0-2\)/],
    ['class-id.png', 'class-id', /class-id\.txt:1: class label 1\.5 is not an integer/],
    ['corrupt.png', 'corrupt-image', /corrupt\.png: corrupt PNG: CRC mismatch in chunk IDAT/],
    ['truncated.jpg', 'corrupt-image', /truncated\.jpg: truncated JPEG: no end-of-image marker/],
    ['small.png', 'small-image', /small\.png: image size 8×8 < 10 pixels/],
  ];
  it.each(faults)('%s is skipped as %s with file:line and reason', (name, fault, message) => {
    const res = check(name);
    expect(res.status).toBe('corrupt');
    if (res.status !== 'corrupt') return;
    expect(res.fault).toBe(fault);
    expect(res.message).toMatch(message);
  });
});

describe('scanSplit', () => {
  it('keeps good pairs and backgrounds, skips the corrupt ones and prints one summary line', () => {
    const lines: string[] = [];
    const split = scanSplit([path.join(dir, 'images')], 3, { prefix: 'train', log: (l) => lines.push(l) });
    expect(split.summary).toEqual({ images: 6, missing: 1, empty: 1, corrupt: 9, duplicates: 1, boxes: 6 });
    expect(split.items.map((i) => path.basename(i.imageFile))).toEqual([
      'duplicates.png', 'empty-label.png', 'missing-label.png', 'ok-jpeg.jpg', 'ok.png', 'polygon.png',
    ]);
    expect(lines.at(-1)).toBe('train: 6 images, 2 backgrounds, 9 corrupt skipped, 1 with duplicate labels removed');
    expect(lines.filter((l) => l.includes('ignoring corrupt'))).toHaveLength(9);
    expect(lines).toContain(`train: WARNING ${label('duplicates.png')}:3: 1 duplicate labels removed`);
  });

  it('strict turns the first problem into a DatasetError', () => {
    const strict = (name: string) => {
      try {
        scanSplit([image(name)].map((f) => writeList(f)), 3, { prefix: 'val', strict: true, log: () => {} });
      } catch (err) {
        return err;
      }
      return null;
    };
    for (const [name, fault] of [['missing-label.png', 'missing-label'], ['empty-label.png', 'empty-label'],
      ['duplicates.png', 'duplicate-rows'], ['columns.png', 'columns'], ['truncated.jpg', 'corrupt-image']] as const) {
      const err = strict(name);
      expect(err, name).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).fault).toBe(fault);
      expect((err as DatasetError).message).toMatch(/^val: /);
    }
    expect(strict('ok.png')).toBeNull();
  });
});

/** A one-line *.txt image list pointing at `file`, so a single fixture can be scanned alone. */
function writeList(file: string): string {
  const list = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scan-')), 'list.txt');
  fs.writeFileSync(list, `${file}\n`);
  return list;
}
