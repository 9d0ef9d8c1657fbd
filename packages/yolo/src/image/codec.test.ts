import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeJpeg, encodePng, sniffFormat } from './codec.js';
import { ImageDecodeError, type RgbImage } from './rgb-image.js';

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = x * 16;
      data[i + 1] = y * 20;
      data[i + 2] = (x * 7 + y * 3) % 256;
    }
  }
  return { width, height, data };
}

describe('image codec', () => {
  it('round-trips PNG losslessly and deterministically', () => {
    const img = gradient(13, 9);
    const png = encodePng(img);
    expect(sniffFormat(png)).toBe('png');
    expect(Buffer.compare(Buffer.from(png), Buffer.from(encodePng(img)))).toBe(0);
    const back = decodeImage(png);
    expect([back.width, back.height]).toEqual([13, 9]);
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(img.data))).toBe(0);
  });

  it('round-trips JPEG approximately', () => {
    const img = gradient(16, 12);
    const jpg = encodeJpeg(img, 95);
    expect(sniffFormat(jpg)).toBe('jpeg');
    const back = decodeImage(jpg);
    let err = 0;
    for (let i = 0; i < img.data.length; i++) err += Math.abs(back.data[i]! - img.data[i]!);
    expect(err / img.data.length).toBeLessThan(4);
  });

  it('reads from a path and names the file in errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codec-'));
    const file = path.join(dir, 'a.png');
    fs.writeFileSync(file, encodePng(gradient(4, 4)));
    expect(decodeImage(file).width).toBe(4);
    expect(() => decodeImage(path.join(dir, 'missing.png'))).toThrow(/missing\.png: cannot read \(ENOENT\)/);
    fs.rmSync(dir, { recursive: true });
  });

  it('rejects truncated PNG and JPEG data that Skia would silently decode', () => {
    const png = encodePng(gradient(8, 8));
    expect(() => decodeImage(png.subarray(0, png.length - 12), 'cut.png')).toThrow(ImageDecodeError);
    expect(() => decodeImage(png.subarray(0, png.length - 12), 'cut.png')).toThrow(/cut\.png: truncated PNG: no IEND/);
    expect(() => decodeImage(png.subarray(0, 40), 'half.png')).toThrow(/half\.png: truncated PNG/);
    const jpg = encodeJpeg(gradient(8, 8));
    expect(() => decodeImage(jpg.subarray(0, jpg.length - 50), 'cut.jpg')).toThrow(/cut\.jpg: truncated JPEG/);
  });

  it('rejects corrupt data', () => {
    const png = Buffer.from(encodePng(gradient(8, 8)));
    png[40] = png[40]! ^ 0xff; // inside IDAT: CRC no longer matches
    expect(() => decodeImage(png, 'flip.png')).toThrow(/flip\.png: corrupt PNG: CRC mismatch in chunk/);
    expect(() => decodeImage(Buffer.from('not an image at all'), 'x.jpg')).toThrow(/not a decodable image/);
    expect(() => decodeImage(new Uint8Array(0), 'empty.png')).toThrow(/empty file/);
  });
});
