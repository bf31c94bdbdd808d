// The real client: transformers.js (@huggingface/transformers, on the same
// onnxruntime-node) loads the variants `quantize folder/ --dtype ...` wrote
// into a copy of the fixture decoder's folder, from local files only, and
// generates greedily. Every registered dtype is covered (4-bit ones too, as
// soon as they are registered); each must load and generate, and its tokens
// are compared with float32's position by position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registeredDtypes } from '../../src/quant/dtypes/registry.js';
import { variantName } from '../../src/quant/dtypes/model-repo.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const PROMPTS = ['The stream module provides', 'To read a file, call', 'When the server'];
const NEW_TOKENS = 16;
/** Least share of tokens identical to float32's, per dtype; dtypes not listed must load and generate. */
// Low-bit ones measured (3 prompts x 16 tokens): q4 0.67, q4f16 0.69, bnb4 0.56, q2 0.21 (one early
// difference makes the rest of a greedy sequence differ; bits per byte in bench/lm-nbits.ts is the finer measure).
const MIN_SHARE: Record<string, number> = { fp16: 0.95, q8: 0.75, int8: 0.75, uint8: 0.75, q4: 0.5, q4f16: 0.5, bnb4: 0.4, q2: 0.1, q2f16: 0.1 };

test('transformers.js resolves onnxruntime-node to the project\'s own copy (1.30.0)', () => {
  const require = createRequire(import.meta.url);
  const ours = require.resolve('onnxruntime-node');
  const theirs = createRequire(require.resolve('@huggingface/transformers')).resolve('onnxruntime-node');
  assert.equal(theirs, ours);
  assert.equal((require(join(dirname(dirname(ours)), 'package.json')) as { version: string }).version, '1.30.0');
});

test('transformers.js loads every dtype the tool writes into a model folder and generates like float32', async () => {
  const root = makeTempDir();
  const repo = join(root, 'gpt2-tiny');
  mkdirSync(join(repo, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) cpSync(fixturePath('gpt2-tiny', f), join(repo, f));
  cpSync(fixturePath('gpt2-tiny', 'onnx', 'model.onnx'), join(repo, 'onnx', 'model.onnx'));

  const dtypes = registeredDtypes().map((e) => e.name);
  const r = runCli([repo, '--dtype', dtypes.join(','), '--json'], {});
  assert.equal(r.code, 0, r.stderr);
  const reports = JSON.parse(r.stdout) as Array<{ dtype: string; output: string; error?: string }>;
  for (const d of dtypes) {
    const entry = registeredDtypes().find((e) => e.name === d)!;
    const file = join(repo, 'onnx', variantName('model.onnx', entry.suffix));
    assert.ok(existsSync(file), `${d}: ${file} written`);
    assert.ok(reports.some((x) => x.dtype === d && x.output === file && !x.error), `${d} reported`);
  }

  const { env, AutoTokenizer, AutoModelForCausalLM } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
  const tokenizer = await AutoTokenizer.from_pretrained('gpt2-tiny');
  const generate = async (dtype: string): Promise<number[][]> => {
    const model = await AutoModelForCausalLM.from_pretrained('gpt2-tiny', { dtype: dtype as 'fp32' });
    try {
      const out: number[][] = [];
      for (const prompt of PROMPTS) {
        const inputs = tokenizer(prompt);
        const prompted = (inputs.input_ids.tolist() as bigint[][])[0]!.length;
        // Greedy; n-grams not repeated, so the toy model does not loop on blank lines.
        const ids = await model.generate({ ...inputs, max_new_tokens: NEW_TOKENS, do_sample: false, no_repeat_ngram_size: 3 }) as { tolist(): bigint[][] };
        out.push(ids.tolist()[0]!.slice(prompted).map(Number));
      }
      return out;
    } finally {
      await model.dispose();
    }
  };
  const reference = await generate('fp32');
  assert.ok(reference.every((t) => t.length === NEW_TOKENS));
  const shares: Record<string, number> = {};
  for (const d of dtypes) {
    const got = await generate(d);
    let same = 0;
    let total = 0;
    got.forEach((tokens, p) => tokens.forEach((t, i) => {
      total++;
      if (t === reference[p]![i]) same++;
    }));
    assert.equal(total, PROMPTS.length * NEW_TOKENS, `${d} generated every token`);
    shares[d] = same / total;
  }
  console.log(`share of greedy tokens identical to fp32: ${JSON.stringify(shares)}`);
  for (const [d, share] of Object.entries(shares)) {
    if (MIN_SHARE[d] !== undefined) assert.ok(share >= MIN_SHARE[d]!, `${d}: ${share} of tokens identical, expected >= ${MIN_SHARE[d]}`);
  }
});
