// Images to tensors: each preset and spec against a reference made with
// another stack (PIL + numpy: test/data/images/make_reference.py). Exact
// where nothing is resampled; within a stated tolerance where resampling
// kernels (libvips vs PIL) or JPEG decoders differ.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allSamples, openDataset } from '../../src/data/dataset.js';
import { SampleFormatError, SampleSpecError } from '../../src/data/errors.js';
import { parseNpy } from '../../src/data/npy.js';
import { parsePreprocessSpec, resolvePipeline } from '../../src/data/image-spec.js';
import type { InputSpec } from '../../src/data/validate.js';
import { repoRoot } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = join(repoRoot, 'test', 'data', 'images');
const img = (name: string): string => join(dir, name);
const input = (shape: Array<number | string>, dtype: InputSpec['dtype'] = 'float32'): InputSpec[] => [{ name: 'pixel_values', dtype, shape }];

async function tensorOf(file: string, specs: InputSpec[], preprocess?: string, modelDir = dir): Promise<{ shape: number[]; data: Float32Array }> {
  const ds = openDataset(file, specs, { ...(preprocess ? { preprocess } : {}), modelDir });
  const [sample] = await allSamples(ds);
  const a = sample!.inputs.get(specs[0]!.name)!;
  return { shape: a.shape, data: a.data as Float32Array };
}

function reference(name: string): { shape: number[]; data: Float32Array } {
  const a = parseNpy(new Uint8Array(readFileSync(img(`ref_${name}.npy`))), name);
  return { shape: a.shape, data: a.data as Float32Array };
}

function assertEqualTensor(actual: { shape: number[]; data: Float32Array }, name: string): void {
  const ref = reference(name);
  assert.deepEqual(actual.shape, ref.shape);
  assert.deepEqual(Array.from(actual.data), Array.from(ref.data), `ref_${name}.npy`);
}

