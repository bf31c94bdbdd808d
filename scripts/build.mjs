// Build: generate the static protobuf module from the ONNX schema, compile
// TypeScript, and put the generated JS beside the compiled code.
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const schema = join(root, 'src/onnx/schema/onnx.proto');
const genDir = join(root, 'src/onnx/generated');
const genJs = join(genDir, 'onnx.js');
const genDts = join(genDir, 'onnx.d.ts');

const stale = !existsSync(genDts) || statSync(genDts).mtimeMs < statSync(schema).mtimeMs;
if (stale) {
  mkdirSync(genDir, { recursive: true });
  // --force-long: int64 fields decode to Long, never to a lossy JS number.
  execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'es6', '--force-long', '--no-verify',
    '--no-convert', '--no-delimited', '--no-service', '-o', genJs, schema], { stdio: 'inherit' });
  execFileSync(bin('pbts'), ['-o', genDts, genJs], { stdio: 'inherit' });
}
// A clean output folder: a test file removed or renamed in src must not keep running from dist.
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(bin('tsc'), ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
const outDir = join(root, 'dist/src/onnx/generated');
mkdirSync(outDir, { recursive: true });
copyFileSync(genJs, join(outDir, 'onnx.js'));
copyFileSync(genDts, join(outDir, 'onnx.d.ts'));
