// Which ops ONNX Runtime's CPU provider runs in float16 (see
// src/quant/fp16/kernel-probe.ts): one line per op, then the ops that ORT
// wraps in Casts, which is the measured part of the fp16 block list.
import { OP_PROBES, probeOp } from '../src/quant/fp16/kernel-probe.js';

const results = [];
for (const p of OP_PROBES) results.push(await probeOp(p));
for (const r of results) console.log(`${r.op.padEnd(24)} ${r.kernel}${r.detail ? `  ${r.detail.slice(0, 120)}` : ''}`);
console.log(`\nno float16 CPU kernel (ORT inserts Casts): ${results.filter((r) => r.kernel === 'cast').map((r) => r.op).join(', ')}`);
console.log(`refused in float16: ${results.filter((r) => r.kernel === 'error').map((r) => r.op).join(', ') || 'none'}`);
