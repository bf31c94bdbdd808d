// The integer ranges of ORT's get_qmin_qmax_for_qType, written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newQuantizedArray, qRange, typeRange } from '../../src/quant/math/ranges.js';

const plain = { symmetric: false, reduceRange: false };
const sym = { symmetric: true, reduceRange: false };
const reduced = { symmetric: false, reduceRange: true };
const symReduced = { symmetric: true, reduceRange: true };

test('full ranges', () => {
  assert.deepEqual(qRange('int8', plain), { qmin: -128, qmax: 127 });
  assert.deepEqual(qRange('uint8', plain), { qmin: 0, qmax: 255 });
  assert.deepEqual(qRange('int16', plain), { qmin: -32768, qmax: 32767 });
  assert.deepEqual(qRange('uint16', plain), { qmin: 0, qmax: 65535 });
  assert.deepEqual(qRange('int32', plain), { qmin: -2147483648, qmax: 2147483647 });
});

test('symmetric ranges drop one code', () => {
  assert.deepEqual(qRange('int8', sym), { qmin: -127, qmax: 127 });
  assert.deepEqual(qRange('uint8', sym), { qmin: 0, qmax: 254 });
  assert.deepEqual(qRange('int16', sym), { qmin: -32767, qmax: 32767 });
  assert.deepEqual(qRange('uint16', sym), { qmin: 0, qmax: 65534 });
});

test('reduce_range wins over symmetric', () => {
  for (const opts of [reduced, symReduced]) {
    assert.deepEqual(qRange('int8', opts), { qmin: -64, qmax: 64 });
    assert.deepEqual(qRange('uint8', opts), { qmin: 0, qmax: 127 });
    assert.deepEqual(qRange('int16', opts), { qmin: -16384, qmax: 16384 });
    assert.deepEqual(qRange('uint16', opts), { qmin: 0, qmax: 32767 });
  }
  assert.throws(() => qRange('int32', reduced), RangeError);
});

test('typeRange is the clip range whatever the mode', () => {
  assert.deepEqual(typeRange('int8'), { qmin: -128, qmax: 127 });
  assert.deepEqual(typeRange('uint8'), { qmin: 0, qmax: 255 });
  assert.deepEqual(typeRange('uint16'), { qmin: 0, qmax: 65535 });
});

test('newQuantizedArray picks the typed array', () => {
  assert.ok(newQuantizedArray('int8', 3) instanceof Int8Array);
  assert.ok(newQuantizedArray('uint8', 3) instanceof Uint8Array);
  assert.ok(newQuantizedArray('int16', 3) instanceof Int16Array);
  assert.ok(newQuantizedArray('uint16', 3) instanceof Uint16Array);
  assert.ok(newQuantizedArray('int32', 3) instanceof Int32Array);
  assert.equal(newQuantizedArray('int8', 5).length, 5);
});
