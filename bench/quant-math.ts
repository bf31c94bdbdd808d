// Benchmark of the weight-quantization hot path (src/quant/math) against a plain copy of the
// same bytes. Prints figures only, never pass/fail.
//
//   node dist/bench/quant-math.js [--mib 256] [--reps 3]
//
// The tensor is float32 [rows, rows] with rows² · 4 bytes ≈ the size asked for (8192 × 8192 for
// 256 MiB). Per-channel along axis 0 walks each channel as one contiguous block; along axis 1
// the channel changes with every element. Each figure is the best of `reps` runs after a warm-up.
// "reused output" rows write into an array allocated once, as the copy does: a fresh 64 MiB
// output costs its page faults on top (the "allocate" row shows how much on this machine).
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  computePerChannelParams,
  quantizePerChannel,
  quantizePerChannelWith,
  quantizePerTensor,
  setWasmKernels,
} from '../src/quant/math/quantize.js';
import type { QuantizeOptions } from '../src/quant/math/quantize.js';

interface Row {
  name: string;
  ms: number;
}

function best(reps: number, fn: () => void): number {
  fn(); // warm-up: lets V8 optimise the kernels before timing
  let min = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    const t = performance.now() - t0;
    if (t < min) min = t;
  }
  return min;
}

/** Weight-like data: a deterministic LCG, roughly normal-ish, with per-row magnitudes. */
function makeTensor(rows: number, cols: number): Float32Array {
  const x = new Float32Array(rows * cols);
  let s = 0x12345678;
  for (let r = 0; r < rows; r++) {
    const mag = 0.01 + (r % 17) * 0.003;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      s = (Math.imul(s, 1664525) + 1013904223) | 0;
      const u = (s >>> 8) / 16777216 - 0.5; // [-0.5, 0.5)
      s = (Math.imul(s, 1664525) + 1013904223) | 0;
      const v = (s >>> 8) / 16777216 - 0.5;
      x[base + c] = (u + v) * mag;
    }
  }
  return x;
}

export function run(mib = 256, reps = 3): void {
  const rows = Math.max(1, Math.round(Math.sqrt((mib * 1024 * 1024) / 4)));
  const shape = [rows, rows];
  const n = rows * rows;
  const bytes = n * 4;
  const x = makeTensor(rows, rows);
  const src = Buffer.from(x.buffer, x.byteOffset, bytes);
  const dst = Buffer.allocUnsafe(bytes);
  const sym: QuantizeOptions = { symmetric: true, reduceRange: false };
  const asym: QuantizeOptions = { symmetric: false, reduceRange: false };

  const rowsOut: Row[] = [];
  const out8 = new Int8Array(n);
  const outU8 = new Uint8Array(n);
  rowsOut.push({ name: 'Buffer copy (same bytes)', ms: best(reps, () => src.copy(dst)) });
  rowsOut.push({ name: 'allocate + fill a new 64 MiB Int8Array', ms: best(reps, () => void new Int8Array(n).fill(1)) });
  setWasmKernels(true);
  for (const axis of [0, 1]) {
    rowsOut.push({
      name: `per-channel int8 symmetric, axis ${axis}`,
      ms: best(reps, () => void quantizePerChannel(x, shape, axis, 'int8', sym)),
    });
    rowsOut.push({
      name: `  same, into a reused output`,
      ms: best(reps, () => void quantizePerChannel(x, shape, axis, 'int8', sym, out8)),
    });
    const p = computePerChannelParams(x, shape, axis, 'int8', sym);
    rowsOut.push({
      name: `  range pass alone`,
      ms: best(reps, () => void computePerChannelParams(x, shape, axis, 'int8', sym)),
    });
    rowsOut.push({
      name: `  quantize pass alone (reused output)`,
      ms: best(reps, () => void quantizePerChannelWith(x, shape, axis, p.scales, p.zeroPoints, out8)),
    });
  }
  for (const axis of [0, 1]) {
    rowsOut.push({
      name: `per-channel uint8 asymmetric, axis ${axis} (reused out)`,
      ms: best(reps, () => void quantizePerChannel(x, shape, axis, 'uint8', asym, outU8)),
    });
  }
  rowsOut.push({
    name: 'per-tensor int8 symmetric (reused output)',
    ms: best(reps, () => void quantizePerTensor(x, 'int8', sym, out8)),
  });
  setWasmKernels(false);
  for (const axis of [0, 1]) {
    rowsOut.push({
      name: `JavaScript kernels only: int8 sym, axis ${axis} (reused)`,
      ms: best(reps, () => void quantizePerChannel(x, shape, axis, 'int8', sym, out8)),
    });
  }
  setWasmKernels(true);

  const copyMs = rowsOut[0]!.ms;
  console.log(`float32 [${rows}, ${rows}] = ${(bytes / 1048576).toFixed(0)} MiB, ${n} elements, best of ${reps}, node ${process.version}`);
  console.log(`${'case'.padEnd(50)} ${'ms'.padStart(9)} ${'ns/elem'.padStart(9)} ${'MB/s'.padStart(9)} ${'x copy'.padStart(8)}`);
  for (const r of rowsOut) {
    const nsPerElem = (r.ms * 1e6) / n;
    const mbPerS = bytes / 1e6 / (r.ms / 1000);
    console.log(
      `${r.name.padEnd(50)} ${r.ms.toFixed(1).padStart(9)} ${nsPerElem.toFixed(3).padStart(9)} ${mbPerS.toFixed(0).padStart(9)} ${(r.ms / copyMs).toFixed(2).padStart(8)}`,
    );
  }
}

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(argValue('--mib', 256), argValue('--reps', 3));
}
