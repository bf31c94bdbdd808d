// The calibration-run settings as plain values (flags, config files) and the
// options quantizeFile takes from them: where to save or load a table, and
// the memory budget for tensors exposed in one run.
import { UsageError } from '../errors.js';

export interface CalibrationValues {
  saveCalibration?: string;
  loadCalibration?: string;
  /** "512MiB", "2GiB", or bytes */
  calibMemory?: string;
}

/** "512MiB", "2GiB", "1.5G", "800M", or bytes. */
export function parseMemorySize(text: string, name: string): number {
  const m = /^\s*([\d.]+)\s*(k|ki|kib|kb|m|mi|mib|mb|g|gi|gib|gb|t|ti|tib|tb|b)?\s*$/i.exec(text);
  const unit = (m?.[2] ?? 'b').toLowerCase()[0]!;
  const n = m ? Number(m[1]) * 1024 ** ({ b: 0, k: 1, m: 2, g: 3, t: 4 } as Record<string, number>)[unit]! : NaN;
  if (!(n >= 1)) throw new UsageError(`${name} must be a size such as 512MiB or 2GiB (got '${text}')`);
  return Math.floor(n);
}

export function calibrationOptionsFrom(v: CalibrationValues): { saveCalibration?: string; loadCalibration?: string; calibMemory?: number } {
  if (v.saveCalibration && v.loadCalibration) throw new UsageError('--save-calibration and --load-calibration exclude each other: a loaded table runs no samples to save');
  return {
    ...(v.saveCalibration ? { saveCalibration: v.saveCalibration } : {}),
    ...(v.loadCalibration ? { loadCalibration: v.loadCalibration } : {}),
    ...(v.calibMemory !== undefined ? { calibMemory: parseMemorySize(v.calibMemory, '--calib-memory') } : {}),
  };
}
