import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePyLiteral } from '../../src/data/pyliteral.js';

describe('parsePyLiteral', () => {
  it('reads the header numpy writes', () => {
    const v = parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n");
    assert.deepEqual(v, new Map<string, unknown>([['descr', '<f4'], ['fortran_order', false], ['shape', [3, 4]]]));
  });

  it('tells one-element tuples from parenthesised values', () => {
    assert.deepEqual(parsePyLiteral('(3,)'), [3]);
    assert.deepEqual(parsePyLiteral('( 3 , )'), [3]);
    assert.equal(parsePyLiteral('(3)'), 3);
    assert.deepEqual(parsePyLiteral('()'), []);
    assert.deepEqual(parsePyLiteral('((1, 2))'), [1, 2]);
  });

  it('reads Python 2 longs, lists, None, double quotes, escapes and u-prefixes', () => {
    assert.deepEqual(parsePyLiteral('(3L, 4L)'), [3, 4]);
    assert.deepEqual(parsePyLiteral('[1, -2, 2.5e3, None, True]'), [1, -2, 2500, null, true]);
    assert.equal(parsePyLiteral(`"it's"`), "it's");
    assert.equal(parsePyLiteral(String.raw`'a\'b\\c\x41\u00e9'`), "a'b\\cAé");
    assert.equal(parsePyLiteral("u'descr'"), 'descr');
    assert.deepEqual(parsePyLiteral("[('a', '<f4'), ('b', '<i8', (2,))]"), [['a', '<f4'], ['b', '<i8', [2]]]);
  });

  it('accepts newlines and any spacing between tokens', () => {
    assert.deepEqual(parsePyLiteral("{\n 'shape' :(\n2 ,3) ,\n}"), new Map([['shape', [2, 3]]]));
  });

  it('rejects what is not a literal, without evaluating it', () => {
    for (const text of [
      "__import__('os').system('true')",
      "{'a': 1",
      "{'a' 1}",
      "{1: 'a'}",
      "'unterminated",
      '(1, 2) extra',
      '',
      '[1 2]',
    ]) {
      assert.throws(() => parsePyLiteral(text), SyntaxError, text);
    }
  });
});
