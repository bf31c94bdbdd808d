// Samples on disk, read one at a time. A calibration set can be hundreds of
// inputs; samples() reads each when it is reached and keeps nothing
// afterwards, so memory holds one sample, not the set. It is an async
// generator because images decode asynchronously (sharp runs on libuv's
// thread pool, so the next image decodes while the model runs this one).
//
// What a user can point at:
//   folder/    samples of one kind, searched recursively, in path order:
//              .npz (one sample each), .json/.ndjson (arrays keyed by input
//              name), images (.png .jpg .webp), audio (.wav), text (.txt .jsonl)
//   x.npy      single-input models only: first axis indexes samples
//   x.npz      one sample, one array per input
//   x.json / x.ndjson / x.png / x.wav / x.txt / x.jsonl: one file of that kind
//
// Options: --preprocess (images), audio and text settings, --max-samples,
// --shuffle --seed, --carry (state fed back between windows of a file),
// --skip-bad-samples (NaN/Inf samples skipped with a warning, not an error).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { SampleFormatError, SampleSpecError } from './errors.js';
import { sliceFirstAxis, type DType, type NdArray } from './ndarray.js';
import { parseNpy } from './npy.js';
import { parseNpz } from './npz.js';
import type { InputSpec } from './validate.js';
import { listSampleFiles, sampleKindOf, type SampleFileKind } from './list-files.js';
import { firstNonFinite, multiIndex } from './finite-check.js';
import { jsonSample, parseJsonSamples } from './json-tensors.js';
import { describePipeline, parsePreprocessSpec, PRESETS, resolvePipeline, type ImagePipeline, type PipelinePatch } from './image-spec.js';
import { readHfPreprocessor } from './hf-preprocessor.js';
import { readImage } from './read-images.js';
import { audioFileWindows, audioWindows, describeAudio, planAudio, type AudioOptions } from './read-audio.js';
import { describeText, planText, readTexts, tokenize, type TextOptions } from './read-text.js';
import type { CarryPair } from './carry.js';
import { mulberry32 } from '../prng.js';

/** One set of model inputs. */
export interface Sample {
  /** names where the sample came from in messages: "eval/sample_007.npz", "calib.npy[7]", "a.wav@3" */
  source: string;
  /** arrays by name; may hold arrays the model does not take (validation ignores those) */
  inputs: Map<string, NdArray>;
  /** the true class, when the dataset knows it (sub-folder names, labels.json) */
  label?: number;
  /** the first window of a file: carried state starts from zero here */
  sequenceStart?: boolean;
}

export type DatasetKind = 'npz-folder' | 'npy-batch' | 'npz-file' | 'json' | 'images' | 'audio' | 'text';

export interface Dataset {
  kind: DatasetKind;
  /** the path the dataset was opened with */
  path: string;
  /** number of samples samples() yields (an upper bound with --skip-bad-samples) */
  count: number;
  /** the files the samples are read from, in the order read */
  files: string[];
  /** each sample's source name, in the order samples() yields them */
  sources: string[];
  /** what the samples are turned into, one line each (the image pipeline, audio windows, tokenizer), to print once */
  description: string[];
  /** where labels come from, when the samples carry them */
  labels?: { from: string; classes?: string[] };
  /** outputs fed back as inputs between consecutive samples of one file */
  carry?: CarryPair[];
  /** the samples, in order, each read from disk when reached; callable again to re-read */
  samples(): AsyncGenerator<Sample, void, undefined>;
}

export interface DatasetOptions {
  /** the model's folder: preprocessor_config.json and tokenizer.json are looked for there */
  modelDir?: string;
  /** image pipeline spec or preset (see image-spec.ts) */
  preprocess?: string;
  audio?: AudioOptions;
  text?: TextOptions;
  /** at most this many samples */
  maxSamples?: number;
  /** shuffle the order (files, rows, lines; audio files stay whole) with `seed` (default 0) */
  shuffle?: boolean;
  seed?: number;
  carry?: CarryPair[];
  /** NaN/Inf samples skipped with a warning instead of an error */
  skipBadSamples?: boolean;
  onWarning?: (message: string) => void;
}

/** A unit of selection: one file (or row, or line) giving one or more samples. */
interface Unit {
  sources: string[];
  read(): AsyncIterable<Sample>;
}

