// Generated models with planted properties, for the per-layer analysis, the
// --auto search, --method auto and the default's fallback:
// - plantedModel: one hypersensitive unit (its input carries an outlier
//   channel 300× the others, so one uint8 scale flattens the rest), two Convs
//   that gain from integer kernels, and one unit slower when quantized (a 1×1
//   Conv, one channel in and out, over a 512×512 map: Q/DQ and the integer
//   kernel measured 2.5× the float Conv);
// - outlierCalibration: a model whose calibration set holds one sample that
//   drives one inner tensor 2000× past its usual range;
// - slowConv: the slow unit alone (static INT8 measured about 2.5× slower);
// - deepChain: an MLP of N layers with a few sensitive ones, for the search's
//   cost against a naive one-layer-at-a-time search.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import type { ModelProto, NodeProto, TensorProto } from '../../src/onnx/proto.js';
import { encodeNpz, Rng } from './models.js';

export interface Planted {
  model: ModelProto;
  /** writes `count` samples into `dir` (seeded) */
  writeSamples(dir: string, count: number, seed: number): void;
}

type Arrays = Record<string, { shape: number[]; data: Float32Array }>;

function writeArrays(dir: string, count: number, make: (i: number) => Arrays): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const arrays = Object.fromEntries(Object.entries(make(i)).map(([k, a]) => [k,
      { descr: '<f4', shape: a.shape, data: new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength) }]));
    writeFileSync(join(dir, `sample_${String(i).padStart(3, '0')}.npz`), encodeNpz(arrays));
  }
}

class Weights {
  readonly list: TensorProto[] = [];
  constructor(readonly rng: Rng) {}
  he(name: string, dims: number[], fanIn: number, scaleChannel?: { axis: number; index: number; factor: number }): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = this.rng.normalArray(n, Math.sqrt(2 / fanIn));
    if (scaleChannel) {
      const inner = dims.slice(scaleChannel.axis + 1).reduce((a, b) => a * b, 1);
      const size = dims[scaleChannel.axis]!;
      for (let i = 0; i < n; i++) if (Math.floor(i / inner) % size === scaleChannel.index) data[i]! *= scaleChannel.factor;
    }
    return this.tensor(name, dims, data);
  }
  axes(name: string, axes: number[]): string {
    this.list.push(makeTensor(name, [axes.length], BigInt64Array.from(axes.map(BigInt))));
    return name;
  }
  tensor(name: string, dims: number[], data: Float32Array): string {
    this.list.push(makeTensor(name, dims, data));
    return name;
  }
}

const conv = (name: string, x: string, w: string, b: string | undefined, y: string, k: number): NodeProto =>
  makeNode('Conv', [x, w, ...(b ? [b] : [])], [y], name, { kernel_shape: [k, k], pads: [k >> 1, k >> 1, k >> 1, k >> 1] });

export const OUTLIER_FACTOR = 300;

export interface PlantedOptions {
  /** side of x (default 48) and channels of the Convs after the sensitive one (default 32) */
  size?: number;
  channels?: number;
  /** side of the slow unit's map (default 512) */
  bigSize?: number;
}

