// Reader and writer for the safetensors format (huggingface/safetensors docs "format"):
// 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the raw little-endian tensor bytes. Only the dtypes this project exchanges are supported.
import fs from 'node:fs';
import { writeFileAtomic } from './atomic.js';

export type SafeDtype = 'F32' | 'F64' | 'I32' | 'I64';
export interface NamedArray {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}
export type TensorMap = Map<string, NamedArray>;

const BYTES: Record<SafeDtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8 };

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

function view(dtype: SafeDtype, buf: Buffer): NamedArray['data'] {
  // Copy so the array is aligned and independent of the file buffer.
  const bytes = new Uint8Array(buf).slice().buffer;
  switch (dtype) {
    case 'F32': return new Float32Array(bytes);
    case 'F64': return new Float64Array(bytes);
    case 'I32': return new Int32Array(bytes);
    case 'I64': return new BigInt64Array(bytes);
  }
}

export function decodeSafetensors(buf: Buffer, file = '<buffer>'): TensorMap {
  if (buf.length < 8) throw new SafetensorsError(`${file}: too short to be a safetensors file`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw new SafetensorsError(`${file}: header length ${headerLen} exceeds file size`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch (err) {
    throw new SafetensorsError(`${file}: header is not valid JSON (${(err as Error).message})`);
  }
  const out: TensorMap = new Map();
  const base = 8 + headerLen;
  for (const [name, meta] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!(meta.dtype in BYTES)) throw new SafetensorsError(`${file}: tensor "${name}" has unsupported dtype ${meta.dtype}`);
    const dtype = meta.dtype as SafeDtype;
    const [start, end] = meta.data_offsets;
    const count = meta.shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * BYTES[dtype] || base + end > buf.length) {
      throw new SafetensorsError(`${file}: tensor "${name}" has offsets [${start}, ${end}] that do not fit shape [${meta.shape}]`);
    }
    out.set(name, { dtype, shape: meta.shape, data: view(dtype, buf.subarray(base + start, base + end)) });
  }
  return out;
}

export function encodeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so tensor data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json, 'utf8'), ...chunks]);
}

export function readSafetensors(file: string): TensorMap {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new SafetensorsError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return decodeSafetensors(buf, file);
}

export function writeSafetensors(file: string, tensors: TensorMap, metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** Look up a tensor by name, failing with the file and the missing key. */
export function requireTensor(map: TensorMap, name: string, file: string): NamedArray {
  const t = map.get(name);
  if (!t) throw new SafetensorsError(`${file}: no tensor named "${name}" (has: ${[...map.keys()].slice(0, 8).join(', ')}${map.size > 8 ? ', …' : ''})`);
  return t;
}