/**
 * Opens the samples at `path` for a model with the given inputs (names, or
 * full specs: images, audio and text need shapes and dtypes). Lists the
 * folder and reads what it must to count the samples; sample data is read
 * only when iterated.
 *
 * @throws SampleFormatError (exit 1) for a missing path, a folder without
 *   samples or mixing kinds, an unreadable file; SampleSpecError (exit 2)
 *   for settings that contradict the model's inputs
 */
export function openDataset(path: string, inputs: ReadonlyArray<string | InputSpec>, opts: DatasetOptions = {}): Dataset {
  const specs: InputSpec[] = inputs.map((i) => (typeof i === 'string' ? { name: i, dtype: 'float32', shape: [] } : i));
  const known = inputs.every((i) => typeof i !== 'string');
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new SampleFormatError(path, 'no such file or folder');
  let kind: SampleFileKind | undefined;
  let files: string[];
  if (stat.isDirectory()) {
    ({ kind, files } = listSampleFiles(path));
  } else {
    kind = sampleKindOf(path);
    files = [path];
    if (!kind) throw new SampleFormatError(path, 'not a sample folder or file (.npz, .npy, .json, .ndjson, .png, .jpg, .webp, .wav, .txt, .jsonl)');
  }
  const root = stat.isDirectory() ? path : dirname(path);
  const description: string[] = [];
  const carried = new Set((opts.carry ?? []).map((c) => c.input));
  const need = (what: string): void => {
    if (!known) throw new SampleSpecError(`${what} samples need the model's input shapes (internal: openDataset was given names only)`);
  };
  const modelDir = opts.modelDir ?? '.';

  let units: Unit[];
  let datasetKind: DatasetKind;
  switch (kind) {
    case 'npz':
      datasetKind = stat.isDirectory() ? 'npz-folder' : 'npz-file';
      units = files.map((file) => single(file, async () => parseNpz(readBytes(file), file)));
      break;
    case 'npy':
      datasetKind = 'npy-batch';
      units = npyUnits(path, specs.map((s) => s.name));
      break;
    case 'json': {
      datasetKind = 'json';
      const dtypes = new Map(specs.map((s) => [s.name, (known ? s.dtype : 'float32') as DType]));
      units = files.flatMap((file) => parseJsonSamples(readText(file), file)
        .map((e) => single(e.source, async () => jsonSample(e.value, dtypes, e.source))));
      break;
    }
    case 'image': {
      need('image');
      datasetKind = 'images';
      const { pipeline, input } = imagePipeline(specs, carried, modelDir, opts.preprocess);
      description.push(describePipeline(pipeline, input));
      units = files.map((file) => single(file, async () => new Map([[input, await readImage(file, pipeline)]])));
      break;
    }
    case 'audio': {
      need('audio');
      datasetKind = 'audio';
      const extra = new Set([...carried, ...specs.filter((s) => isRateInput(s)).map((s) => s.name)]);
      const plan = planAudio(specs, extra, opts.audio ?? {});
      description.push(describeAudio(plan));
      if (opts.carry?.length) description.push(`carried between windows of a file (zero at each file's start): ${opts.carry.map((c) => `${c.output} → ${c.input}`).join(', ')}`);
      const fixedInputs = (): Map<string, NdArray> => constantInputs(specs, extra, plan.sampleRate);
      units = files.map((file) => {
        const n = audioFileWindows(file, plan);
        const sources = Array.from({ length: n }, (_, w) => `${file}@${w}`);
        return {
          sources,
          async *read() {
            let w = 0;
            for await (const window of audioWindows(file, plan)) {
              const m = fixedInputs();
              m.set(plan.input, window);
              yield { source: sources[w]!, inputs: m, sequenceStart: w === 0 };
              w++;
            }
          },
        };
      });
      break;
    }
    case 'text': {
      need('text');
      datasetKind = 'text';
      const plan = planText(modelDir, specs, carried, opts.text ?? {});
      description.push(describeText(plan));
      units = files.flatMap((file) => readTexts(file, plan.field).map((t) => single(t.source, async () => tokenize(t.text, plan))));
      break;
    }
  }
  if (opts.preprocess && kind !== 'image') throw new SampleSpecError(`--preprocess applies to images, but ${path} holds ${kind} samples`);

  const labels = folderLabels(root, stat.isDirectory(), kind, files);
  units = select(units, opts);
  const count = units.reduce((n, u) => n + u.sources.length, 0);
  if (count === 0) throw new SampleFormatError(path, 'holds no samples');
  const sources = units.flatMap((u) => u.sources);
  const checked = checkSamples(opts);
  return {
    kind: datasetKind,
    path,
    count,
    files: kind === 'npy' ? [path] : [...new Set(units.flatMap((u) => u.sources.map(fileOf)))],
    sources,
    description,
    ...(labels ? { labels: { from: labels.from, ...(labels.classes ? { classes: labels.classes } : {}) } } : {}),
    ...(opts.carry?.length ? { carry: opts.carry } : {}),
    async *samples() {
      let left = count;
      for (const unit of units) {
        for await (const s of unit.read()) {
          if (left-- <= 0) return;
          const label = labels?.of(fileOf(s.source));
          const sample = label === undefined ? s : { ...s, label };
          if (checked(sample)) yield sample;
        }
      }
    },
  };
}

