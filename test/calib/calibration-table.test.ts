// Reusable calibration tables, memory-bounded grouped passes and carried
// state, through the library: a table saved by one run gives the same
// quantized model without samples; a table from another model is refused
// naming the first tensor that differs; grouped passes give the same ranges
// as one pass; --carry feeds each window the previous window's state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { quantizeFile } from '../../src/quant/quantize-file.js';
import { loadModel } from '../../src/onnx/load.js';
import { openDataset } from '../../src/data/dataset.js';
import { calibrateRanges } from '../../src/calib/calibrate.js';
import { CalibrationTableError } from '../../src/calib/calibration-table.js';
import { openSessionFor } from '../../src/quant/ort-session.js';
import { inputSpecs } from '../../src/quant/prepare.js';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { convNet, writeModel, writeSamples } from '../helpers/models.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('oq-table-');
const modelA = join(tmp, 'a.onnx');
const modelB = join(tmp, 'b.onnx');
const samples = join(tmp, 'samples');
const netA = convNet(1);
writeModel(netA.model, modelA);
writeModel(convNet(2).model, modelB);
writeSamples(samples, netA, 4, 10);

/** Every initializer of a model file by name (the quantized weights, scales and zero points). */
function initializers(file: string): Map<string, string> {
  const m = loadModel(file);
  try {
    return new Map((m.proto.graph!.initializer ?? []).map((t) => [t.name ?? '', Buffer.from(t.rawData ?? []).toString('hex')]));
  } finally {
    m.close();
  }
}

describe('calibration tables', () => {
  const table = join(tmp, 'ranges.json');

  it('a saved table re-quantizes without samples to the same scales and zero points', async () => {
    await quantizeFile(modelA, join(tmp, 'a1.onnx'), { calibrate: samples, method: 'percentile', saveCalibration: table });
    const saved = JSON.parse(readFileSync(table, 'utf8'));
    assert.equal(saved.format, 'onnx-quantize/calibration');
    assert.equal(saved.version, 1);
    assert.equal(saved.method, 'percentile');
    const tensor = Object.values(saved.tensors)[0] as { histogram: { kind: string }; digest: string };
    assert.equal(tensor.histogram.kind, 'signed');
    const out = await quantizeFile(modelA, join(tmp, 'a2.onnx'), { loadCalibration: table, method: 'percentile' });
    assert.equal(out.report.mode, 'static');
    assert.deepEqual(initializers(join(tmp, 'a2.onnx')), initializers(join(tmp, 'a1.onnx')));
    // The observed ranges in the table give what a fresh MinMax calibration gives.
    await quantizeFile(modelA, join(tmp, 'a3.onnx'), { calibrate: samples, method: 'minmax' });
    await quantizeFile(modelA, join(tmp, 'a4.onnx'), { loadCalibration: table, method: 'minmax' });
    assert.deepEqual(initializers(join(tmp, 'a4.onnx')), initializers(join(tmp, 'a3.onnx')));
  });

  it('refuses a method whose histogram the table lacks, saying what to do', async () => {
    await assert.rejects(() => quantizeFile(modelA, join(tmp, 'a5.onnx'), { loadCalibration: table, method: 'entropy' }),
      (e: unknown) => e instanceof CalibrationTableError && /saved with --method percentile and holds no \|x\| histograms for --method entropy/.test(e.message));
  });

  it('refuses a table made on another model, naming the first tensor that differs', async () => {
    await assert.rejects(() => quantizeFile(modelB, join(tmp, 'b1.onnx'), { loadCalibration: table }),
      (e: unknown) => e instanceof CalibrationTableError && e.message.startsWith(`${table}: does not match this model: tensor '`)
        && /\((Conv|Relu) [^)]*\) differs/.test(e.message) && e.message.includes(modelA));
  });

  it('refuses a file that is not a table', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"format": "something"}');
    await assert.rejects(() => quantizeFile(modelA, join(tmp, 'a6.onnx'), { loadCalibration: bad }),
      (e: unknown) => e instanceof CalibrationTableError && /not a calibration table/.test(e.message));
  });
});

describe('grouped passes within a memory budget', () => {
  it('give the same percentile and entropy ranges as one pass, and say how many groups', async () => {
    const m = loadModel(modelA);
    const specs = inputSpecs(m.proto);
    const tensors = (m.proto.graph!.node ?? []).filter((n) => n.opType !== 'Gemm').map((n) => n.output![0]!);
    const ds = openDataset(samples, specs);
    const open = (p: typeof m.proto) => openSessionFor(p, modelA);
    for (const method of ['percentile', 'entropy'] as const) {
      const whole = await calibrateRanges(m.proto, tensors, DataType.FLOAT, ds, specs.map((s) => s.name), open, { method });
      let groups = 0;
      const grouped = await calibrateRanges(m.proto, tensors, DataType.FLOAT, ds, specs.map((s) => s.name), open,
        { method, memoryBytes: 1, onGroups: (g) => (groups = g) });
      assert.equal(groups, tensors.length);
      assert.deepEqual(grouped, whole);
    }
    m.close();
  });
});

describe('--carry', () => {
  it('feeds each window the previous window\'s state, zero at each file\'s start', async () => {
    // state_out = state + 1: after k windows of a file the state is k, so the
    // calibrated range of state_out is [1, windows of the longest file].
    const file = join(tmp, 'counter.onnx');
    const graph = makeGraph({
      nodes: [makeNode('Add', ['state', 'one'], ['state_out'], 'count'), makeNode('Mul', ['x', 'state_out'], ['y'], 'scale')],
      inputs: [makeValueInfo('x', DataType.FLOAT, [1, 1000]), makeValueInfo('state', DataType.FLOAT, [1, 1])],
      outputs: [makeValueInfo('y', DataType.FLOAT, [1, 1000]), makeValueInfo('state_out', DataType.FLOAT, [1, 1])],
      initializers: [makeTensor('one', [1, 1], new Float32Array([1]))],
    });
    writeModel(makeModel(graph), file);
    const audio = join(tmp, 'audio');
    mkdirSync(audio);
    for (const [name, windows] of [['a.wav', 3], ['b.wav', 5]] as const) {
      const w = new wavefile.WaveFile();
      w.fromScratch(1, 8000, '32f', new Float64Array(windows * 1000).fill(0.25));
      writeFileSync(join(audio, name), w.toBuffer(), { flag: 'w' });
    }
    const m = loadModel(file);
    const specs = inputSpecs(m.proto);
    const open = (p: typeof m.proto) => openSessionFor(p, file);
    const ds = openDataset(audio, specs, { carry: [{ output: 'state_out', input: 'state' }] });
    assert.equal(ds.count, 8);
    // Carried and reset per file: at most 5 (b.wav's windows); 8 would mean no reset, 1 no carry.
    for (const method of ['minmax', 'percentile'] as const) {
      const ranges = await calibrateRanges(m.proto, ['state_out', 'y'], DataType.FLOAT, ds, ['x', 'state'], open, { method, memoryBytes: 1 });
      const round = (r: { min: number; max: number } | undefined) => r && { min: +r.min.toFixed(5), max: +r.max.toFixed(5) };
      assert.deepEqual(round(ranges.get('state_out')), { min: 1, max: 5 }, method);
      assert.deepEqual(round(ranges.get('y')), { min: 0.25, max: 1.25 }, method);
    }
    m.close();
  });
});
