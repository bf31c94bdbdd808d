import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { allSamples, openDataset } from '../../src/data/dataset.js';
import { SampleFormatError } from '../../src/data/errors.js';
import { asExpected, expectedNpy, expectedNpz, readSample, samplePath } from './sample-files.js';

function throwsFormat(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SampleFormatError, `expected a SampleFormatError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'calib-dataset-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
function scratchDir(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  return dir;
}

describe('openDataset: folder of .npz files', () => {
  const folder = samplePath('folder');

  it('lists the .npz files sorted by name', () => {
    const ds = openDataset(folder, ['input', 'mask']);
    assert.equal(ds.kind, 'npz-folder');
    assert.equal(ds.count, 3);
    const names = ['sample_000.npz', 'sample_001.npz', 'sample_002.npz'].map((n) => join(folder, n));
    assert.deepEqual(ds.files, names);
    assert.deepEqual(ds.sources, names);
  });

  it('yields one sample per file, in order, with every array', async () => {
    const ds = openDataset(folder, ['input', 'mask']);
    const seen = await allSamples(ds);
    assert.equal(seen.length, ds.count);
    seen.forEach((sample, i) => {
      const file = `folder/sample_00${i}.npz`;
      assert.equal(sample.source, join(folder, `sample_00${i}.npz`));
      assert.deepEqual(asExpected(sample.inputs.get('input')!), expectedNpz(file).input);
      assert.deepEqual(asExpected(sample.inputs.get('mask')!).values, [String(i)]);
    });
  });

  it('reads a file only when the iteration reaches it, and can iterate again', async () => {
    const dir = scratchDir('lazy');
    copyFileSync(samplePath('folder', 'sample_000.npz'), join(dir, 'a.npz'));
    writeFileSync(join(dir, 'b.npz'), 'not a zip');
    const ds = openDataset(dir, ['input']);
    assert.equal(ds.count, 2);
    const it1 = ds.samples();
    assert.equal((await it1.next()).value?.source, join(dir, 'a.npz'));
    await assert.rejects(() => it1.next(), { message: new RegExp(`^${escape(join(dir, 'b.npz'))}: not a valid \\.npz \\(zip\\) file`) });
    assert.equal((await ds.samples().next()).value?.source, join(dir, 'a.npz'));
  });

  it('sorts by code unit, skips dot files and other files, follows symlinks', () => {
    const dir = scratchDir('mixed');
    const sample = samplePath('folder', 'sample_000.npz');
    for (const name of ['b.npz', 'B.npz', 'a10.npz', 'a9.npz', '._a.npz', '.hidden.npz']) copyFileSync(sample, join(dir, name));
    writeFileSync(join(dir, 'notes.md'), 'x');
    mkdirSync(join(dir, 'sub.npz'));
    symlinkSync(sample, join(dir, 'link.NPZ'));
    const ds = openDataset(dir, ['input']);
    assert.deepEqual(ds.files.map((f) => f.slice(dir.length + 1)), ['B.npz', 'a10.npz', 'a9.npz', 'b.npz', 'link.NPZ']);
  });

  it('rejects a folder without .npz files, with a hint when it holds .npy files', () => {
    const empty = scratchDir('empty');
    throwsFormat(() => openDataset(empty, ['input']), `${empty}: folder has no sample files (.npz, .npy, .json, .ndjson, .png, .jpg, .webp, .wav, .txt, .jsonl)`);
    const npys = scratchDir('npys');
    copyFileSync(samplePath('batch4.npy'), join(npys, 'a.npy'));
    copyFileSync(samplePath('batch4.npy'), join(npys, 'b.npy'));
    throwsFormat(() => openDataset(npys, ['input']),
      `${npys}: folder has no .npz sample files (it has 2 .npy files; save each sample with np.savez(path, input_name=array) instead)`);
  });
});

describe('openDataset: one .npy holding a batch', () => {
  const file = samplePath('batch4.npy');

  it('has one sample per index of the first axis', () => {
    const ds = openDataset(file, ['input']);
    assert.equal(ds.kind, 'npy-batch');
    assert.equal(ds.count, 4);
    assert.deepEqual(ds.files, [file]);
    assert.deepEqual(ds.sources, [0, 1, 2, 3].map((i) => `${file}[${i}]`));
  });

  it('yields x[i:i+1] under the model input name, keeping a batch axis of 1, as views', async () => {
    const all = expectedNpy('batch4.npy').values!;
    const seen = await allSamples(openDataset(file, ["pixels"]));
    assert.equal(seen.length, 4);
    let buffer: ArrayBufferLike | undefined;
    seen.forEach((sample, i) => {
      assert.equal(sample.source, `${file}[${i}]`);
      assert.deepEqual([...sample.inputs.keys()], ['pixels']);
      const a = sample.inputs.get('pixels')!;
      assert.deepEqual(asExpected(a), { dtype: 'float32', shape: [1, 2, 3], values: all.slice(i * 6, i * 6 + 6) });
      buffer ??= a.data.buffer;
      assert.equal(a.data.buffer, buffer, 'every sample is a view of the same array');
    });
  });

  it('rejects a .npy for a model with several inputs, or none', () => {
    throwsFormat(() => openDataset(file, ['input', 'mask']),
      `${file}: a .npy file holds one input, but the model has 2 (input, mask); use a folder of .npz files, one per sample, with one array per input`);
    throwsFormat(() => openDataset(file, []), new RegExp(`^${escape(file)}: a \\.npy file holds one input, but the model has 0 `));
  });

  it('rejects a 0-d array and an empty first axis', () => {
    throwsFormat(() => openDataset(samplePath('scalar.npy'), ['x']),
      `${samplePath('scalar.npy')}: holds a 0-d array; its first axis must index the samples`);
    throwsFormat(() => openDataset(samplePath('empty.npy'), ['x']), `${samplePath('empty.npy')}: holds no samples (shape 0x3)`);
  });

  it('reports format errors in the file when opening', () => {
    const bad = join(scratch, 'bad.npy');
    writeFileSync(bad, readSample('batch4.npy').subarray(0, 150));
    throwsFormat(() => openDataset(bad, ['x']), `${bad}: truncated: header says 4x2x3 float32 (96 bytes) but 22 bytes follow`);
  });
});

describe('openDataset: one .npz, and bad paths', () => {
  it('treats a single .npz as one sample', async () => {
    const file = samplePath('two_inputs.npz');
    const ds = openDataset(file, ['input', 'mask']);
    assert.equal(ds.kind, 'npz-file');
    assert.equal(ds.count, 1);
    const seen = await allSamples(ds);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].source, file);
    assert.deepEqual(asExpected(seen[0].inputs.get('mask')!), expectedNpz('two_inputs.npz').mask);
  });

  it('rejects a missing path and an unknown file type, naming the path', () => {
    const missing = join(scratch, 'nope');
    throwsFormat(() => openDataset(missing, ['x']), `${missing}: no such file or folder`);
    const other = join(scratch, 'samples.bin');
    writeFileSync(other, 'x');
    throwsFormat(() => openDataset(other, ['x']), `${other}: not a sample folder or file (.npz, .npy, .json, .ndjson, .png, .jpg, .webp, .wav, .txt, .jsonl)`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
