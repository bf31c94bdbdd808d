// The low-bit packings against ONNX Runtime's own kernels: random matrices
// are quantized here, packed, and run through MatMulNBits (4 and 2 bits,
// with and without zero points, float zero points), MatMulBnb4 (NF4, FP4),
// GatherBlockQuantized and blocked INT4 DequantizeLinear, K not a multiple of
// the block size included. ORT's output must equal a float reference built
// from this code's own dequantization (so packing and dequantization agree
// with the runtime's), and the float MatMul within the quantization error
// (half a step per weight, summed over the reduction), so the quantization
// is right too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { dequantizeToKMajor, dequantizeToNMajor, quantizeKMajor, quantizeNMajor, type BlockQuantized, type NBits } from '../../src/quant/nbits/blocks.js';
import { BNB4_QUANT_TYPE, dequantizeBnb4, quantizeBnb4NMajor, type Bnb4Type } from '../../src/quant/nbits/bnb4.js';
import { quantizeHqqNMajor, transposeKN } from '../../src/quant/nbits/hqq.js';
import { packGatherData, packMatMulNBitsWeight, packQdqInt4, packZeroPoints } from '../../src/quant/nbits/pack.js';
import type { NodeProto, TensorProto } from '../../src/onnx/proto.js';
import { Rng } from '../helpers/models.js';

const M = 3;

async function runOrt(nodes: NodeProto[], inits: TensorProto[], feeds: Record<string, ort.Tensor>, inputTypes: Record<string, [number, number[]]>, outShape: number[],
  options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array> {
  const graph = makeGraph({
    nodes, initializers: inits,
    inputs: Object.entries(inputTypes).map(([name, [type, shape]]) => makeValueInfo(name, type, shape)),
    outputs: [makeValueInfo('y', DataType.FLOAT, outShape)],
  });
  const session = await ort.InferenceSession.create(encodeModel(makeModel(graph, 21, 10, [{ domain: 'com.microsoft', version: 1 }])), { logSeverityLevel: 3, ...options });
  try {
    return (await session.run(feeds)).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A [M, K] @ W [K, N] in float64. */
function matmul(a: Float32Array, w: Float32Array, m: number, k: number, n: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const x = a[i * k + p]!;
    for (let j = 0; j < n; j++) y[i * n + j]! += x * w[p * n + j]!;
  }
  return y;
}

/**
 * Per output element: sum_k |A[m,k]| * step(k, n) / 2, the worst a rounding
 * to the nearest step can move it; a whole step with symmetric blocks, where
 * the value of largest magnitude takes code 0 exactly and one of the
 * opposite sign and equal size is clamped one step short (ORT's scheme).
 */
function roundingBound(a: Float32Array, q: BlockQuantized, m: number): Float64Array {
  const share = q.zeroPoints ? 0.5 : 1;
  const out = new Float64Array(m * q.n);
  for (let i = 0; i < m; i++) for (let p = 0; p < q.k; p++) {
    const x = Math.abs(a[i * q.k + p]!);
    for (let j = 0; j < q.n; j++) out[i * q.n + j]! += x * Math.abs(q.scales[j * q.kBlocks + Math.floor(p / q.blockSize)]!) * share;
  }
  return out;
}

function assertClose(actual: Float32Array, expected: Float64Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!));
    if (d > worst) [worst, at] = [d, i];
  }
  assert.ok(worst <= tol, `${what}: element ${at} is ${actual[at]} where ${expected[at]} was expected (relative ${worst.toExponential(2)} > ${tol})`);
}

function assertWithin(actual: Float32Array, exact: Float64Array, bound: Float64Array, what: string): void {
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - exact[i]!);
    assert.ok(err <= bound[i]! * 1.0001 + 1e-4, `${what}: element ${i} is off the float result by ${err}, more than the rounding bound ${bound[i]}`);
  }
}

