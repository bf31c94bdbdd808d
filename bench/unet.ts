// A generated U-Net-shaped segmentation model: an encoder of 3x3 Conv + Relu
// pairs with MaxPool between levels, a decoder that upsamples (Resize,
// nearest), concatenates the skip connection and convolves again, and a 1x1
// Conv to the classes. At 1024x1024 every top-level tensor is several MB
// (base 8 channels: 32 MiB each), which is what makes calibration memory
// matter. Deterministic in the seed.
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import type { NodeProto } from '../src/onnx/proto.js';
import { Rng, WeightSink, type GeneratedModel } from '../test/helpers/models.js';

export interface UnetOptions {
  size?: number;
  /** channels at the top level; doubled at each level down */
  base?: number;
  /** levels below the top */
  depth?: number;
  /** 3x3 Convs per block */
  convs?: number;
  classes?: number;
}

export function unet(seed: number, opts: UnetOptions = {}): GeneratedModel {
  const { size = 1024, base = 8, depth = 3, convs = 2, classes = 4 } = opts;
  const rng = new Rng(seed);
  const w = new WeightSink('initializer');
  const nodes: NodeProto[] = [];
  let k = 0;
  const conv = (input: string, cin: number, cout: number, kernel = 3, relu = true): string => {
    const n = cout * cin * kernel * kernel;
    const weight = w.add(`conv${k}.weight`, [cout, cin, kernel, kernel], rng.normalArray(n, Math.sqrt(2 / (cin * kernel * kernel))));
    const bias = w.add(`conv${k}.bias`, [cout], rng.normalArray(cout, 0.05));
    const pad = (kernel - 1) / 2;
    nodes.push(makeNode('Conv', [input, weight, bias], [`conv${k}_out`], `conv${k}`, { kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad] }));
    let out = `conv${k}_out`;
    if (relu) {
      nodes.push(makeNode('Relu', [out], [`relu${k}`], `relu${k}`));
      out = `relu${k}`;
    }
    k++;
    return out;
  };
  const block = (input: string, cin: number, cout: number): string => {
    let x = conv(input, cin, cout);
    for (let i = 1; i < convs; i++) x = conv(x, cout, cout);
    return x;
  };
  w.addTensor(makeTensor('up_scales', [4], new Float32Array([1, 1, 2, 2])));
  const skips: Array<{ t: string; ch: number }> = [];
  let x = 'image';
  let ch = 3;
  for (let level = 0; level < depth; level++) {
    x = block(x, ch, base << level);
    ch = base << level;
    skips.push({ t: x, ch });
    nodes.push(makeNode('MaxPool', [x], [`pool${level}`], `pool${level}`, { kernel_shape: [2, 2], strides: [2, 2] }));
    x = `pool${level}`;
  }
  x = block(x, ch, base << depth);
  ch = base << depth;
  for (let level = depth - 1; level >= 0; level--) {
    nodes.push(makeNode('Resize', [x, '', 'up_scales'], [`up${level}`], `up${level}`, { mode: 'nearest' }));
    const skip = skips[level]!;
    nodes.push(makeNode('Concat', [`up${level}`, skip.t], [`cat${level}`], `cat${level}`, { axis: 1 }));
    x = block(`cat${level}`, ch + skip.ch, skip.ch);
    ch = skip.ch;
  }
  const logits = conv(x, ch, classes, 1, false);
  nodes.push(makeNode('Identity', [logits], ['mask'], 'out'));
  const graph = makeGraph({
    name: 'unet', nodes,
    inputs: [makeValueInfo('image', DataType.FLOAT, [1, 3, size, size])],
    outputs: [makeValueInfo('mask', DataType.FLOAT, [1, classes, size, size])],
    initializers: w.initializers,
  });
  return { model: makeModel(graph, 13, 8), inputs: [{ name: 'image', shape: [1, 3, size, size], dtype: 'float32', dist: 'unit' }], outputs: [{ name: 'mask', shape: [1, classes, size, size] }] };
}
