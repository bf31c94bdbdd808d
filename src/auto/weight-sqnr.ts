// How well a weight survives int8 per channel: the SQNR (dB) of its worst
// output channel, as the quantizer stores it (symmetric, 7 bits in integer
// kernels with reduce_range, else 8).
import { channelLayout, quantizePerChannel } from '../quant/math/index.js';

export function worstChannelSqnrDb(data: Float32Array, shape: number[], axis: number | null, reduceRange: boolean): number {
  const dims = axis === null ? [1, data.length] : shape;
  const a = axis === null ? 0 : axis;
  const { data: q, scales } = quantizePerChannel(data, dims, a, 'int8', { symmetric: true, reduceRange });
  const l = channelLayout(dims, a);
  const signal = new Float64Array(l.channels);
  const noise = new Float64Array(l.channels);
  for (let o = 0; o < l.outer; o++) {
    for (let c = 0; c < l.channels; c++) {
      const s = scales[c]!;
      const base = (o * l.channels + c) * l.inner;
      for (let i = 0; i < l.inner; i++) {
        const x = data[base + i]!;
        const e = x - q[base + i]! * s;
        signal[c] += x * x;
        noise[c] += e * e;
      }
    }
  }
  let worst = Infinity;
  for (let c = 0; c < l.channels; c++) {
    if (signal[c] === 0) continue;
    const db = noise[c] === 0 ? Infinity : 10 * Math.log10(signal[c]! / noise[c]!);
    if (db < worst) worst = db;
  }
  return worst;
}
