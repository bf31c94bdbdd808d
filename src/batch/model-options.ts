// One model's settings as plain typed values: what the quantize command's
// flags parse to and what a config file's `defaults` and `overrides` hold,
// under the same names. They are layered (built-in defaults < config
// defaults < matching config overrides < flags given) and then turned into a
// JobSettings (job-settings.ts).
//
// Adding a setting: a field here, a row in OPTION_TYPES (how a flag's text is
// parsed and checked), its use in toJobSettings, the commander declaration in
// src/cli/quantize-options.ts, and its key in schema/quantize-config.schema.json
// (a test checks that the schema and this table name the same keys).
import type { CalibrationMethod } from '../calib/calibrate.js';
import type { BenchValues } from '../bench/settings.js';
import { parseProviderList } from '../bench/providers.js';
import { UsageError } from '../errors.js';
import type { DataValues } from '../data/options.js';
import type { CalibrationValues } from '../calib/calibration-options.js';

export type QuantizeModeName = 'static' | 'dynamic' | 'weight-only';

export interface ModelOptions extends BenchValues, DataValues, CalibrationValues {
  /** static (needs calibrate), dynamic, weight-only; unset: static with calibrate, else dynamic */
  mode?: QuantizeModeName;
  calibrate?: string;
  method?: CalibrationMethod;
  percentile?: number;
  perTensor?: boolean;
  reduceRange?: boolean;
  exclude?: string[];
  minIntensity?: number;
  externalData?: boolean;
  /** compare the output with the input after writing */
  bench?: boolean;
  eval?: string;
  labels?: string;
  /** output file name pattern, e.g. '{name}.int8.onnx' */
  name?: string;
}

export type ModelOptionKey = keyof ModelOptions;

type Kind =
  | { kind: 'string' }
  | { kind: 'path' }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'integer'; min: number }
  | { kind: 'number'; ok: (x: number) => boolean; what: string }
  | { kind: 'list' }
  | { kind: 'integer-list'; min: number }
  | { kind: 'providers' };

/** How each setting's text (from a flag) is read and checked. */
export const OPTION_TYPES: Record<ModelOptionKey, Kind> = {
  mode: { kind: 'enum', values: ['static', 'dynamic', 'weight-only'] },
  calibrate: { kind: 'path' },
  method: { kind: 'enum', values: ['minmax', 'percentile', 'entropy'] },
  percentile: { kind: 'number', ok: (x) => x > 50 && x <= 100, what: 'a number in (50, 100]' },
  perTensor: { kind: 'boolean' },
  reduceRange: { kind: 'boolean' },
  exclude: { kind: 'list' },
  minIntensity: { kind: 'number', ok: (x) => x >= 0, what: 'a number >= 0' },
  externalData: { kind: 'boolean' },
  bench: { kind: 'boolean' },
  eval: { kind: 'path' },
  labels: { kind: 'path' },
  name: { kind: 'string' },
  providers: { kind: 'providers' },
  threads: { kind: 'integer', min: 1 },
  batch: { kind: 'integer', min: 1 },
  batchSizes: { kind: 'integer-list', min: 1 },
  pricePerHour: { kind: 'number', ok: (x) => x > 0, what: 'a price > 0' },
  metric: { kind: 'path' },
  warmup: { kind: 'integer', min: 0 },
  runs: { kind: 'integer', min: 1 },
  minTime: { kind: 'number', ok: (x) => x >= 0, what: 'milliseconds >= 0' },
  memory: { kind: 'boolean' },
  memoryRuns: { kind: 'integer', min: 1 },
  maxAccuracyDrop: { kind: 'number', ok: (x) => x >= 0, what: 'a number >= 0' },
  minSpeedup: { kind: 'number', ok: (x) => x > 0, what: 'a number > 0' },
  // How samples are read (src/data/options.ts) and calibration tables (src/calib/calibration-options.ts).
  preprocess: { kind: 'string' },
  maxSamples: { kind: 'integer', min: 1 },
  shuffle: { kind: 'boolean' },
  seed: { kind: 'integer', min: 0 },
  sampleRate: { kind: 'integer', min: 1 },
  window: { kind: 'integer', min: 1 },
  hop: { kind: 'integer', min: 1 },
  audioScale: { kind: 'enum', values: ['-1..1', 'int16'] },
  carry: { kind: 'string' },
  maxLength: { kind: 'integer', min: 1 },
  pad: { kind: 'boolean' },
  textField: { kind: 'string' },
  skipBadSamples: { kind: 'boolean' },
  saveCalibration: { kind: 'path' },
  loadCalibration: { kind: 'path' },
  calibMemory: { kind: 'string' },
};

/** Settings that hold a path: relative to the working directory on the command line, to the file's folder in a config file. */
export const PATH_OPTIONS = (Object.keys(OPTION_TYPES) as ModelOptionKey[]).filter((k) => OPTION_TYPES[k].kind === 'path');

export const DEFAULT_OUTPUT_NAME = '{name}.int8.onnx';

/** The built-in defaults, the lowest layer. */
export const DEFAULT_MODEL_OPTIONS: Readonly<ModelOptions> = {
  method: 'minmax',
  reduceRange: true,
  exclude: [],
  bench: true,
  name: DEFAULT_OUTPUT_NAME,
};

/** `--max-accuracy-drop` from `maxAccuracyDrop`. */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * A flag's value (commander gives strings, booleans for switches, string
 * lists for repeatable options) as the setting's typed value.
 * @throws UsageError naming the flag and what it takes
 */
export function parseOptionValue(key: ModelOptionKey, raw: unknown): ModelOptions[ModelOptionKey] {
  const type = OPTION_TYPES[key];
  const flag = flagName(key);
  if (type.kind === 'boolean') return Boolean(raw);
  if (type.kind === 'list') return (Array.isArray(raw) ? raw : String(raw).split(',')).map((s) => String(s).trim()).filter(Boolean);
  const text = String(raw);
  switch (type.kind) {
    case 'string':
    case 'path':
      return text;
    case 'enum':
      if (!type.values.includes(text)) throw new UsageError(`${flag} ${text}: choose ${listWords(type.values)}`);
      return text as never;
    case 'integer': {
      const n = Number(text);
      if (!(text.trim() !== '' && Number.isInteger(n) && n >= type.min)) throw new UsageError(`${flag} must be an integer >= ${type.min} (got '${text}')`);
      return n;
    }
    case 'number': {
      const n = Number(text);
      if (!(text.trim() !== '' && Number.isFinite(n) && type.ok(n))) throw new UsageError(`${flag} must be ${type.what} (got '${text}')`);
      return n;
    }
    case 'integer-list': {
      const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
      if (parts.length === 0) throw new UsageError(`${flag}: give one or more numbers, e.g. 1,8,32`);
      return parts.map((p) => {
        const n = Number(p);
        if (!(Number.isInteger(n) && n >= type.min)) throw new UsageError(`${flag}: '${p}' is not an integer >= ${type.min}`);
        return n;
      });
    }
    case 'providers':
      return parseProviderList(text);
  }
}

function listWords(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values.join('');
}

/** Later layers win; a layer's undefined values do not erase earlier ones. */
export function layerOptions(...layers: Array<ModelOptions | undefined>): ModelOptions {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) out[k] = v;
  }
  return out as ModelOptions;
}
