// Ultralytics' predict path for one image (engine/predictor.py + models/yolo/detect/predict.py):
// LetterBox (minimum rectangle, auto=True, as for a PyTorch model), RGB / 255, forward, NMS, boxes
// back to the original image.
import * as tf from '@tensorflow/tfjs';
import { letterbox } from '../image/letterbox.js';
import type { RgbImage } from '../image/rgb-image.js';
import type { YoloModel } from '../model.js';
import { nonMaxSuppression, type NmsOptions } from './nms.js';
import { scaleBoxes } from './scale-boxes.js';

export interface PredictOptions extends NmsOptions {
  /** Inference size (Ultralytics `imgsz`), rounded up to a multiple of the largest stride. Default 640. */
  imgsz?: number;
}

/** Ultralytics' check_imgsz for one side: the next multiple of the stride. */
export function checkImgsz(imgsz: number, stride: number): number {
  if (!(imgsz > 0)) throw new RangeError(`imgsz ${imgsz} must be positive`);
  return Math.ceil(imgsz / stride) * stride;
}

/** check_imgsz against a model's grid size (trainer and validator), with Ultralytics' warning when it changes. */
export function modelImgsz(model: YoloModel, imgsz: number, warn: (line: string) => void): number {
  const fitted = checkImgsz(imgsz, model.gridSize);
  if (fitted !== imgsz) warn(`WARNING ⚠️ imgsz=[${imgsz}] must be multiple of max stride ${model.gridSize}, updating to [${fitted}]`);
  return fitted;
}

/**
 * Detections of one image: n×6 rows [x1, y1, x2, y2, conf, cls] in the image's own pixels, most
 * confident first. Defaults are Ultralytics' predict defaults (conf 0.25, iou 0.7, max_det 300).
 */
export function predictImage(model: YoloModel, image: RgbImage, opts: PredictOptions = {}): Float32Array {
  if (!model.detect) throw new RangeError('predict needs a model with a Detect head');
  const stride = model.gridSize;
  const imgsz = checkImgsz(opts.imgsz ?? 640, stride);
  const lb = letterbox(image, imgsz, { auto: true, stride });
  const { width, height, data } = lb.image;
  const pred = tf.tidy(() => model.predict(tf.tensor4d(Float32Array.from(data, (v) => v / 255), [1, height, width, 3])));
  try {
    const [rows] = nonMaxSuppression(pred, opts);
    return scaleBoxes(rows!, [height, width], [image.height, image.width]);
  } finally {
    pred.dispose();
  }
}