function matMulNBitsCase(q: BlockQuantized, accuracyLevel?: number) {
  const inits = [makeTensor('B', [q.n, q.kBlocks, (q.blockSize * q.bits) / 8], packMatMulNBitsWeight(q)), makeTensor('s', [q.n, q.kBlocks], q.scales)];
  const inputs = ['a', 'B', 's'];
  if (q.zeroPoints) {
    inits.push(makeTensor('zp', [q.n, Math.ceil((q.kBlocks * q.bits) / 8)], packZeroPoints(q)));
    inputs.push('zp');
  }
  const attrs: Record<string, number> = { K: q.k, N: q.n, bits: q.bits, block_size: q.blockSize };
  if (accuracyLevel !== undefined) attrs.accuracy_level = accuracyLevel;
  return { nodes: [makeNode('MatMulNBits', inputs, ['y'], 'mm', attrs, 'com.microsoft')], inits };
}

for (const bits of [4, 2] as NBits[]) {
  for (const symmetric of [true, false]) {
    for (const [k, n, blockSize] of [[96, 24, 32], [100, 20, 32], [70, 9, 16], [256, 12, 128], [40, 8, 64]] as const) {
      test(`MatMulNBits ${bits}-bit ${symmetric ? 'symmetric' : 'with zero points'}, K ${k}, N ${n}, block ${blockSize}: ORT = own dequantization, within rounding of float`, async () => {
        const rng = new Rng(k * 31 + n + bits + (symmetric ? 7 : 0));
        const w = rng.normalArray(k * n, 0.1);
        const a = rng.normalArray(M * k);
        const q = quantizeKMajor(w, k, n, { bits, blockSize, symmetric });
        // The same codes from the transposed layout (the path of tied heads and embedding tables).
        const qt = quantizeNMajor(transposeKN(w, k, n), n, k, { bits, blockSize, symmetric });
        assert.deepEqual(qt.codes, q.codes, 'both layouts give the same codes');
        assert.deepEqual(qt.scales, q.scales, 'both layouts give the same scales');
        const { nodes, inits } = matMulNBitsCase(q);
        const y = await runOrt(nodes, inits, { a: new ort.Tensor('float32', a, [M, k]) }, { a: [DataType.FLOAT, [M, k]] }, [M, n]);
        assertClose(y, matmul(a, dequantizeToKMajor(q), M, k, n), 1e-5, 'ORT vs own dequantization');
        assertWithin(y, matmul(a, w, M, k, n), roundingBound(a, q, M), 'ORT vs float MatMul');
      });
    }
  }
}

test('MatMulNBits accuracy_level 4 (int8 activations inside the kernel) stays within 2% of the exact 4-bit result', async () => {
  const [k, n] = [128, 32];
  const rng = new Rng(5);
  const w = rng.normalArray(k * n, 0.1);
  const a = rng.normalArray(M * k);
  const q = quantizeKMajor(w, k, n, { bits: 4, blockSize: 32, symmetric: true });
  const { nodes, inits } = matMulNBitsCase(q, 4);
  const y = await runOrt(nodes, inits, { a: new ort.Tensor('float32', a, [M, k]) }, { a: [DataType.FLOAT, [M, k]] }, [M, n]);
  const exact = matmul(a, dequantizeToKMajor(q), M, k, n);
  const scale = Math.max(...Array.from(exact, Math.abs));
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i]! - exact[i]!) <= 0.02 * scale, `element ${i}: ${y[i]} vs ${exact[i]}`);
});

