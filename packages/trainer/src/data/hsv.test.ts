import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyHsvGains, hsvToRgb, rgbToHsv } from './hsv.js';

interface HsvFixture { width: number; height: number; src: string; hsv: string; cases: { gains: [number, number, number]; expected: string }[] }
const fixture = JSON.parse(fs.readFileSync(new URL('../../fixtures/augment/hsv.json', import.meta.url), 'utf8')) as HsvFixture;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('OpenCV 8-bit HSV', () => {
  it('RGB → HSV matches cv2.cvtColor(COLOR_RGB2HSV) exactly on 4096 colours', () => {
    expect(Buffer.compare(Buffer.from(rgbToHsv(bytes(fixture.src))), Buffer.from(bytes(fixture.hsv)))).toBe(0);
  });

  // The fixture comes from OpenCV 5.0, whose 8-bit HSV→RGB no longer goes through float32 and lands one
  // level off in places; Ultralytics 8.1/8.2 ran OpenCV 4.x, whose float32 path hsvToRgb follows.
  it('HSV → RGB follows OpenCV 4.x float32 arithmetic (hand-computed) and stays within one level of cv2 5.0', () => {
    // (0, 128, 255): v(1 − s) = 1 − 128/255 → 127.0; (45, 255, 255): h = 45·float32(6/180) = 1.50000007, so
    // f = 0.50000006 and v(1 − s·f) = 0.49999994 → 127.49998 → 127; (90, 128, 200): 0.78431·0.49804 → 99.608 → 100.
    expect(Array.from(hsvToRgb(new Uint8Array([0, 128, 255, 45, 255, 255, 90, 128, 200]))))
      .toEqual([255, 127, 127, 127, 255, 0, 100, 200, 200]);
    const back = hsvToRgb(bytes(fixture.hsv));
    const cv2Back = bytes(fixture.cases[0]!.expected); // unit gains: cv2's own HSV → RGB of the same HSV bytes
    let sum = 0;
    for (let i = 0; i < back.length; i++) {
      const d = Math.abs(back[i]! - cv2Back[i]!);
      expect(d).toBeLessThanOrEqual(1);
      sum += d;
    }
    expect(sum / back.length).toBeLessThan(0.5);
  });

  it.each(fixture.cases.map((c) => [c.gains.join(', '), c] as const))('RandomHSV lookup tables with gains %s match cv2 within one level', (_n, c) => {
    const img = { width: fixture.width, height: fixture.height, data: bytes(fixture.src) };
    applyHsvGains(img, c.gains);
    const want = bytes(c.expected);
    let sum = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(img.data[i]! - want[i]!);
      expect(d).toBeLessThanOrEqual(1);
      sum += d;
    }
    expect(sum / want.length).toBeLessThan(0.5);
  });
});
