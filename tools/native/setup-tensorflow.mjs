#!/usr/bin/env node
// Builds @tensorflow/tfjs-node's addon against the TensorFlow C libraries inside the pinned
// `tensorflow-cpu` wheel, because the package's own install script downloads libtensorflow 2.9.1
// from a host that offline machines (and many firewalled users) cannot reach.
//
//   node tools/native/setup-tensorflow.mjs           # runs as the root `postinstall`
//   node tools/native/setup-tensorflow.mjs --force   # rebuild the addon even if it looks current
//   node tools/native/setup-tensorflow.mjs --gpu     # build @tensorflow/tfjs-node-gpu (CUDA 12 wheels)
// After tfjs-node it also builds the fused ACmix kernels (packages/acmix/native) when it can.
//
// The extracted libraries (~1 GB) are cached outside the repository, keyed by version, in
// $ACMIX_LAB_CACHE or $XDG_CACHE_HOME/acmix-lab (default ~/.cache/acmix-lab).
// Failure never fails `npm ci`: the project then runs on the slow `cpu` backend and says so.
// It also builds tools/native/quiet-stderr, which keeps TensorFlow's start-up log lines off stderr
// (packages/runtime/src/quiet-stderr.ts); without it those lines simply show.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TF_VERSION = '2.21.0';
// The file name tfjs-node's install script looks for before deciding to download.
const STOCK_LIB_NAME = 'libtensorflow.so.2.9.1';
const args = new Set(process.argv.slice(2));
const gpu = args.has('--gpu');
const force = args.has('--force') || gpu;
const variant = gpu
  ? { wheel: `tensorflow[and-cuda]==${TF_VERSION}`, wheelName: 'tensorflow', npm: '@tensorflow/tfjs-node-gpu' }
  : { wheel: `tensorflow-cpu==${TF_VERSION}`, wheelName: 'tensorflow_cpu', npm: '@tensorflow/tfjs-node' };

const log = (msg) => console.log(`[acmix-lab setup] ${msg}`);
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cacheRoot = process.env.ACMIX_LAB_CACHE
  ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'acmix-lab');
const tfDir = path.join(cacheRoot, `${variant.wheelName}-${TF_VERSION}`);

