// Issue 8 (docs/onednn-sigfpe.md): oneDNN's 1×1 brgemm convolution setup divides by zero for some
// channel pairs when the per-core L1 cache it reads from CPUID is small, which killed YOLOv8 s and l
// with SIGFPE on the machine where it was reported. This machine reports 32 KiB, so the crash is
// reproduced here by making oneDNN read a zero L1 size: one child process runs under gdb, which
// returns 0 from dnnl::impl::cpu::platform::get_per_core_cache_size(1). In that child
//   1. yolov8s and yolov8l run forward and backward through the product's code path (initBackend,
//      buildModel): they must survive;
//   2. every channel pair the setup divides by zero for runs as a 1×1 tf.conv2d, stride 1 and 2, with
//      both gradients, through the route initBackend installs: it must survive too;
//   3. then the route is removed and a single tf.conv2d 1×1, 1024 → 512 (SPPF cv2 at s and l)
//      must die with SIGFPE inside brg_blocking_t::est_eff_1x1, as in the backtrace.
// Needs gdb (with Python) and nm (binutils) on x86-64; the test fails, naming them, without.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const yamlPath = path.resolve(here, '../../../experiments/models/yolov8.yaml');
const libtensorflow = fs.realpathSync(path.join(path.dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'deps/lib/libtensorflow_cc.so.2'));
const SYMBOLS = {
  cacheSize: '_ZN4dnnl4impl3cpu8platform23get_per_core_cache_sizeEi',
  estEff1x1: '_ZN4dnnl4impl3cpu3x6424brgemm_convolution_utils14brg_blocking_t11est_eff_1x1Ev',
};

/** Offset and size of each symbol in libtensorflow_cc (local symbols: only nm sees them). */
function symbols(): Record<keyof typeof SYMBOLS, { offset: number; size: number }> {
  const res = spawnSync('sh', ['-c', `nm -S --defined-only "$0" | grep -E '${Object.values(SYMBOLS).join('|')}'`, libtensorflow], { encoding: 'utf8' });
  const found = Object.fromEntries(res.stdout.trim().split('\n').map((line) => {
    const [offset, size, , name] = line.split(/\s+/);
    return [name, { offset: parseInt(offset!, 16), size: parseInt(size!, 16) }];
  }));
  const out = Object.fromEntries(Object.entries(SYMBOLS).map(([k, name]) => [k, found[name]]));
  for (const [k, v] of Object.entries(out)) if (!v) throw new Error(`${SYMBOLS[k as keyof typeof SYMBOLS]} not found in ${libtensorflow} (nm: ${res.error?.message ?? res.stderr})`);
  return out as ReturnType<typeof symbols>;
}

/**
 * A gdb script: at the first call of get_per_core_cache_size, read the real L2 and L3 sizes from it,
 * then overwrite its code with "L1 → 0, L2 → l2, L3 → l3" (one stop instead of one per call); print
 * where a SIGFPE happens (offset in libtensorflow_cc), let it through, and print the signal the
 * program died of. Non-stop mode: an all-threads stop and resume loses track of the dying threads.
 */
function gdbScript(cacheSizeOffset: number): string {
  return `set pagination off
set confirm off
set non-stop on
set auto-solib-add off
handle SIGUSR1 SIGUSR2 SIGPIPE nostop noprint pass
catch load libtensorflow_cc
run
python
import gdb, struct
base = next(int(l.split()[0], 16) for l in gdb.execute('info proc mappings', to_string=True).splitlines() if 'libtensorflow_cc' in l)
fn = base + ${cacheSizeOffset}
gdb.execute('delete')
gdb.execute('break *%d' % fn)
end
continue
python
gdb.execute('delete')
size = [int(gdb.parse_and_eval('((unsigned int (*)(int))%d)(%d)' % (fn, level))) for level in (2, 3)]
# cmp edi, 2; jne +6; mov eax, L2; ret; cmp edi, 3; jne +6; mov eax, L3; ret; xor eax, eax; ret
ret = lambda level, value: bytes([0x83, 0xff, level, 0x75, 0x06, 0xb8]) + struct.pack('<I', value) + bytes([0xc3])
gdb.selected_inferior().write_memory(fn, ret(2, size[0]) + ret(3, size[1]) + bytes([0x31, 0xc0, 0xc3]))
print('GDB-CACHE L1 0, L2 %d, L3 %d' % tuple(size))
end
catch signal SIGFPE
commands
silent
python print('GDB-SIGFPE at offset %d' % (int(gdb.parse_and_eval('$pc')) - base))
continue
end
continue
python
print('GDB-EXIT signal %s' % gdb.parse_and_eval('$_exitsignal'))
end
`;
}

