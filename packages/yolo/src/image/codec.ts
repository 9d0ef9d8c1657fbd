// Decode and encode images with @napi-rs/canvas (Skia's codecs). Skia decodes a truncated PNG or
// JPEG without complaint (the missing rows come back black), so the container is checked first,
// like Ultralytics' verify_image_label does with PIL's verify() and its JPEG end-marker check
// (ultralytics/data/utils.py). Unlike Ultralytics we never rewrite a user's file in place.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { createCanvas, Image, ImageData } from '@napi-rs/canvas';
import { ImageDecodeError, type RgbImage } from './rgb-image.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type ImageFormat = 'png' | 'jpeg' | 'other';

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

export function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  return 'other';
}

/** Walk the PNG chunk chain up to IEND, checking lengths and CRCs (what PIL's verify() does). */
function checkPng(bytes: Uint8Array, file: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = PNG_SIGNATURE.length;
  let first = true;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (first && type !== 'IHDR') throw new ImageDecodeError(file, `corrupt PNG: first chunk is ${type}, not IHDR`);
    first = false;
    const end = offset + 12 + length;
    if (end > bytes.length) throw new ImageDecodeError(file, `truncated PNG: chunk ${type} at byte ${offset} needs ${end} bytes, file has ${bytes.length}`);
    const crc = view.getUint32(offset + 8 + length);
    if (zlib.crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== crc) {
      throw new ImageDecodeError(file, `corrupt PNG: CRC mismatch in chunk ${type} at byte ${offset}`);
    }
    if (type === 'IEND') return;
    offset = end;
  }
  throw new ImageDecodeError(file, `truncated PNG: no IEND chunk in ${bytes.length} bytes`);
}

/** A JPEG must end with the EOI marker FFD9 (Ultralytics' "corrupt JPEG" test); zero padding is allowed. */
function checkJpeg(bytes: Uint8Array, file: string): void {
  let end = bytes.length;
  while (end > 2 && bytes[end - 1] === 0) end--;
  if (bytes[end - 2] !== 0xff || bytes[end - 1] !== 0xd9) {
    throw new ImageDecodeError(file, `truncated JPEG: no end-of-image marker (FFD9) in ${bytes.length} bytes`);
  }
}

/**
 * EXIF orientation (1-8) of a JPEG, 1 when absent: walk the markers to APP1 "Exif", read the TIFF
 * header's byte order and IFD0's tag 0x0112.
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 2;
  while (off + 4 <= bytes.length && bytes[off] === 0xff) {
    const marker = bytes[off + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end of image: no more metadata
    const len = view.getUint16(off + 2);
    const body = off + 4;
    if (marker === 0xe1 && len >= 16 && body + 6 <= bytes.length
      && String.fromCharCode(...bytes.subarray(body, body + 4)) === 'Exif' && bytes[body + 4] === 0 && bytes[body + 5] === 0) {
      const tiff = body + 6;
      const end = Math.min(off + 2 + len, bytes.length);
      if (tiff + 8 > end) return 1;
      const little = bytes[tiff] === 0x49; // "II"
      const ifd = tiff + view.getUint32(tiff + 4, little);
      if (ifd + 2 > end) return 1;
      const count = view.getUint16(ifd, little);
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + 12 * i;
        if (entry + 12 > end) break;
        if (view.getUint16(entry, little) === 0x0112) {
          const value = view.getUint16(entry + 8, little);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }
    off += 2 + len;
  }
  return 1;
}

/**
 * Decode PNG, JPEG, WebP, GIF (first frame) or BMP bytes, or a file path, to RGB. Alpha is dropped
 * (fully transparent pixels come back black). A JPEG's EXIF orientation is applied, as cv2.imread
 * does and as Ultralytics' exif_size assumes: Skia rotates while drawing but reports the stored
 * size, so the canvas takes the rotated size (orientations 5-8 swap width and height).
 * Throws ImageDecodeError naming the file and the reason for corrupt or truncated data.
 */
export function decodeImage(source: Uint8Array | string, name = typeof source === 'string' ? source : '<bytes>'): RgbImage {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = fs.readFileSync(source);
    } catch (err) {
      throw new ImageDecodeError(name, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  } else {
    bytes = source;
  }
  if (bytes.length === 0) throw new ImageDecodeError(name, 'empty file');
  const format = sniffFormat(bytes);
  if (format === 'png') checkPng(bytes, name);
  else if (format === 'jpeg') checkJpeg(bytes, name);

  const img = new Image();
  img.src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!img.width || !img.height) throw new ImageDecodeError(name, 'not a decodable image (unknown format or corrupt data)');
  const swap = format === 'jpeg' && jpegOrientation(bytes) >= 5;
  const width = swap ? img.height : img.width;
  const height = swap ? img.width : img.height;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data };
}

function toCanvas(img: RgbImage) {
  const { width, height, data } = img;
  if (data.length !== width * height * 3) {
    throw new RangeError(`RgbImage data has ${data.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`);
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    rgba[i] = data[j]!;
    rgba[i + 1] = data[j + 1]!;
    rgba[i + 2] = data[j + 2]!;
    rgba[i + 3] = 255;
  }
  const canvas = createCanvas(width, height);
  canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  return canvas;
}

/** Lossless PNG; the same pixels always give the same bytes. */
export function encodePng(img: RgbImage): Uint8Array {
  return toCanvas(img).encodeSync('png');
}

/** JPEG at `quality` 0–100 (default 95, like cv2.imwrite). */
export function encodeJpeg(img: RgbImage, quality = 95): Uint8Array {
  return toCanvas(img).encodeSync('jpeg', quality);
}
