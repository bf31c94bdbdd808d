// Settings of low-bit weight quantization, their defaults and the checks
// that turn a bad combination into a usage error before any work is done.
import { UsageError } from '../../errors.js';
import type { Bnb4Type } from './bnb4.js';
import type { NBits } from './blocks.js';

/**
 * Where the low-bit weights go:
 * - matmulnbits: com.microsoft MatMulNBits (ONNX Runtime's 4-bit/2-bit kernels);
 * - qdq: standard blocked DequantizeLinear (INT4/UINT4, opset 21) + MatMul, for other runtimes;
 * - bnb4: com.microsoft MatMulBnb4 (NF4 or FP4 levels).
 */
export type NBitsFormat = 'matmulnbits' | 'qdq' | 'bnb4';
export type NBitsAlgorithm = 'rtn' | 'gptq' | 'hqq';

export interface NBitsOptions {
  format?: NBitsFormat;
  /** 4 (default) or 2 (MatMulNBits only). */
  bits?: 2 | 4;
  /** Values per block along K: a power of two >= 16 (default 32; bnb4 64). */
  blockSize?: number;
  /** No zero points (the default has them; see README for the measurement). */
  symmetric?: boolean;
  /** MatMulNBits accuracy_level: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 activations (the default; see README). */
  accuracyLevel?: number;
  /** rtn (default without samples), gptq (default with samples), hqq (data-free). */
  algorithm?: NBitsAlgorithm;
  /** bnb4 levels (default nf4). */
  bnb4Type?: Bnb4Type;
  /** Embedding tables (Gather of a constant table) become GatherBlockQuantized too. */
  embeddings?: boolean;
  /** Node names or op types kept in float. */
  exclude?: string[];
  /** Calibration samples, for gptq. */
  calibrate?: string;
  /** GPTQ dampening, a fraction of the mean Hessian diagonal (default 0.01). */
  dampPercent?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ResolvedNBitsOptions {
  format: NBitsFormat;
  bits: NBits;
  blockSize: number;
  symmetric: boolean;
  /** MatMulNBits only (undefined for the other formats); 0 writes no attribute. */
  accuracyLevel?: number;
  algorithm: NBitsAlgorithm;
  bnb4Type: Bnb4Type;
  embeddings: boolean;
  exclude: string[];
  calibrate?: string;
  dampPercent: number;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_BLOCK_SIZE = 32;
export const DEFAULT_BNB4_BLOCK_SIZE = 64;
export const DEFAULT_ACCURACY_LEVEL = 4;

/** Defaults filled in and every combination checked; throws UsageError naming the option. */
export function resolveNBitsOptions(o: NBitsOptions): ResolvedNBitsOptions {
  const format = o.format ?? 'matmulnbits';
  if (!['matmulnbits', 'qdq', 'bnb4'].includes(format)) throw new UsageError(`--format ${format}: choose matmulnbits, qdq or bnb4`);
  const bits = (o.bits ?? 4) as NBits;
  if (bits !== 4 && bits !== 2) throw new UsageError(`${bits}-bit weights: choose 4 or 2`);
  if (bits === 2 && format !== 'matmulnbits') {
    throw new UsageError(`2-bit weights are written as MatMulNBits only (${format === 'bnb4' ? 'bnb4 is 4-bit by definition' : 'INT2 DequantizeLinear needs opset 25, which ONNX Runtime 1.30 does not run'})`);
  }
  const blockSize = o.blockSize ?? (format === 'bnb4' ? DEFAULT_BNB4_BLOCK_SIZE : DEFAULT_BLOCK_SIZE);
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new UsageError(`--block-size ${blockSize}: ONNX Runtime takes a power of two, 16 or more (16, 32, 64, 128, 256)`);
  }
  const algorithm = o.algorithm ?? (o.calibrate ? 'gptq' : 'rtn');
  if (!['rtn', 'gptq', 'hqq'].includes(algorithm)) throw new UsageError(`--algorithm ${algorithm}: choose rtn, gptq or hqq`);
  if (algorithm === 'gptq' && !o.calibrate) throw new UsageError('--algorithm gptq needs calibration samples (--calibrate): it compensates rounding errors using the inputs each MatMul sees');
  if (format === 'bnb4' && algorithm !== 'rtn') throw new UsageError(`bnb4 levels are fixed (NF4/FP4 of the block's absolute maximum): --algorithm ${algorithm} applies to MatMulNBits and qdq only`);
  const bnb4Type = o.bnb4Type ?? 'nf4';
  if (bnb4Type !== 'nf4' && bnb4Type !== 'fp4') throw new UsageError(`--quant-type ${String(bnb4Type)}: choose nf4 or fp4`);
  if (o.accuracyLevel !== undefined && (!Number.isInteger(o.accuracyLevel) || o.accuracyLevel < 0 || o.accuracyLevel > 4)) {
    throw new UsageError(`--accuracy-level ${o.accuracyLevel}: choose 0 (unset), 1 (fp32), 2 (fp16), 3 (bf16) or 4 (int8)`);
  }
  if (o.accuracyLevel !== undefined && format !== 'matmulnbits') throw new UsageError('--accuracy-level is an attribute of MatMulNBits: it does not apply to --format ' + format);
  if (o.symmetric && algorithm === 'hqq') throw new UsageError('--algorithm hqq fits a zero point per block: it does not combine with --sym');
  const dampPercent = o.dampPercent ?? 0.01;
  if (!(dampPercent > 0 && dampPercent < 1)) throw new UsageError('the GPTQ dampening must be in (0, 1)');
  return {
    format, bits, blockSize,
    symmetric: o.symmetric ?? false,
    // int8 activations inside MatMulNBits: the same bits per byte on the decoder fixture, 14x faster (README).
    accuracyLevel: format === 'matmulnbits' ? o.accuracyLevel ?? DEFAULT_ACCURACY_LEVEL : undefined, algorithm, bnb4Type, embeddings: o.embeddings ?? false,
    exclude: o.exclude ?? [], calibrate: o.calibrate, dampPercent, onProgress: o.onProgress,
  };
}

/** The short name of the setting, for reports and metadata: "int4 sym, block 32, rtn" and the like. */
export function describeNBits(o: ResolvedNBitsOptions): string {
  if (o.format === 'bnb4') return `${o.bnb4Type} (MatMulBnb4), block ${o.blockSize}`;
  const zp = o.symmetric ? 'symmetric' : 'with zero points';
  const where = o.format === 'qdq' ? 'DequantizeLinear INT4 + MatMul' : 'MatMulNBits';
  const acc = o.accuracyLevel ? `, accuracy_level ${o.accuracyLevel}` : '';
  return `${o.bits}-bit ${zp} (${where}), block ${o.blockSize}, ${o.algorithm}${acc}`;
}
