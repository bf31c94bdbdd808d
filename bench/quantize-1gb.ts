// Quantizing a generated 1 GiB FP32 MatMul model without calibration data,
// as a user runs it (`quantize big.onnx --int8 --no-bench`, load, quantize,
// check in ONNX Runtime, save), in a child process: wall time against copying
// the file, peak RSS against the file size. Figures only.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import { saveModel } from '../src/onnx/save.js';
import { chunkCopy } from './copy-file.js';

const MiB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));

function generate(file: string): void {
  // 16 layers of 4096 x 4096 float32 (64 MiB each): 1 GiB of weights.
  const n = 4096;
  const nodes = [];
  const inits = [];
  let x = 'x';
  for (let l = 0; l < 16; l++) {
    const w = new Float32Array(n * n);
    for (let i = 0; i < w.length; i++) w[i] = (((i * 2654435761 + l * 97) % 2001) / 1000 - 1) * 0.02;
    inits.push(makeTensor(`w${l}`, [n, n], w));
    nodes.push(makeNode('MatMul', [x, `w${l}`], [`h${l}`], `layer${l}`));
    x = `h${l}`;
  }
  const graph = makeGraph({ nodes, inputs: [makeValueInfo('x', DataType.FLOAT, [1, n])], outputs: [makeValueInfo(x, DataType.FLOAT, [1, n])], initializers: inits });
  saveModel(makeModel(graph), file);
}

if (process.argv[2] === '--generate') {
  generate(process.argv[3]!);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'oq-1gb-'));
try {
  const src = join(dir, 'big.onnx');
  // In a child so this process stays small while the model is made.
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--generate', src], { stdio: 'inherit' });
  const size = statSync(src).size;
  const copySeconds = chunkCopy(src, join(dir, 'copy.onnx'));
  rmSync(join(dir, 'copy.onnx'));
  const r = spawnSync(process.execPath, [join(here, 'cli-with-peak.js'), src, '--int8', '--no-bench', '-o', join(dir, 'big.int8.onnx')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`quantize failed: ${r.stderr}`);
  const stats = JSON.parse(r.stderr.trim().split('\n').pop()!) as { seconds: number; peakRssBytes: number };
  const outSize = statSync(join(dir, 'big.int8.onnx')).size;
  console.log(`1 GiB FP32 MatMul model (${(size / MiB).toFixed(0)} MiB), dynamic INT8 without calibration, whole CLI run:`);
  console.log(`  copy (64 MiB chunks)   ${copySeconds.toFixed(2)} s`);
  console.log(`  quantize --int8        ${stats.seconds.toFixed(2)} s = ${(stats.seconds / copySeconds).toFixed(2)}x the copy (target <= 3x)`);
  console.log(`  peak RSS               ${(stats.peakRssBytes / MiB).toFixed(0)} MiB = ${(stats.peakRssBytes / size).toFixed(2)}x the file size (target <= 1.5x)`);
  console.log(`  output                 ${(outSize / MiB).toFixed(0)} MiB (${(outSize / size).toFixed(3)}x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
