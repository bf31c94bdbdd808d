// Audio to windows: the same tone stored as 16-bit, 24-bit and float WAV
// gives the same windows; resampling keeps a pure tone's frequency; an
// encoding the reader does not take is refused naming the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { allSamples, openDataset } from '../../src/data/dataset.js';
import { SampleFormatError, SampleSpecError } from '../../src/data/errors.js';
import type { InputSpec } from '../../src/data/validate.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('oq-audio-');

function tone(rate: number, seconds: number, hz: number, amp = 0.5): Float64Array {
  return Float64Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** Writes `samples` (-1..1) as a WAV of the given bit depth ('16', '24', '32f'), on `channels` identical channels. */
function writeWav(file: string, rate: number, samples: Float64Array, depth: '16' | '24' | '32f', channels = 1): void {
  const scale = depth === '32f' ? 1 : 2 ** (Number(depth) - 1) - 1;
  const data = Array.from(samples, (v) => (depth === '32f' ? v : Math.round(v * scale)));
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, depth, channels === 1 ? data : Array.from({ length: channels }, () => data));
  writeFileSync(file, w.toBuffer());
}

const vad: InputSpec[] = [{ name: 'input', dtype: 'float32', shape: [1, 4000] }];

describe('WAV windows', () => {
  it('16-bit, 24-bit and float files of one tone give the same windows (stereo mixed to mono)', async () => {
    const t = tone(16000, 1, 440);
    const windows: Float32Array[][] = [];
    for (const [depth, ch] of [['16', 1], ['24', 2], ['32f', 1]] as const) {
      const file = join(tmp, `tone${depth}.wav`);
      writeWav(file, 16000, t, depth, ch);
      const ds = openDataset(file, vad);
      assert.equal(ds.count, 4);
      const samples = await allSamples(ds);
      assert.deepEqual(samples.map((s) => [s.source, s.sequenceStart]), [0, 1, 2, 3].map((w) => [`${file}@${w}`, w === 0]));
      assert.deepEqual(samples[0]!.inputs.get('input')!.shape, [1, 4000]);
      windows.push(samples.map((s) => s.inputs.get('input')!.data as Float32Array));
    }
    for (let w = 0; w < 4; w++) {
      for (let i = 0; i < 4000; i++) {
        const ref = windows[2]![w]![i]!;
        assert.ok(Math.abs(windows[0]![w]![i]! - ref) <= 1 / 32767, `16-bit window ${w}[${i}]`);
        assert.ok(Math.abs(windows[1]![w]![i]! - ref) <= 1 / 8388607, `24-bit window ${w}[${i}]`);
      }
    }
  });

  it('--hop overlaps windows; --audio-scale int16 multiplies by 32768; a short file gives one zero-padded window', async () => {
    const file = join(tmp, 'hop.wav');
    writeWav(file, 16000, tone(16000, 0.5, 100), '32f');
    const spec: InputSpec[] = [{ name: 'input', dtype: 'float32', shape: [1, 'n'] }];
    const ds = openDataset(file, spec, { audio: { window: 4000, hop: 2000, scale: 'int16' } });
    assert.equal(ds.count, 3); // 8000 samples: starts at 0, 2000, 4000
    const [a, b] = await allSamples(ds);
    const da = a!.inputs.get('input')!.data as Float32Array;
    const db = b!.inputs.get('input')!.data as Float32Array;
    assert.equal(db[0], da[2000]);
    assert.ok(Math.abs(da[40]! - 0.5 * Math.sin((2 * Math.PI * 100 * 40) / 16000) * 32768) < 0.01);
    const short = join(tmp, 'short.wav');
    writeWav(short, 16000, tone(16000, 0.1, 100), '16');
    const [only, ...rest] = await allSamples(openDataset(short, vad));
    assert.equal(rest.length, 0);
    assert.equal((only!.inputs.get('input')!.data as Float32Array)[3999], 0);
  });

  it('resampling 44.1 kHz to 16 kHz keeps a 1 kHz tone at 1 kHz', async () => {
    const file = join(tmp, 'tone44k.wav');
    writeWav(file, 44100, tone(44100, 1, 1000), '32f');
    const ds = openDataset(file, [{ name: 'input', dtype: 'float32', shape: [1, 'n'] }], { audio: { sampleRate: 16000 } });
    const [s] = await allSamples(ds);
    const x = s!.inputs.get('input')!.data as Float32Array;
    assert.equal(x.length, 16000);
    // Frequency from upward zero crossings over the middle half (away from the filter's edges).
    let crossings = 0;
    for (let i = 4001; i < 12000; i++) if (x[i - 1]! < 0 && x[i]! >= 0) crossings++;
    assert.ok(Math.abs(crossings / 0.5 - 1000) <= 4, `${crossings / 0.5} Hz`);
    let peak = 0;
    for (let i = 4000; i < 12000; i++) peak = Math.max(peak, Math.abs(x[i]!));
    assert.ok(Math.abs(peak - 0.5) < 0.01, `amplitude ${peak}`);
  });

  it('refuses an encoding it cannot decode, naming the file; a window that contradicts the input is a usage error', () => {
    const file = join(tmp, 'adpcm2.wav');
    const b = Buffer.alloc(44 + 8);
    b.write('RIFF', 0); b.writeUInt32LE(36 + 8, 4); b.write('WAVE', 8); b.write('fmt ', 12); b.writeUInt32LE(16, 16);
    b.writeUInt16LE(2, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(8000, 24); b.writeUInt32LE(4000, 28); b.writeUInt16LE(256, 32); b.writeUInt16LE(4, 34);
    b.write('data', 36); b.writeUInt32LE(8, 40);
    writeFileSync(file, b);
    assert.throws(() => openDataset(file, vad), (e: unknown) => e instanceof SampleFormatError && e.message.startsWith(`${file}: `) && /format 2|not a WAV/.test(e.message));
    assert.throws(() => openDataset(join(tmp, 'tone16.wav'), vad, { audio: { window: 512 } }),
      (e: unknown) => e instanceof SampleSpecError && /--window 512 contradicts input 'input' of shape \[1,4000\]/.test(e.message));
  });
});
