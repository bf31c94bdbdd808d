// Golden values: the quantized weight initializers, scales and zero points of
// small generated Conv/Gemm/MatMul models equal values computed here from the
// formulas (ORT's quant_utils: symmetric int8 per channel, scale =
// (2*absmax) / (qmax - qmin) as float32, q = rint(fround(x / scale))
// clipped), written independently of the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/onnx/load.js';
import { tensorShape } from '../../src/onnx/tensor-data.js';
import { quantizeStatic } from '../../src/quant/quantize-model.js';
import { convNet, mlp, writeModel, writeSamples } from '../helpers/models.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir();

/** Round half to even, written out plainly (not the bit trick the library uses). */
function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function expectedPerChannel(w: Float32Array, shape: number[], axis: number, qmax: number) {
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const absmax = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    absmax[c] = Math.max(absmax[c]!, Math.abs(w[i]!));
  }
  const scales = Array.from(absmax, (a) => {
    const s = (2 * Math.fround(a)) / (2 * qmax);
    return s < 2 ** -126 ? 1 : Math.fround(s);
  });
  const q = Array.from(w, (x, i) => {
    const s = scales[Math.floor(i / inner) % channels]!;
    return Math.min(qmax, Math.max(-qmax, rint(Math.fround(x / s))));
  });
  return { scales, q };
}

for (const reduceRange of [false, true]) {
  for (const [name, make] of [['conv', () => convNet(11)], ['gemm', () => mlp(12, { useMatMul: false })], ['matmul', () => mlp(13)]] as const) {
    test(`${name} weights match the formulas (reduce_range ${reduceRange})`, async () => {
      const g = make();
      const src = join(dir, `${name}.onnx`);
      writeModel(g.model, src);
      writeSamples(join(dir, `${name}-s`), g, 4, 1);
      const model = loadModel(src);
      const { proto } = await quantizeStatic(model, { calibrate: join(dir, `${name}-s`), reduceRange, minIntensity: 0 });
      const inits = new Map((proto.graph!.initializer ?? []).map((t) => [t.name ?? '', t]));
      const qmax = reduceRange ? 64 : 127;
      let checked = 0;
      for (const dq of proto.graph!.node ?? []) {
        if (dq.opType !== 'DequantizeLinear') continue;
        const qName = dq.input![0]!;
        if (!qName.endsWith('_quantized') || /bias|_b$|\.b$/i.test(qName)) continue;
        const original = model.proto.graph!.initializer!.find((t) => `${t.name}_quantized` === qName);
        if (!original || tensorShape(original).length < 2) continue;
        const axisAttr = (dq.attribute ?? []).find((a) => a.name === 'axis');
        const axis = Number(axisAttr!.i);
        const shape = tensorShape(original);
        const { scales, q } = expectedPerChannel(model.float32(original), shape, axis, qmax);
        const gotScales = Array.from(model.float32(inits.get(dq.input![1]!)!));
        const gotQ = Array.from(new Int8Array(model.bytes(inits.get(qName)!).slice().buffer));
        const zp = Array.from(new Int8Array(model.bytes(inits.get(dq.input![2]!)!).slice().buffer));
        assert.deepEqual(gotScales, scales, `${qName} scales`);
        assert.deepEqual(gotQ, q, `${qName} values`);
        assert.ok(zp.every((z) => z === 0), `${qName} zero points are 0`);
        checked++;
      }
      assert.ok(checked >= 2, `checked ${checked} weights`);
    });
  }
}
