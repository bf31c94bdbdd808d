// A batch of 20 generated models (10 small CNNs, 10 MLPs), static INT8 with
// per-model calibration samples from a config file's overrides, no bench:
// `--jobs 1` against the default (from the CPUs and free memory), the runs
// alternated so drift on a shared machine hits both. Prints wall times and
// whether both ways wrote the same bytes. Figures only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convNet, mlp, writeModel, writeSamples } from '../test/helpers/models.js';
import { availableMemory, defaultJobs } from '../src/batch/default-jobs.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'bin', 'quantize');
const dir = mkdtempSync(join(tmpdir(), 'oq-batch-bench-'));
try {
  const models = join(dir, 'models');
  mkdirSync(models);
  const conv = convNet(1, { channels: [32, 64], size: 32 });
  const dense = mlp(1, { inFeatures: 256, hidden: [512, 512], outFeatures: 64 });
  for (let i = 0; i < 10; i++) {
    writeModel(convNet(100 + i, { channels: [32, 64], size: 32 }).model, join(models, `conv${String(i).padStart(2, '0')}.onnx`));
    writeModel(mlp(200 + i, { inFeatures: 256, hidden: [512, 512], outFeatures: 64 }).model, join(models, `mlp${String(i).padStart(2, '0')}.onnx`));
  }
  writeSamples(join(dir, 'conv-calib'), conv.inputs, 32, 1);
  writeSamples(join(dir, 'mlp-calib'), dense.inputs, 32, 1);
  const config = join(dir, 'quantize.config.json');
  writeFileSync(config, JSON.stringify({
    inputs: ['models'],
    defaults: { bench: false },
    overrides: [{ match: 'conv*.onnx', calibrate: 'conv-calib' }, { match: 'mlp*.onnx', calibrate: 'mlp-calib' }],
  }, null, 2));
  const files = readdirSync(models).map((f) => join(models, f));
  const auto = defaultJobs(files);
  console.log(`20 models (${(files.reduce((s, f) => s + readFileSync(f).length, 0) / 2 ** 20).toFixed(1)} MiB), static INT8 on 32 samples each, no bench`);
  console.log(`machine: ${availableParallelism()} CPUs, ${(availableMemory() / 2 ** 30).toFixed(1)} GiB available: default --jobs ${auto}`);

  const run = (label: string, jobs: string[]): number => {
    const out = join(dir, `out-${label}`);
    rmSync(out, { recursive: true, force: true });
    const t = performance.now();
    execFileSync(process.execPath, [bin, '--config', config, '--out-dir', out, '-q', ...jobs], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    return (performance.now() - t) / 1000;
  };
  const times: Record<string, number[]> = { 'jobs-1': [], default: [] };
  for (let round = 0; round < 2; round++) {
    const order = round % 2 === 0 ? ['jobs-1', 'default'] : ['default', 'jobs-1'];
    for (const label of order) times[label]!.push(run(label, label === 'jobs-1' ? ['--jobs', '1'] : []));
  }
  const best = (xs: number[]): number => Math.min(...xs);
  for (const [label, xs] of Object.entries(times)) {
    console.log(`${label === 'default' ? `default (--jobs ${auto})` : '--jobs 1'}: ${xs.map((x) => `${x.toFixed(1)} s`).join(', ')} (best ${best(xs).toFixed(1)} s)`);
  }
  console.log(`speed-up of the default over --jobs 1: ${(best(times['jobs-1']!) / best(times.default!)).toFixed(2)}x (best of each)`);
  const outs = (label: string): string[] => readdirSync(join(dir, `out-${label}`)).sort();
  const same = outs('jobs-1').every((f) => readFileSync(join(dir, 'out-jobs-1', f)).equals(readFileSync(join(dir, 'out-default', f))));
  console.log(`outputs of both ways byte-identical: ${same ? 'yes' : 'NO'} (${outs('jobs-1').length} files)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
