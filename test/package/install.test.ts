// The package as a user gets it: `npm pack` holds the compiled CLI and
// nothing it does not need, and the tarball installed into an empty folder
// (offline: dependencies from npm's cache, which `npm ci` filled, at the
// versions of this repo's lockfile) runs `quantize --help` and a quantization
// through the installed bin, on the CPU runtime onnxruntime-node ships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir('oq-pack-');

/** This process's environment without the npm_* variables of the `npm test` running it (they would steer the inner npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function npm(args: string[], cwd: string) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: cleanEnv(), timeout: 300_000 });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r;
}

test('npm pack: the compiled CLI, its schemas, nothing else; installed from the tarball offline, the bin runs a quantization', { timeout: 600_000 }, () => {
  // The build is there already (npm test builds first): pack without rebuilding under the other tests' feet.
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repoRoot).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed[0]!.files.map((f) => f.path);
  assert.ok(files.includes('bin/quantize') && files.includes('dist/src/cli/main.js') && files.includes('dist/src/batch/quantize-child.js'));
  assert.ok(files.includes('schema/quantize-config.schema.json') && files.includes('schema/quantize-result.schema.json'));
  const stray = files.filter((f) => !/^(bin\/|dist\/src\/|schema\/|package\.json$|README\.md$)/.test(f) || /\.(map|ts)$/.test(f));
  assert.deepEqual(stray, [], 'no tests, sources, fixtures or source maps');

  // A consumer folder whose lockfile pins the tarball and this repo's runtime dependencies, so npm needs no network.
  const tgz = packed[0]!.filename;
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { 'onnx-quantize': `file:${tgz}` } },
    'node_modules/onnx-quantize': {
      version: pkg.version, resolved: `file:${tgz}`, license: pkg.license, bin: pkg.bin, engines: pkg.engines, dependencies: pkg.dependencies,
      integrity: `sha512-${createHash('sha512').update(readFileSync(join(dir, tgz))).digest('base64')}`,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.dev) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[key] = { resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${String(entry.version)}.tgz`, ...entry };
  }
  // allowScripts: the consumer's way to keep onnxruntime-node's GPU download off (the CPU runtime is in the package).
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { 'onnx-quantize': `file:${tgz}` }, allowScripts: { 'onnxruntime-node': false } }));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }));
  const install = npm(['ci', '--offline', '--no-audit', '--no-fund'], dir);
  assert.doesNotMatch(install.stderr, /Unknown (project|user) config|install scripts not yet covered/);
  assert.ok(existsSync(join(dir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6')), 'the CPU runtime ships in onnxruntime-node');

  const bin = join(dir, 'node_modules', '.bin', 'quantize');
  const help = spawnSync(bin, ['--help'], { cwd: dir, encoding: 'utf8', env: cleanEnv() });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--out-dir/);
  const run = spawnSync(bin, [fixturePath('digits', 'model.onnx'), '--calibrate', fixturePath('digits', 'calib'), '-o', join(dir, 'digits.int8.onnx'), '--no-bench', '--json'],
    { cwd: dir, encoding: 'utf8', env: cleanEnv() });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).mode, 'static');
  assert.ok(readdirSync(dir).includes('digits.int8.onnx'));
});
