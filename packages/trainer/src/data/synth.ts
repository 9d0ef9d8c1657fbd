// A deterministic synthetic detection dataset in Ultralytics' format: coloured shapes (circle, square,
// triangle, …) of varied size, rotation and colour, 1–6 per image with limited overlap, on noisy
// gradient backgrounds. Small enough to train a YOLOv8n on in minutes at 128 px, hard enough that
// mAP means something. Same options → byte-identical files (Skia draws deterministically).
import fs from 'node:fs';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { writeDirAtomic } from '@acmix-lab/runtime';
import { hashSeed, Rng } from './random.js';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'diamond', 'star', 'cross', 'hexagon', 'ring'] as const;

export interface SynthOptions {
  out: string;
  train?: number;
  val?: number;
  imgsz?: number;
  classes?: number;
  seed?: number;
  /** Called after each image with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthResult {
  yamlFile: string;
  images: { train: number; val: number };
  boxes: number;
}

export class SynthOptionsError extends Error {
  override name = 'SynthOptionsError';
}

interface Shape {
  cls: number;
  cx: number;
  cy: number;
  /** Circumradius in pixels. */
  r: number;
  angle: number;
}

/** Outline of a shape as polygon vertices (circles and rings: none, they are drawn as arcs). */
function vertices(s: Shape): [number, number][] {
  const name = SHAPE_CLASSES[s.cls]!;
  const poly = (n: number, phase: number, radii: number[] = [1]) =>
    Array.from({ length: n }, (_, k) => {
      const a = s.angle + phase + (2 * Math.PI * k) / n;
      const rr = s.r * radii[k % radii.length]!;
      return [s.cx + rr * Math.cos(a), s.cy + rr * Math.sin(a)] as [number, number];
    });
  switch (name) {
    case 'square': return poly(4, Math.PI / 4);
    case 'triangle': return poly(3, -Math.PI / 2);
    case 'diamond': return poly(4, 0, [1, 0.6]);
    case 'star': return poly(10, -Math.PI / 2, [1, 0.45]);
    case 'hexagon': return poly(6, 0);
    case 'cross': {
      // a plus sign: 12 corners at arm half-width 0.33 r
      const t = 0.33;
      const pts: [number, number][] = [[t, 1], [t, t], [1, t], [1, -t], [t, -t], [t, -1], [-t, -1], [-t, -t], [-1, -t], [-1, t], [-t, t], [-t, 1]];
      const c = Math.cos(s.angle);
      const sn = Math.sin(s.angle);
      return pts.map(([x, y]) => [s.cx + s.r * (x * c - y * sn), s.cy + s.r * (x * sn + y * c)]);
    }
    default: return [];
  }
}

