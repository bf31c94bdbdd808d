// Calibration on a big model (a generated 1024x1024 U-Net, bench/unet.ts):
//  1. peak RSS and time of `quantize --calibrate` (percentile: its histogram
//     pass exposes every calibrated tensor) with --calib-memory 512MiB
//     against unlimited, with N samples and 10x N, each in its own process;
//  2. calibration time (minmax, percentile, entropy) against plain FP32
//     inference over the same samples, in this process.
// Figures only; nothing passes or fails on time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { unet } from './unet.js';
import { writeModel, writeSamples } from '../test/helpers/models.js';
import { loadModel } from '../src/onnx/load.js';
import { openDataset } from '../src/data/dataset.js';
import { calibrateRanges } from '../src/calib/calibrate.js';
import { openSessionFor } from '../src/quant/ort-session.js';
import { inputSpecs } from '../src/quant/prepare.js';
import { DataType } from '../src/onnx/dtypes.js';
import { probeShapes } from '../src/calib/probe-sizes.js';
import { firstSample } from '../src/data/dataset.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.CALIB_SAMPLES ?? 2);
const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'oq-unet-'));

function cli(args: string[]): { seconds: number; peakRssBytes: number; stdout: string } {
  let stderr = '';
  let stdout = '';
  try {
    stdout = execFileSync(process.execPath, [join(here, 'cli-with-peak.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * MiB });
  } catch (err) {
    throw new Error(`quantize ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  void stderr;
  return { ...JSON.parse(readFileSync(join(dir, 'peak.json'), 'utf8')), stdout };
}

try {
  const g = unet(1, { base: Number(process.env.UNET_BASE ?? 16) });
  const model = join(dir, 'unet.onnx');
  writeModel(g.model, model);
  const small = join(dir, 'calib-small');
  const large = join(dir, 'calib-large');
  writeSamples(small, g, N, 1);
  writeSamples(large, g, N * 10, 1);
  const tableFile = join(dir, 'table.json');
  console.log(`U-Net 1024x1024 (${(g.model.graph!.node ?? []).length} nodes), samples of 12 MiB; peak RSS = VmHWM of the whole quantize process`);

  // 1. Peak memory and time, each run its own process.
  const rows: string[] = [];
  for (const [label, samples, count] of [['N', small, N], ['10N', large, N * 10]] as const) {
    for (const memory of ['512MiB', '64GiB']) {
      const args = [model, '--int8', '--calibrate', samples, '--method', 'percentile', '--calib-memory', memory, '--no-bench', '--json',
        '-o', join(dir, 'out.onnx'), '--force', ...(label === 'N' && memory === '64GiB' ? ['--save-calibration', tableFile] : [])];
      const r = cli(args.concat(['--peak-file', join(dir, 'peak.json')]));
      const notes = (JSON.parse(r.stdout).notes as string[]).filter((n) => n.includes('groups'));
      rows.push(`  ${String(count).padStart(3)} samples, --calib-memory ${memory.padEnd(6)}: peak RSS ${(r.peakRssBytes / MiB).toFixed(0).padStart(5)} MiB, ${r.seconds.toFixed(1).padStart(6)} s  ${notes[0] ?? '(one group)'}`);
      console.log(rows[rows.length - 1]);
    }
  }

  // 2. Calibration time against plain inference over the same N samples.
  const tensors = Object.keys(JSON.parse(readFileSync(tableFile, 'utf8')).tensors);
  const m = loadModel(model);
  const specs = inputSpecs(m.proto);
  const ds = openDataset(small, specs);
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  let t = performance.now();
  for await (const s of ds.samples()) await session.run({ image: new ort.Tensor('float32', s.inputs.get('image')!.data as Float32Array, s.inputs.get('image')!.shape) });
  const plain = (performance.now() - t) / 1000;
  await session.release();
  // Tensor sizes as quantize's own shape probe gives them (not timed: quantize runs it for its cost rule anyway).
  const open = (p: typeof m.proto) => openSessionFor(p, model);
  const shapes = await probeShapes(m.proto, tensors, DataType.FLOAT, (await firstSample(ds))!.inputs, ['image'], open);
  const tensorBytes = new Map([...shapes].map(([k, d]) => [k, d.reduce((a, b) => a * b, 4)]));
  console.log(`calibration of ${tensors.length} tensors (${([...tensorBytes.values()].reduce((a, b) => a + b, 0) / MiB).toFixed(0)} MiB a sample) on ${N} samples `
    + `against plain inference (${plain.toFixed(2)} s, session already open; calibration times include opening their sessions):`);
  for (const [method, budget] of [['minmax', 512], ['percentile', 512], ['percentile', 64 * 1024], ['entropy', 512], ['entropy', 64 * 1024]] as const) {
    t = performance.now();
    let groups = 1;
    await calibrateRanges(m.proto, tensors, DataType.FLOAT, ds, ['image'], open, { method, memoryBytes: budget * MiB, tensorBytes, onGroups: (g) => (groups = g) });
    const s = (performance.now() - t) / 1000;
    console.log(`  ${method.padEnd(10)} --calib-memory ${String(budget).padStart(5)} MiB (${groups} group${groups > 1 ? 's' : ''}): ${s.toFixed(2).padStart(6)} s = ${(s / plain).toFixed(2)}x plain inference (target ${method === 'minmax' ? '1.5' : '3'}x)`);
  }
  m.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