export function plantedModel(seed = 1, opts: PlantedOptions = {}): Planted {
  const rng = new Rng(seed);
  const w = new Weights(rng);
  const size = opts.size ?? 48;
  const c = opts.channels ?? 32;
  const big = opts.bigSize ?? 512;
  const nodes: NodeProto[] = [
    // The hypersensitive unit: input channel 0 is 300× the others; its weights for it are 1/300 so its output is ordinary.
    conv('sensitive', 'x', w.he('sensitive.w', [c, 4, 3, 3], 36, { axis: 1, index: 0, factor: 1 / OUTLIER_FACTOR }), w.tensor('sensitive.b', [c], rng.normalArray(c, 0.05)), 'h', 3),
    makeNode('Relu', ['h'], ['h_relu'], 'sensitive_relu'),
    conv('middle', 'h_relu', w.he('middle.w', [c, c, 3, 3], 9 * c), w.tensor('middle.b', [c], rng.normalArray(c, 0.05)), 'm', 3),
    makeNode('Relu', ['m'], ['m_relu'], 'middle_relu'),
    conv('middle2', 'm_relu', w.he('middle2.w', [c, c, 3, 3], 9 * c), w.tensor('middle2.b', [c], rng.normalArray(c, 0.05)), 'm2', 3),
    makeNode('Relu', ['m2'], ['m2_relu'], 'middle2_relu'),
    makeNode('GlobalAveragePool', ['m2_relu'], ['m_gap'], 'middle_gap'),
    makeNode('Flatten', ['m_gap'], ['m_flat'], 'middle_flatten', { axis: 1 }),
    // The slow unit: one channel in and out, 1×1, over a 256×256 map.
    conv('slow', 'big', w.tensor('slow.w', [1, 1, 1, 1], Float32Array.of(0.8)), w.tensor('slow.b', [1], Float32Array.of(0.1)), 's', 1),
    makeNode('GlobalAveragePool', ['s'], ['s_gap'], 'slow_gap'),
    makeNode('Flatten', ['s_gap'], ['s_flat'], 'slow_flatten', { axis: 1 }),
    makeNode('Concat', ['m_flat', 's_flat'], ['features'], 'concat', { axis: 1 }),
    makeNode('Gemm', ['features', w.he('fc.w', [10, c + 1], c + 1), w.tensor('fc.b', [10], rng.normalArray(10, 0.05))], ['scores'], 'fc', { transB: 1 }),
    // A [1, 10, 1] output is not classifier-shaped: the accuracy figure is 100 × (1 − cosine), which a tight budget can hold to.
    makeNode('Unsqueeze', ['scores', w.axes('axes', [2])], ['y'], 'unsqueeze'),
  ];
  const graph = makeGraph({
    name: 'planted', nodes,
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 4, size, size]), makeValueInfo('big', DataType.FLOAT, [1, 1, big, big])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 10, 1])], initializers: w.list,
  });
  return {
    model: makeModel(graph, 13, 8),
    writeSamples(dir, count, s) {
      writeArrays(dir, count, (i) => {
        const r = new Rng(s * 1000 + i);
        const x = r.normalArray(4 * size * size);
        for (let k = 0; k < size * size; k++) x[k]! *= OUTLIER_FACTOR;
        return { x: { shape: [1, 4, size, size], data: x }, big: { shape: [1, 1, big, big], data: r.uniformArray(big * big) } };
      });
    },
  };
}

/** Factor by which calibration sample 0 drives `spike`'s inner tensor past the others' range. */
export const SPIKE = 2000;

export function outlierCalibration(seed = 1): Planted & { writeCalibration(dir: string, count: number, seed: number): void } {
  const rng = new Rng(seed);
  const w = new Weights(rng);
  // conv1's output channel 0 reads input channel 1 with weight SPIKE; channel 1 is zero except in one calibration sample.
  const w1 = rng.normalArray(8 * 2 * 9, Math.sqrt(2 / 18));
  for (let o = 0; o < 8; o++) for (let k = 0; k < 9; k++) w1[(o * 2 + 1) * 9 + k] = o === 0 ? SPIKE : 0;
  const nodes: NodeProto[] = [
    conv('conv1', 'x', w.tensor('conv1.w', [8, 2, 3, 3], w1), w.tensor('conv1.b', [8], rng.normalArray(8, 0.05)), 'c1', 3),
    makeNode('Relu', ['c1'], ['inner'], 'relu1'),
    conv('conv2', 'inner', w.he('conv2.w', [8, 8, 3, 3], 72), w.tensor('conv2.b', [8], rng.normalArray(8, 0.05)), 'c2', 3),
    makeNode('Relu', ['c2'], ['r2'], 'relu2'),
    makeNode('GlobalAveragePool', ['r2'], ['gap'], 'gap'),
    makeNode('Flatten', ['gap'], ['flat'], 'flatten', { axis: 1 }),
    makeNode('Gemm', ['flat', w.he('fc.w', [10, 8], 8), w.tensor('fc.b', [10], rng.normalArray(10, 0.05))], ['y'], 'fc', { transB: 1 }),
  ];
  const graph = makeGraph({ name: 'outlier', nodes, inputs: [makeValueInfo('x', DataType.FLOAT, [1, 2, 16, 16])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 10])], initializers: w.list });
  const sample = (r: Rng, spike: boolean) => {
    const x = new Float32Array(2 * 256);
    x.set(r.uniformArray(256), 0);
    if (spike) x[256 + 8 * 16 + 8] = 1;
    return { x: { shape: [1, 2, 16, 16], data: x } };
  };
  return {
    model: makeModel(graph, 13, 8),
    writeSamples(dir, count, s) {
      writeArrays(dir, count, (i) => sample(new Rng(s * 1000 + i), false));
    },
    writeCalibration(dir, count, s) {
      writeArrays(dir, count, (i) => sample(new Rng(s * 1000 + i), i === 0));
    },
  };
}

