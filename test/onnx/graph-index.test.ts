// The graph index sees producers and consumers across subgraphs, and names
// it generates are unique across every scope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { GraphIndex } from '../../src/onnx/graph-index.js';

function modelWithIf() {
  const thenBranch = makeGraph({ name: 'then', nodes: [makeNode('Add', ['a', 'w'], ['t_out'], 'then_add')], inputs: [],
    outputs: [makeValueInfo('t_out', DataType.FLOAT, [2])] });
  const elseBranch = makeGraph({ name: 'else', nodes: [makeNode('Relu', ['a'], ['e_out'], 'else_relu')], inputs: [],
    outputs: [makeValueInfo('e_out', DataType.FLOAT, [2])] });
  const graph = makeGraph({
    nodes: [
      makeNode('Neg', ['x'], ['a'], 'neg'),
      makeNode('If', ['cond'], ['y'], 'branch', { then_branch: thenBranch, else_branch: elseBranch }),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, [2]), makeValueInfo('cond', DataType.BOOL, [])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [2])],
    initializers: [makeTensor('w', [2], Float32Array.of(1, 2))],
  });
  return makeModel(graph);
}

test('producers, consumers and implicit uses cross subgraph boundaries', () => {
  const index = new GraphIndex(modelWithIf());
  assert.equal(index.scopes.length, 3);
  assert.equal(index.producer.get('a')!.node.name, 'neg');
  assert.deepEqual(index.usesOf('a').map((u) => u.node.name).sort(), ['else_relu', 'then_add']);
  assert.equal(index.usesOf('w')[0]!.scope.graph.name, 'then');
  assert.deepEqual(index.implicitUsers.get('a')!.map((n) => n.name), ['branch']);
  assert.equal(index.producer.get('t_out')!.scope.depth, 1);
  assert.ok(index.isGraphOutput('y'));
  assert.ok(!index.isGraphOutput('t_out'), 'subgraph outputs are not model outputs');
});

test('unique names avoid every name in every scope', () => {
  const index = new GraphIndex(modelWithIf());
  assert.equal(index.uniqueName('t_out'), 't_out_1');
  assert.equal(index.uniqueName('t_out'), 't_out_2');
  assert.equal(index.uniqueName('then_add'), 'then_add_1');
  assert.equal(index.uniqueName('fresh'), 'fresh');
  assert.equal(index.uniqueName('fresh'), 'fresh_1');
});
