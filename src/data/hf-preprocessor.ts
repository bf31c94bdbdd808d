// A Hugging Face `preprocessor_config.json` beside the model (what
// transformers' image processors and transformers.js read) as a pipeline
// patch: size, resize and crop, rescale, normalise, resampling kernel.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SampleFormatError } from './errors.js';
import { modelConfigFile } from './model-config-file.js';
import type { Kernel, PipelinePatch } from './image-spec.js';

export const PREPROCESSOR_CONFIG = 'preprocessor_config.json';

// PIL's resampling filter numbers, as the config stores them.
const PIL_KERNELS: Readonly<Record<number, Kernel>> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic', 4: 'linear', 5: 'cubic' };

type Size = number | { height?: number; width?: number; shortest_edge?: number; longest_edge?: number };

/** The config as a patch, or undefined when the folder has none. */
export function readHfPreprocessor(modelDir: string): { file: string; patch: PipelinePatch } | undefined {
  const file = modelConfigFile(modelDir, PREPROCESSOR_CONFIG);
  if (!existsSync(file)) return undefined;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SampleFormatError(file, `not valid JSON (${(err as Error).message})`);
  }
  return { file, patch: hfPatch(cfg, file) };
}

/** Maps the fields image processors share (ViT, CLIP, ConvNeXt, DETR-style processors read the same keys). */
export function hfPatch(cfg: Record<string, unknown>, file: string): PipelinePatch {
  const patch: PipelinePatch = {};
  const size = cfg.size as Size | undefined;
  const crop = cfg.crop_size as Size | undefined;
  const doResize = cfg.do_resize !== false;
  const doCrop = cfg.do_center_crop === true;
  const dims = (s: Size | undefined): { w?: number; h?: number; edge?: number } => {
    if (typeof s === 'number') return { w: s, h: s };
    if (!s || typeof s !== 'object') return {};
    if (s.height && s.width) return { w: s.width, h: s.height };
    if (s.shortest_edge) return { edge: s.shortest_edge };
    return {};
  };
  if (doResize) {
    const sz = dims(size);
    if (sz.edge !== undefined) {
      patch.resize = 'shortest-side';
      patch.shortestEdge = sz.edge;
      const c = doCrop ? dims(crop) : {};
      if (c.w && c.h) Object.assign(patch, { width: c.w, height: c.h });
    } else if (sz.w && sz.h) {
      const c = doCrop ? dims(crop) : {};
      if (c.w && c.h && (c.w < sz.w || c.h < sz.h)) {
        // Resize to a fixed size, then crop its centre: the crop is the tensor's size.
        Object.assign(patch, { resize: 'shortest-side', shortestEdge: Math.min(sz.w, sz.h), width: c.w, height: c.h });
      } else {
        Object.assign(patch, { resize: 'stretch', width: sz.w, height: sz.h });
      }
    }
  }
  if (typeof cfg.resample === 'number' && PIL_KERNELS[cfg.resample]) patch.kernel = PIL_KERNELS[cfg.resample];
  if (cfg.do_rescale !== false) {
    const f = cfg.rescale_factor;
    patch.scale = typeof f === 'number' ? f : 1 / 255;
  } else {
    patch.scale = 1;
  }
  if (cfg.do_normalize !== false && (cfg.image_mean !== undefined || cfg.image_std !== undefined)) {
    const list = (v: unknown, name: string): number[] => {
      const xs = typeof v === 'number' ? [v] : v;
      if (!Array.isArray(xs) || !xs.every((x) => typeof x === 'number')) throw new SampleFormatError(file, `${name} must be a number or a list of numbers`);
      return xs as number[];
    };
    patch.mean = list(cfg.image_mean ?? [0], 'image_mean');
    patch.std = list(cfg.image_std ?? [1], 'image_std');
  } else if (cfg.do_normalize === false) {
    patch.mean = [0];
    patch.std = [1];
  }
  return patch;
}
