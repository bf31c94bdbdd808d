// Streaming models with state (a VAD, a streaming ASR encoder) take their own
// previous output as an input: `--carry out:in` feeds output `out` of one
// window back as input `in` of the next window of the same file, zero at the
// start of each file, so calibration and evaluation see the states the model
// really runs with instead of zeros every time.
import type ort from 'onnxruntime-node';
import { SampleSpecError } from './errors.js';

export interface CarryPair {
  output: string;
  input: string;
}

/** "state_out:state_in,h:h0" → pairs. @throws SampleSpecError (exit 2) */
export function parseCarry(spec: string): CarryPair[] {
  const pairs = spec.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const m = /^([^:]+):([^:]+)$/.exec(item);
    if (!m) throw new SampleSpecError(`--carry '${spec}': '${item}' is not output:input`);
    return { output: m[1]!.trim(), input: m[2]!.trim() };
  });
  if (pairs.length === 0) throw new SampleSpecError(`--carry '${spec}': give output:input pairs`);
  return pairs;
}

/** Checks the pairs name real outputs and inputs of the model. */
export function checkCarry(pairs: readonly CarryPair[], inputs: readonly string[], outputs: readonly string[], model: string): void {
  for (const p of pairs) {
    if (!outputs.includes(p.output)) throw new SampleSpecError(`--carry ${p.output}:${p.input}: ${model} has no output '${p.output}' (outputs: ${outputs.join(', ')})`);
    if (!inputs.includes(p.input)) throw new SampleSpecError(`--carry ${p.output}:${p.input}: ${model} has no input '${p.input}' (inputs: ${inputs.join(', ')})`);
  }
}

/**
 * The state of one model run over a sequence of windows: feeds() puts the
 * previous window's outputs into the carried inputs (unless the sample
 * starts a file, where the sample's zeros stay), update() keeps this run's.
 */
export class CarryState {
  private readonly held = new Map<string, ort.Tensor>();

  constructor(readonly pairs: readonly CarryPair[]) {}

  /** The outputs each run must fetch. */
  get outputs(): string[] {
    return this.pairs.map((p) => p.output);
  }

  feed(feeds: Record<string, ort.Tensor>, sequenceStart: boolean | undefined): void {
    if (sequenceStart) {
      this.clear();
      return;
    }
    for (const p of this.pairs) {
      const t = this.held.get(p.output);
      if (t) feeds[p.input] = t;
    }
  }

  update(outputs: Record<string, ort.Tensor>): void {
    for (const p of this.pairs) {
      const t = outputs[p.output];
      // The previous state is left to the garbage collector: a caller may still hold it as a feed.
      if (t) this.held.set(p.output, t);
    }
  }

  clear(): void {
    this.held.clear();
  }
}
