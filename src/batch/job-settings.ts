// What one model's job does, as one typed object: how it is quantized (the
// options quantizeFile takes), how the output is named, and how it is
// compared with the original afterwards. Built from the layered ModelOptions
// of that model (flags, config file, defaults).
//
// Other steps grow it by adding fields: a new quantization knob goes into
// `quantize` (it reaches quantizeFile as is), data options into `data`-like
// fields of their own, a step of the job reads what it needs from here.
import type { QuantizeFileOptions } from '../quant/quantize-file.js';
import { buildBenchSettings, type BenchSettings } from '../bench/settings.js';
import { UsageError } from '../errors.js';
import { DEFAULT_MODEL_OPTIONS, layerOptions, type ModelOptions } from './model-options.js';
import { checkNamePattern } from './output-path.js';
import { datasetOptionsFrom } from '../data/options.js';
import { calibrationOptionsFrom } from '../calib/calibration-options.js';

export interface JobSettings {
  /** Passed to quantizeFile as they are (no callbacks: they cross to worker processes). */
  quantize: Omit<QuantizeFileOptions, 'onProgress'>;
  /** The output's file name pattern ('{name}.int8.onnx'). */
  name: string;
  /** The comparison after writing; undefined when turned off (--no-bench). */
  bench?: BenchStepSettings;
}

export interface BenchStepSettings {
  settings: BenchSettings;
  /** samples to compare on (default: the calibration samples; none: one generated input) */
  eval?: string;
  /** labels file (default: labels.json in the eval folder) */
  labels?: string;
}

/**
 * One model's settings, checked. `where` names their origin in messages
 * (a config file and the model it matched), when not the command line.
 * @throws UsageError for a combination that cannot work
 */
export async function toJobSettings(options: ModelOptions, where?: string): Promise<JobSettings> {
  const o = layerOptions(DEFAULT_MODEL_OPTIONS, options);
  const fail = (message: string): never => {
    throw new UsageError(where ? `${where}: ${message}` : message);
  };
  if (o.mode === 'static' && !o.calibrate && !o.loadCalibration) fail('mode static needs calibration samples (--calibrate, or calibrate in the config) or a saved table (--load-calibration)');
  const data = datasetOptionsFrom(o);
  // Dynamic with samples: they check the output and feed the comparison, but do not calibrate.
  const dynamicWithSamples = o.mode === 'dynamic' && o.calibrate !== undefined;
  const calibrate = dynamicWithSamples ? undefined : o.calibrate;
  const evalSamples = o.eval ?? o.calibrate;
  checkNamePattern(o.name!, fail);
  return {
    quantize: {
      ...(calibrate !== undefined ? { calibrate } : {}),
      ...(o.mode === 'weight-only' ? { weightOnly: true } : {}),
      method: o.method ?? 'minmax',
      ...(o.percentile !== undefined ? { percentile: o.percentile } : {}),
      ...(o.perTensor ? { perTensor: true } : {}),
      reduceRange: o.reduceRange ?? true,
      exclude: [...(o.exclude ?? [])],
      ...(o.minIntensity !== undefined ? { minIntensity: o.minIntensity } : {}),
      ...(o.externalData ? { externalData: true } : {}),
      ...(o.eval !== undefined || dynamicWithSamples ? { checkSamples: evalSamples } : {}),
      ...(Object.keys(data).length ? { data } : {}),
      ...calibrationOptionsFrom(o),
    },
    name: o.name!,
    ...(o.bench === false ? {} : {
      bench: {
        settings: await buildBenchSettings(o),
        ...(evalSamples !== undefined ? { eval: evalSamples } : {}),
        ...(o.labels !== undefined ? { labels: o.labels } : {}),
      },
    }),
  };
}
