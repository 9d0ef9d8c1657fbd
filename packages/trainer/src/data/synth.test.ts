import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataYaml } from './data-yaml.js';
import { scanSplit } from './scan.js';
import { SHAPE_CLASSES, synthDataset } from './synth.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** sha256 of every file under dir, by relative path. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('synthDataset', () => {
  it('writes an Ultralytics-format dataset that loads and passes the label checks', async () => {
    const lines: number[] = [];
    const res = await synthDataset({ out: path.join(tmp, 'a'), train: 6, val: 3, imgsz: 64, classes: 4, seed: 5, onProgress: (d) => lines.push(d) });
    expect(lines).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const cfg = loadDataYaml(res.yamlFile);
    expect(cfg.names).toEqual(SHAPE_CLASSES.slice(0, 4));
    expect(cfg.path).toBe(path.join(tmp, 'a'));
    const train = scanSplit(cfg.train, cfg.nc, { strict: true, log: () => {} });
    const val = scanSplit(cfg.val, cfg.nc, { strict: true, log: () => {} });
    expect([train.items.length, val.items.length]).toEqual([6, 3]);
    expect(train.summary.boxes + val.summary.boxes).toBe(res.boxes);
    for (const item of [...train.items, ...val.items]) {
      expect([item.width, item.height]).toEqual([64, 64]);
      expect(item.cls.length).toBeGreaterThanOrEqual(1);
      expect(item.cls.length).toBeLessThanOrEqual(6);
    }
  });

  it('is byte-identical for the same options and differs for another seed', async () => {
    const opts = { train: 5, val: 2, imgsz: 64, classes: 3, seed: 1 };
    await synthDataset({ out: path.join(tmp, 'b'), ...opts });
    const first = hashes(path.join(tmp, 'b'));
    await synthDataset({ out: path.join(tmp, 'b'), ...opts }); // regenerate in place
    expect(hashes(path.join(tmp, 'b'))).toEqual(first);
    await synthDataset({ out: path.join(tmp, 'c'), ...opts });
    const elsewhere = hashes(path.join(tmp, 'c'));
    const { 'data.yaml': _yb, ...restB } = first;
    const { 'data.yaml': _yc, ...restC } = elsewhere;
    expect(restC).toEqual(restB); // only data.yaml's absolute path differs
    await synthDataset({ out: path.join(tmp, 'd'), ...opts, seed: 2 });
    const other = hashes(path.join(tmp, 'd'));
    expect(other['images/train/000000.png']).not.toBe(first['images/train/000000.png']);
    expect(Object.keys(first).sort()).toEqual(['data.yaml', ...['000000', '000001', '000002', '000003', '000004'].flatMap((s) => [`images/train/${s}.png`, `labels/train/${s}.txt`]),
      'images/val/000000.png', 'images/val/000001.png', 'labels/val/000000.txt', 'labels/val/000001.txt'].sort());
  });

  it('replaces an earlier synthetic dataset but never another folder', async () => {
    const other = path.join(tmp, 'precious');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'keep me');
    await expect(synthDataset({ out: other, train: 1, val: 1, imgsz: 32 })).rejects.toThrow(/precious exists and is not a synthetic dataset/);
    expect(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('rejects bad options', async () => {
    await expect(synthDataset({ out: path.join(tmp, 'e'), classes: 9 })).rejects.toThrow(/--classes must be an integer in \[1, 8\], got 9/);
    await expect(synthDataset({ out: path.join(tmp, 'e'), train: 0 })).rejects.toThrow(/--train/);
  });
});
