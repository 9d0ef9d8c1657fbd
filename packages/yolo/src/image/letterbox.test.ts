import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { letterbox, pythonRound, type LetterboxOptions } from './letterbox.js';

interface LetterboxCase {
  width: number; height: number; src: string; newShape: [number, number]; options: LetterboxOptions;
  outWidth: number; outHeight: number; expected: string; ratio: [number, number]; pad: [number, number];
  border: { top: number; bottom: number; left: number; right: number };
}
const fixture = JSON.parse(fs.readFileSync(new URL('../../fixtures/image/letterbox.json', import.meta.url), 'utf8')) as { cases: LetterboxCase[] };
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('letterbox', () => {
  it.each(fixture.cases.map((c) => [`${c.width}x${c.height} -> ${c.newShape} ${JSON.stringify(c.options)}`, c] as const))(
    'matches the cv2-based reference %s',
    (_name, c) => {
      const res = letterbox({ width: c.width, height: c.height, data: bytes(c.src) }, c.newShape, c.options);
      expect([res.image.width, res.image.height]).toEqual([c.outWidth, c.outHeight]);
      expect(res.ratio[0]).toBeCloseTo(c.ratio[0], 12);
      expect(res.ratio[1]).toBeCloseTo(c.ratio[1], 12);
      expect(res.border).toEqual(c.border);
      if (c.options.center !== false) expect(res.pad).toEqual(c.pad);
      else expect(res.pad).toEqual([0, 0]);
      const want = bytes(c.expected);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(res.image.data[i]! - want[i]!));
      expect(worst).toBeLessThanOrEqual(1);
    },
  );

  it('splits an odd padding with the ±0.1 nudge: 5 px → 2 top, 3 bottom', () => {
    // A height of 59 into 64 with width 64: r = 1, dh = 5 → 2.5 → round(2.4) = 2 top, round(2.6) = 3 bottom.
    const res = letterbox({ width: 64, height: 59, data: new Uint8Array(64 * 59 * 3) }, 64);
    expect(res.ratio).toEqual([1, 1]);
    expect(res.pad).toEqual([0, 2.5]);
    expect(res.border).toEqual({ top: 2, bottom: 3, left: 0, right: 0 });
    expect(res.image.data[0]).toBe(114);
    expect(res.image.data[(2 * 64) * 3]).toBe(0); // first content row
    expect(res.image.data[(61 * 64) * 3]).toBe(114); // first bottom pad row
  });

  it('rounds like Python 3 (half to even)', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(pythonRound)).toEqual([0, 2, 2, 0, 2, 3]);
  });
});
