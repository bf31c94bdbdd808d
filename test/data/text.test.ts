// Text to token inputs through the committed small WordPiece tokenizer.json
// (test/data/text/: a 12-token vocabulary, so the expected ids below are
// read off the vocabulary by hand, not taken from the code under test).
import { describe, it } from 'node:test';
import { cpSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allSamples, openDataset } from '../../src/data/dataset.js';
import { SampleFormatError, SampleSpecError } from '../../src/data/errors.js';
import type { InputSpec } from '../../src/data/validate.js';
import { repoRoot } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = join(repoRoot, 'test', 'data', 'text');
const bert = (seq: number | string): InputSpec[] => ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({ name, dtype: 'int64', shape: [1, seq] }));
const ids = (s: { inputs: Map<string, { data: unknown }> }, name = 'input_ids'): number[] => Array.from(s.inputs.get(name)!.data as BigInt64Array, Number);

describe('text through tokenizer.json', () => {
  it('gives the known ids, one sample per non-empty line, unpadded for a dynamic sequence axis', async () => {
    const ds = openDataset(join(dir, 'sentences.txt'), bert('seq'), { modelDir: dir });
    assert.deepEqual(ds.sources, [1, 3, 4].map((l) => `${join(dir, 'sentences.txt')}:${l}`));
    const samples = await allSamples(ds);
    // [CLS] hello world ##s ! [SEP] / [CLS] quant ##ize the model [SEP] / [CLS] [UNK] [SEP]
    assert.deepEqual(samples.map((s) => ids(s)), [[2, 4, 5, 6, 9, 3], [2, 7, 8, 10, 11, 3], [2, 1, 3]]);
    assert.deepEqual(ids(samples[0]!, 'attention_mask'), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(ids(samples[0]!, 'token_type_ids'), [0, 0, 0, 0, 0, 0]);
    assert.match(ds.description[0]!, /tokenizer\.json, max length 512/);
  });

  it('truncates (keeping [SEP]) and pads to the model\'s fixed length; position_ids count up', async () => {
    const specs: InputSpec[] = [...bert(4), { name: 'position_ids', dtype: 'int64', shape: [1, 4] }];
    const samples = await allSamples(openDataset(join(dir, 'sentences.txt'), specs, { modelDir: dir }));
    assert.deepEqual(ids(samples[1]!), [2, 7, 8, 3]);
    assert.deepEqual(ids(samples[2]!), [2, 1, 3, 0]);
    assert.deepEqual(ids(samples[2]!, 'attention_mask'), [1, 1, 1, 0]);
    assert.deepEqual(ids(samples[2]!, 'position_ids'), [0, 1, 2, 3]);
  });

  it('reads .jsonl by field; int32 inputs get int32 ids', async () => {
    const specs: InputSpec[] = [{ name: 'input_ids', dtype: 'int32', shape: [1, 'n'] }];
    const [a, b] = await allSamples(openDataset(join(dir, 'sentences.jsonl'), specs, { modelDir: dir, text: { maxLength: 8, pad: true } }));
    assert.deepEqual(Array.from(a!.inputs.get('input_ids')!.data as Int32Array), [2, 4, 5, 6, 9, 3, 0, 0]);
    assert.deepEqual(Array.from(b!.inputs.get('input_ids')!.data as Int32Array), [2, 10, 11, 3, 0, 0, 0, 0]);
  });

  it('finds tokenizer.json above an onnx/ folder (a Hugging Face repository\'s layout)', async () => {
    const repo = makeTempDir('oq-text-repo-');
    mkdirSync(join(repo, 'onnx'));
    cpSync(join(dir, 'tokenizer.json'), join(repo, 'tokenizer.json'));
    const [a] = await allSamples(openDataset(join(dir, 'sentences.txt'), bert(8), { modelDir: join(repo, 'onnx') }));
    assert.ok(a!.inputs.get('input_ids')!.data.length > 0);
  });

  it('refuses a model folder without tokenizer.json, and inputs text cannot fill', () => {
    const empty = makeTempDir('oq-text-');
    assert.throws(() => openDataset(join(dir, 'sentences.txt'), bert(8), { modelDir: empty }),
      (e: unknown) => e instanceof SampleFormatError && e.message === `${join(empty, 'tokenizer.json')}: text samples need the model's tokenizer.json beside the model, or above its onnx/ folder (none found)`);
    assert.throws(() => openDataset(join(dir, 'sentences.txt'), [...bert(8), { name: 'pixel_values', dtype: 'float32', shape: [1, 3] }], { modelDir: dir }),
      (e: unknown) => e instanceof SampleSpecError && /also takes 'pixel_values'/.test(e.message));
  });
});
