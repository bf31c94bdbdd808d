// Config files: JSON, .mjs and YAML read alike; defaults and per-model
// overrides layered under the flags; every key checked against the schema,
// which names the same settings as the command line's table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configOptionsFor, loadConfig, CONFIG_SCHEMA_FILE } from '../../src/batch/config.js';
import { OPTION_TYPES, layerOptions } from '../../src/batch/model-options.js';
import { toJobSettings } from '../../src/batch/job-settings.js';
import { makeTempDir } from '../helpers/tmp.js';
import { repoRoot } from '../helpers/paths.js';

const dir = makeTempDir();
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const rel = (p: string): string => relative(process.cwd(), join(dir, p));

test('the schema names exactly the settings the command line has, in defaults and in overrides', () => {
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8'));
  const keys = Object.keys(OPTION_TYPES).sort();
  assert.deepEqual(Object.keys(schema.definitions.settings.properties).sort(), keys);
  assert.deepEqual(Object.keys(schema.definitions.override.properties).filter((k) => k !== 'match').sort(), keys);
});

test('defaults, then matching overrides in order, then flags; paths relative to the file', async () => {
  const file = write('q.config.json', JSON.stringify({
    inputs: ['models'],
    outDir: 'out',
    defaults: { method: 'percentile', calibrate: 'samples', maxAccuracyDrop: 1 },
    overrides: [
      { match: 'vision/**', exclude: ['Softmax'] },
      { match: '*.big.onnx', mode: 'weight-only', externalData: true },
      { match: ['vision/det*.onnx'], method: 'entropy' },
    ],
  }));
  const config = await loadConfig(file);
  assert.deepEqual(config.inputs, [rel('models')]);
  assert.equal(config.outDir, rel('out'));
  const plain = configOptionsFor(config, join(dir, 'audio/vad.onnx'));
  assert.deepEqual(plain, { method: 'percentile', calibrate: rel('samples'), maxAccuracyDrop: 1 });
  const det = configOptionsFor(config, join(dir, 'vision/det.onnx'));
  assert.equal(det.method, 'entropy', 'a later override wins');
  assert.deepEqual(det.exclude, ['Softmax']);
  // A pattern without a slash matches the file name anywhere.
  const big = configOptionsFor(config, join(dir, 'llm/chat.big.onnx'));
  assert.equal(big.mode, 'weight-only');
  // Flags win over the file.
  const settings = await toJobSettings(layerOptions(det, { method: 'minmax' }));
  assert.equal(settings.quantize.method, 'minmax');
  assert.equal(settings.quantize.calibrate, rel('samples'));
  assert.deepEqual(settings.bench?.settings.gates, { maxAccuracyDrop: 1 });
});

test('.mjs (default export, or a function returning it) and YAML read as JSON does', async () => {
  const mjs = await loadConfig(write('q.config.mjs', 'export default () => ({ defaults: { method: "entropy", exclude: ["Softmax"] } });\n'));
  assert.deepEqual(mjs.defaults, { method: 'entropy', exclude: ['Softmax'] });
  const yaml = await loadConfig(write('q.config.yaml', 'defaults:\n  method: entropy\n  exclude: [Softmax]\noverrides:\n  - match: "*.onnx"\n    perTensor: true\n'));
  assert.deepEqual(yaml.defaults, { method: 'entropy', exclude: ['Softmax'] });
  assert.equal(configOptionsFor(yaml, 'x.onnx').perTensor, true);
});

test('an unknown key or a wrong type is an error naming the file, the key and what it takes', async () => {
  const typo = write('typo.json', JSON.stringify({ defaults: { methd: 'minmax' } }));
  await assert.rejects(loadConfig(typo), (err: Error) => {
    assert.match(err.message, /typo\.json/);
    assert.match(err.message, /defaults\.methd: unknown key \(did you mean method\?\)/);
    return true;
  });
  await assert.rejects(loadConfig(write('type.json', JSON.stringify({ overrides: [{ match: '*.onnx', percentile: '99' }] }))),
    /type\.json: overrides\[0\]\.percentile must be a number \(got "99"\)/);
  await assert.rejects(loadConfig(write('enum.json', JSON.stringify({ defaults: { method: 'magic' } }))),
    /defaults\.method must be one of "minmax", "percentile", "entropy" \(got "magic"\)/);
  await assert.rejects(loadConfig(write('range.json', JSON.stringify({ defaults: { percentile: 20 } }))), /defaults\.percentile must be > 50/);
  await assert.rejects(loadConfig(write('top.json', JSON.stringify({ jobz: 2 }))), /jobz: unknown key \(did you mean jobs\?\)/);
  await assert.rejects(loadConfig(write('nomatch.json', JSON.stringify({ overrides: [{ method: 'minmax' }] }))), /overrides\[0\]\.match is required/);
  await assert.rejects(loadConfig(write('bad.json', '{ "defaults": ')), /bad\.json: not valid JSON/);
  await assert.rejects(loadConfig(write('bad.yaml', 'defaults: [\n')), /bad\.yaml: not valid YAML/);
  await assert.rejects(loadConfig(join(dir, 'missing.json')), /no such file/);
  // A combination the schema cannot see is refused when the model's settings are built, naming the file.
  const staticOnly = await loadConfig(write('static.json', JSON.stringify({ defaults: { mode: 'static' } })));
  await assert.rejects(toJobSettings(configOptionsFor(staticOnly, 'm.onnx'), `${staticOnly.file} (for m.onnx)`), /static\.json \(for m\.onnx\): mode static needs calibration samples/);
});

test('the README\'s config example is valid and means what it says', async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('#### Config file'));
  const example = /```json\n([\s\S]*?)```/.exec(section)![1]!;
  const config = await loadConfig(write('readme.config.json', example));
  assert.equal(configOptionsFor(config, join(dir, 'audio/kws.onnx')).method, 'entropy');
  assert.equal(configOptionsFor(config, join(dir, 'llm/chat.onnx')).mode, 'weight-only');
  assert.deepEqual(configOptionsFor(config, join(dir, 'vision/detectors/yolo.onnx')).exclude, ['Softmax', 'head/Concat_3']);
});
