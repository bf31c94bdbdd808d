// `quantize bench` as a user runs it: the built CLI in a subprocess, from a
// working directory outside the repository (the helper scripts must be found
// from the build, not from the working directory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { fixturePath, repoRoot } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { schemaErrors } from '../bench/schema.js';

const dir = makeTempDir('oq-bench-cli-');
const digits = fixturePath('digits', 'model.onnx');
const calib = fixturePath('digits', 'calib');
const evalSet = fixturePath('digits', 'eval');
const FAST = ['--warmup', '1', '--runs', '3', '--min-time', '20', '--memory-runs', '2'];

/** The CLI run from `cwd` (default: a temporary folder outside the repository). */
function bench(args: string[], cwd = dir): CliResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/quantize'), 'bench', ...args], {
    cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function cudaLibraryInstalled(): boolean {
  const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
  return readdirSync(bin).some((napi) => existsSync(join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')));
}

let quantizedPath: string | undefined;
function quantized(): string {
  if (quantizedPath) return quantizedPath;
  const out = join(dir, 'digits.int8.onnx');
  // --no-fallback: the static model is benched here even when the default's check finds it slower than FP32 on a busy machine.
  const r = runCli([digits, '--int8', '--calibrate', calib, '-o', out, '--no-bench', '--no-fallback']);
  assert.equal(r.code, 0, r.stderr);
  return (quantizedPath = out);
}

test('bench the quantized digits model: JSON valid against the schema, CPU ran, CUDA skipped with how to install it, Markdown report', () => {
  const md = join(dir, 'report.md');
  const r = bench([digits, quantized(), '--data', evalSet, '--providers', 'cpu,cuda', '--batch-sizes', '1,4', '--price-per-hour', '2.50',
    '--json', '--report', md, '--max-accuracy-drop', '1', ...FAST]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(schemaErrors(report), []);
  assert.equal(report.data.labels, join(evalSet, 'labels.json'), 'labels.json in the data folder is used');
  assert.ok(report.sizeRatio < 0.35, `size ratio ${report.sizeRatio}`);
  const cpu = report.providers[0];
  assert.equal(cpu.name, 'cpu');
  assert.equal(cpu.status, 'ran');
  assert.equal(cpu.samples, 360);
  assert.ok(cpu.outputs[0].cosine > 0.99 && cpu.outputs[0].cosine < 1, `cosine ${cpu.outputs[0].cosine}`);
  assert.ok(cpu.outputs[0].sqnrDb > 20);
  assert.ok(cpu.accuracy.drop <= 1);
  assert.ok(cpu.latency.speedup > 0);
  assert.deepEqual(cpu.batches.map((b: { batch: number }) => b.batch), [1, 4]);
  assert.equal(cpu.cost.length, 2);
  assert.ok(cpu.memory.original.peakRssBytes > 0 && cpu.memory.quantized.peakRssBytes > 0);
  // the quantized model runs integer kernels after ORT's fusion
  const qOps = cpu.memory.quantized.placement[0].ops.map((o: { op: string }) => o.op);
  assert.ok(qOps.some((op: string) => /^Q(Linear|Gemm)/.test(op)), qOps.join(','));
  assert.equal(report.gates[0].passed, true);
  if (!cudaLibraryInstalled()) {
    const cuda = report.providers[1];
    assert.equal(cuda.status, 'skipped');
    assert.match(cuda.reason, /Failed to load shared library/);
    if (process.platform === 'linux') assert.match(cuda.hint, /ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node/);
  }
  const text = readFileSync(md, 'utf8');
  assert.match(text, /^# Benchmark: `model\.onnx` → `digits\.int8\.onnx`/);
  assert.match(text, /## cpu\n/);
  assert.match(text, /### Memory/);
});

test('the terminal table, with every provider tried by default', () => {
  const r = bench([digits, quantized(), '--data', evalSet, ...FAST]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Bench model\.onnx/);
  assert.match(r.stdout, /providers: cpu/);
  assert.match(r.stdout, /not in this build of onnxruntime-node: .*coreml/);
  assert.match(r.stdout, /Fidelity \(360 samples\)/);
  assert.match(r.stdout, /top-1 accuracy \d+\.\d\d% → \d+\.\d\d%/);
  assert.match(r.stdout, /speed-up \d+\.\d\d×/);
  assert.match(r.stdout, /Memory \(each model in its own process, 2 runs\)/);
  assert.match(r.stdout, /quantized\s+CPUExecutionProvider \d+ nodes/);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'NO_COLOR: no escape codes');
});

test('a damaged model trips --max-accuracy-drop with exit code 3 and one line on stderr', () => {
  const damaged = join(dir, 'damaged.onnx');
  const model = loadModel(digits);
  const init = model.proto.graph!.initializer!.find((t) => (t.name ?? '').includes('fc1') && (t.dims ?? []).length === 2)!;
  const w = model.float32(init).slice();
  for (let i = 0; i < w.length; i++) w[i] = w[i]! * (i % 3 === 0 ? -1 : 1.5);
  init.rawData = new Uint8Array(w.buffer);
  saveModel(model.proto, damaged, { source: model });
  model.close();
  const r = bench([digits, damaged, '--data', evalSet, '--providers', 'cpu', '--max-accuracy-drop', '0.5', '--no-memory', ...FAST]);
  assert.equal(r.code, 3, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^error: quality gate failed: cpu: top-1 accuracy dropped \d+\.\d\d points .*more than the 0\.5 allowed$/);
  assert.match(r.stderr, /warning: cpu: output 'logits' cosine/);
  assert.match(r.stdout, /FAIL\s+cpu: top-1 accuracy dropped/, 'the report is still printed');
});

test('--min-speedup not met exits 3; without labels the accuracy gate falls back to top-1 agreement', () => {
  const r = bench([digits, digits, '--data', calib, '--providers', 'cpu', '--min-speedup', '1000', '--max-accuracy-drop', '0', '--no-memory', '--json', ...FAST]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /error: quality gate failed: cpu, batch 1: speed-up \d+\.\d\d× is below the 1000× required/);
  const report = JSON.parse(r.stdout);
  const acc = report.gates.find((g: { gate: string }) => g.gate === 'max-accuracy-drop');
  assert.equal(acc.metric, 'top-1 disagreement');
  assert.equal(acc.passed, true);
});

test('no --data: one generated input, said on stderr; a custom metric module is averaged for both models', () => {
  const metric = join(dir, 'top-score.mjs');
  writeFileSync(metric, 'export default (outputs) => ({ top: Math.max(...outputs.logits.data) });\n');
  const r = bench([digits, quantized(), '--providers', 'cpu', '--metric', metric, '--no-memory', '--json', ...FAST]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: no --data: the models ran on one generated input/);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(schemaErrors(report), []);
  assert.equal(report.data.source, 'generated');
  assert.equal(report.providers[0].samples, 1);
  const v = report.providers[0].custom.values[0];
  assert.equal(v.key, 'top');
  assert.equal(v.samples, 1);
  assert.ok(Math.abs(v.delta - (v.quantized - v.original)) < 1e-12);
  assert.equal(report.providers[0].custom.name, 'top-score');
});

test('bad input: unknown provider (2), bad numbers (2), different inputs (1), samples that do not fit (1), no provider that starts (1)', () => {
  const unknown = bench([digits, digits, '--providers', 'cpu,gpu']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown execution provider 'gpu' \(known: cpu, cuda, tensorrt, webgpu/);

  assert.equal(bench([digits, digits, '--batch-sizes', '1,x']).code, 2);
  assert.equal(bench([digits, digits, '--price-per-hour', '-1']).code, 2);
  assert.equal(bench([digits, digits, '--threads', '0']).code, 2);
  assert.equal(bench([digits]).code, 2, 'two models are needed');

  const other = join(dir, 'other.onnx');
  writeFileSync(other, encodeModel(makeModel(makeGraph({
    nodes: [makeNode('MatMul', ['features', 'w'], ['logits'])],
    inputs: [makeValueInfo('features', DataType.FLOAT, ['N', 4])],
    outputs: [makeValueInfo('logits', DataType.FLOAT, ['N', 10])],
    initializers: [makeTensor('w', [4, 10], new Float32Array(40))],
  }))));
  const differ = bench([other, digits, '--providers', 'cpu', '--no-memory', ...FAST]);
  assert.equal(differ.code, 1, differ.stderr);
  assert.match(differ.stderr, /different inputs: .*other\.onnx takes features; .*model\.onnx takes input/);

  const misfit = bench([digits, digits, '--data', fixturePath('..', 'test', 'data', 'samples', 'folder'), '--providers', 'cpu', '--no-memory']);
  assert.equal(misfit.code, 1, misfit.stderr);
  assert.match(misfit.stderr, /error: .*sample_000\.npz: /);

  if (!cudaLibraryInstalled()) {
    const none = bench([digits, digits, '--data', calib, '--providers', 'cuda', '--no-memory']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no execution provider could run the models: cuda: .*Failed to load shared library/);
  }

  const fixed = join(dir, 'fixed.onnx');
  const m = loadModel(digits);
  m.proto.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimValue: 1 } as never;
  m.proto.graph!.output![0]!.type!.tensorType!.shape!.dim![0] = { dimValue: 1 } as never;
  saveModel(m.proto, fixed, { source: m });
  m.close();
  const batch = bench([fixed, fixed, '--data', calib, '--providers', 'cpu', '--batch', '4', '--no-memory', ...FAST]);
  assert.equal(batch.code, 2, batch.stderr);
  assert.match(batch.stderr, /batch 4: the model's batch dimension is fixed at 1/);
});

test('addBenchOptions fits beside quantize\'s own options, and benchSettings turns them into benchModels options', async () => {
  const { Command } = await import('commander');
  const { addBenchOptions, benchSettings } = await import('../../src/cli/bench.js');
  const cmd = new Command('quantize').exitOverride()
    .option('--threads <n>').option('--labels <file>').option('--json').option('--max-accuracy-drop <x>').option('--no-bench');
  addBenchOptions(cmd);
  cmd.parse(['node', 'quantize', '--threads', '2', '--providers', 'CPU', '--batch-sizes', '1,8,8', '--price-per-hour', '3',
    '--min-speedup', '1.2', '--max-accuracy-drop', '0.5', '--runs', '7', '--no-memory']);
  const s = await benchSettings(cmd.opts());
  assert.deepEqual(s, {
    providers: ['cpu'], threads: 2, batchSizes: [1, 8], pricePerHour: 3,
    latency: { warmupRuns: 5, minRuns: 7, minTimeMs: 1000 }, memory: false, gates: { maxAccuracyDrop: 0.5, minSpeedup: 1.2 },
  });
  await assert.rejects(benchSettings({ runs: '0' }), /--runs must be an integer >= 1/);
});