function run(cmd, argv, opts = {}) {
  const res = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  if (res.error) throw new Error(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${argv.slice(0, 3).join(' ')} … exited with ${res.status}`);
}

function python() {
  for (const cand of ['python3', 'python']) {
    if (spawnSync(cand, ['--version']).status === 0) return cand;
  }
  throw new Error('python3 is needed to fetch the TensorFlow wheel (pip download); install it and run `npm run setup`');
}

/** Download the wheel with pip and extract the shared libraries and headers into the cache. */
function ensureCachedLibraries() {
  const stamp = path.join(tfDir, '.complete');
  if (fs.existsSync(stamp)) {
    log(`reusing cached TensorFlow ${TF_VERSION} libraries in ${tfDir}`);
    return;
  }
  const py = python();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'acmix-lab-wheel-'));
  try {
    log(`downloading ${variant.wheel} with pip (once; cached in ${tfDir})`);
    // Retries against an unreachable public index only delay the fallback to a configured one.
    const env = { ...process.env, PIP_RETRIES: process.env.PIP_RETRIES ?? '0' };
    run(py, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', variant.wheel.replace('[and-cuda]', ''), '-d', tmp], { env });
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip download produced no wheel');
    const staging = `${tfDir}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    log(`extracting libraries and headers from ${wheel}`);
    run(py, ['-c', EXTRACT_PY, path.join(tmp, wheel), staging]);
    if (gpu) fetchCudaWheels(py, env, staging);
    fs.writeFileSync(path.join(staging, '.complete'), `${variant.wheel}\n`);
    fs.rmSync(tfDir, { recursive: true, force: true });
    fs.renameSync(staging, tfDir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Extracts lib*.so.2 into lib/ and the C/C++ headers into include/ (the C API for the addon;
// the rest for custom-op kernels compiled against the same TensorFlow).
const EXTRACT_PY = `
import sys, zipfile, os, shutil
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if name in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'):
            dest = os.path.join(out, 'lib', os.path.basename(name))
        elif name.startswith('tensorflow/include/'):
            dest = os.path.join(out, 'include', name[len('tensorflow/include/'):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
for lib in ('libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'):
    if not os.path.exists(os.path.join(out, 'lib', lib)):
        sys.exit('wheel has no ' + lib)
`;

/** CUDA 12 runtime libraries come as nvidia-*-cu12 wheels; their lib/ folders go on LD_LIBRARY_PATH. */
function fetchCudaWheels(py, env, staging) {
  const dest = path.join(staging, 'cuda-wheels');
  run(py, ['-m', 'pip', 'download', '--only-binary=:all:', `tensorflow[and-cuda]==${TF_VERSION}`, '-d', dest], { env });
  const libDirs = path.join(staging, 'cuda');
  run(py, ['-c', `
import sys, zipfile, glob, os
for whl in glob.glob(os.path.join(sys.argv[1], 'nvidia_*.whl')):
    zipfile.ZipFile(whl).extractall(sys.argv[2])
`, dest, libDirs]);
  fs.rmSync(dest, { recursive: true, force: true });
}

function linkForce(target, linkPath) {
  fs.rmSync(linkPath, { recursive: true, force: true });
  fs.symlinkSync(target, linkPath);
}

/** Lay out deps/ the way tfjs-node's binding.gyp expects, pointing into the cache. */
function stageDeps(pkgDir) {
  const deps = path.join(pkgDir, 'deps');
  const lib = path.join(deps, 'lib');
  fs.mkdirSync(lib, { recursive: true });
  const cc = path.join(tfDir, 'lib', 'libtensorflow_cc.so.2');
  const fw = path.join(tfDir, 'lib', 'libtensorflow_framework.so.2');
  for (const name of ['libtensorflow.so', 'libtensorflow_cc.so.2', STOCK_LIB_NAME]) linkForce(cc, path.join(lib, name));
  for (const name of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2']) linkForce(fw, path.join(lib, name));
  linkForce(path.join(tfDir, 'include'), path.join(deps, 'include'));
  return deps;
}

/** node-gyp downloads Node's headers unless told where they are; offline, use the installed ones. */
function nodeHeadersEnv() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

function buildAddon(pkgDir, deps) {
  const stampFile = path.join(deps, '.acmix-lab-build');
  const stamp = `${TF_VERSION} node-abi-${process.versions.modules} napi-${process.versions.napi}`;
  // node-pre-gyp builds for the highest N-API version the package lists that Node supports (8 on Node 20's 9).
  const { napi_versions: napiVersions } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).binary;
  const napi = Math.max(...napiVersions.filter((v) => v <= Number(process.versions.napi)));
  const addon = path.join(pkgDir, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  if (!force && fs.existsSync(addon) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    log('native addon is current');
    return;
  }
  log(`building ${variant.npm} addon against TensorFlow ${TF_VERSION} (node-gyp)`);
  const require = createRequire(path.join(pkgDir, 'package.json'));
  const preGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  run(process.execPath, [preGyp, 'install', '--build-from-source'], { cwd: pkgDir, env: { ...process.env, ...nodeHeadersEnv() } });
  fs.writeFileSync(stampFile, stamp);
}

/** npm sets npm_config_node_gyp for install scripts; run directly, use the node-gyp bundled with npm. */
function nodeGyp() {
  const bundled = path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  const bin = process.env.npm_config_node_gyp ?? bundled;
  if (!fs.existsSync(bin)) throw new Error(`node-gyp not found at ${bin} (set npm_config_node_gyp)`);
  return bin;
}

/** Small and independent of TensorFlow, so it is rebuilt every time (~2 s) and never goes stale. */
function buildQuietStderr() {
  const dir = path.join(repoRoot, 'tools', 'native', 'quiet-stderr');
  try {
    log('building the quiet-stderr addon (node-gyp)');
    run(process.execPath, [nodeGyp(), 'rebuild', '--loglevel=warn'], { cwd: dir, env: { ...process.env, ...nodeHeadersEnv() } });
  } catch (err) {
    console.warn(`[acmix-lab setup] WARNING: quiet-stderr addon not built (${err.message}); ` +
      "TensorFlow's start-up log lines will show on stderr.");
  }
}

function verify(pkg) {
  const res = spawnSync(process.execPath, ['-e', `
    const tf = require(${JSON.stringify(pkg)});
    console.log(tf.getBackend() + ' ' + tf.version['tfjs-node'] + ' TF ' + tf.backend().binding.TF_Version);
  `], { cwd: repoRoot, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`the built addon does not load: ${(res.stderr || '').trim().split('\n').pop()}`);
  log(`native backend ready: ${res.stdout.trim()}`);
}

function main() {
  if (process.env.ACMIX_LAB_SKIP_NATIVE === '1') {
    log('ACMIX_LAB_SKIP_NATIVE=1: not building the native backend');
    return;
  }
  if (os.platform() !== 'linux' || os.arch() !== 'x64') {
    log(`no TensorFlow wheel recipe for ${os.platform()}-${os.arch()}; commands will use the cpu backend`);
    return;
  }
  buildQuietStderr();
  if (gpu) run('npm', ['install', '--no-save', '--ignore-scripts', `${variant.npm}@4.22.0`], { cwd: repoRoot });
  const require = createRequire(path.join(repoRoot, 'package.json'));
  const pkgDir = path.dirname(require.resolve(`${variant.npm}/package.json`));
  ensureCachedLibraries();
  buildAddon(pkgDir, stageDeps(pkgDir));
  if (gpu) {
    log(`GPU build done. Put the CUDA libraries on the loader path before running:\n` +
      `  export LD_LIBRARY_PATH=$(ls -d ${path.join(tfDir, 'cuda', 'nvidia', '*', 'lib')} | paste -sd:)`);
    return;
  }
  verify(variant.npm);
  // The fused ACmix kernels are TensorFlow custom ops compiled against the same libraries; without
  // them the layer uses its composed TensorFlow.js version, so a failed build is only reported.
  run(process.execPath, [path.join(repoRoot, 'packages', 'acmix', 'native', 'build.mjs'), '--if-possible']);
}

try {
  main();
} catch (err) {
  console.warn(`[acmix-lab setup] WARNING: native TensorFlow backend not installed: ${err.message}`);
  console.warn('[acmix-lab setup] commands will run on the slow pure-JS cpu backend; fix the cause and run `npm run setup`.');
}