/** The file a source name refers to ("a.npy[3]" → "a.npy", "a.wav@2" → "a.wav", "t.txt:4" → "t.txt"). */
function fileOf(source: string): string {
  return source.replace(/(\[\d+\]|@\d+|:\d+)$/, '');
}

function single(source: string, read: () => Promise<Map<string, NdArray>>): Unit {
  return {
    sources: [source],
    async *read() {
      yield { source, inputs: await read() };
    },
  };
}

function npyUnits(file: string, inputNames: string[]): Unit[] {
  if (inputNames.length !== 1) {
    throw new SampleFormatError(file,
      `a .npy file holds one input, but the model has ${inputNames.length} (${inputNames.join(', ')}); ` +
        'use a folder of .npz files, one per sample, with one array per input');
  }
  const inputName = inputNames[0]!;
  // The whole file is one array: read it once; each sample is a view of one row.
  const batch = parseNpy(readBytes(file), file);
  if (batch.shape.length === 0) throw new SampleFormatError(file, 'holds a 0-d array; its first axis must index the samples');
  const n = batch.shape[0]!;
  if (n === 0) throw new SampleFormatError(file, `holds no samples (shape ${batch.shape.join('x')})`);
  return Array.from({ length: n }, (_, i) => single(`${file}[${i}]`, async () => new Map([[inputName, sliceFirstAxis(batch, i, i + 1)]])));
}

/** Shuffles (seeded Fisher-Yates over units) and caps the number of samples. */
function select(units: Unit[], opts: DatasetOptions): Unit[] {
  let out = units;
  if (opts.shuffle) {
    out = [...units];
    const rand = mulberry32(opts.seed ?? 0);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  if (opts.maxSamples === undefined) return out;
  const kept: Unit[] = [];
  let left = opts.maxSamples;
  for (const u of out) {
    if (left <= 0) break;
    if (u.sources.length <= left) kept.push(u);
    else {
      // Part of a multi-window file: its first `left` windows (samples() stops there).
      const sources = u.sources.slice(0, left);
      kept.push({ sources, async *read() {
        let k = 0;
        for await (const s of u.read()) {
          if (k++ >= sources.length) return;
          yield s;
        }
      } });
    }
    left -= u.sources.length;
  }
  return kept;
}

/** The NaN/Inf check: true to keep the sample; throws (or warns and skips with --skip-bad-samples). */
function checkSamples(opts: DatasetOptions): (s: Sample) => boolean {
  return (s) => {
    for (const [name, a] of s.inputs) {
      const bad = firstNonFinite(a);
      if (!bad) continue;
      const what = `input '${name}' holds ${Number.isNaN(bad.value) ? 'NaN' : bad.value > 0 ? 'Infinity' : '-Infinity'} at index ${multiIndex(bad.index, a.shape)}`;
      if (!opts.skipBadSamples) throw new SampleFormatError(s.source, `${what} (pass --skip-bad-samples to skip such samples)`);
      opts.onWarning?.(`${s.source}: ${what}: sample skipped`);
      return false;
    }
    return true;
  };
}

/** Inputs named like a sample-rate scalar (Silero VAD's `sr`). */
function isRateInput(s: InputSpec): boolean {
  return /^(sr|sample_?rate|sampling_?rate)$/i.test(s.name) && (s.dtype === 'int64' || s.dtype === 'int32' || s.dtype === 'float32')
    && s.shape.every((d) => d === 1);
}

/** Zeros for carried inputs (dynamic axes as 1) and the rate for rate inputs. */
function constantInputs(specs: InputSpec[], names: ReadonlySet<string>, rate: number | undefined): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  for (const s of specs) {
    if (!names.has(s.name)) continue;
    const shape = s.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    if (isRateInput(s)) {
      if (rate === undefined) throw new SampleSpecError(`input '${s.name}' takes the sample rate: give --sample-rate`);
      const data = s.dtype === 'int64' ? BigInt64Array.from({ length: n }, () => BigInt(rate)) : s.dtype === 'int32' ? Int32Array.from({ length: n }, () => rate) : Float32Array.from({ length: n }, () => rate);
      out.set(s.name, { dtype: s.dtype, shape, data });
      continue;
    }
    const data = s.dtype === 'int64' ? new BigInt64Array(n) : s.dtype === 'int32' ? new Int32Array(n) : s.dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
    out.set(s.name, { dtype: s.dtype, shape, data });
  }
  return out;
}

