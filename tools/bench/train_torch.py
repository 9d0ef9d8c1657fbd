"""PyTorch reference for `npm run bench:train` (tools/bench/train.ts runs this).

Usage: python3 tools/bench/train_torch.py MODEL.yaml SCALE NC BATCH IMGSZ [RUNS]
Builds the yaml with the project's own PyTorch port of Ultralytics' parse_model (tools/fixtures/yolo_torch.py;
ultralytics itself cannot be installed here) in training mode and times forward + backward of a plain loss
(sum of squares of the raw head outputs) on 2 threads: the network's compute, without data loading, assigner
or optimizer. Prints one JSON line: median ms per step and images/s.
"""
import json
import pathlib
import statistics
import sys
import time

import torch
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'fixtures'))
from yolo_torch import Model  # noqa: E402


def main():
    cfg_file, scale, nc, batch, imgsz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    torch.set_num_threads(2)
    cfg = yaml.safe_load(pathlib.Path(cfg_file).read_text())
    cfg['scale'], cfg['nc'] = scale, nc
    model = Model(cfg).train()
    x = torch.rand(batch, 3, imgsz, imgsz)

    def step():
        out = model(x)
        loss = sum((o.float() ** 2).mean() for o in (out if isinstance(out, (list, tuple)) else [out]))
        loss.backward()
        model.zero_grad(set_to_none=True)

    step()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    print(json.dumps({'ms': ms, 'img_s': batch * 1000 / ms}))


if __name__ == '__main__':
    main()
