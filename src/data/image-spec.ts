// The image pipeline: how a picture on disk becomes the tensor a model takes
// (size, resize mode, layout, channel order, alpha, scale, mean/std, dtype).
// Resolved from, lowest to highest precedence: what the model's input shape
// implies, the model folder's Hugging Face preprocessor_config.json, and the
// --preprocess spec (a preset and/or explicit settings). Pure functions: no
// file is read here except by hfPipeline's caller.
import { SampleSpecError } from './errors.js';

export type ResizeMode = 'stretch' | 'letterbox' | 'center-crop' | 'shortest-side';
export type Layout = 'nchw' | 'nhwc';
export type Kernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';
export type ImageDType = 'float32' | 'float16' | 'uint8';

export interface ImagePipeline {
  width: number;
  height: number;
  resize: ResizeMode;
  /** shortest-side: the length the shorter side is resized to before the centre crop (default: max(width, height)) */
  shortestEdge?: number;
  /** letterbox: the pad value, in pixel units (0..255) */
  pad: number;
  kernel: Kernel;
  layout: Layout;
  /** 1 (grey), 3 or 4 */
  channels: number;
  order: 'rgb' | 'bgr';
  /** 'drop' ignores an alpha channel, 'keep' passes it (4-channel models), a number is a constant fourth channel (pixel units) */
  alpha: 'drop' | 'keep' | number;
  /** value = (pixel × scale − mean[c]) / std[c], pixel in 0..255 */
  scale: number;
  mean: number[];
  std: number[];
  dtype: ImageDType;
  /** leading batch axis of 1 (rank-4 inputs) */
  batchAxis: boolean;
  /** where each setting came from, for the one line printed to the user */
  origin: Record<string, string>;
}

/** A partial pipeline: what one source (preset, config file, flag) sets. */
export type PipelinePatch = Partial<Omit<ImagePipeline, 'origin'>>;

const IMAGENET = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Presets for what exporters use. */
export const PRESETS: Readonly<Record<string, PipelinePatch>> = {
  imagenet: { ...IMAGENET, order: 'rgb' },
  // OpenAI CLIP: shortest side to the size (bicubic), centre crop, CLIP's own mean/std.
  clip: { scale: 1 / 255, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
    resize: 'shortest-side', kernel: 'cubic', order: 'rgb' },
  '-1..1': { scale: 1 / 127.5, mean: [1], std: [1] },
  '0..1': { scale: 1 / 255, mean: [0], std: [1] },
  '0..255': { scale: 1, mean: [0], std: [1] },
};

const RESIZE_MODES: readonly ResizeMode[] = ['stretch', 'letterbox', 'center-crop', 'shortest-side'];
const KERNELS: readonly Kernel[] = ['nearest', 'linear', 'cubic', 'lanczos3'];

/**
 * Parses a --preprocess spec: comma-separated items, each a preset name
 * (imagenet, clip, -1..1, 0..1, 0..255), a size (224, or WIDTHxHEIGHT such
 * as 320x240), a resize mode (stretch, letterbox, center-crop,
 * shortest-side), a layout (nchw, nhwc), a channel order (rgb, bgr), or
 * key=value: size=, resize=, pad=, kernel=, layout=, order=, alpha=
 * (drop|keep|0..255), scale= (0.00392 or 1/255), mean=a:b:c, std=a:b:c,
 * dtype= (float32|float16|uint8), shortest-edge=.
 * Later items override earlier ones.
 * @throws SampleSpecError (exit 2) naming the item it cannot read
 */
