// The test-model generators (test/helpers/models.ts): each variant is a model
// onnxruntime loads and runs, with finite outputs of the declared shape, and
// the same seed gives the same bytes. Also the calibration samples they write.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { parseNpz } from '../../src/data/npz.js';
import { encodeModel } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { halfArrayToFloat32 } from '../../src/onnx/float16.js';
import { int64ToNumber, onnx } from '../../src/onnx/proto.js';
import {
  activationMatMul, convNet, encodeNpy, mlp, randomInputs, writeModel, writeSamples, type GeneratedModel,
} from '../helpers/models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { convHeavy, matmulHeavy } from '../../bench/models.js';

const tmp = makeTempDir('oq-genmodels-');

const variants: Array<[string, () => GeneratedModel]> = [
  ['convNet opset 9', () => convNet(1, { opset: 9 })],
  ['convNet opset 9 withSqueeze', () => convNet(1, { opset: 9, withSqueeze: true })],
  ['convNet opset 11', () => convNet(2, { opset: 11 })],
  ['convNet opset 11 withSqueeze + batchNorm', () => convNet(2, { opset: 11, withSqueeze: true, batchNorm: true })],
  ['convNet opset 13', () => convNet(3)],
  ['convNet opset 13 withSqueeze', () => convNet(3, { withSqueeze: true })],
  ['convNet opset 17', () => convNet(4, { opset: 17 })],
  ['convNet fp16', () => convNet(5, { fp16: true })],
  ['convNet fp16 batchNorm opset 17', () => convNet(5, { fp16: true, batchNorm: true, opset: 17 })],
  ['convNet constant weights', () => convNet(6, { weightsAs: 'constant' })],
  ['convNet constant weights opset 9 batchNorm', () => convNet(6, { weightsAs: 'constant', opset: 9, batchNorm: true })],
  ['convNet batchNorm', () => convNet(7, { batchNorm: true })],
  ['convNet fp16 constant weights withSqueeze', () => convNet(9, { fp16: true, weightsAs: 'constant', withSqueeze: true })],
  ['convNet channels/size', () => convNet(8, { channels: [4, 12], size: 24 })],
  ['mlp MatMul', () => mlp(10)],
  ['mlp Gemm', () => mlp(11, { useMatMul: false })],
  ['mlp Gemm opset 9', () => mlp(12, { useMatMul: false, opset: 9 })],
  ['mlp sharedWeight MatMul', () => mlp(13, { sharedWeight: true })],
  ['mlp sharedWeight Gemm', () => mlp(14, { sharedWeight: true, useMatMul: false })],
  ['mlp sharedWeight opset 11, no hidden', () => mlp(15, { sharedWeight: true, hidden: [], opset: 11 })],
  ['activationMatMul', () => activationMatMul(20)],
  ['activationMatMul opset 9', () => activationMatMul(21, { opset: 9 })],
  ['bench convHeavy (small options)', () => convHeavy(30, { size: 32, stages: [{ channels: 8, convs: 1 }, { channels: 16, convs: 1 }] })],
  ['bench matmulHeavy (small options)', () => matmulHeavy(31, { seq: 4, hidden: 16, ffn: 32, blocks: 2 })],
  ['bench convHeavy', () => convHeavy(0)],
  ['bench matmulHeavy', () => matmulHeavy(0)],
];

function floats(t: ort.Tensor): Float32Array {
  if (t.type === 'float16') return halfArrayToFloat32(new Uint16Array((t.data as Uint16Array).buffer, (t.data as Uint16Array).byteOffset, t.size));
  assert.equal(t.type, 'float32');
  return t.data as Float32Array;
}

async function runModel(g: GeneratedModel, seed = 99): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(encodeModel(g.model), { intraOpNumThreads: 1, graphOptimizationLevel: 'basic' });
  try {
    return await session.run(randomInputs(g.inputs, seed));
  } finally {
    await session.release();
  }
}

