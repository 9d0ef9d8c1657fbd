import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resizeBilinear } from './resize.js';
import type { RgbImage } from './rgb-image.js';

interface ResizeCase { width: number; height: number; src: string; outWidth: number; outHeight: number; expected: string }
const fixture = JSON.parse(fs.readFileSync(new URL('../../fixtures/image/resize.json', import.meta.url), 'utf8')) as { cases: ResizeCase[] };
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('resizeBilinear', () => {
  // OpenCV versions differ by one level at exact .5 blends (the fixture's 6×1 → 3×4 case rounds them
  // down); everywhere else the fixed-point arithmetic agrees bit for bit.
  it('matches cv2.resize INTER_LINEAR on every fixture case within one level', () => {
    let total = 0;
    let exact = 0;
    for (const c of fixture.cases) {
      const out = resizeBilinear({ width: c.width, height: c.height, data: bytes(c.src) }, c.outWidth, c.outHeight);
      const want = bytes(c.expected);
      expect(out.data.length, `${c.width}x${c.height} -> ${c.outWidth}x${c.outHeight}`).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(out.data[i]! - want[i]!);
        expect(d, `${c.width}x${c.height} -> ${c.outWidth}x${c.outHeight} byte ${i}`).toBeLessThanOrEqual(1);
        if (d === 0) exact++;
      }
      total += want.length;
    }
    expect(exact / total).toBeGreaterThan(0.99);
  });

  it('uses half-pixel centres: a 2-pixel row doubled gives 1/4-3/4 blends', () => {
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 200, 100, 40]) };
    const out = resizeBilinear(img, 4, 1);
    // cv2: source x = (dx + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    expect(Array.from(out.data.filter((_, i) => i % 3 === 0))).toEqual([0, 50, 150, 200]);
  });

  it('returns a copy when the size is unchanged and rejects bad sizes', () => {
    const img: RgbImage = { width: 1, height: 1, data: new Uint8Array([1, 2, 3]) };
    const out = resizeBilinear(img, 1, 1);
    expect(out.data).not.toBe(img.data);
    expect(Array.from(out.data)).toEqual([1, 2, 3]);
    expect(() => resizeBilinear(img, 0, 3)).toThrow(/positive integers/);
  });
});
