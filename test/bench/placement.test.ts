import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placementFromProfile } from '../../src/bench/placement.js';

const node = (name: string, provider: string, op: string): object =>
  ({ cat: 'Node', name: `${name}_kernel_time`, ph: 'X', args: { provider, op_name: op } });

test('placement counts distinct kernel nodes per provider and op, ignoring other events', () => {
  const events = [
    { cat: 'Session', name: 'model_loading_uri', args: {} },
    node('conv1', 'CPUExecutionProvider', 'QLinearConv'),
    { cat: 'Node', name: 'conv1_fence_before', args: { provider: 'CPUExecutionProvider', op_name: 'QLinearConv' } },
    node('conv2', 'CUDAExecutionProvider', 'Conv'),
    node('conv3', 'CUDAExecutionProvider', 'Conv'),
    node('loop_body_add', 'CUDAExecutionProvider', 'Add'),
    node('loop_body_add', 'CUDAExecutionProvider', 'Add'), // the same node run twice (a Loop body)
    node('q', 'CPUExecutionProvider', 'QuantizeLinear'),
  ];
  const p = placementFromProfile(events);
  assert.deepEqual(p, [
    { provider: 'CUDAExecutionProvider', nodes: 3, ops: [{ op: 'Conv', count: 2 }, { op: 'Add', count: 1 }] },
    { provider: 'CPUExecutionProvider', nodes: 2, ops: [{ op: 'QLinearConv', count: 1 }, { op: 'QuantizeLinear', count: 1 }] },
  ]);
  assert.deepEqual(placementFromProfile({ not: 'an array' }), []);
});
