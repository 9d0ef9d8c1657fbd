"""PyTorch reference for `npm run bench:train` (tools/bench/train.ts runs this as a long-lived child).

Usage: python3 tools/bench/train_torch.py MODEL.yaml SCALE NC BATCH_DIR
BATCH_DIR holds the batch our step trains on (images.f32: B x H x W x 3 float32 NHWC in [0, 1]; targets.json:
batch_idx, cls, bboxes as normalised cx, cy, w, h). Builds the yaml with the project's PyTorch port of Ultralytics'
parse_model (tools/fixtures/yolo_torch.py; ultralytics itself cannot be installed here), 2 threads, and answers
commands on stdin, one JSON line each on stdout, so train.ts can alternate it with our step in the same run:

  full N    N iterations of Ultralytics' training step (engine/trainer.py::_do_train past warmup, accumulate
            nbs/batch): forward, v8DetectionLoss with the TaskAlignedAssigner (tools/fixtures/loss_fixtures.py's
            port of ultralytics/utils/loss.py and tal.py), backward; when `ni - last_opt_step >= accumulate`:
            clip_grad_norm_(10), SGD nesterov with the three weight-decay groups, zero_grad, ModelEMA.update
            (tools/fixtures/optim_fixtures.py's ports of build_optimizer and ModelEMA).
  fwdbwd N  N times forward + backward of a plain loss (sum of squares of the raw head outputs).
Each answer: {"ms": [per-iteration ms]}.
"""
import json
import pathlib
import sys
import time

import numpy as np
import torch
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'fixtures'))
from loss_fixtures import REG_MAX, detection_loss  # noqa: E402
from optim_fixtures import DEFAULT_HYP, ModelEMA, setup  # noqa: E402
from yolo_torch import Model  # noqa: E402

MAX_NORM = 10.0  # engine/trainer.py::optimizer_step


def load_batch(batch_dir):
    meta = json.loads((batch_dir / 'targets.json').read_text())
    b, s = meta['batch'], meta['imgsz']
    x = np.fromfile(batch_dir / 'images.f32', dtype=np.float32).reshape(b, s, s, 3)
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    targets = (torch.tensor(meta['batch_idx'], dtype=torch.long), torch.tensor(meta['cls'], dtype=torch.long),
               torch.tensor(meta['bboxes'], dtype=torch.float32).reshape(-1, 4))
    return images, targets


def main():
    cfg_file, scale, nc, batch_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), pathlib.Path(sys.argv[4])
    torch.set_num_threads(2)
    cfg = yaml.safe_load(pathlib.Path(cfg_file).read_text())
    cfg['scale'], cfg['nc'] = scale, nc
    model = Model(cfg).train()
    images, (batch_idx, cls, bboxes) = load_batch(batch_dir)
    bs, imgsz = images.shape[0], images.shape[-1]
    hyp = dict(DEFAULT_HYP, batch=bs, epochs=100)
    s = setup(model, hyp, nc, n_images=96)
    opt, accumulate = s['opt'], s['accumulate']
    for g in opt.param_groups:
        g['lr'], g['momentum'] = 0.01, hyp['momentum']
    ema = ModelEMA(model)
    detect = model.model[-1]
    state = {'ni': 300, 'last_opt_step': 299}

    def full():
        feats = model(images)
        preds = torch.cat([f.view(bs, REG_MAX * 4 + nc, -1) for f in feats], 2).permute(0, 2, 1)
        sizes = [tuple(f.shape[2:]) for f in feats]
        loss = detection_loss(preds, batch_idx, cls, bboxes, sizes, detect.stride.tolist(), nc)[0]
        loss.backward()
        if state['ni'] - state['last_opt_step'] >= accumulate:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=MAX_NORM)
            opt.step()
            opt.zero_grad()
            ema.update(model)
            state['last_opt_step'] = state['ni']
        state['ni'] += 1

    def fwdbwd():
        out = model(images)
        sum((o.float() ** 2).mean() for o in out).backward()
        model.zero_grad(set_to_none=True)

    steps = {'full': full, 'fwdbwd': fwdbwd}
    for line in sys.stdin:
        cmd, n = line.split()
        times = []
        for _ in range(int(n)):
            t0 = time.perf_counter()
            steps[cmd]()
            times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({'ms': times}), flush=True)


if __name__ == '__main__':
    main()
