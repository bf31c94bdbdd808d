// The quality gates a CI script sets: --max-accuracy-drop X (percentage
// points, on the best metric available) and --min-speedup Y. Each is checked
// for every provider benchmarked (and, for speed, every batch size measured);
// a failed check carries a one-line reason.
import type { CompareResult } from './compare.js';

export interface GateOptions {
  /** largest drop allowed, in percentage points (see accuracyGate) */
  maxAccuracyDrop?: number;
  /** smallest speed-up allowed: median(original) / median(quantized) */
  minSpeedup?: number;
}

export interface GateCheck {
  gate: 'max-accuracy-drop' | 'min-speedup';
  /** the execution provider measured */
  provider: string;
  /** the batch size, for min-speedup */
  batch?: number;
  /** what was compared: 'top-1 accuracy drop', 'top-1 disagreement', '1 - cosine', 'speed-up' */
  metric: string;
  /** the measured value (points for accuracy, a ratio for speed-up) */
  value: number;
  threshold: number;
  passed: boolean;
  /** one line saying what was measured against what */
  message: string;
}

/**
 * The accuracy gate on one comparison: labeled top-1 accuracy drop in points
 * when labels were given; else 100 × (1 − top-1 agreement) of the first
 * classifier-shaped output; else 100 × (1 − cosine) of the worst output.
 */
export function accuracyGate(c: Pick<CompareResult, 'accuracy' | 'outputs'>, maxDrop: number, provider = 'cpu'): GateCheck {
  const base = { gate: 'max-accuracy-drop' as const, provider, threshold: maxDrop };
  if (c.accuracy) {
    const value = c.accuracy.drop;
    const passed = value <= maxDrop;
    return { ...base, metric: 'top-1 accuracy drop', value, passed,
      message: `${provider}: top-1 accuracy dropped ${value.toFixed(2)} points (${pct(c.accuracy.original)} → ${pct(c.accuracy.quantized)}), ` +
        `${passed ? 'within' : 'more than'} the ${maxDrop} allowed` };
  }
  const agreement = c.outputs.find((o) => o.top1Agreement !== undefined);
  if (agreement) {
    const value = (1 - agreement.top1Agreement!) * 100;
    const passed = value <= maxDrop;
    return { ...base, metric: 'top-1 disagreement', value, passed,
      message: `${provider}: top-1 agreement on '${agreement.name}' is ${pct(agreement.top1Agreement!)}, ` +
        `${value.toFixed(2)} points below 100% (${passed ? 'within' : 'more than'} the ${maxDrop} allowed; no labels given)` };
  }
  const worst = c.outputs.reduce<{ name: string; cosine: number } | undefined>(
    (w, o) => (!w || !(o.cosine >= w.cosine) ? o : w), undefined);
  const cosine = worst?.cosine ?? NaN;
  const value = (1 - cosine) * 100;
  const passed = value <= maxDrop;
  return { ...base, metric: '1 - cosine', value, passed,
    message: `${provider}: output '${worst?.name ?? '?'}' cosine similarity ${cosine.toFixed(5)}, ` +
      `${passed ? 'at least' : 'below'} the ${(1 - maxDrop / 100).toFixed(4)} that --max-accuracy-drop ${maxDrop} allows (no labels, no classifier output)` };
}

/** The speed-up gate on one measurement. */
export function speedupGate(speedup: number, minSpeedup: number, provider: string, batch: number): GateCheck {
  const passed = speedup >= minSpeedup;
  return { gate: 'min-speedup', provider, batch, metric: 'speed-up', value: speedup, threshold: minSpeedup, passed,
    message: `${provider}, batch ${batch}: speed-up ${speedup.toFixed(2)}× ${passed ? 'reaches' : 'is below'} the ${minSpeedup}× required` };
}

/** Every check for one provider's comparison. */
export function gateChecks(c: Pick<CompareResult, 'accuracy' | 'outputs' | 'latency' | 'batches'>, options: GateOptions, provider: string): GateCheck[] {
  const checks: GateCheck[] = [];
  if (options.maxAccuracyDrop !== undefined) checks.push(accuracyGate(c, options.maxAccuracyDrop, provider));
  if (options.minSpeedup !== undefined) {
    checks.push(speedupGate(c.latency.speedup, options.minSpeedup, provider, c.latency.batch));
    for (const b of c.batches ?? []) {
      if (b.speedup === undefined || b.batch === c.latency.batch) continue;
      checks.push(speedupGate(b.speedup, options.minSpeedup, provider, b.batch));
    }
  }
  return checks;
}

/** The one-line reason a set of checks failed, or undefined when all passed. */
export function gateFailure(checks: readonly GateCheck[]): string | undefined {
  const failed = checks.filter((c) => !c.passed);
  if (failed.length === 0) return undefined;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more failed check${failed.length > 2 ? 's' : ''})` : '';
  return `quality gate failed: ${failed[0]!.message}${more}`;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
