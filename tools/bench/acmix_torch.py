"""Times the official PyTorch ACmix for `npm run bench:acmix` (tools/bench/acmix.ts runs this).

Usage: python3 tools/bench/acmix_torch.py BATCH CHANNELS HEIGHT WIDTH [RUNS]
Prints one JSON line: median forward ms (no_grad), median forward+backward ms (gradients of
input and parameters for a random grad_output), the same as CPU ms of all threads, and the
process's peak RSS growth in MiB.
The module is exec'd out of the seed doc exactly as the parity fixtures do.
"""
import json
import pathlib
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'fixtures'))
from acmix_fixtures import load_official  # noqa: E402


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fn, runs):
    """Median wall ms and median CPU ms (all threads) of `fn` after one warm-up run."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main():
    b, c, h, w = map(int, sys.argv[1:5])
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    torch.set_num_threads(2)
    torch.manual_seed(0)
    ACmix, _ = load_official()
    m = ACmix(c, c)
    x = torch.randn(b, c, h, w)
    gy = torch.randn(b, c, h, w)
    base = rss_mib()

    def fwd():
        with torch.no_grad():
            m(x)

    def fwd_bwd():
        xi = x.detach().requires_grad_(True)
        m.zero_grad(set_to_none=True)
        m(xi).backward(gy)

    f, f_cpu = median_ms(fwd, runs)
    fb, fb_cpu = median_ms(fwd_bwd, runs)
    print(json.dumps({'fwd': f, 'fwdBwd': fb, 'fwdCpu': f_cpu, 'fwdBwdCpu': fb_cpu,
                      'peakMiB': rss_mib() - base, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