export function parsePreprocessSpec(spec: string): PipelinePatch {
  const patch: PipelinePatch = {};
  const bad = (item: string, why: string): never => {
    throw new SampleSpecError(`--preprocess '${spec}': ${item}: ${why}`);
  };
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const item = raw.toLowerCase();
    const eq = item.indexOf('=');
    const key = eq < 0 ? undefined : item.slice(0, eq);
    const value = eq < 0 ? item : item.slice(eq + 1);
    if (key === undefined) {
      if (PRESETS[item]) Object.assign(patch, PRESETS[item]);
      else if (/^\d+(x\d+)?$/.test(item)) Object.assign(patch, parseSize(item, raw, bad));
      else if ((RESIZE_MODES as string[]).includes(item)) patch.resize = item as ResizeMode;
      else if (item === 'nchw' || item === 'nhwc') patch.layout = item;
      else if (item === 'rgb' || item === 'bgr') patch.order = item;
      else bad(raw, `not a preset (${Object.keys(PRESETS).join(', ')}), a size (224, 320x240), a resize mode (${RESIZE_MODES.join(', ')}), a layout (nchw, nhwc) or a channel order (rgb, bgr)`);
      continue;
    }
    switch (key) {
      case 'size': Object.assign(patch, parseSize(value, raw, bad)); break;
      case 'resize': {
        const [mode, pad] = value.split(':');
        if (!(RESIZE_MODES as string[]).includes(mode!)) bad(raw, `resize must be one of ${RESIZE_MODES.join(', ')}`);
        patch.resize = mode as ResizeMode;
        if (pad !== undefined) patch.pad = pixelValue(pad, raw, bad);
        break;
      }
      case 'pad': patch.pad = pixelValue(value, raw, bad); break;
      case 'kernel':
        if (!(KERNELS as string[]).includes(value)) bad(raw, `kernel must be one of ${KERNELS.join(', ')}`);
        patch.kernel = value as Kernel;
        break;
      case 'layout':
        if (value !== 'nchw' && value !== 'nhwc') bad(raw, 'layout must be nchw or nhwc');
        patch.layout = value as Layout;
        break;
      case 'order': case 'channels':
        if (value !== 'rgb' && value !== 'bgr') bad(raw, `${key} must be rgb or bgr`);
        patch.order = value as 'rgb' | 'bgr';
        break;
      case 'alpha':
        patch.alpha = value === 'drop' || value === 'keep' ? value : pixelValue(value, raw, bad);
        break;
      case 'scale': patch.scale = parseNumber(value, raw, bad); break;
      case 'mean': patch.mean = parseTriple(value, raw, bad); break;
      case 'std': {
        const std = parseTriple(value, raw, bad);
        if (std.some((s) => s === 0)) bad(raw, 'std must not be 0');
        patch.std = std;
        break;
      }
      case 'dtype':
        if (value !== 'float32' && value !== 'float16' && value !== 'uint8') bad(raw, 'dtype must be float32, float16 or uint8');
        patch.dtype = value as ImageDType;
        break;
      case 'shortest-edge': patch.shortestEdge = positiveInt(value, raw, bad); break;
      default: bad(raw, 'unknown setting (size, resize, pad, kernel, layout, order, alpha, scale, mean, std, dtype, shortest-edge)');
    }
  }
  return patch;
}

type Bad = (item: string, why: string) => never;

function parseSize(value: string, raw: string, bad: Bad): PipelinePatch {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value);
  if (!m) return bad(raw, 'a size is 224 or WIDTHxHEIGHT, e.g. 320x240');
  const width = positiveInt(m[1]!, raw, bad);
  return { width, height: m[2] ? positiveInt(m[2], raw, bad) : width };
}

function positiveInt(value: string, raw: string, bad: Bad): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) bad(raw, `'${value}' is not a positive integer`);
  return n;
}

function parseNumber(value: string, raw: string, bad: Bad): number {
  const frac = /^(-?[\d.]+)\/([\d.]+)$/.exec(value);
  const n = frac ? Number(frac[1]) / Number(frac[2]) : Number(value);
  if (!Number.isFinite(n) || value === '') bad(raw, `'${value}' is not a number (0.5 or 1/255)`);
  return n;
}

function pixelValue(value: string, raw: string, bad: Bad): number {
  const n = parseNumber(value, raw, bad);
  if (n < 0 || n > 255) bad(raw, 'a pixel value is in 0..255');
  return n;
}

function parseTriple(value: string, raw: string, bad: Bad): number[] {
  const parts = value.split(/[:/ ]+/).filter(Boolean).map((p) => parseNumber(p, raw, bad));
  if (parts.length !== 1 && parts.length !== 3 && parts.length !== 4) bad(raw, 'give one value or one per channel, separated by colons (0.485:0.456:0.406)');
  return parts;
}

/** What a model input's declared shape says about an image tensor. */
export interface ImageInputShape {
  name: string;
  shape: ReadonlyArray<number | string | null>;
  dtype: string;
}

const isChannels = (d: unknown): boolean => d === 1 || d === 3 || d === 4;

/**
 * The full pipeline for a model input: the input's shape gives layout,
 * channels and size where fixed; `patches` (lowest precedence first, each
 * with a name for where it came from) set the rest. A setting that
 * contradicts the input's shape is a SampleSpecError naming both.
 */
