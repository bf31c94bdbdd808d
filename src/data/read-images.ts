// Image files to model inputs: sharp (libvips) decodes PNG, JPEG and WebP,
// applies the EXIF orientation, converts to sRGB and resizes; this file
// only lays the pixels out (channel order, layout) and normalises them.
import sharp from 'sharp';
import { SampleFormatError } from './errors.js';
import type { ImagePipeline } from './image-spec.js';
import type { NdArray } from './ndarray.js';
import { float32ToHalfBits } from '../onnx/float16.js';

const KERNEL = { nearest: 'nearest', linear: 'linear', cubic: 'cubic', lanczos3: 'lanczos3' } as const;

/** Decoded, resized pixels: height × width × channels bytes. */
interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** Decodes and resizes one image file to the pipeline's size and channel count (uint8 HWC). */
export async function decodeImage(file: string, p: ImagePipeline): Promise<Pixels> {
  const wantAlpha = p.channels === 4 && p.alpha === 'keep';
  try {
    let img = sharp(file, { failOn: 'error' }).rotate();
    const meta = await img.metadata();
    const w0 = meta.autoOrient?.width ?? meta.width;
    const h0 = meta.autoOrient?.height ?? meta.height;
    if (!w0 || !h0) throw new Error('no image size in the file');
    img = p.channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    img = wantAlpha ? img.ensureAlpha() : img.removeAlpha();
    const kernel = KERNEL[p.kernel];
    if (p.resize === 'shortest-side') {
      const edge = p.shortestEdge ?? Math.max(p.width, p.height);
      const scale = edge / Math.min(w0, h0);
      const rw = Math.max(p.width, Math.round(w0 * scale));
      const rh = Math.max(p.height, Math.round(h0 * scale));
      if (rw !== w0 || rh !== h0) img = sharp(await img.resize(rw, rh, { fit: 'fill', kernel }).raw().toBuffer(), { raw: { width: rw, height: rh, channels: wantAlpha ? 4 : p.channels === 1 ? 1 : 3 } });
      img = img.extract({ left: Math.floor((rw - p.width) / 2), top: Math.floor((rh - p.height) / 2), width: p.width, height: p.height });
    } else if (w0 !== p.width || h0 !== p.height) {
      const fit = p.resize === 'stretch' ? 'fill' : p.resize === 'letterbox' ? 'contain' : 'cover';
      const bg = { r: p.pad, g: p.pad, b: p.pad, alpha: 1 };
      img = img.resize(p.width, p.height, { fit, kernel, position: 'centre', background: bg });
    }
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.width !== p.width || info.height !== p.height) throw new Error(`decoded to ${info.width}x${info.height}, expected ${p.width}x${p.height}`);
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    const message = (err as Error).message.replace(/^Input file /, '').split('\n')[0];
    throw new SampleFormatError(file, `cannot read the image: ${message}`);
  }
}

/** Pixels to the model's tensor: channel order, constant alpha, layout, (x × scale − mean) / std, dtype. */
export function pixelsToTensor(px: Pixels, p: ImagePipeline): NdArray {
  const { width: w, height: h } = px;
  const c = p.channels;
  const n = w * h * c;
  const out = p.dtype === 'uint8' ? new Uint8Array(n) : p.dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  // Source channel for each output channel: BGR reverses the colour channels; alpha stays last.
  const src = Array.from({ length: c }, (_, k) => (p.order === 'bgr' && k < 3 && c >= 3 ? 2 - k : k));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const pix = (y * w + x) * px.channels;
      for (let k = 0; k < c; k++) {
        const raw = k === 3 && typeof p.alpha === 'number' ? p.alpha : px.data[pix + src[k]!]!;
        const v = (raw * p.scale - p.mean[k]!) / p.std[k]!;
        const at = p.layout === 'nchw' ? (k * h + y) * w + x : (y * w + x) * c + k;
        if (p.dtype === 'uint8') out[at] = Math.min(255, Math.max(0, Math.round(v)));
        else if (p.dtype === 'float16') out[at] = float32ToHalfBits(v);
        else out[at] = v;
      }
    }
  }
  const chw = p.layout === 'nchw' ? [c, h, w] : [h, w, c];
  return { dtype: p.dtype, shape: p.batchAxis ? [1, ...chw] : chw, data: out };
}

/** One image file as the model's input tensor. */
export async function readImage(file: string, p: ImagePipeline): Promise<NdArray> {
  return pixelsToTensor(await decodeImage(file, p), p);
}
