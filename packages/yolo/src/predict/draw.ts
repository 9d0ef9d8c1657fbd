// Boxes and labels drawn on a copy of an image, in Ultralytics' style (utils/plotting.py
// Annotator: its 20-colour palette by class, line width from the image size, "name conf" labels
// on a filled tab). The overlay is drawn by Skia on a transparent canvas and blended into the RGB
// pixels, so the image never round-trips through a lossy step.
import { createCanvas } from '@napi-rs/canvas';
import type { RgbImage } from '../image/rgb-image.js';

const PALETTE = [
  'FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB',
  '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7',
];

/** `rows`: n×6 [x1, y1, x2, y2, conf, cls] in image pixels; `names[cls]` labels each box. */
export function drawDetections(image: RgbImage, rows: Float32Array, names: readonly string[]): RgbImage {
  const { width, height } = image;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const lw = Math.max(Math.round(((width + height) / 2) * 0.003), 2);
  const fontSize = Math.max(lw * 5, 10);
  ctx.font = `${fontSize}px sans-serif`;
  ctx.textBaseline = 'top';
  for (let i = 0; i + 6 <= rows.length; i += 6) {
    const [x1, y1, x2, y2, conf, cls] = Array.from(rows.subarray(i, i + 6)) as [number, number, number, number, number, number];
    const color = `#${PALETTE[cls % PALETTE.length]}`;
    ctx.strokeStyle = color;
    ctx.lineWidth = lw;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = `${names[cls] ?? `class${cls}`} ${conf.toFixed(2)}`;
    const tw = ctx.measureText(label).width + 2 * lw;
    const th = fontSize + lw;
    const top = y1 - th >= 0 ? y1 - th : y1; // inside the box when there is no room above
    ctx.fillStyle = color;
    ctx.fillRect(x1 - lw / 2, top, tw, th);
    ctx.fillStyle = '#FFFFFF';
    ctx.fillText(label, x1 - lw / 2 + lw, top + lw / 2);
  }
  const overlay = ctx.getImageData(0, 0, width, height).data;
  const data = image.data.slice();
  for (let p = 0, q = 0; q < data.length; p += 4, q += 3) {
    const a = overlay[p + 3]! / 255;
    if (a === 0) continue;
    // Canvas pixels are premultiplied internally but getImageData returns straight alpha.
    for (let k = 0; k < 3; k++) data[q + k] = Math.round(overlay[p + k]! * a + data[q + k]! * (1 - a));
  }
  return { width, height, data };
}
