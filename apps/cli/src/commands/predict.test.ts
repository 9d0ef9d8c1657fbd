import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, encodePng, filledImage } from '@acmix-lab/yolo';
import { detectionsJson } from './predict.js';

const bin = fileURLToPath(new URL('../../bin/acmix-lab.js', import.meta.url));
const tiny = fileURLToPath(new URL('../../../../packages/yolo/fixtures/torch/yolov8-tiny/', import.meta.url));
/** stderr without native TensorFlow's start-up log lines (absl / oneDNN notices it prints on load). */
const ours = (stderr: string) => stderr.split('\n').filter((l) => l && !/^(WARNING: All log messages|[IWE]\d{4} )/.test(l));

describe('acmix-lab predict', () => {
  it('formats NMS rows like Ultralytics Results.tojson', () => {
    expect(detectionsJson(Float32Array.from([1, 2, 3, 4, 0.5, 1]), ['a', 'b'])).toEqual([
      { name: 'b', class: 1, confidence: 0.5, box: { x1: 1, y1: 2, x2: 3, y2: 4 } },
    ]);
  });

  it('runs a yaml + state_dict on an image: JSON detections inside the image, drawn copy saved', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predict-'));
    const img = filledImage(120, 90, 60);
    for (let y = 20; y < 70; y++) for (let x = 30; x < 100; x++) img.data.set([230, 200, 40], (y * 120 + x) * 3);
    const file = path.join(dir, 'scene.png');
    fs.writeFileSync(file, encodePng(img));
    const res = spawnSync(process.execPath, [
      bin, 'predict', file, '--model', path.join(tiny, 'model.yaml'), '--weights', path.join(tiny, 'weights.safetensors'),
      '--imgsz', '64', '--conf', '0.001', '--max-det', '7', '--json', '--save-dir', path.join(dir, 'out'), '--names', 'x,y,z',
    ], { encoding: 'utf8' });
    expect(ours(res.stderr)).toEqual([]);
    expect(res.status).toBe(0);
    const [r] = JSON.parse(res.stdout) as { image: string; width: number; height: number; detections: { name: string; class: number; confidence: number; box: Record<string, number> }[] }[];
    expect([r!.image, r!.width, r!.height]).toEqual([file, 120, 90]);
    expect(r!.detections.length).toBeGreaterThan(0);
    expect(r!.detections.length).toBeLessThanOrEqual(7);
    const confs = r!.detections.map((d) => d.confidence);
    expect(confs).toEqual([...confs].sort((a, b) => b - a));
    for (const d of r!.detections) {
      expect(d.confidence).toBeGreaterThan(0.001);
      expect(d.name).toBe(['x', 'y', 'z'][d.class]);
      expect(d.box.x1).toBeGreaterThanOrEqual(0);
      expect(d.box.x2).toBeLessThanOrEqual(120);
      expect(d.box.y1).toBeGreaterThanOrEqual(0);
      expect(d.box.y2).toBeLessThanOrEqual(90);
    }
    const drawn = decodeImage(path.join(dir, 'out', 'scene.png'));
    expect([drawn.width, drawn.height]).toEqual([120, 90]);
    expect(drawn.data).not.toEqual(img.data);
  });

  it('names a missing image in one line', () => {
    const res = spawnSync(process.execPath, [
      bin, 'predict', '/nonexistent/a.jpg', '--model', path.join(tiny, 'model.yaml'), '--weights', path.join(tiny, 'weights.safetensors'),
    ], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(ours(res.stderr)).toEqual(['acmix-lab: error: /nonexistent/a.jpg: cannot read (ENOENT)']);
  });
});
