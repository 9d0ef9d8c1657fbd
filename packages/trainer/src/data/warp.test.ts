import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { invert3x3, warpImage } from './warp.js';

interface WarpCase { width: number; height: number; src: string; matrix: number[]; outWidth: number; outHeight: number; expected: string }
const fixture = JSON.parse(fs.readFileSync(new URL('../../fixtures/augment/warp.json', import.meta.url), 'utf8')) as { cases: WarpCase[] };
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('warpImage', () => {
  it.each(fixture.cases.map((c, i) => [i, c] as const))('case %i equals cv2.warpAffine / warpPerspective (border 114) bit for bit', (_i, c) => {
    const perspective = c.matrix[6] !== 0 || c.matrix[7] !== 0;
    const out = warpImage({ width: c.width, height: c.height, data: bytes(c.src) }, c.matrix, c.outWidth, c.outHeight, perspective);
    expect(Buffer.compare(Buffer.from(out.data), Buffer.from(bytes(c.expected)))).toBe(0);
  });

  it('an integer translation copies pixels and fills the uncovered edge with 114', () => {
    const src = { width: 3, height: 2, data: new Uint8Array([10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61, 62]) };
    const out = warpImage(src, [1, 0, 1, 0, 1, 0, 0, 0, 1], 3, 2, false);
    expect(Array.from(out.data)).toEqual([114, 114, 114, 10, 11, 12, 20, 21, 22, 114, 114, 114, 40, 41, 42, 50, 51, 52]);
  });

  it('inverts 3×3 matrices', () => {
    const m = [2, 1, 3, 0, 1, 4, 1, 0, 1];
    const inv = invert3x3(m);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += m[r * 3 + k]! * inv[k * 3 + c]!;
        expect(s).toBeCloseTo(r === c ? 1 : 0, 12);
      }
    }
  });
});
