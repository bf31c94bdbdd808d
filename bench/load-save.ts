// Load + save of a generated ~1 GiB model, next to copying the same file.
// Each measured step runs in its own child process so its peak RSS is its own.
// Prints figures only; never passes or fails on time.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import { loadModel } from '../src/onnx/load.js';
import { saveModel } from '../src/onnx/save.js';
import { peakRssBytes } from '../src/bench/peak-rss.js';
import { chunkCopy } from './copy-file.js';

const MiB = 1024 * 1024;

function generate(file: string, totalMiB: number, tensorMiB: number): void {
  const tensors = [];
  for (let i = 0; i < totalMiB / tensorMiB; i++) {
    const data = new Float32Array((tensorMiB * MiB) / 4);
    for (let j = 0; j < data.length; j += 1) data[j] = ((j * 2654435761 + i) % 1000) / 1000 - 0.5;
    tensors.push(makeTensor(`w${i}`, [data.length / 1024, 1024], data));
  }
  const graph = makeGraph({ nodes: [makeNode('Identity', ['x'], ['y'])], inputs: [makeValueInfo('x', DataType.FLOAT, [1])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1])], initializers: tensors });
  saveModel(makeModel(graph), file);
}

interface ChildResult { seconds: number; loadSeconds?: number; saveSeconds?: number; peakRssMiB: number }

function child(step: string, ...args: string[]): ChildResult {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', step, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

function runChild(step: string, args: string[]): void {
  const t0 = performance.now();
  const result: Partial<ChildResult> = {};
  if (step === 'copy') chunkCopy(args[0]!, args[1]!);
  else if (step === 'cp') copyFileSync(args[0]!, args[1]!);
  else {
    const model = loadModel(args[0]!);
    const t1 = performance.now();
    saveModel(model.proto, args[1]!, { source: model, externalData: step === 'load-save-external' });
    model.close();
    result.loadSeconds = (t1 - t0) / 1000;
    result.saveSeconds = (performance.now() - t1) / 1000;
  }
  result.seconds = (performance.now() - t0) / 1000;
  result.peakRssMiB = peakRssBytes() / MiB;
  console.log(JSON.stringify(result));
}

function main(): void {
  if (process.argv[2] === '--child') return runChild(process.argv[3]!, process.argv.slice(4));
  const dir = mkdtempSync(join(tmpdir(), 'oq-bench-'));
  try {
    const src = join(dir, 'model.onnx');
    generate(src, 1024, 64);
    const size = statSync(src).size / MiB;
    const copy = child('copy', src, join(dir, 'copy.onnx'));
    const cp = child('cp', src, join(dir, 'cp.onnx'));
    const inline = child('load-save', src, join(dir, 'saved.onnx'));
    const toExternal = child('load-save-external', src, join(dir, 'ext.onnx'));
    const fromExternal = child('load-save-external', join(dir, 'ext.onnx'), join(dir, 'ext2.onnx'));
    const fmt = (r: ChildResult): string => `${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`;
    console.log(`load/save benchmark: generated model ${size.toFixed(0)} MiB (16 tensors of 64 MiB)`);
    console.log(`  copy (64 MiB chunks)          ${fmt(copy)}`);
    console.log(`  copy (fs.copyFileSync)        ${fmt(cp)}`);
    console.log(`  load + save inline            ${fmt(inline)}  (load ${inline.loadSeconds!.toFixed(2)} s, save ${inline.saveSeconds!.toFixed(2)} s)`);
    console.log(`    = ${(inline.seconds / copy.seconds).toFixed(2)}x the chunked copy; peak RSS ${(inline.peakRssMiB / size).toFixed(2)}x the file size (targets: <= 2x, <= 1.5x)`);
    console.log(`  load inline + save external   ${fmt(toExternal)}`);
    console.log(`  load external + save external ${fmt(fromExternal)}  (target: peak RSS <= 512 MiB + largest tensor 64 MiB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