describe('generated models run in onnxruntime', () => {
  for (const [name, make] of variants) {
    it(name, async () => {
      const g = make();
      const out = await runModel(g);
      for (const spec of g.outputs) {
        const t = out[spec.name];
        assert.ok(t, `output ${spec.name}`);
        assert.deepEqual([...t.dims], spec.shape);
        const v = floats(t);
        assert.ok(v.every(Number.isFinite), 'finite outputs');
        assert.ok(v.some((x) => x !== v[0]), 'outputs are not all equal');
        assert.ok(v.every((x) => Math.abs(x) < 1e3), 'outputs in a sane range');
      }
      const elemType = g.model.graph!.input![0].type!.tensorType!.elemType;
      assert.equal(elemType, g.inputs[0].dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT);
    });
  }
});

describe('generated model structure', () => {
  it('is deterministic in the seed', () => {
    for (const [name, make] of variants) {
      if (name === 'bench convHeavy' || name === 'bench matmulHeavy') continue; // big; the small-option variants cover them
      assert.deepEqual(encodeModel(make().model), encodeModel(make().model), name);
    }
    assert.notDeepEqual(encodeModel(convNet(1).model), encodeModel(convNet(2).model));
    assert.deepEqual(randomInputs(convNet(1).inputs, 5).x.data, randomInputs(convNet(1).inputs, 5).x.data);
  });

  it('declares the requested opset, IR version and a dynamic batch', () => {
    const m = convNet(1, { opset: 11, irVersion: 6 }).model;
    assert.equal(int64ToNumber(m.opsetImport![0].version), 11);
    assert.equal(int64ToNumber(m.irVersion), 6);
    assert.equal(m.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam, 'batch');
  });

  it('uses pre-13 Squeeze attributes before opset 13 and inputs from 13', () => {
    const old = convNet(1, { opset: 11, withSqueeze: true }).model.graph!.node!.find((n) => n.opType === 'Squeeze')!;
    assert.equal(old.input!.length, 1);
    assert.equal(old.attribute![0].name, 'axes');
    const cur = convNet(1, { opset: 13, withSqueeze: true }).model.graph!.node!.find((n) => n.opType === 'Squeeze')!;
    assert.equal(cur.input!.length, 2);
    assert.equal(convNet(1, { opset: 9 }).model.graph!.node!.some((n) => n.opType === 'Squeeze'), false);
  });

  it('constant weights come from Constant nodes, with no initializers', () => {
    const g = convNet(6, { weightsAs: 'constant', batchNorm: true }).model.graph!;
    assert.equal(g.initializer!.length, 0);
    const consts = g.node!.filter((n) => n.opType === 'Constant');
    assert.equal(consts.length, 10); // 2 conv W+B, 4 BN, fc W+B
    for (const c of consts) assert.equal(c.attribute![0].name, 'value');
    const conv = g.node!.find((n) => n.opType === 'Conv')!;
    assert.ok(consts.some((c) => c.output![0] === conv.input![1]));
  });

  it('fp16 stores every float tensor as FLOAT16', () => {
    const g = convNet(5, { fp16: true, batchNorm: true }).model.graph!;
    for (const t of g.initializer!) assert.equal(t.dataType, DataType.FLOAT16, t.name!);
    assert.equal(g.output![0].type!.tensorType!.elemType, DataType.FLOAT16);
    assert.throws(() => convNet(1, { fp16: true, opset: 11 }));
  });

  it('weights have He-init scale and biases are small and non-zero', () => {
    const init = new Map(convNet(3).model.graph!.initializer!.map((t) => [t.name!, t]));
    const w = init.get('conv2.weight')!;
    const data = new Float32Array(new Uint8Array(w.rawData!).slice().buffer);
    const std = Math.sqrt(data.reduce((s, x) => s + x * x, 0) / data.length);
    const expected = Math.sqrt(2 / (8 * 9));
    assert.ok(Math.abs(std - expected) / expected < 0.15, `std ${std} vs ${expected}`);
    const b = new Float32Array(new Uint8Array(init.get('conv2.bias')!.rawData!).slice().buffer);
    assert.ok(b.every((x) => x !== 0 && Math.abs(x) < 0.5));
  });

  it('sharedWeight feeds one initializer to two MatMuls', () => {
    const g = mlp(13, { sharedWeight: true }).model.graph!;
    const users = g.node!.filter((n) => n.opType === 'MatMul' && n.input![1] === 'fc0.weight');
    assert.equal(users.length, 2);
    assert.equal(g.initializer!.filter((t) => t.name === 'fc0.weight').length, 1);
  });

  it('activationMatMul has one MatMul of two activations and one with a weight', () => {
    const g = activationMatMul(20).model.graph!;
    const inits = new Set(g.initializer!.map((t) => t.name));
    const mms = g.node!.filter((n) => n.opType === 'MatMul');
    assert.equal(mms.length, 2);
    assert.deepEqual(mms[0].input, ['a', 'b']);
    assert.ok(inits.has(mms[1].input![1]));
  });

  it('writeModel writes the encoded bytes', () => {
    const m = mlp(1).model;
    const path = join(tmp, 'mlp.onnx');
    writeModel(m, path);
    const back = onnx.ModelProto.decode(readFileSync(path));
    assert.equal(back.graph!.node!.length, m.graph!.node!.length);
  });
});

