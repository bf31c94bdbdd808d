// The sample settings as plain typed values (what flags parse to and what a
// config file holds, under the same names), and the DatasetOptions they
// make, checked: a bad preprocess spec or carry pair fails here, before any
// model is loaded.
import type { DatasetOptions } from './dataset.js';
import { parseCarry } from './carry.js';
import { SampleSpecError } from './errors.js';
import { parsePreprocessSpec } from './image-spec.js';

export interface DataValues {
  preprocess?: string;
  maxSamples?: number;
  shuffle?: boolean;
  seed?: number;
  sampleRate?: number;
  window?: number;
  hop?: number;
  audioScale?: '-1..1' | 'int16';
  carry?: string;
  maxLength?: number;
  pad?: boolean;
  textField?: string;
  skipBadSamples?: boolean;
}

/** @throws SampleSpecError (exit 2) for settings that cannot be read */
export function datasetOptionsFrom(v: DataValues): DatasetOptions {
  if (v.preprocess !== undefined) parsePreprocessSpec(v.preprocess);
  if (v.seed !== undefined && !v.shuffle) throw new SampleSpecError('--seed orders the samples for --shuffle: pass --shuffle too');
  const audio = {
    ...(v.sampleRate !== undefined ? { sampleRate: v.sampleRate } : {}),
    ...(v.window !== undefined ? { window: v.window } : {}),
    ...(v.hop !== undefined ? { hop: v.hop } : {}),
    ...(v.audioScale ? { scale: v.audioScale } : {}),
  };
  const text = {
    ...(v.maxLength !== undefined ? { maxLength: v.maxLength } : {}),
    ...(v.pad ? { pad: true } : {}),
    ...(v.textField ? { field: v.textField } : {}),
  };
  return {
    ...(v.preprocess ? { preprocess: v.preprocess } : {}),
    ...(v.maxSamples !== undefined ? { maxSamples: v.maxSamples } : {}),
    ...(v.shuffle ? { shuffle: true, seed: v.seed ?? 0 } : {}),
    ...(Object.keys(audio).length ? { audio } : {}),
    ...(Object.keys(text).length ? { text } : {}),
    ...(v.carry ? { carry: parseCarry(v.carry) } : {}),
    ...(v.skipBadSamples ? { skipBadSamples: true } : {}),
  };
}