/** Tight box [x1, y1, x2, y2] of a shape in pixels. */
function shapeBox(s: Shape): [number, number, number, number] {
  const v = vertices(s);
  if (v.length === 0) return [s.cx - s.r, s.cy - s.r, s.cx + s.r, s.cy + s.r];
  const xs = v.map((p) => p[0]);
  const ys = v.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function overlap(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const ih = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = iw * ih;
  const area = (x: number[]) => (x[2]! - x[0]!) * (x[3]! - x[1]!);
  return inter / Math.min(area(a), area(b));
}

function hsl(h: number, s: number, l: number): string {
  return `hsl(${h.toFixed(1)}, ${(s * 100).toFixed(1)}%, ${(l * 100).toFixed(1)}%)`;
}

/** Draw one image and return its PNG bytes and label text. */
function synthImage(imgsz: number, classes: number, rng: Rng): { png: Uint8Array; label: string; boxes: number } {
  const canvas = createCanvas(imgsz, imgsz);
  const ctx = canvas.getContext('2d');
  // Background: a muted two-colour gradient in a random direction, plus per-pixel noise.
  const a = rng.uniform(0, 2 * Math.PI);
  const grad = ctx.createLinearGradient(
    imgsz / 2 - (Math.cos(a) * imgsz) / 2, imgsz / 2 - (Math.sin(a) * imgsz) / 2,
    imgsz / 2 + (Math.cos(a) * imgsz) / 2, imgsz / 2 + (Math.sin(a) * imgsz) / 2,
  );
  grad.addColorStop(0, hsl(rng.uniform(0, 360), rng.uniform(0, 0.35), rng.uniform(0.25, 0.75)));
  grad.addColorStop(1, hsl(rng.uniform(0, 360), rng.uniform(0, 0.35), rng.uniform(0.25, 0.75)));
  ctx.fillStyle = grad;
  ctx.fillRect(0, 0, imgsz, imgsz);
  const bg = ctx.getImageData(0, 0, imgsz, imgsz);
  const noise = rng.uniform(4, 24);
  for (let i = 0; i < bg.data.length; i += 4) {
    for (let c = 0; c < 3; c++) bg.data[i + c] = bg.data[i + c]! + Math.round((rng.random() * 2 - 1) * noise);
  }
  ctx.putImageData(bg, 0, 0);

  // Objects: 1–6, circumradius 5–22.5% of the image side (small ones more often), limited overlap.
  const want = rng.int(1, 6);
  const placed: { shape: Shape; box: number[] }[] = [];
  for (let attempt = 0; attempt < 60 && placed.length < want; attempt++) {
    const r = imgsz * (0.05 + 0.175 * rng.random() ** 1.5);
    const shape: Shape = { cls: rng.int(0, classes - 1), cx: rng.uniform(0, imgsz), cy: rng.uniform(0, imgsz), r, angle: rng.uniform(0, 2 * Math.PI) };
    const box = shapeBox(shape);
    if (box[0] < 0 || box[1] < 0 || box[2] > imgsz || box[3] > imgsz) continue;
    if (placed.some((p) => overlap(p.box, box) > 0.2)) continue;
    placed.push({ shape, box });
  }
  const lines: string[] = [];
  for (const { shape, box } of placed) {
    const dark = rng.random() < 0.3;
    ctx.fillStyle = hsl(rng.uniform(0, 360), rng.uniform(0.55, 1), dark ? rng.uniform(0.1, 0.25) : rng.uniform(0.5, 0.7));
    ctx.beginPath();
    if (SHAPE_CLASSES[shape.cls] === 'circle') {
      ctx.arc(shape.cx, shape.cy, shape.r, 0, 2 * Math.PI);
    } else if (SHAPE_CLASSES[shape.cls] === 'ring') {
      ctx.arc(shape.cx, shape.cy, shape.r, 0, 2 * Math.PI);
      ctx.arc(shape.cx, shape.cy, shape.r * 0.55, 0, 2 * Math.PI, true);
    } else {
      vertices(shape).forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
    }
    ctx.fill('evenodd');
    const [x1, y1, x2, y2] = box;
    const f = (v: number) => (v / imgsz).toFixed(6);
    lines.push(`${shape.cls} ${f((x1! + x2!) / 2)} ${f((y1! + y2!) / 2)} ${f(x2! - x1!)} ${f(y2! - y1!)}`);
  }
  return { png: canvas.encodeSync('png'), label: lines.length ? `${lines.join('\n')}\n` : '', boxes: lines.length };
}

const HEADER = '# Synthetic shapes written by `acmix-lab data synth';

function isSynthDataset(dir: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, 'data.yaml'), 'utf8').startsWith(HEADER);
  } catch {
    return false;
  }
}

/** Write DIR/data.yaml, DIR/images/{train,val}/*.png and DIR/labels/{train,val}/*.txt (replacing DIR). */
export async function synthDataset(options: SynthOptions): Promise<SynthResult> {
  const { out, train = 64, val = 32, imgsz = 128, classes = 3, seed = 0, onProgress } = options;
  const check = (name: string, v: number, min: number, max = Infinity) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new SynthOptionsError(`--${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  check('train', train, 1);
  check('val', val, 1);
  check('imgsz', imgsz, 32, 4096);
  check('classes', classes, 1, SHAPE_CLASSES.length);
  check('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  const root = path.resolve(out);
  if (fs.existsSync(root) && fs.readdirSync(root).length > 0 && !isSynthDataset(root)) {
    throw new SynthOptionsError(`${root} exists and is not a synthetic dataset written by this command; refusing to replace it`);
  }
  const total = train + val;
  let done = 0;
  let boxes = 0;
  await writeDirAtomic(root, (tmp) => {
    for (const [split, count, tag] of [['train', train, 0], ['val', val, 1]] as const) {
      fs.mkdirSync(path.join(tmp, 'images', split), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'labels', split), { recursive: true });
      for (let i = 0; i < count; i++) {
        const img = synthImage(imgsz, classes, new Rng(hashSeed(seed, tag, i)));
        const stem = String(i).padStart(6, '0');
        fs.writeFileSync(path.join(tmp, 'images', split, `${stem}.png`), img.png);
        fs.writeFileSync(path.join(tmp, 'labels', split, `${stem}.txt`), img.label);
        boxes += img.boxes;
        onProgress?.(++done, total);
      }
    }
    const names = SHAPE_CLASSES.slice(0, classes).map((n, i) => `  ${i}: ${n}`).join('\n');
    fs.writeFileSync(path.join(tmp, 'data.yaml'),
      `${HEADER} --train ${train} --val ${val} --imgsz ${imgsz} --classes ${classes} --seed ${seed}\`\n`
      + `path: ${root}\ntrain: images/train\nval: images/val\nnames:\n${names}\n`);
  });
  return { yamlFile: path.join(root, 'data.yaml'), images: { train, val }, boxes };
}
