// The command-line options of the low-bit dtypes (q4, q4f16, bnb4, q2,
// q2f16): declared here, read into the library's NBitsOptions. The --dtype
// command picks the format and bit width; these refine it.
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { NBitsOptions } from '../quant/nbits/options.js';

export interface NBitsCliOptions {
  blockSize?: string;
  sym?: boolean;
  accuracyLevel?: string;
  format?: string;
  algorithm?: string;
  quantType?: string;
  embeddings?: boolean;
}

export function addNBitsOptions(program: Command): void {
  program
    .option('--block-size <n>', '4-bit/2-bit: weights per block along K, a power of two >= 16 (default 32; bnb4 64)')
    .option('--sym', '4-bit/2-bit: symmetric blocks, no zero points (default: zero points, measured more accurate)')
    .option('--accuracy-level <n>', 'MatMulNBits accuracy_level: 4 (default: int8 activations inside the kernel, 14x faster on this CPU), 0 (unset), 1 fp32, 2 fp16, 3 bf16')
    .addOption(new Option('--format <format>', '4-bit: matmulnbits (ONNX Runtime\'s MatMulNBits, default) or qdq (standard INT4 DequantizeLinear + MatMul, opset 21, for other runtimes)').choices(['matmulnbits', 'qdq']))
    .addOption(new Option('--algorithm <name>', '4-bit/2-bit: rtn (round to nearest, the default without samples), gptq (error-compensating, from --calibrate samples: the default with them), hqq (data-free error minimisation)').choices(['rtn', 'gptq', 'hqq']))
    .addOption(new Option('--quant-type <type>', 'bnb4: nf4 (default) or fp4 levels').choices(['nf4', 'fp4']))
    .option('--embeddings', '4-bit/2-bit: embedding tables too (GatherBlockQuantized)');
}

/** The low-bit settings the flags give (undefined where not given: the library's defaults apply). */
export function nbitsSettings(o: NBitsCliOptions): NBitsOptions {
  const integer = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(text.trim() !== '' && Number.isInteger(n))) throw new UsageError(`${flag} must be an integer (got '${text}')`);
    return n;
  };
  return {
    ...(o.blockSize !== undefined ? { blockSize: integer('--block-size', o.blockSize) } : {}),
    ...(o.sym ? { symmetric: true } : {}),
    ...(o.accuracyLevel !== undefined ? { accuracyLevel: integer('--accuracy-level', o.accuracyLevel) } : {}),
    ...(o.format === 'qdq' ? { format: 'qdq' as const } : {}),
    ...(o.algorithm ? { algorithm: o.algorithm as NBitsOptions['algorithm'] } : {}),
    ...(o.quantType ? { bnb4Type: o.quantType as NBitsOptions['bnb4Type'] } : {}),
    ...(o.embeddings ? { embeddings: true } : {}),
  };
}

const FLAGS: Record<keyof NBitsCliOptions, string> = {
  blockSize: '--block-size', sym: '--sym', accuracyLevel: '--accuracy-level', format: '--format',
  algorithm: '--algorithm', quantType: '--quant-type', embeddings: '--embeddings',
};

/** The low-bit flags given on the command line. */
export function nbitsFlagsGiven(program: Command): string[] {
  return (Object.keys(FLAGS) as Array<keyof NBitsCliOptions>)
    .filter((key) => program.getOptionValueSource(key) === 'cli')
    .map((key) => FLAGS[key]);
}

/** A low-bit flag without a low-bit dtype to apply to is a usage error, not silently ignored. */
export function refuseNBitsFlags(program: Command, dtypes: readonly string[]): void {
  const given = nbitsFlagsGiven(program);
  if (given.length === 0 || dtypes.some((d) => LOW_BIT.has(d))) return;
  throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to the 4-bit and 2-bit weights: add --dtype q4 (or q4f16, bnb4, q2, q2f16)`);
}

const LOW_BIT = new Set(['q4', 'q4f16', 'bnb4', 'q2', 'q2f16']);
