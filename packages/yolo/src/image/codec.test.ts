import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeJpeg, encodePng, jpegOrientation, sniffFormat } from './codec.js';
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

  it('applies JPEG EXIF orientation like cv2.imread (6 = rotate 90° clockwise)', () => {
    // 40×20: left quarter red, the rest blue.
    const data = new Uint8Array(40 * 20 * 3);
    for (let i = 0; i < 40 * 20; i++) data.set(i % 40 < 10 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const jpg = encodeJpeg({ width: 40, height: 20, data }, 95);
    const withOrientation = (o: number, little: boolean) => {
      const u16 = (v: number) => (little ? [v & 255, v >> 8] : [v >> 8, v & 255]);
      const u32 = (v: number) => (little ? [v & 255, (v >> 8) & 255, 0, 0] : [0, 0, (v >> 8) & 255, v & 255]);
      const tiff = [...(little ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8), ...u16(1), ...u16(0x0112), ...u16(3), ...u32(1), ...u16(o), 0, 0, 0, 0, 0, 0];
      const body = [...Buffer.from('Exif\0\0', 'binary'), ...tiff];
      const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
      return Buffer.concat([jpg.subarray(0, 2), Buffer.from(app1), jpg.subarray(2)]);
    };
    expect(jpegOrientation(jpg)).toBe(1);
    expect(jpegOrientation(withOrientation(6, false))).toBe(6);
    expect(jpegOrientation(withOrientation(3, true))).toBe(3);
    const rotated = decodeImage(withOrientation(6, true));
    expect([rotated.width, rotated.height]).toEqual([20, 40]);
    const at = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    expect(at(rotated, 10, 2)![0]).toBeGreaterThan(200); // the red strip is now at the top
    expect(at(rotated, 10, 30)![2]).toBeGreaterThan(200);
    const upsideDown = decodeImage(withOrientation(3, false));
    expect([upsideDown.width, upsideDown.height]).toEqual([40, 20]);
    expect(at(upsideDown, 38, 10)![0]).toBeGreaterThan(200); // red moved to the right
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