/** Largest and mean absolute difference from the reference. */
function difference(actual: { shape: number[]; data: Float32Array }, name: string): { max: number; mean: number } {
  const ref = reference(name);
  assert.deepEqual(actual.shape, ref.shape);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(actual.data[i]! - ref.data[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / ref.data.length };
}

describe('images: presets and specs against PIL + numpy references (exact, no resampling)', () => {
  it('imagenet: x/255, ImageNet mean/std, RGB, NCHW', async () => {
    assertEqualTensor(await tensorOf(img('rgb_8x8.png'), input([1, 3, 8, 8]), 'imagenet'), 'imagenet');
  });

  it('0..255 with BGR order and NHWC layout (given, and inferred from the shape)', async () => {
    assertEqualTensor(await tensorOf(img('rgb_8x8.png'), input([1, 8, 8, 3]), '0..255,bgr,nhwc'), 'bgr_nhwc_0_255');
    assertEqualTensor(await tensorOf(img('rgb_8x8.png'), input(['batch', 8, 8, 3]), '0..255,order=bgr'), 'bgr_nhwc_0_255');
  });

  it('-1..1', async () => {
    assertEqualTensor(await tensorOf(img('rgb_8x8.png'), input([1, 3, 8, 8]), '-1..1'), 'm1p1');
  });

  it('alpha: kept for 4-channel models, dropped for 3, or a constant fourth channel', async () => {
    assertEqualTensor(await tensorOf(img('rgba_8x8.png'), input([1, 4, 8, 8]), '0..1'), 'rgba_keep');
    assertEqualTensor(await tensorOf(img('rgba_8x8.png'), input([1, 3, 8, 8]), '0..1'), 'rgba_drop');
    assertEqualTensor(await tensorOf(img('rgb_8x8.png'), input([1, 4, 8, 8]), '0..255,alpha=255'), 'alpha_const');
  });

  it('greyscale for a 1-channel model', async () => {
    assertEqualTensor(await tensorOf(img('gray_8x8.png'), input([1, 1, 8, 8]), '0..1'), 'gray');
  });

  it('clip: shortest side, centre crop, CLIP mean/std; center-crop; letterbox with a pad value', async () => {
    assertEqualTensor(await tensorOf(img('rgb_12x8.png'), input([1, 3, 8, 8]), 'clip'), 'clip');
    assertEqualTensor(await tensorOf(img('rgb_12x8.png'), input([1, 3, 8, 8]), '0..255,center-crop'), 'center_crop');
    assertEqualTensor(await tensorOf(img('rgb_8x6.png'), input([1, 3, 8, 8]), '0..255,resize=letterbox:114'), 'letterbox');
  });

  it('honours preprocessor_config.json beside the model, and a flag overrides it', async () => {
    const hf = join(dir, 'hf');
    assertEqualTensor(await tensorOf(img('rgb_12x8.png'), input([1, 3, 8, 8]), undefined, hf), 'hf');
    // --preprocess 0..255 replaces the config's rescale and normalisation, keeps its crop.
    const raw = await tensorOf(img('rgb_12x8.png'), input([1, 3, 8, 8]), '0..255', hf);
    assertEqualTensor(raw, 'center_crop');
    const ds = openDataset(img('rgb_12x8.png'), input([1, 3, 8, 8]), { modelDir: hf });
    assert.match(ds.description[0]!, /preprocessor_config\.json/);
    assert.match(ds.description[0]!, /shortest side to 8, centre crop/);
  });
});

describe('images: resampling and JPEG, within tolerance', () => {
  it('a 32x32 picture stretched to 8x8 (libvips linear vs PIL bilinear): max 0.06, mean 0.02 in 0..1 units', async () => {
    const d = difference(await tensorOf(img('smooth_32x32.png'), input([1, 3, 8, 8]), '0..1'), 'resize_linear');
    assert.ok(d.max <= 0.06 && d.mean <= 0.02, `max ${d.max}, mean ${d.mean}`);
  });

  it('a JPEG decodes within 3 levels of PIL\'s decoder', async () => {
    const d = difference(await tensorOf(img('smooth_32x32.jpg'), input([1, 3, 32, 32]), '0..255'), 'jpeg');
    assert.ok(d.max <= 3, `max ${d.max}`);
  });
});

describe('images: folders, labels and errors', () => {
  const tmp = makeTempDir('oq-images-');

  it('labels from sub-folder names, classes in sorted order; files searched recursively and sorted', async () => {
    const root = join(tmp, 'eval');
    for (const [cls, files] of [['dog', ['b.png', 'a.png']], ['cat', ['z.png']]] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      for (const f of files) copyFileSync(img('rgb_8x8.png'), join(root, cls, f));
    }
    const ds = openDataset(root, input([1, 3, 8, 8]), { preprocess: 'imagenet' });
    assert.deepEqual(ds.labels?.classes, ['cat', 'dog']);
    const samples = await allSamples(ds);
    assert.deepEqual(samples.map((s) => [s.source.slice(root.length + 1), s.label]), [['cat/z.png', 0], ['dog/a.png', 1], ['dog/b.png', 1]]);
  });

  it('labels.json keyed by relative path wins over sub-folders', async () => {
    const root = join(tmp, 'eval');
    writeFileSync(join(root, 'labels.json'), JSON.stringify({ 'cat/z.png': 5, 'a.png': 7 }));
    const samples = await allSamples(openDataset(root, input([1, 3, 8, 8]), { preprocess: 'imagenet' }));
    assert.deepEqual(samples.map((s) => s.label), [5, 7, undefined]);
  });

  it('a folder mixing images and .npz files is refused, naming one file of each', () => {
    const root = join(tmp, 'mixed');
    mkdirSync(root);
    copyFileSync(img('rgb_8x8.png'), join(root, 'a.png'));
    copyFileSync(join(repoRoot, 'test', 'data', 'samples', 'folder', 'sample_000.npz'), join(root, 'b.npz'));
    assert.throws(() => openDataset(root, input([1, 3, 8, 8]), { preprocess: 'imagenet' }),
      (e: unknown) => e instanceof SampleFormatError && /mixes kinds of samples: a\.png \(image\) and b\.npz \(npz\)/.test(e.message));
  });

  it('a corrupt image is an error naming the file', async () => {
    const bad = join(tmp, 'bad.png');
    writeFileSync(bad, Buffer.concat([readFileSync(img('rgb_8x8.png')).subarray(0, 40)]));
    await assert.rejects(() => tensorOf(bad, input([1, 3, 8, 8]), 'imagenet'),
      (e: unknown) => e instanceof SampleFormatError && e.message.startsWith(`${bad}: cannot read the image`));
  });

  it('a spec that contradicts the input shape is a usage error (exit 2) naming both', () => {
    const specErr = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof SampleSpecError && e.exitCode === 2 && re.test(e.message));
    specErr(() => openDataset(img('rgb_8x8.png'), input([1, 3, 8, 8]), { preprocess: 'imagenet,224' }), /size 224x224 .* contradicts input 'pixel_values' of shape \[1,3,8,8\]/);
    specErr(() => openDataset(img('rgb_8x8.png'), input([1, 3, 8, 8]), { preprocess: 'imagenet,nhwc' }), /layout nhwc .* contradicts/);
    specErr(() => openDataset(img('rgb_8x8.png'), input([1, 4, 8, 8]), { preprocess: 'imagenet,alpha=drop' }), /alpha=drop/);
    specErr(() => openDataset(img('rgb_8x8.png'), input([1, 3, 8, 8]), { preprocess: "imagenet,mean=1:2:3:4" }), /mean has 4 values/);
    specErr(() => parsePreprocessSpec('imagenet,sharpen'), /'imagenet,sharpen': sharpen: not a preset/);
    specErr(() => openDataset(img('rgb_8x8.png'), input([1, 3, 8, 8])), /pass --preprocess with a preset/);
    specErr(() => openDataset(img('rgb_8x8.png'), input([1, 3, 'h', 'w']), { preprocess: 'imagenet' }), /has no fixed size/);
  });

  it('a dynamic input takes the size the spec gives', () => {
    const p = resolvePipeline({ name: 'x', dtype: 'float32', shape: ['n', 3, 'h', 'w'] }, [{ from: 'flag', patch: parsePreprocessSpec('imagenet,320x240') }]);
    assert.deepEqual([p.width, p.height, p.layout, p.channels], [320, 240, 'nchw', 3]);
  });
});
