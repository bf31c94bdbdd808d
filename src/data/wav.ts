// WAV files through wavefile (8/16/24/32-bit PCM, 32/64-bit float, A-law,
// mu-law, IMA ADPCM): mixed to mono, as float32 in -1..1.
import wavefile from 'wavefile';
import { SampleFormatError } from './errors.js';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  frames: number;
  /** "16-bit PCM", "32-bit float", ... */
  encoding: string;
}

interface Fmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

const FORMATS: Readonly<Record<number, string>> = { 1: 'PCM', 3: 'float', 6: 'A-law', 7: 'mu-law', 17: 'IMA ADPCM', 65534: 'PCM' };

function open(bytes: Uint8Array, file: string, samples: boolean): InstanceType<typeof wavefile.WaveFile> {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes, samples);
  } catch (err) {
    throw new SampleFormatError(file, `not a WAV file wavefile can read (${(err as Error).message})`);
  }
  const fmt = wav.fmt as Fmt;
  const format = realFormat(wav);
  const supported = (format === 1 && [8, 16, 24, 32].includes(fmt.bitsPerSample)) || (format === 3 && [32, 64].includes(fmt.bitsPerSample))
    || format === 6 || format === 7 || format === 17;
  if (!supported) {
    throw new SampleFormatError(file, `unsupported WAV encoding: format ${format} (${FORMATS[format] ?? 'unknown'}), ${fmt.bitsPerSample}-bit; `
      + 'supported: 8/16/24/32-bit PCM, 32/64-bit float, A-law, mu-law, IMA ADPCM');
  }
  if (!(fmt.sampleRate > 0) || !(fmt.numChannels > 0)) throw new SampleFormatError(file, 'WAV header has no sample rate or channel count');
  return wav;
}

/** The format code, looking through WAVE_FORMAT_EXTENSIBLE to its sub-format (the GUID's first two bytes). */
function realFormat(wav: InstanceType<typeof wavefile.WaveFile>): number {
  const fmt = wav.fmt as Fmt;
  if (fmt.audioFormat !== 65534) return fmt.audioFormat;
  return ((wav.fmt as { subformat?: number[] }).subformat?.[0] ?? 1) & 0xffff;
}

/** The header's facts, without decoding the samples. */
export function wavInfo(bytes: Uint8Array, file: string): WavInfo {
  const wav = open(bytes, file, false);
  const fmt = wav.fmt as Fmt;
  const dataBytes = (wav.data as { chunkSize: number }).chunkSize;
  const format = FORMATS[fmt.audioFormat] ?? String(fmt.audioFormat);
  // ADPCM blocks hold more frames than bytes; ask the decoder instead of guessing.
  const frames = realFormat(wav) === 17 ? decodeWav(bytes, file).samples.length : Math.floor(dataBytes / fmt.blockAlign);
  return { sampleRate: fmt.sampleRate, channels: fmt.numChannels, frames, encoding: `${fmt.bitsPerSample}-bit ${format}` };
}

/** The samples, mixed to mono (the mean of the channels), in -1..1. */
export function decodeWav(bytes: Uint8Array, file: string): { info: Omit<WavInfo, 'frames'>; samples: Float32Array } {
  const wav = open(bytes, file, true);
  const fmt = wav.fmt as Fmt;
  const encoding = `${fmt.bitsPerSample}-bit ${FORMATS[fmt.audioFormat] ?? fmt.audioFormat}`;
  const format = realFormat(wav);
  // Companded and ADPCM data decode to 16-bit PCM first.
  if (format === 6) wav.fromALaw();
  else if (format === 7) wav.fromMuLaw();
  else if (format === 17) wav.fromIMAADPCM();
  const f = wav.fmt as Fmt;
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const chans = Array.isArray(raw) ? raw : [raw];
  // Integer PCM to -1..1: divide by 2^(bits-1) (8-bit WAV is unsigned, centred on 128).
  const bits = f.bitsPerSample;
  const isFloat = format === 3;
  const offset = !isFloat && bits === 8 ? 128 : 0;
  const divisor = isFloat ? 1 : 2 ** (bits - 1);
  const n = chans[0]!.length;
  const out = new Float32Array(n);
  for (const ch of chans) for (let i = 0; i < n; i++) out[i] += (ch[i]! - offset) / divisor;
  if (chans.length > 1) for (let i = 0; i < n; i++) out[i] /= chans.length;
  return { info: { sampleRate: f.sampleRate, channels: chans.length, encoding }, samples: out };
}