test('HQQ-style data-free blocks: ORT = own dequantization; lower squared weight error than round to nearest with zero points', async () => {
  for (const [k, n, bits] of [[100, 16, 4], [64, 16, 2]] as const) {
    const rng = new Rng(k + bits);
    const w = rng.normalArray(k * n, 0.1);
    for (let i = 0; i < w.length; i += 29) w[i]! *= 6; // outliers, which stretch a block's min/max step
    const a = rng.normalArray(M * k);
    const q = quantizeHqqNMajor(transposeKN(w, k, n), n, k, { bits, blockSize: 32 });
    const { nodes, inits } = matMulNBitsCase(q);
    const y = await runOrt(nodes, inits, { a: new ort.Tensor('float32', a, [M, k]) }, { a: [DataType.FLOAT, [M, k]] }, [M, n]);
    assertClose(y, matmul(a, dequantizeToKMajor(q), M, k, n), 1e-5, `HQQ ${bits}-bit: ORT vs own dequantization`);
    const sqErr = (d: Float32Array) => d.reduce((s, v, i) => s + (v - w[i]!) ** 2, 0);
    const rtn = quantizeKMajor(w, k, n, { bits, blockSize: 32, symmetric: false });
    const [eh, er] = [sqErr(dequantizeToKMajor(q)), sqErr(dequantizeToKMajor(rtn))];
    assert.ok(eh < 0.99 * er, `HQQ ${bits}-bit squared error ${eh} vs RTN ${er}`);
  }
});

for (const type of ['nf4', 'fp4'] as Bnb4Type[]) {
  for (const [k, n, blockSize] of [[64, 16, 64], [33, 7, 16], [100, 10, 32]] as const) {
    test(`MatMulBnb4 ${type}, K ${k}, N ${n}, block ${blockSize}: ORT = own dequantization, each weight on the nearest level`, async () => {
      const rng = new Rng(k * 7 + n);
      const w = rng.normalArray(k * n, 0.1);
      const a = rng.normalArray(M * k);
      const q = quantizeBnb4NMajor(transposeKN(w, k, n), n, k, blockSize, type);
      const nodes = [makeNode('MatMulBnb4', ['a', 'B', 'absmax'], ['y'], 'mm', { K: k, N: n, block_size: blockSize, quant_type: BNB4_QUANT_TYPE[type] }, 'com.microsoft')];
      const inits = [makeTensor('B', [q.packed.length], q.packed), makeTensor('absmax', [q.absmax.length], q.absmax)];
      const y = await runOrt(nodes, inits, { a: new ort.Tensor('float32', a, [M, k]) }, { a: [DataType.FLOAT, [M, k]] }, [M, n]);
      const dq = dequantizeBnb4(q);
      assertClose(y, matmul(a, dq, M, k, n), 1e-5, 'ORT vs own dequantization');
      // Nearest level: no other level of the block is closer to the weight.
      const levels = type === 'nf4'
        ? [-1, -0.6961928, -0.5250731, -0.3949175, -0.2844414, -0.1847734, -0.0910500, 0, 0.0795803, 0.1609302, 0.2461123, 0.3379152, 0.4407098, 0.5626170, 0.7229568, 1]
        : [0, 0.0052083, 0.6666667, 1, 0.3333333, 0.5, 0.1666667, 0.25].flatMap((v) => [v, -v]);
      for (let i = 0; i < k * n; i++) {
        const absmax = q.absmax[Math.floor((((i % n) * k) + Math.floor(i / n)) / blockSize)]!;
        const err = Math.abs(dq[i]! - w[i]!);
        const best = Math.min(...levels.map((l) => Math.abs(l * absmax - w[i]!)));
        assert.ok(err <= best + 1e-4 * absmax, `weight ${i}: error ${err}, nearest level error ${best}`);
      }
    });
  }
}

