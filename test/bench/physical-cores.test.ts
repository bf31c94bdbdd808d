// ONNX Runtime's default thread count is named in reports: the physical core
// count must be a sensible number (or unknown), never more than the logical CPUs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { physicalCores } from '../../src/bench/physical-cores.js';

test('physical cores: null, or between 1 and the logical CPU count', () => {
  const n = physicalCores();
  if (process.platform === 'linux' && process.arch === 'x64') assert.notEqual(n, null, '/proc/cpuinfo names core ids on x86 Linux');
  if (n !== null) {
    assert.ok(Number.isInteger(n) && n >= 1, String(n));
    assert.ok(n <= cpus().length, `${n} physical > ${cpus().length} logical`);
  }
});
