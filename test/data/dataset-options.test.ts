// openDataset's other sources and options: JSON / NDJSON tensors, integer
// inputs passed through, samples of different shapes, --max-samples,
// --shuffle --seed, and the NaN/Inf check (error, or skip with a warning).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allSamples, openDataset } from '../../src/data/dataset.js';
import { SampleFormatError } from '../../src/data/errors.js';
import type { InputSpec } from '../../src/data/validate.js';
import { samplePath } from './sample-files.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('oq-dsopt-');
const specs: InputSpec[] = [
  { name: 'x', dtype: 'float32', shape: ['n', 'k'] },
  { name: 'ids', dtype: 'int64', shape: [1, 'k'] },
];

describe('JSON and NDJSON samples', () => {
  it('reads nested arrays keyed by input name, typed by the model, int64 exact, shapes free per sample', async () => {
    const file = join(tmp, 'samples.ndjson');
    writeFileSync(file, `${JSON.stringify({ x: [[0.5, -1.25]], ids: [[9007199254740991, 3]] })}\n\n${JSON.stringify({ x: [[1, 2, 3]], ids: [[1, 2, 3]] })}\n`);
    const ds = openDataset(file, specs);
    assert.equal(ds.kind, 'json');
    assert.equal(ds.count, 2);
    const [a, b] = await allSamples(ds);
    assert.equal(a!.source, `${file}:1`);
    assert.deepEqual(a!.inputs.get('x'), { dtype: 'float32', shape: [1, 2], data: new Float32Array([0.5, -1.25]) });
    assert.deepEqual(a!.inputs.get('ids'), { dtype: 'int64', shape: [1, 2], data: new BigInt64Array([9007199254740991n, 3n]) });
    assert.deepEqual(b!.inputs.get('x')!.shape, [1, 3]);
    assert.equal(b!.source, `${file}:3`);
  });

  it('a .json file is one sample or a list; a folder of them is a dataset', async () => {
    const folder = join(tmp, 'json');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.json'), JSON.stringify({ x: [[1]], ids: [[1]] }));
    writeFileSync(join(folder, 'b.json'), JSON.stringify([{ x: [[2]], ids: [[2]] }, { x: [[3]], ids: [[3]] }]));
    const samples = await allSamples(openDataset(folder, specs));
    assert.deepEqual(samples.map((s) => (s.inputs.get('x')!.data as Float32Array)[0]), [1, 2, 3]);
    assert.deepEqual(samples.map((s) => s.source.slice(folder.length + 1)), ['a.json', 'b.json[0]', 'b.json[1]']);
  });

  it('refuses ragged arrays, fractions for integer inputs and non-objects, naming the place', async () => {
    const bad = (name: string, text: string, re: RegExp): Promise<void> => {
      const file = join(tmp, name);
      writeFileSync(file, text);
      return assert.rejects(async () => allSamples(openDataset(file, specs)), (e: unknown) => e instanceof SampleFormatError && re.test(e.message));
    };
    await bad('r.json', JSON.stringify({ x: [[1, 2], [3]] }), /r\.json: input 'x': ragged array: \[1\] has 1 elements, expected 2/);
    await bad('f.json', JSON.stringify({ ids: [[1.5]] }), /f\.json: input 'ids': input is int64 but the value 1\.5 is not an integer at \[0,0\]/);
    await bad('l.json', '[1, 2]', /l\.json\[0\]: a sample must be a JSON object/);
    await bad('s.ndjson', '{"x": [1]}\n{oops', /s\.ndjson:2: not valid JSON/);
  });
});

describe('--max-samples, --shuffle --seed', () => {
  const folder = samplePath('folder');

  it('caps the number of samples, keeping the order', async () => {
    const ds = openDataset(folder, ['input', 'mask'], { maxSamples: 2 });
    assert.equal(ds.count, 2);
    assert.deepEqual((await allSamples(ds)).map((s) => s.source), ds.sources);
    assert.deepEqual(ds.sources, openDataset(folder, ['input', 'mask']).sources.slice(0, 2));
  });

  it('shuffles reproducibly by seed, a permutation of the files', () => {
    const names = (seed: number): string[] => openDataset(samplePath('batch4.npy'), ['x'], { shuffle: true, seed }).sources;
    const plain = openDataset(samplePath('batch4.npy'), ['x']).sources;
    assert.deepEqual(names(1), names(1));
    assert.deepEqual([...names(1)].sort(), [...plain].sort());
    const orders = new Set([0, 1, 2, 3, 4, 5].map((s) => names(s).join()));
    assert.ok(orders.size > 1, 'different seeds give different orders');
  });
});

describe('NaN and infinite values', () => {
  it('fails naming the file, the input and the first bad index', async () => {
    const file = join(tmp, 'bad.ndjson');
    writeFileSync(file, `${JSON.stringify({ x: [[1, 2]], ids: [[1, 2]] })}\n${JSON.stringify({ x: [[1, 'Infinity'], [2, 'NaN']], ids: [[1, 2]] })}\n`);
    await assert.rejects(async () => allSamples(openDataset(file, specs)),
      (e: unknown) => e instanceof SampleFormatError && e.message === `${file}:2: input 'x' holds Infinity at index [0,1] (pass --skip-bad-samples to skip such samples)`);
  });

  it('with --skip-bad-samples: warns and skips the sample', async () => {
    const file = join(tmp, 'bad2.ndjson');
    writeFileSync(file, `${JSON.stringify({ x: [['NaN']], ids: [[1]] })}\n${JSON.stringify({ x: [[1]], ids: [[1]] })}\n`);
    const warnings: string[] = [];
    const samples = await allSamples(openDataset(file, specs, { skipBadSamples: true, onWarning: (w) => warnings.push(w) }));
    assert.deepEqual(samples.map((s) => s.source), [`${file}:2`]);
    assert.deepEqual(warnings, [`${file}:1: input 'x' holds NaN at index [0,0]: sample skipped`]);
  });
});