describe('calibration samples', () => {
  it('encodeNpy writes numpy 1.0 headers padded to 64 bytes', () => {
    const npy = encodeNpy('<f4', [1, 3, 16, 16], new Uint8Array(0));
    const headerLen = npy[8] | (npy[9] << 8);
    assert.equal((10 + headerLen) % 64, 0);
    const header = new TextDecoder().decode(npy.subarray(10, 10 + headerLen));
    assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 3, 16, 16\), \} *\n$/);
    assert.match(new TextDecoder().decode(encodeNpy('<f2', [5], new Uint8Array(10)).subarray(10)), /'shape': \(5,\), \}/);
  });

  it('writeSamples writes np.savez files holding randomInputs values', () => {
    const g = activationMatMul(1);
    const dir = join(tmp, 'samples');
    const paths = writeSamples(dir, g.inputs, 3, 40);
    assert.deepEqual(paths.map((p) => p.slice(dir.length + 1)), ['sample_000.npz', 'sample_001.npz', 'sample_002.npz']);
    for (let i = 0; i < 3; i++) {
      const bytes = new Uint8Array(readFileSync(paths[i]));
      assert.deepEqual(bytes, new Uint8Array(readFileSync(writeSamples(join(tmp, 'again'), g.inputs, 3, 40)[i])), 'deterministic bytes');
      const arrays = parseNpz(bytes, paths[i]);
      assert.deepEqual([...arrays.keys()], ['a', 'b']);
      const feeds = randomInputs(g.inputs, 40 + i);
      for (const [name, a] of arrays) {
        assert.equal(a.dtype, 'float32');
        assert.deepEqual(a.shape, feeds[name].dims);
        assert.deepEqual(Array.from(a.data as Float32Array), Array.from(feeds[name].data as Float32Array));
      }
    }
  });

  it('writes float16 samples as <f2 and image inputs in [0, 1)', () => {
    const g = convNet(5, { fp16: true });
    const [path] = writeSamples(join(tmp, 'fp16'), g.inputs, 1, 7);
    const x = parseNpz(new Uint8Array(readFileSync(path)), path).get('x')!;
    assert.equal(x.dtype, 'float16');
    assert.deepEqual(x.shape, [1, 3, 16, 16]);
    const v = halfArrayToFloat32(x.data as Uint16Array);
    assert.ok(v.every((e) => e >= 0 && e <= 1));
  });
});
