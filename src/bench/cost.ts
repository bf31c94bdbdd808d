// Throughput → money: what a million inferences cost on a machine billed by
// the hour, for one stream of requests run back to back (the throughput the
// latency measurement gives: batch / median latency).

/** Price per hour / (inferences per hour) × 10⁶; null when the throughput is not a positive finite number. */
export function costPerMillion(throughputPerSecond: number, pricePerHour: number): number | null {
  if (!(throughputPerSecond > 0 && Number.isFinite(throughputPerSecond))) return null;
  return (pricePerHour / (throughputPerSecond * 3600)) * 1e6;
}

export interface CostRow {
  /** inferences per run */
  batch: number;
  /** cost of a million inferences with the original model */
  original: number | null;
  /** cost of a million inferences with the quantized model */
  quantized: number | null;
  /** 1 − quantized / original: the share saved (negative when the quantized model costs more) */
  saving: number | null;
}

/** One row per measured batch size. */
export function costRow(batch: number, originalThroughput: number, quantizedThroughput: number, pricePerHour: number): CostRow {
  const original = costPerMillion(originalThroughput, pricePerHour);
  const quantized = costPerMillion(quantizedThroughput, pricePerHour);
  return { batch, original, quantized, saving: original !== null && quantized !== null && original > 0 ? 1 - quantized / original : null };
}
