// Audio files to model inputs: each WAV decoded and mixed to mono,
// resampled to the model's rate, cut into windows of the model's input
// length (hop apart), scaled to -1..1 or the int16 range. One sample per
// window; the first window of each file starts a sequence (for --carry).
import { readFileSync } from 'node:fs';
import { SampleFormatError, SampleSpecError } from './errors.js';
import type { NdArray } from './ndarray.js';
import { resample, resampledLength } from './resample.js';
import { decodeWav, wavInfo } from './wav.js';

export interface AudioOptions {
  /** the rate the model takes (default: each file's own) */
  sampleRate?: number;
  /** samples per window (default: the input's fixed last dimension; a dynamic one takes each file whole) */
  window?: number;
  /** samples between window starts (default: the window) */
  hop?: number;
  /** '-1..1' (default) or 'int16' (×32768, for models trained on raw int16 values) */
  scale?: '-1..1' | 'int16';
}

export interface AudioPlan {
  input: string;
  /** shape with the window's axis as -1 */
  shape: number[];
  dtype: 'float32';
  sampleRate?: number;
  window?: number;
  hop?: number;
  scale: '-1..1' | 'int16';
}

/** How many windows a file of `length` samples gives: full windows, or one zero-padded window when shorter. */
export function windowCount(length: number, window: number | undefined, hop: number): number {
  if (window === undefined) return 1;
  if (length <= window) return 1;
  return Math.floor((length - window) / hop) + 1;
}

/** The windows of one file, counted from its header (no decoding). */
export function audioFileWindows(file: string, plan: AudioPlan): number {
  const info = wavInfo(readBytes(file), file);
  const length = resampledLength(info.frames, info.sampleRate, plan.sampleRate ?? info.sampleRate);
  return windowCount(length, plan.window, plan.hop ?? plan.window ?? 1);
}

/** Decodes, resamples and cuts one file; yields each window as the input array. */
export async function* audioWindows(file: string, plan: AudioPlan): AsyncGenerator<NdArray> {
  const { info, samples } = decodeWav(readBytes(file), file);
  const rate = plan.sampleRate ?? info.sampleRate;
  const mono = await resample(samples, info.sampleRate, rate);
  const factor = plan.scale === 'int16' ? 32768 : 1;
  const window = plan.window ?? mono.length;
  const hop = plan.hop ?? window;
  const count = windowCount(mono.length, plan.window, hop);
  for (let w = 0; w < count; w++) {
    const data = new Float32Array(window);
    const start = w * hop;
    const end = Math.min(mono.length, start + window);
    for (let i = start; i < end; i++) data[i - start] = mono[i]! * factor;
    yield { dtype: 'float32', shape: plan.shape.map((d) => (d === -1 ? window : d)), data };
  }
}

/**
 * The input audio goes into and its shape: the one float input of rank
 * 1-3 whose other axes are 1 (or dynamic). `others` are inputs filled some
 * other way (carried state, a sample-rate scalar).
 */
export function planAudio(specs: ReadonlyArray<{ name: string; dtype: string; shape: ReadonlyArray<number | string | null> }>,
  others: ReadonlySet<string>, opts: AudioOptions): AudioPlan {
  const candidates = specs.filter((s) => !others.has(s.name) && (s.dtype === 'float32'));
  if (candidates.length !== 1) {
    throw new SampleSpecError(`audio samples feed one float32 input, but the model has ${candidates.length === 0 ? 'none' : candidates.map((c) => c.name).join(', ')} to feed`
      + (candidates.length > 1 ? ' (carry the state inputs with --carry out:in)' : ''));
  }
  const spec = candidates[0]!;
  if (spec.shape.length < 1 || spec.shape.length > 3) throw new SampleSpecError(`input '${spec.name}' has rank ${spec.shape.length}: audio needs [samples], [1, samples] or [1, 1, samples]`);
  const last = spec.shape[spec.shape.length - 1];
  const fixed = typeof last === 'number' && last > 0 ? last : undefined;
  if (opts.window !== undefined && fixed !== undefined && opts.window !== fixed) {
    throw new SampleSpecError(`--window ${opts.window} contradicts input '${spec.name}' of shape [${spec.shape.join(',')}]`);
  }
  const window = opts.window ?? fixed;
  if (opts.hop !== undefined && window === undefined) throw new SampleSpecError('--hop needs a window: give --window (the input has no fixed length)');
  const shape = spec.shape.map((d, i) => (i === spec.shape.length - 1 ? -1 : typeof d === 'number' && d > 0 ? d : 1));
  if (shape.slice(0, -1).some((d) => d !== 1)) throw new SampleSpecError(`input '${spec.name}' has shape [${spec.shape.join(',')}]: audio windows fill the last axis, the others must be 1`);
  return { input: spec.name, shape, dtype: 'float32', sampleRate: opts.sampleRate, window, hop: opts.hop ?? window, scale: opts.scale ?? '-1..1' };
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SampleFormatError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** "16 kHz, 512-sample windows, hop 512, -1..1": the line printed once. */
export function describeAudio(plan: AudioPlan): string {
  const rate = plan.sampleRate ? `resampled to ${plan.sampleRate} Hz` : "at each file's own rate";
  const win = plan.window ? `${plan.window}-sample windows, hop ${plan.hop}` : 'each file whole';
  return `audio → '${plan.input}': mono, ${rate}, ${win}, ${plan.scale === 'int16' ? 'int16 range' : '-1..1'}`;
}
