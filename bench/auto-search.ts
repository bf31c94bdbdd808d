// --auto's cost against a naive search on a generated 30-layer MLP with three
// planted sensitive layer pairs (deepChain): evaluations (candidate models
// judged) and seconds of each, and what each found. The naive search is the
// greedy one-layer-at-a-time loop: while over budget, try every remaining
// integer-kernel layer in float, one candidate each, and keep the best.
// Figures only; nothing passes or fails.
//
//   npm run build && node dist/bench/auto-search.js [--layers 30] [--width 128] [--rows 32] [--budget 1] [--threads 1]
// (budget: 100 × (1 − cosine) of the output against the float model's, over 64 samples of `rows` rows)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepChain } from '../test/helpers/planted-models.js';
import { writeModel } from '../test/helpers/models.js';
import { loadModel } from '../src/onnx/load.js';
import { quantizeStatic } from '../src/quant/quantize-static.js';
import { inputSpecs } from '../src/quant/prepare.js';
import type { Range } from '../src/calib/calibrate.js';
import { searchQuantization } from '../src/auto/search.js';
import { Judge } from '../src/auto/judge.js';
import { readEvalSamples } from '../src/auto/samples.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const layers = arg('layers', 30);
const budget = arg('budget', 1);
const threads = arg('threads', 1);
const width = arg('width', 128);
const rows = arg('rows', 32);

const dir = mkdtempSync(join(tmpdir(), 'oq-auto-bench-'));
try {
  const chain = deepChain(1, layers, width, 10, rows);
  const file = join(dir, 'chain.onnx');
  writeModel(chain.model, file);
  chain.writeSamples(join(dir, 'calib'), 32, 1);
  chain.writeSamples(join(dir, 'eval'), 64, 2);
  const common = { calibrate: join(dir, 'calib'), eval: join(dir, 'eval'), method: 'minmax' as const, threads };

  const t0 = performance.now();
  const auto = await searchQuantization(file, { ...common, maxAccuracyDrop: budget });
  const autoSeconds = (performance.now() - t0) / 1000;
  const chosen = auto.steps[auto.chosenStep]!;

  // The naive greedy search, accuracy only (it measures no latency, which flatters its time).
  const t1 = performance.now();
  const model = loadModel(file);
  const { samples } = await readEvalSamples(join(dir, 'eval'), inputSpecs(model.proto), 1000);
  const judge = await Judge.create(file, file, samples, { threads });
  const ranges = new Map<string, Range>();
  const names = Array.from({ length: layers }, (_, l) => `layer${l}`);
  const floatSet = new Set<string>();
  let value = Infinity;
  let naiveEvaluations = 0;
  const judgeConfig = async (out: Set<string>) => {
    const q = await quantizeStatic(model, { ...common, minIntensity: 0, ranges, exclude: [...out] });
    naiveEvaluations++;
    return (await judge.judge(q.proto, false)).value;
  };
  value = await judgeConfig(floatSet);
  while (value > budget && floatSet.size < layers - 1) {
    let best: { name: string; value: number } | undefined;
    for (const n of names) {
      if (floatSet.has(n)) continue;
      const v = await judgeConfig(new Set([...floatSet, n]));
      if (!best || v < best.value) best = { name: n, value: v };
    }
    floatSet.add(best!.name);
    value = best!.value;
  }
  const naiveSeconds = (performance.now() - t1) / 1000;
  await judge.release();
  model.close();

  console.log(`deepChain: ${layers} Gemm layers of ${width}, batch ${rows}, sensitive pairs planted every 10; budget ${auto.metric} ≤ ${budget} (64 samples × ${rows} rows); ${threads} thread(s)`);
  console.log(`--auto : ${auto.evaluations} candidates judged (latency measured for each) + ${auto.analysisRuns} analysis runs, ${autoSeconds.toFixed(1)} s; ` +
    `found ${chosen.metric.name} ${chosen.metric.value.toFixed(2)} with ${chosen.floatUnits + chosen.weightOnlyUnits} of ${layers} layers out of the integer kernels, ${chosen.speedup.toFixed(2)}× float speed`);
  console.log(`naive  : ${naiveEvaluations} candidates judged (accuracy only), ${naiveSeconds.toFixed(1)} s; found ${value.toFixed(2)} with ${floatSet.size} layers float: ${[...floatSet].join(', ')}`);
  console.log(`--auto out of the integer kernels: ${auto.choice.filter((c) => !c.choice.startsWith('int8')).map((c) => `${c.name} (${c.choice})`).join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
