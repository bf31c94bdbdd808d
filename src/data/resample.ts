// Sample-rate conversion with libsamplerate (Secret Rabbit Code, compiled to
// WebAssembly by @alexanderolsen/libsamplerate-js). SINC_FASTEST: 97 dB SNR
// over 80% of the band, far below 8-bit quantization noise, and measured
// about 3x faster than SINC_MEDIUM here (10 s of 44.1 kHz audio to 16 kHz in
// 0.25 s against 0.75 s on a loaded 2-core machine); wavefile's own sinc
// resampler took 0.74 s for one second.
import lsr from '@alexanderolsen/libsamplerate-js';

/**
 * `samples` at `from` Hz resampled to `to` Hz; the result has exactly
 * round(length × to / from) samples (libsamplerate may give one fewer; the
 * end is padded with the last value), so lengths are known from headers.
 */
export async function resample(samples: Float32Array, from: number, to: number): Promise<Float32Array> {
  if (from === to) return samples;
  const want = Math.round((samples.length * to) / from);
  const src = await lsr.create(1, from, to, { converterType: lsr.ConverterType.SRC_SINC_FASTEST });
  let out: Float32Array;
  try {
    out = src.simple(samples);
  } finally {
    src.destroy();
  }
  if (out.length === want) return out;
  const fixed = new Float32Array(want);
  fixed.set(out.subarray(0, want));
  if (out.length > 0) fixed.fill(out[out.length - 1]!, out.length);
  return fixed;
}

/** The length resample() returns for `length` samples. */
export function resampledLength(length: number, from: number, to: number): number {
  return from === to ? length : Math.round((length * to) / from);
}