export function resolvePipeline(input: ImageInputShape, patches: Array<{ from: string; patch: PipelinePatch }>): ImagePipeline {
  const shape = input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : null));
  if (shape.length !== 4 && shape.length !== 3) {
    throw new SampleSpecError(`input '${input.name}' has shape [${input.shape.join(',')}]: images need a rank-4 (or rank-3) input`);
  }
  const off = shape.length === 4 ? 1 : 0;
  const first = shape[off];
  const last = shape[off + 2];
  const origin: Record<string, string> = {};
  const merged: PipelinePatch = {};
  for (const { from, patch } of patches) {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      (merged as Record<string, unknown>)[k] = v;
      origin[k] = from;
    }
  }
  const spec = (k: string): string => origin[k] ?? 'default';
  const contradiction = (what: string): never => {
    throw new SampleSpecError(`${what} contradicts input '${input.name}' of shape [${input.shape.join(',')}]`);
  };

  // Layout: from the shape when exactly one end is a channel count.
  let layout = merged.layout;
  const nchwFits = first === null || isChannels(first);
  const nhwcFits = last === null || isChannels(last);
  if (!layout) {
    if (isChannels(first) && !isChannels(last)) layout = 'nchw';
    else if (isChannels(last) && !isChannels(first)) layout = 'nhwc';
    else if (nchwFits && !nhwcFits) layout = 'nchw';
    else if (nhwcFits && !nchwFits) layout = 'nhwc';
    else layout = 'nchw';
    origin.layout = `input shape${nchwFits && nhwcFits && !(isChannels(first) !== isChannels(last)) ? ' (ambiguous: nchw assumed; say layout=nhwc if not)' : ''}`;
  } else if ((layout === 'nchw' && !nchwFits) || (layout === 'nhwc' && !nhwcFits)) {
    contradiction(`layout ${layout} (${spec('layout')})`);
  }
  const channelDim = layout === 'nchw' ? first : last;
  const hDim = layout === 'nchw' ? shape[off + 1] : shape[off];
  const wDim = layout === 'nchw' ? shape[off + 2] : shape[off + 1];

  let channels = channelDim ?? (merged.alpha === 'keep' || typeof merged.alpha === 'number' ? 4 : 3);
  const alpha = merged.alpha ?? (channels === 4 ? 'keep' : 'drop');
  if (channels === 4 && alpha === 'drop') contradiction(`alpha=drop (${spec('alpha')}) gives 3 channels, which`);
  if (channels !== 4 && alpha !== 'drop') contradiction(`alpha=${alpha} (${spec('alpha')}) gives 4 channels, which`);
  channels = channels as number;

  const width = merged.width ?? wDim ?? merged.height ?? hDim;
  const height = merged.height ?? hDim ?? merged.width ?? wDim;
  if (width === undefined || height === undefined || width === null || height === null) {
    throw new SampleSpecError(`input '${input.name}' has no fixed size (shape [${input.shape.join(',')}]): give one with --preprocess 224 or --preprocess 320x240`);
  }
  if ((wDim !== null && width !== wDim) || (hDim !== null && height !== hDim)) {
    contradiction(`size ${width}x${height} (${spec('width')})`);
  }
  if (!origin.width) origin.width = 'input shape';

  const mean = perChannel(merged.mean ?? [0], channels, 'mean', spec('mean'));
  const std = perChannel(merged.std ?? [1], channels, 'std', spec('std'));
  const dtype = merged.dtype ?? (input.dtype === 'uint8' ? 'uint8' : input.dtype === 'float16' ? 'float16' : 'float32');
  if (dtype !== input.dtype) contradiction(`dtype ${dtype} (${spec('dtype')}) for a ${input.dtype} input:`);
  const pipeline: ImagePipeline = {
    width, height, resize: merged.resize ?? 'stretch', pad: merged.pad ?? 0, kernel: merged.kernel ?? 'linear',
    layout, channels, order: merged.order ?? 'rgb', alpha, scale: merged.scale ?? (dtype === 'uint8' ? 1 : 1 / 255),
    mean, std, dtype, batchAxis: shape.length === 4, origin,
    ...(merged.shortestEdge !== undefined ? { shortestEdge: merged.shortestEdge } : {}),
  };
  if (!origin.scale && dtype !== 'uint8') origin.scale = 'default 0..1';
  return pipeline;
}

function perChannel(values: number[], channels: number, what: string, from: string): number[] {
  if (values.length === 1) return new Array<number>(channels).fill(values[0]!);
  if (values.length === channels) return values;
  // mean/std for RGB on an RGBA model: the alpha channel is left as it is.
  if (values.length === 3 && channels === 4) return [...values, what === 'mean' ? 0 : 1];
  if (channels === 1 && values.length === 3) {
    throw new SampleSpecError(`${what} has 3 values (${from}) but the model takes 1 channel: give one value`);
  }
  throw new SampleSpecError(`${what} has ${values.length} values (${from}) but the model takes ${channels} channels`);
}

/** One line saying what the model is fed. */
export function describePipeline(p: ImagePipeline, inputName: string): string {
  const fmt = (xs: number[]): string => `[${xs.map((x) => +x.toFixed(6)).join(', ')}]`;
  const resize = p.resize === 'letterbox' ? `letterbox (pad ${p.pad})` : p.resize === 'shortest-side'
    ? `shortest side to ${p.shortestEdge ?? Math.max(p.width, p.height)}, centre crop` : p.resize;
  const colour = p.channels === 1 ? 'grey' : `${p.order.toUpperCase()}${p.channels === 4 ? (p.alpha === 'keep' ? '+alpha' : `+alpha ${p.alpha}`) : ''}`;
  const scale = Math.abs(p.scale - 1 / 255) < 1e-12 ? 'x/255' : Math.abs(p.scale - 1 / 127.5) < 1e-12 ? 'x/127.5' : `x*${+p.scale.toPrecision(6)}`;
  const norm = p.mean.every((m) => m === 0) && p.std.every((s) => s === 1) ? scale : `(${scale} - mean ${fmt(p.mean)}) / std ${fmt(p.std)}`;
  const sources = [...new Set(Object.values(p.origin))].join(', ');
  return `images → '${inputName}': ${p.width}x${p.height} ${resize} (${p.kernel}), ${colour}, ${p.layout.toUpperCase()}, ${norm}, ${p.dtype}  [from: ${sources}]`;
}
