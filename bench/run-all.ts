// `npm run bench`: every benchmark script in turn, each in its own process.
// Figures only; nothing here passes or fails on time.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const scripts = ['load-save', 'quant-math', 'quantize-latency', 'dynamic-latency', 'quantize-1gb', 'quantize-multi-gb', 'bench-overhead', 'batch-jobs',
  'fp16-kernels', 'transformer-dtypes', 'lm-nbits', 'encoder-int8', 'calib-memory', 'auto-search']
  .filter((s) => only.length === 0 || only.includes(s))
  .filter((s) => existsSync(join(here, `${s}.js`)));
for (const s of scripts) {
  console.log(`\n=== ${s} ===`);
  execFileSync(process.execPath, [join(here, `${s}.js`)], { stdio: 'inherit' });
}
