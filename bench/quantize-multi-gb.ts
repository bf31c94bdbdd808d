// Quantizing a generated decoder of several GB whose weights live in an
// external data file (bench/big-decoder.ts), to 4-bit (MatMulNBits, block
// 32) and to dynamic INT8, each in a child process: wall time against
// copying the model's files, and peak RSS against the target of 1 GiB plus
// the largest tensor. The weights stream through one tensor at a time (read,
// quantize, write), and the written model is loaded and run by ONNX Runtime
// before the tool reports success, as always. Figures only; everything
// written is removed at the end.
//
// `node dist/bench/quantize-multi-gb.js [layers]` (default 14: 3.2 GiB).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIG_DECODER, bigDecoderBytes } from './big-decoder.js';
import { chunkCopy } from './copy-file.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const here = dirname(fileURLToPath(import.meta.url));
const layers = Number(process.argv[2] ?? BIG_DECODER.layers);
const shape = { ...BIG_DECODER, layers };
const largest = 4 * shape.vocab * shape.hidden;

const folderBytes = (d: string): number => readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0);

function run(label: string, script: string, args: string[]): { seconds: number; peakRssBytes: number } {
  const r = spawnSync(process.execPath, [join(here, script), ...args], { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stderr.trim().split('\n').pop()!);
}

const root = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'oq-multigb-'));
try {
  const src = join(root, 'fp32');
  mkdirSync(src);
  const t0 = performance.now();
  execFileSync(process.execPath, [join(here, 'big-decoder.js'), src, String(layers)], { stdio: 'inherit' });
  const genSeconds = (performance.now() - t0) / 1000;
  const size = folderBytes(src);
  console.log(`generated decoder: ${layers} layers, hidden ${shape.hidden}, ffn ${shape.ffn}, vocab ${shape.vocab}: `
    + `${(size / GiB).toFixed(2)} GiB in decoder.onnx + decoder.onnx.data (expected ${(bigDecoderBytes(shape) / GiB).toFixed(2)} GiB), `
    + `largest tensor ${(largest / MiB).toFixed(0)} MiB, written in ${genSeconds.toFixed(1)} s`);

  // The reference: copying the model's files (both in the page cache or not, alike for all runs).
  const copyDir = join(root, 'copy');
  mkdirSync(copyDir);
  let copySeconds = 0;
  for (const f of readdirSync(src)) copySeconds += chunkCopy(join(src, f), join(copyDir, f));
  rmSync(copyDir, { recursive: true });
  console.log(`  copy of the files (64 MiB chunks)  ${copySeconds.toFixed(2)} s`);

  const budget = GiB + largest;
  const report = (name: string, r: { seconds: number; peakRssBytes: number }, out: string): void => {
    const outSize = folderBytes(out);
    console.log(`  ${name.padEnd(34)} ${r.seconds.toFixed(2)} s = ${(r.seconds / copySeconds).toFixed(2)}x the copy (target <= 2x), `
      + `peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB (target <= 1 GiB + largest tensor = ${(budget / MiB).toFixed(0)} MiB), `
      + `output ${(outSize / MiB).toFixed(0)} MiB (${(outSize / size).toFixed(3)}x)`);
    rmSync(out, { recursive: true, force: true });
  };

  const q4 = join(root, 'q4');
  mkdirSync(q4);
  report('q4 (MatMulNBits, block 32, RTN)', run('q4', 'quantize-file-child.js', [join(src, 'decoder.onnx'), join(q4, 'decoder.onnx'), JSON.stringify({ nbits: { bits: 4 } })]), q4);

  const q8 = join(root, 'q8');
  mkdirSync(q8);
  report('q8 (dynamic INT8, quantize --int8)', run('q8', 'cli-with-peak.js', [join(src, 'decoder.onnx'), '--int8', '--no-bench', '-o', join(q8, 'decoder.onnx')]), q8);
} finally {
  rmSync(root, { recursive: true, force: true });
}