for (const bits of [4, 2] as NBits[]) {
  for (const symmetric of [true, false]) {
    test(`GatherBlockQuantized uint8 ${bits}-bit ${symmetric ? 'symmetric' : 'with zero points'}, width 80 (block 32 padded): rows equal own dequantization`, async () => {
      const [rows, width, blockSize] = [50, 80, 32];
      const rng = new Rng(rows + width + bits);
      const table = rng.normalArray(rows * width, 0.05);
      const q = quantizeNMajor(table, rows, width, { bits, blockSize, symmetric });
      const ids = BigInt64Array.from([0n, 7n, 49n, 7n, 23n, 1n]);
      const inputs = ['t', 'ids', 's', ...(symmetric ? [] : ['zp'])];
      const inits = [makeTensor('t', [rows, (width * bits) / 8], packGatherData(q)), makeTensor('s', [rows, q.kBlocks], q.scales)];
      if (!symmetric) inits.push(makeTensor('zp', [rows, Math.ceil((q.kBlocks * bits) / 8)], packZeroPoints(q)));
      const nodes = [makeNode('GatherBlockQuantized', inputs, ['y'], 'g', { bits, block_size: blockSize, gather_axis: 0, quantize_axis: 1 }, 'com.microsoft')];
      const y = await runOrt(nodes, inits, { ids: new ort.Tensor('int64', ids, [2, 3]) }, { ids: [DataType.INT64, [2, 3]] }, [2, 3, width]);
      const dq = dequantizeToNMajor(q);
      const expected = new Float64Array(ids.length * width);
      ids.forEach((id, j) => {
        for (let c = 0; c < width; c++) expected[j * width + c] = dq[Number(id) * width + c]!;
      });
      assertClose(y, expected, 1e-6, 'ORT vs own dequantization');
      for (let i = 0; i < expected.length; i++) {
        const row = Number(ids[Math.floor(i / width)]!);
        const c = i % width;
        const step = Math.abs(q.scales[row * q.kBlocks + Math.floor(c / blockSize)]!);
        assert.ok(Math.abs(y[i]! - table[row * width + c]!) <= step * (symmetric ? 1 : 0.5) + 1e-7, `element ${i} within rounding of the float table`);
      }
    });
  }
}

for (const symmetric of [true, false]) {
  test(`blocked INT4 DequantizeLinear ${symmetric ? '(int4, no zero point)' : '(uint4 with zero points)'} + MatMul, K 100 / block 32: ORT = own dequantization`, async () => {
    const [k, n, blockSize] = [100, 12, 32];
    const rng = new Rng(99 + (symmetric ? 1 : 0));
    const w = rng.normalArray(k * n, 0.1);
    const a = rng.normalArray(M * k);
    const q = quantizeKMajor(w, k, n, { bits: 4, blockSize, symmetric });
    const p = packQdqInt4(q, symmetric);
    const inits = [makeTensor('q', [k, n], p.data, symmetric ? DataType.INT4 : DataType.UINT4), makeTensor('s', [q.kBlocks, n], p.scales)];
    if (p.zeroPoints) inits.push(makeTensor('zp', [q.kBlocks, n], p.zeroPoints, DataType.UINT4));
    const nodes = [
      makeNode('DequantizeLinear', ['q', 's', ...(p.zeroPoints ? ['zp'] : [])], ['w'], 'dq', { axis: 0, block_size: blockSize }),
      makeNode('MatMul', ['a', 'w'], ['y'], 'mm'),
    ];
    const feeds = { a: new ort.Tensor('float32', a, [M, k]) };
    // Unoptimised, the graph runs as written: DequantizeLinear then a float MatMul.
    const y = await runOrt(nodes, inits, feeds, { a: [DataType.FLOAT, [M, k]] }, [M, n], { graphOptimizationLevel: 'disabled' });
    const exact = matmul(a, dequantizeToKMajor(q), M, k, n);
    assertClose(y, exact, 1e-5, 'ORT vs own dequantization');
    assertWithin(y, matmul(a, w, M, k, n), roundingBound(a, q, M), 'ORT vs float MatMul');
    // Optimised, ORT fuses the pair into MatMulNBits with int8 activations (accuracy level 4): close, not exact.
    const fused = await runOrt(nodes, inits, feeds, { a: [DataType.FLOAT, [M, k]] }, [M, n]);
    const scale = Math.max(...Array.from(exact, Math.abs));
    for (let i = 0; i < fused.length; i++) assert.ok(Math.abs(fused[i]! - exact[i]!) <= 0.03 * scale, `fused element ${i}: ${fused[i]} vs ${exact[i]}`);
  });
}
