// IR 10+ content must survive load -> save: node/graph/value/tensor
// metadata_props, FLOAT8 and INT4 initializers, function fields, and fields
// this schema does not know. A model newer than the schema is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo, encodeModel } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { onnx, toLong } from '../../src/onnx/proto.js';
import { ModelFormatError } from '../../src/errors.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir();

function ir10Model(): onnx.ModelProto {
  const f8 = makeTensor('f8', [4], Uint8Array.of(0x38, 0x40, 0xb8, 0x7f), DataType.FLOAT8E4M3FN);
  const i4 = makeTensor('i4', [3], Uint8Array.of(0x21, 0x0f), DataType.INT4); // 3 nibbles packed in 2 bytes
  const node = makeNode('Identity', ['x'], ['y'], 'id0');
  node.metadataProps = [{ key: 'source', value: 'layer1.py:12' }];
  node.overload = 'ov';
  const graph = makeGraph({
    nodes: [node],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['n', 3])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['n', 3])],
    initializers: [f8, i4],
  });
  graph.metadataProps = [{ key: 'graph-note', value: 'g' }];
  graph.input![0]!.metadataProps = [{ key: 'unit', value: 'meters' }];
  f8.metadataProps = [{ key: 'tensor-note', value: 't' }];
  const model = makeModel(graph, 21, 10) as onnx.ModelProto;
  model.functions = [new onnx.FunctionProto({ name: 'f', domain: 'local', input: ['a'], output: ['b'], overload: 'o1',
    node: [makeNode('Relu', ['a'], ['b'])], metadataProps: [{ key: 'fn', value: 'meta' }] })];
  model.metadataProps = [{ key: 'author', value: 'test' }];
  return model;
}

test('IR 10 features survive load -> save byte for byte', () => {
  const bytes = encodeModel(ir10Model());
  // A field number no ONNX version defines (ModelProto field 99, a string): kept as an unknown field.
  const unknown = Buffer.from([0x9a, 0x06, 0x03, 0x61, 0x62, 0x63]);
  const src = join(dir, 'ir10.onnx');
  writeFileSync(src, Buffer.concat([bytes, unknown]));
  const model = loadModel(src);
  const out = join(dir, 'ir10.out.onnx');
  saveModel(model.proto, out, { source: model });
  assert.deepEqual(readFileSync(out), readFileSync(src));

  const back = loadModel(out).proto;
  const g = back.graph!;
  assert.deepEqual(g.node![0]!.metadataProps!.map((e) => [e.key, e.value]), [['source', 'layer1.py:12']]);
  assert.equal(g.node![0]!.overload, 'ov');
  assert.deepEqual(g.metadataProps!.map((e) => e.key), ['graph-note']);
  assert.deepEqual(g.input![0]!.metadataProps!.map((e) => e.value), ['meters']);
  const [f8, i4] = g.initializer!;
  assert.equal(f8!.dataType, DataType.FLOAT8E4M3FN);
  assert.deepEqual([...f8!.rawData!], [0x38, 0x40, 0xb8, 0x7f]);
  assert.equal(f8!.metadataProps![0]!.value, 't');
  assert.equal(i4!.dataType, DataType.INT4);
  assert.deepEqual([...i4!.rawData!], [0x21, 0x0f]);
  assert.equal(back.functions![0]!.overload, 'o1');
  assert.equal(back.functions![0]!.metadataProps![0]!.value, 'meta');
});

test('a model with an IR version newer than the schema is refused, not trimmed', () => {
  const model = ir10Model();
  model.irVersion = toLong(13);
  const file = join(dir, 'ir13.onnx');
  writeFileSync(file, encodeModel(model));
  assert.throws(() => loadModel(file), (err: unknown) =>
    err instanceof ModelFormatError && /IR version 13/.test(err.message) && err.message.includes(file));
});

test('typed fields (float_data, int64_data) are read like raw_data', async () => {
  const { tensorToFloat32, tensorToNumbers } = await import('../../src/onnx/tensor-data.js');
  const t = new onnx.TensorProto({ name: 'a', dims: [toLong(3)], dataType: DataType.FLOAT, floatData: [1.5, -2, 3] });
  assert.deepEqual([...tensorToFloat32(t, { file: 'x' })], [1.5, -2, 3]);
  const big = new onnx.TensorProto({ name: 'b', dims: [toLong(2)], dataType: DataType.INT64,
    int64Data: [toLong(-7), onnx.TensorProto.decode(onnx.TensorProto.encode({ int64Data: [toLong(5)] }).finish()).int64Data[0]!] });
  assert.deepEqual(tensorToNumbers(big, { file: 'x' }), [-7, 5]);
  const half = new onnx.TensorProto({ name: 'h', dims: [toLong(2)], dataType: DataType.FLOAT16, int32Data: [0x3c00, 0xc000] });
  assert.deepEqual([...tensorToFloat32(half, { file: 'x' })], [1, -2]);
});