/** The image input and the resolved pipeline: model shape, then preprocessor_config.json, then --preprocess. */
function imagePipeline(specs: InputSpec[], carried: ReadonlySet<string>, modelDir: string, spec: string | undefined): { pipeline: ImagePipeline; input: string } {
  const candidates = specs.filter((s) => !carried.has(s.name));
  if (candidates.length !== 1) {
    throw new SampleSpecError(`image samples feed one input, but the model takes ${candidates.length} (${candidates.map((c) => c.name).join(', ')}); give .npz samples instead`);
  }
  const input = candidates[0]!;
  const patches: Array<{ from: string; patch: PipelinePatch }> = [];
  const hf = readHfPreprocessor(modelDir);
  if (hf) patches.push({ from: hf.file, patch: hf.patch });
  if (spec) patches.push({ from: `--preprocess ${spec}`, patch: parsePreprocessSpec(spec) });
  if (!hf && !spec) {
    throw new SampleSpecError(`image samples need to know how the model was fed: pass --preprocess with a preset (${Object.keys(PRESETS).join(', ')}) `
      + `or settings (scale=1/255,mean=..,std=..), or put the model's preprocessor_config.json beside it`);
  }
  return { pipeline: resolvePipeline(input, patches), input: input.name };
}

/**
 * Labels of a folder's samples: labels.json (keys: paths relative to the
 * folder, or file names), else, for images and audio in sub-folders, the
 * sub-folder's name (classes numbered in sorted order, as torchvision's
 * ImageFolder does).
 */
function folderLabels(root: string, isFolder: boolean, kind: SampleFileKind, files: string[]):
  { from: string; classes?: string[]; of(file: string): number | undefined } | undefined {
  if (!isFolder) return undefined;
  const labelsFile = join(root, 'labels.json');
  if (existsSync(labelsFile)) {
    let table: Record<string, unknown>;
    try {
      table = JSON.parse(readFileSync(labelsFile, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new SampleFormatError(labelsFile, `not valid JSON (${(err as Error).message})`);
    }
    const pick = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
    return {
      from: labelsFile,
      of: (file) => pick(table[relative(root, file).split(sep).join('/')]) ?? pick(table[basename(file)]),
    };
  }
  if (kind !== 'image' && kind !== 'audio') return undefined;
  const folderOf = (file: string): string | undefined => {
    const parts = relative(root, file).split(sep);
    return parts.length > 1 ? parts[0] : undefined;
  };
  if (!files.every((f) => folderOf(f) !== undefined)) return undefined;
  const classes = [...new Set(files.map((f) => folderOf(f)!))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < 2) return undefined;
  const index = new Map(classes.map((c, i) => [c, i]));
  return { from: `sub-folders of ${root}`, classes, of: (file) => index.get(folderOf(file) ?? '') };
}

/** The file's bytes; a read failure (permissions, vanished file) names the file. */
function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SampleFormatError(file, `cannot read: ${err.code ?? err.message}`);
  }
}

function readText(file: string): string {
  return Buffer.from(readBytes(file)).toString('utf8');
}

/** The first sample, or undefined for an empty dataset. */
export async function firstSample(dataset: Pick<Dataset, 'samples'>): Promise<Sample | undefined> {
  const it = dataset.samples();
  const first = await it.next();
  await it.return(undefined);
  return first.done ? undefined : first.value;
}

/** Every sample, read into memory (tests and small sets only). */
export async function allSamples(dataset: Pick<Dataset, 'samples'>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of dataset.samples()) out.push(s);
  return out;
}
