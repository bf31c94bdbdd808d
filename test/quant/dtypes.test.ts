// The --dtype list: names checked against the registry, transformers.js's
// output names, model files and model folders, generated transformer inputs
// that decoders with a KV cache run on, and the command line's bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { UsageError } from '../../src/errors.js';
import { loadModel } from '../../src/onnx/load.js';
import { parseDtypeList, registeredDtypes } from '../../src/quant/dtypes/registry.js';
import { isVariantName, openModelRepo, variantName } from '../../src/quant/dtypes/model-repo.js';
import { generatedFeeds, generatedSample } from '../../src/data/generated-feeds.js';
import { vocabFromModel } from '../../src/data/transformer-feeds.js';
import { inputSpecs } from '../../src/quant/prepare.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir();

test('dtype names: the registry, transformers.js suffixes, usage errors for unknown and unbuilt names', () => {
  assert.deepEqual(parseDtypeList(['fp16,q8', 'q8', ' UINT8 ']).map((e) => e.name), ['fp16', 'q8', 'uint8']);
  assert.deepEqual(Object.fromEntries(registeredDtypes().map((e) => [e.name, e.suffix])),
    { fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', ...Object.fromEntries(registeredDtypes().filter((e) => !['fp16', 'q8', 'int8', 'uint8'].includes(e.name)).map((e) => [e.name, `_${e.name}`])) });
  assert.throws(() => parseDtypeList('q5'), (e: Error) => e instanceof UsageError && /unknown dtype; choose from fp16, q8, int8, uint8/.test(e.message));
  assert.throws(() => parseDtypeList('fp32'), UsageError);
  assert.throws(() => parseDtypeList(''), UsageError);
  if (!registeredDtypes().some((e) => e.name === 'q4')) assert.throws(() => parseDtypeList('q4'), /not built yet/);
  assert.equal(variantName('/x/decoder_model_merged.onnx', '_quantized'), 'decoder_model_merged_quantized.onnx');
  assert.ok(isVariantName('model_q4f16.onnx') && isVariantName('decoder_model_fp16.onnx') && !isVariantName('model.onnx'));
});

test('a model folder: its onnx/ float models (variants skipped), config.json found; a file: config.json above onnx/', () => {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'onnx'), { recursive: true });
  for (const f of ['model.onnx', 'model_fp16.onnx', 'decoder_model_merged.onnx', 'decoder_model_merged_quantized.onnx']) writeFileSync(join(repo, 'onnx', f), '');
  writeFileSync(join(repo, 'config.json'), JSON.stringify({ vocab_size: 77 }));
  const r = openModelRepo(repo);
  assert.deepEqual(r.models.map((m) => m.slice(repo.length + 1)), ['onnx/decoder_model_merged.onnx', 'onnx/model.onnx']);
  assert.equal(r.outDir, join(repo, 'onnx'));
  assert.equal(openModelRepo(join(repo, 'onnx', 'model.onnx')).config?.vocab_size, 77);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  assert.throws(() => openModelRepo(empty), /no float model to convert/);
});

test('generated transformer inputs: in-vocabulary ids, masks of ones, positions, an empty KV cache the decoder runs on', async () => {
  const model = loadModel(fixturePath('gpt2-tiny', 'onnx', 'model.onnx'));
  const specs = inputSpecs(model.proto);
  assert.equal(vocabFromModel(model.proto), 1024);
  const sample = generatedSample(specs, { vocabSize: 1024 });
  const ids = sample.inputs.get('input_ids')!;
  assert.deepEqual(ids.shape, [1, 8]);
  const values = [...(ids.data as BigInt64Array)].map(Number);
  assert.ok(values.every((v) => v >= 0 && v < 1024) && new Set(values).size > 4, `ids spread over the vocabulary: ${values}`);
  assert.deepEqual([...(sample.inputs.get('attention_mask')!.data as BigInt64Array)].map(Number), new Array(8).fill(1));
  assert.deepEqual([...(sample.inputs.get('position_ids')!.data as BigInt64Array)].map(Number), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(sample.inputs.get('past_key_values.0.key')!.shape, [1, 4, 0, 32]);
  const session = await ort.InferenceSession.create(fixturePath('gpt2-tiny', 'onnx', 'model.onnx'));
  const out = await session.run(generatedFeeds(specs, { vocabSize: 1024 }));
  assert.deepEqual(out.logits!.dims, [1, 8, 1024]);
  assert.deepEqual(out['present.3.value']!.dims, [1, 4, 8, 32]);
  await session.release();
  model.close();
  // A model that is no transformer keeps the generic input (zeros for integers).
  const generic = generatedSample([{ name: 'x', dtype: 'int64', shape: [2] }]);
  assert.deepEqual([...(generic.inputs.get('x')!.data as BigInt64Array)], [0n, 0n]);
});

test('CLI: a model file gets its variants beside it; existing outputs need --force; bad names exit 2', () => {
  const work = join(dir, 'cli');
  mkdirSync(work);
  const model = join(work, 'encoder.onnx');
  cpSync(fixturePath('bert-tiny', 'onnx', 'model.onnx'), model);
  const r = runCli([model, '--dtype', 'fp16,uint8']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(work).sort(), ['encoder.onnx', 'encoder_fp16.onnx', 'encoder_uint8.onnx']);
  assert.match(r.stdout, /encoder_fp16\.onnx.*\n.*nodes float16/);
  const json = runCli([model, '--dtype', 'fp16,uint8', '--force', '--json']);
  const reports = JSON.parse(json.stdout) as Array<{ dtype: string; bytes: number; inputBytes: number; fidelity: { cosine: number } }>;
  assert.deepEqual(reports.map((x) => x.dtype), ['fp16', 'uint8']);
  for (const x of reports) assert.ok(x.fidelity.cosine > 0.999, `${x.dtype} cosine ${x.fidelity.cosine}`);
  assert.ok(reports[0]!.bytes < 0.55 * reports[0]!.inputBytes && reports[1]!.bytes < 0.35 * reports[1]!.inputBytes, 'half and quarter size');
  const again = runCli([model, '--dtype', 'fp16']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /encoder_fp16\.onnx exists: pass --force/);
  const unknown = runCli([model, '--dtype', 'fp16,q5']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--dtype q5: unknown dtype; choose from fp16, q8, int8, uint8/);
  // External data under transformers.js's name (model_fp16.onnx_data), which browsers fetch by name.
  const ext = runCli([model, '--dtype', 'q8', '--external-data']);
  assert.equal(ext.code, 0, ext.stderr);
  assert.ok(existsSync(join(work, 'encoder_quantized.onnx_data')), readdirSync(work).join(', '));
  assert.equal(runCli([model, '--dtype', 'fp16', '-o', join(work, 'x.onnx')]).code, 2);
  assert.ok(!existsSync(join(work, 'x.onnx')));
});