const CHILD = `
import * as tf from '@tensorflow/tfjs';
import { initBackend, unregisterNativeKernelFixes } from '@acmix-lab/runtime';
import { buildModel } from ${JSON.stringify(pathToFileURL(path.join(here, 'model.ts')).href)};
await initBackend('tensorflow');
for (const scale of ['s', 'l']) {
  const m = buildModel(${JSON.stringify(yamlPath)}, { scale, nc: 1 });
  const x = tf.randomUniform([1, 64, 64, 3]);
  const { value, grads } = tf.variableGrads(() => tf.sum(m.forwardTrain(x)), m.model.trainableWeights.map((w) => w.read()));
  console.log(\`product path ok: yolov8\${scale}, finite loss \${Number.isFinite(value.dataSync()[0])}, \${Object.keys(grads).length} gradients\`);
  tf.dispose([x, value, grads]);
  m.dispose();
}
// Every channel pair the setup divides by zero for, both ways (backprop-input swaps them), stride 1 and 2.
for (const [cin, cout] of [[1024, 2048], [1024, 512], [256, 1024], [512, 1024], [512, 2048]]) {
  for (const [a, b] of [[cin, cout], [cout, cin]]) for (const stride of [1, 2]) {
    const x = tf.randomUniform([2, 5, 6, a]);
    const w = tf.randomUniform([1, 1, a, b]);
    const [dx, dw] = tf.grads((xi, wi) => tf.conv2d(xi, wi, stride, 'same'))([x, w]);
    tf.dispose([x, w, dx, dw]);
  }
}
console.log('product path ok: 1x1 conv2d and its gradients');
unregisterNativeKernelFixes();
console.log('stock 1x1 conv2d 1024 -> 512');
tf.conv2d(tf.zeros([1, 4, 4, 1024]), tf.zeros([1, 1, 1024, 512]), 1, 'valid').dataSync();
console.log('stock 1x1 conv2d survived');
`;

describe('oneDNN 1×1 convolution SIGFPE (issue 8), with a zero L1 cache simulated under gdb', () => {
  it('kills a single stock tf.conv2d 1×1 1024 → 512 in est_eff_1x1; yolov8s and yolov8l survive on the product path', () => {
    const syms = symbols();
    expect(syms.cacheSize.size, 'room for the 24-byte replacement').toBeGreaterThanOrEqual(24);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onednn-sigfpe-'));
    fs.writeFileSync(path.join(dir, 'small-l1.gdb'), gdbScript(syms.cacheSize.offset));
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const res = spawnSync('gdb', ['-q', '-batch', '-x', path.join(dir, 'small-l1.gdb'), '--args',
      process.execPath, '--import', tsx, '--input-type=module', '-e', CHILD], {
      encoding: 'utf8', cwd: here, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, maxBuffer: 64 << 20,
    });
    expect(res.error, 'gdb is needed for this test (apt-get install gdb)').toBeUndefined();
    const out = res.stdout;
    expect(out, res.stderr).toMatch(/product path ok: yolov8s, finite loss true, \d+ gradients/);
    expect(out, res.stderr).toMatch(/product path ok: yolov8l, finite loss true, \d+ gradients/);
    expect(out).toContain('product path ok: 1x1 conv2d and its gradients');
    expect(out).toMatch(/GDB-CACHE L1 0, L2 [1-9]\d*, L3 \d+/);
    expect(out).toContain('stock 1x1 conv2d 1024 -> 512');
    expect(out).not.toContain('stock 1x1 conv2d survived');
    const fault = /GDB-SIGFPE at offset (\d+)/.exec(out);
    expect(fault, out + res.stderr).not.toBeNull();
    expect(Number(fault![1])).toBeGreaterThanOrEqual(syms.estEff1x1.offset);
    expect(Number(fault![1])).toBeLessThan(syms.estEff1x1.offset + syms.estEff1x1.size);
    // And the process then dies of it.
    expect(out).toMatch(new RegExp(`GDB-EXIT signal ${os.constants.signals.SIGFPE}\\b`));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
