// Bit packing of block-quantized codes into the byte layouts ONNX Runtime
// reads:
// - MatMulNBits B: uint8 [N, k_blocks, blob_size], blob_size = block_size *
//   bits / 8; codes along K, packed low bits first (4-bit: the first code in
//   the low nibble). With codes stored row by row over padded K, that is the
//   code array packed end to end.
// - MatMulNBits zero points: uint8 [N, ceil(k_blocks * bits / 8)], the same
//   packing per row (each row starts on a new byte).
// - GatherBlockQuantized uint8 data: [rows, K * bits / 8], packed low first
//   along the last axis; zero points [rows, ceil(k_blocks * bits / 8)].
// - ONNX INT4/UINT4 tensors (DequantizeLinear): elements in row-major order,
//   two per byte, the even element in the low nibble.
import { defaultZeroPoint, type BlockQuantized } from './blocks.js';

/** Packs `count` codes of `bits` bits from `codes[offset..]`, low bits first, into `out[at..]`. */
function packRun(codes: Uint8Array, offset: number, count: number, bits: number, out: Uint8Array, at: number): void {
  if (bits === 8) {
    out.set(codes.subarray(offset, offset + count), at);
    return;
  }
  const perByte = 8 / bits;
  const whole = Math.floor(count / perByte);
  if (bits === 4 && (codes.byteOffset + offset) % 4 === 0 && (out.byteOffset + at) % 2 === 0 && whole >= 2) {
    // Four codes a step through 32-bit reads and 16-bit writes (little endian, as typed arrays are here).
    const words = whole >> 1;
    const src = new Uint32Array(codes.buffer, codes.byteOffset + offset, words);
    const dst = new Uint16Array(out.buffer, out.byteOffset + at, words);
    for (let i = 0; i < words; i++) {
      const v = src[i]!;
      dst[i] = (v & 0xf) | ((v >>> 4) & 0xf0) | ((v >>> 8) & 0xf00) | ((v >>> 12) & 0xf000);
    }
    for (let i = words * 2, j = offset + words * 4; i < whole; i++, j += 2) out[at + i] = (codes[j]! & 15) | ((codes[j + 1]! & 15) << 4);
  } else if (bits === 4) {
    for (let i = 0, j = offset; i < whole; i++, j += 2) out[at + i] = (codes[j]! & 15) | ((codes[j + 1]! & 15) << 4);
  } else {
    for (let i = 0, j = offset; i < whole; i++, j += 4) {
      out[at + i] = (codes[j]! & 3) | ((codes[j + 1]! & 3) << 2) | ((codes[j + 2]! & 3) << 4) | ((codes[j + 3]! & 3) << 6);
    }
  }
  // A last, partial byte: the remaining codes in its low bits.
  if (whole * perByte < count) {
    let v = 0;
    for (let j = whole * perByte; j < count; j++) v |= (codes[offset + j]! & ((1 << bits) - 1)) << ((j - whole * perByte) * bits);
    out[at + whole] = v;
  }
}

/** Packs all codes end to end (count must fill whole bytes). */
export function packLowFirst(codes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  packRun(codes, 0, codes.length, bits, out, 0);
  return out;
}

/** Packs `rows` rows of `perRow` codes, each row starting on a byte boundary. */
export function packRows(codes: Uint8Array, rows: number, perRow: number, bits: number): Uint8Array {
  const rowBytes = Math.ceil((perRow * bits) / 8);
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) packRun(codes, r * perRow, perRow, bits, out, r * rowBytes);
  return out;
}

/** MatMulNBits input B: [N, k_blocks, blob_size]. */
export function packMatMulNBitsWeight(q: BlockQuantized): Uint8Array {
  return packLowFirst(q.codes, q.bits);
}

/** MatMulNBits / GatherBlockQuantized integer zero points, packed per row. */
export function packZeroPoints(q: BlockQuantized): Uint8Array {
  if (!q.zeroPoints) throw new Error('packZeroPoints: symmetric blocks have no zero points');
  return packRows(q.zeroPoints, q.n, q.kBlocks, q.bits);
}

/** GatherBlockQuantized uint8 data: [rows, K * bits / 8] (the row's codes without padding). */
export function packGatherData(q: BlockQuantized): Uint8Array {
  const kPad = q.kBlocks * q.blockSize;
  const rowBytes = (q.k * q.bits) / 8;
  if (!Number.isInteger(rowBytes)) throw new Error(`GatherBlockQuantized needs ${8 / q.bits} | ${q.k}`);
  const out = new Uint8Array(q.n * rowBytes);
  for (let r = 0; r < q.n; r++) packRun(q.codes, r * kPad, q.k, q.bits, out, r * rowBytes);
  return out;
}

/**
 * A DequantizeLinear INT4/UINT4 weight [K, N] with scales [k_blocks, N]
 * (block_size along axis 0): `signed` stores code - 2^(bits-1) (INT4, the
 * symmetric form, no zero point), otherwise the code (UINT4, with zero points).
 */
export function packQdqInt4(q: BlockQuantized, signed: boolean): { data: Uint8Array; scales: Float32Array; zeroPoints?: Uint8Array } {
  if (q.bits !== 4) throw new Error('packQdqInt4: 4-bit codes only');
  const { k, n, kBlocks } = q;
  const kPad = kBlocks * q.blockSize;
  const offset = signed ? defaultZeroPoint(4) : 0;
  const data = new Uint8Array(Math.ceil((k * n) / 2));
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const idx = r * n + c;
      const v = (q.codes[c * kPad + r]! - offset) & 0xf;
      data[idx >> 1]! |= (idx & 1) ? v << 4 : v;
    }
  }
  const scales = new Float32Array(kBlocks * n);
  for (let c = 0; c < n; c++) for (let b = 0; b < kBlocks; b++) scales[b * n + c] = q.scales[c * kBlocks + b]!;
  if (signed) return { data, scales };
  if (!q.zeroPoints) throw new Error('packQdqInt4: unsigned codes need zero points');
  const zeroPoints = new Uint8Array(Math.ceil((kBlocks * n) / 2));
  for (let c = 0; c < n; c++) {
    for (let b = 0; b < kBlocks; b++) {
      const idx = b * n + c;
      const v = q.zeroPoints[c * kBlocks + b]! & 0xf;
      zeroPoints[idx >> 1]! |= (idx & 1) ? v << 4 : v;
    }
  }
  return { data, scales, zeroPoints };
}
