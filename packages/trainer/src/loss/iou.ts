// IoU family of Ultralytics utils/metrics.py::bbox_iou (8.1/8.2): IoU, GIoU, DIoU or CIoU between
// broadcastable box tensors (..., 4). Used by the box loss (differentiable) and by the assigner's
// iou_calculation (CIoU clamped at 0).
import * as tf from '@tensorflow/tfjs';

export interface BboxIouOptions {
  /** Boxes are (cx, cy, w, h) when true (Ultralytics' default), (x1, y1, x2, y2) when false. */
  xywh?: boolean;
  GIoU?: boolean;
  DIoU?: boolean;
  CIoU?: boolean;
  eps?: number;
}

// bbox_iou computes CIoU's trade-off weight alpha under torch.no_grad: its value enters the result,
// its gradient does not.
const stopGradient = tf.customGrad((...inputs) => ({
  value: (inputs[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

function corners(box: tf.Tensor, xywh: boolean, eps: number) {
  if (xywh) {
    const [x, y, w, h] = tf.split(box, 4, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const hw = w.div(2);
    const hh = h.div(2);
    return { x1: x.sub(hw), y1: y.sub(hh), x2: x.add(hw), y2: y.add(hh), w, h };
  }
  // The xyxy branch adds eps to the height (not the width), exactly as the source does.
  const [x1, y1, x2, y2] = tf.split(box, 4, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  return { x1, y1, x2, y2, w: x2.sub(x1), h: y2.sub(y1).add(eps) };
}

/**
 * bbox_iou(box1, box2, xywh, GIoU, DIoU, CIoU, eps=1e-7). Returns (..., 1) like the source.
 * `clamp_(0)` becomes `maximum(x, 0)`, whose gradient, like torch.clamp's, passes at exactly 0.
 */
export function bboxIou(box1: tf.Tensor, box2: tf.Tensor, options: BboxIouOptions = {}): tf.Tensor {
  const { xywh = true, GIoU = false, DIoU = false, CIoU = false, eps = 1e-7 } = options;
  return tf.tidy(() => {
    const a = corners(box1, xywh, eps);
    const b = corners(box2, xywh, eps);
    const inter = tf.maximum(tf.minimum(a.x2, b.x2).sub(tf.maximum(a.x1, b.x1)), 0)
      .mul(tf.maximum(tf.minimum(a.y2, b.y2).sub(tf.maximum(a.y1, b.y1)), 0));
    const union = a.w.mul(a.h).add(b.w.mul(b.h)).sub(inter).add(eps);
    const iou = inter.div(union);
    if (!(CIoU || DIoU || GIoU)) return iou;
    const cw = tf.maximum(a.x2, b.x2).sub(tf.minimum(a.x1, b.x1)); // smallest enclosing box
    const ch = tf.maximum(a.y2, b.y2).sub(tf.minimum(a.y1, b.y1));
    if (CIoU || DIoU) {
      const c2 = cw.square().add(ch.square()).add(eps);
      const rho2 = b.x1.add(b.x2).sub(a.x1).sub(a.x2).square()
        .add(b.y1.add(b.y2).sub(a.y1).sub(a.y2).square()).div(4);
      if (!CIoU) return iou.sub(rho2.div(c2));
      const v = tf.atan(b.w.div(b.h)).sub(tf.atan(a.w.div(a.h))).square().mul(4 / Math.PI ** 2);
      const alpha = stopGradient(v.div(v.sub(iou).add(1 + eps)));
      return iou.sub(rho2.div(c2).add(v.mul(alpha)));
    }
    const cArea = cw.mul(ch).add(eps);
    return iou.sub(cArea.sub(union).div(cArea));
  });
}
