// Ctrl-C and a CI runner's cancel: the command stops, removes its temporary
// folders (worker processes' included), leaves no partial output, prints what
// finished, and exits 130 (SIGINT) or 143 (SIGTERM). And the same inputs and
// settings give byte-identical outputs, with nothing time- or run-dependent
// in the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { interruptCli, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { convNet, writeModel, writeSamples } from '../helpers/models.js';
import { loadModel } from '../../src/onnx/load.js';
import { parseNdjson } from '../batch/result-schema.js';

const dir = makeTempDir();
// Big enough that static calibration takes a few seconds: there is a moment to interrupt it.
const g = convNet(3, { channels: [32, 64], size: 48 });
writeModel(g.model, join(dir, 'slow.onnx'));
writeSamples(join(dir, 'calib'), g.inputs, 60, 1);
mkdirSync(join(dir, 'batch'));
for (const n of ['a', 'b', 'c']) writeModel(g.model, join(dir, 'batch', `${n}.onnx`));

/** Every file and folder below `root` whose name has `.work-`, or ends in .tmp. */
function leftovers(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.name.includes('.work-') || e.name.endsWith('.tmp'))
    .map((e) => join(e.parentPath, e.name));
}
const hasWorkFolder = (root: string) => () => leftovers(root).some((p) => p.includes('.work-'));

test('SIGINT during one static quantization: exit 130, no .work- folder, no output', async () => {
  const r = await interruptCli(['slow.onnx', '--calibrate', 'calib', '--no-bench', '-o', 'single.onnx'], hasWorkFolder(dir), 'SIGINT', { cwd: dir });
  assert.ok(r.signalled, `the quantization never started: ${r.stderr}`);
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(leftovers(dir), []);
  assert.ok(!existsSync(join(dir, 'single.onnx')), 'no output from an interrupted quantization');
  assert.match(r.stderr, /interrupted \(SIGINT\)/);
});

/** The processes whose parent is `pid` (Linux's /proc; empty elsewhere). */
function childrenOf(pid: number): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const kids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('Ctrl-C (SIGINT to the process group) in the middle of a batch with worker processes: exit 130, workers stopped, no .work- folder, only whole outputs, a summary', async () => {
  const out = join(dir, 'out');
  let workers: number[] = [];
  const r = await interruptCli(['batch', '-r', '--calibrate', 'calib', '--no-bench', '--out-dir', 'out', '--jobs', '2', '--json-file', 'batch.ndjson'],
    (pid) => {
      if (!hasWorkFolder(out)()) return false;
      workers = childrenOf(pid);
      return true;
    }, 'SIGINT', { cwd: dir, group: true });
  if (existsSync('/proc/self/stat')) assert.ok(workers.length >= 1, 'worker processes were running');
  for (const w of workers) assert.ok(!alive(w), `worker ${w} is gone`);
  assert.ok(r.signalled, `no quantization started: ${r.stderr}`);
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(leftovers(dir), []);
  // Whatever was written is whole: ONNX Runtime loads it.
  for (const f of existsSync(out) ? readdirSync(out) : []) await (await ort.InferenceSession.create(join(out, f))).release();
  const lines = parseNdjson(readFileSync(join(dir, 'batch.ndjson'), 'utf8'));
  const summary = lines[lines.length - 1]!;
  assert.equal(summary.interrupted, 'SIGINT');
  assert.equal(summary.exitCode, 130);
  const counts = summary.counts as Record<string, number>;
  assert.ok(counts.interrupted >= 1, 'the running ones are listed as interrupted');
  assert.equal(counts.failed, 0, 'a worker hit by the same Ctrl-C is an interruption, not a failure');
  assert.equal(counts.ok + counts.interrupted + counts.notStarted, 3);
  assert.match(r.stdout, /Summary: 3 models/);
  // The worker processes are gone with it: a second run is not blocked by anything left behind.
  assert.equal(runCli(['batch', '-r', '--no-bench', '--out-dir', 'out', '--skip-existing', '-q'], {}, { cwd: dir }).code, 0);
});

test('SIGTERM exits 143 the same way', async () => {
  const r = await interruptCli(['slow.onnx', '--calibrate', 'calib', '--no-bench', '-o', 'term.onnx'], hasWorkFolder(dir), 'SIGTERM', { cwd: dir });
  assert.ok(r.signalled);
  assert.equal(r.code, 143, r.stderr);
  assert.deepEqual(leftovers(dir), []);
  assert.ok(!existsSync(join(dir, 'term.onnx')));
});

test('the same inputs and settings give byte-identical outputs; the metadata records digests, no time', () => {
  for (const out of ['det1', 'det2']) {
    const r = runCli(['slow.onnx', '--calibrate', 'calib', '--no-bench', '--out-dir', out, '--external-data', '--skip-existing'], {}, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
  }
  for (const f of ['slow.int8.onnx', 'slow.int8.onnx.data']) {
    assert.ok(readFileSync(join(dir, 'det1', f)).equals(readFileSync(join(dir, 'det2', f))), `${f} is the same bytes in both runs`);
  }
  const model = loadModel(join(dir, 'det1', 'slow.int8.onnx'));
  const entry = (model.proto.metadataProps ?? []).find((e) => e.key === 'onnx-quantize');
  model.close();
  const meta = JSON.parse(entry!.value!) as Record<string, unknown>;
  assert.doesNotMatch(entry!.value!, /\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}/, 'no date or time');
  assert.match(String(meta.sourceSha256), /^[0-9a-f]{64}$/);
  assert.match(String(meta.settingsSha256), /^[0-9a-f]{64}$/);
});
