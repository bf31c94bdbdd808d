// roundHalfEven against values worked out by hand (np.rint semantics: ties to even, sign of zero kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundHalfEven, ROUND_MAGIC } from '../../src/quant/math/round.js';

const TWO_51 = 2 ** 51;
const TWO_52 = 2 ** 52;

test('ROUND_MAGIC is 1.5 * 2^52', () => {
  assert.equal(ROUND_MAGIC, 1.5 * TWO_52);
});

test('ties go to the even neighbour', () => {
  const cases: Array<[number, number]> = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [4.5, 4],
    [-1.5, -2],
    [-2.5, -2],
    [-3.5, -4],
    [127.5, 128],
    [-128.5, -128],
    [254.5, 254],
    [255.5, 256],
  ];
  for (const [x, want] of cases) assert.equal(roundHalfEven(x), want, `rint(${x})`);
});

test('non-ties round to nearest', () => {
  const cases: Array<[number, number]> = [
    [0.49999999999999994, 0], // the largest double below 0.5 (Math.round's old trap)
    [0.5000000000000001, 1],
    [1.4999999999999998, 1],
    [2.5000000000000004, 3],
    [-2.5000000000000004, -3],
    [-0.5000000000000001, -1],
    [6.4, 6],
    [-6.6, -7],
    [1e15 + 0.25, 1e15],
    [1e15 + 0.75, 1e15 + 1],
  ];
  for (const [x, want] of cases) assert.equal(roundHalfEven(x), want, `rint(${x})`);
});

test('the sign of zero is kept, as np.rint does', () => {
  assert.ok(Object.is(roundHalfEven(-0.5), -0));
  assert.ok(Object.is(roundHalfEven(-0.3), -0));
  assert.ok(Object.is(roundHalfEven(-0), -0));
  assert.ok(Object.is(roundHalfEven(0), 0));
  assert.ok(Object.is(roundHalfEven(0.5), 0));
  assert.ok(Object.is(roundHalfEven(0.3), 0));
});

test('values near 2^51, where the magic add stops being valid', () => {
  // Just below 2^51 a double has spacing 0.25, so these are exact ties.
  assert.equal(roundHalfEven(TWO_51 - 0.5), TWO_51); // 2^51 - 1 is odd, 2^51 even
  assert.equal(roundHalfEven(TWO_51 - 1.5), TWO_51 - 2);
  assert.equal(roundHalfEven(TWO_51 - 0.25), TWO_51);
  assert.equal(roundHalfEven(TWO_51 - 0.75), TWO_51 - 1);
  // From 2^51 to 2^52 the spacing is 0.5: still ties to resolve.
  assert.equal(roundHalfEven(TWO_51), TWO_51);
  assert.equal(roundHalfEven(TWO_51 + 0.5), TWO_51);
  assert.equal(roundHalfEven(TWO_51 + 1.5), TWO_51 + 2);
  assert.equal(roundHalfEven(TWO_51 + 2.5), TWO_51 + 2);
  assert.equal(roundHalfEven(-(TWO_51 + 0.5)), -TWO_51);
  assert.equal(roundHalfEven(-(TWO_51 + 1.5)), -(TWO_51 + 2));
  assert.equal(roundHalfEven(TWO_52 - 0.5), TWO_52); // 2^52 - 1 is odd
  assert.equal(roundHalfEven(TWO_52 - 1.5), TWO_52 - 2);
  assert.equal(roundHalfEven(-(TWO_52 - 0.5)), -TWO_52);
});

test('2^52 and beyond are integers already and come back unchanged', () => {
  // 2^52 + 0.5 is not a double: the literal is 2^52 (spacing 1 there, tie to even).
  assert.equal(TWO_52 + 0.5, TWO_52);
  assert.equal(roundHalfEven(TWO_52 + 0.5), TWO_52);
  assert.equal(roundHalfEven(TWO_52 + 1), TWO_52 + 1); // the bare magic trick would give an even number
  assert.equal(roundHalfEven(TWO_52 + 3), TWO_52 + 3);
  assert.equal(roundHalfEven(-(TWO_52 + 1)), -(TWO_52 + 1));
  assert.equal(roundHalfEven(2 ** 53 + 2), 2 ** 53 + 2);
  assert.equal(roundHalfEven(1e300), 1e300);
  assert.equal(roundHalfEven(-1e300), -1e300);
});

test('infinities and NaN pass through', () => {
  assert.equal(roundHalfEven(Infinity), Infinity);
  assert.equal(roundHalfEven(-Infinity), -Infinity);
  assert.ok(Number.isNaN(roundHalfEven(NaN)));
});
