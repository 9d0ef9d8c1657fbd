// The one image type shared by the predictor and the training data pipeline: 8-bit RGB, row-major,
// no tensors, so it can be built, augmented and transferred inside worker threads.

export interface RgbImage {
  width: number;
  height: number;
  /** width·height·3 bytes, R G B per pixel, rows top to bottom. */
  data: Uint8Array;
}

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

/** A width×height image filled with one grey level (Ultralytics pads with 114). */
export function filledImage(width: number, height: number, value = 114): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`image size must be non-negative integers, got ${width}×${height}`);
  }
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}