/** `kernel` 3: a 3×3 weight of 9 random values (its int8 form is not exact, unlike one scalar's). */
export function slowConv(kernel: 1 | 3 = 1): Planted {
  const rng = new Rng(1);
  const w = new Weights(rng);
  const weight = kernel === 1 ? Float32Array.of(0.8) : rng.normalArray(9, 0.3);
  const graph = makeGraph({
    name: 'slow', nodes: [conv('slow', 'x', w.tensor('slow.w', [1, 1, kernel, kernel], weight), w.tensor('slow.b', [1], Float32Array.of(0.1)), 'y', kernel)],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 1, 256, 256])], outputs: [makeValueInfo('y', DataType.FLOAT, [1, 1, 256, 256])], initializers: w.list,
  });
  return {
    model: makeModel(graph, 13, 8),
    writeSamples(dir, count, s) {
      writeArrays(dir, count, (i) => ({ x: { shape: [1, 1, 256, 256], data: new Rng(s * 1000 + i).uniformArray(256 * 256) } }));
    },
  };
}

/**
 * x [rows, width] → (Gemm → Relu) × (layers − 1) → Gemm → y [rows, 10, 1]; at every
 * `sensitiveEvery`-th layer one output feature is scaled up 200× and the next
 * layer's weights for it down 200×, so that tensor's uint8 scale flattens the rest.
 */
export function deepChain(seed: number, layers = 30, width = 64, sensitiveEvery = 10, rows = 1): Planted {
  const rng = new Rng(seed);
  const w = new Weights(rng);
  const nodes: NodeProto[] = [];
  let x = 'x';
  for (let l = 0; l < layers; l++) {
    const out = l === layers - 1 ? 10 : width;
    const data = rng.normalArray(out * width, Math.sqrt(2 / width));
    if (l > 0 && (l - 1) % sensitiveEvery === sensitiveEvery - 1) for (let o = 0; o < out; o++) data[o * width] /= 200;
    if (l % sensitiveEvery === sensitiveEvery - 1 && l < layers - 1) for (let i = 0; i < width; i++) data[i] *= 200;
    const weight = w.tensor(`l${l}.w`, [out, width], data);
    const bias = w.tensor(`l${l}.b`, [out], rng.normalArray(out, 0.05));
    const y = l === layers - 1 ? 'scores' : `h${l}`;
    nodes.push(makeNode('Gemm', [x, weight, bias], [y], `layer${l}`, { transB: 1 }));
    if (l < layers - 1) {
      nodes.push(makeNode('Relu', [y], [`r${l}`], `relu${l}`));
      x = `r${l}`;
    }
  }
  // y [rows, 10, 1]: not classifier-shaped, so the budget is on 100 × (1 − cosine) (a deep random net's top-1 flips on any noise).
  nodes.push(makeNode('Unsqueeze', ['scores', w.axes('axes', [2])], ['y'], 'unsqueeze'));
  const graph = makeGraph({ name: 'chain', nodes, inputs: [makeValueInfo('x', DataType.FLOAT, [rows, width])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [rows, 10, 1])], initializers: w.list });
  return {
    model: makeModel(graph, 13, 8),
    writeSamples(dir, count, s) {
      writeArrays(dir, count, (i) => ({ x: { shape: [rows, width], data: new Rng(s * 1000 + i).normalArray(rows * width) } }));
    },
  };
}

/** The planted model at test size (32² input, 16 channels, a 384² slow map) written into `dir` with 12 calibration and `evalCount` evaluation samples. */
export function writePlantedFixture(dir: string, evalCount: number): string {
  const planted = plantedModel(1, { size: 32, channels: 16, bigSize: 384 });
  const model = join(dir, 'planted.onnx');
  writeFileSync(model, encodeModel(planted.model));
  planted.writeSamples(join(dir, 'calib'), 12, 1);
  planted.writeSamples(join(dir, 'eval'), evalCount, 2);
  return model;
}
