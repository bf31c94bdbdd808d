// A generated decoder of several GB with its weights in an external data
// file, for the multi-GB quantization benchmark. Llama-shaped: token
// embedding, per layer LayerNorm → Q/K/V projections → multi-head attention
// (no causal mask: the benchmark measures weight streaming, not text) → O
// projection + residual, LayerNorm → gated SiLU MLP (gate, up, down) +
// residual, final LayerNorm and an untied output head. Weights are random
// (uniform, He-scaled) and written straight to the side file tensor by
// tensor, so generating it takes little memory.
//
// `node dist/bench/big-decoder.js out-dir [layers]` writes out-dir/decoder.onnx and decoder.onnx.data.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import { writeParts } from '../src/onnx/file-io.js';
import { DataLocation, onnx, toLong, type NodeProto, type TensorProto } from '../src/onnx/proto.js';

export interface BigDecoderShape {
  vocab: number;
  hidden: number;
  ffn: number;
  heads: number;
  layers: number;
}

/** About 3.2 GiB of float32 weights with 14 layers (TinyLlama's widths). */
export const BIG_DECODER: BigDecoderShape = { vocab: 32000, hidden: 2048, ffn: 5632, heads: 16, layers: 14 };

export function bigDecoderBytes(s: BigDecoderShape): number {
  return 4 * (2 * s.vocab * s.hidden + s.layers * (4 * s.hidden * s.hidden + 3 * s.hidden * s.ffn + 4 * s.hidden) + 2 * s.hidden);
}

/** Writes float tensors into the side file as they are made, 64 KiB aligned (as the saver does). */
class SideFile {
  private readonly fd: number;
  private position = 0;
  private readonly chunk = new Float32Array(16 * 1024 * 1024);
  private seed = 0x9e3779b9;
  readonly tensors: TensorProto[] = [];

  constructor(readonly dir: string, readonly location: string) {
    this.fd = openSync(join(dir, location), 'w');
  }

  /** A tensor of `count` values: uniform in [-bound, bound] (xorshift), or `fill` when given. */
  add(name: string, dims: number[], bound: number, fill?: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const pad = (65536 - (this.position % 65536)) % 65536;
    if (pad) this.write(new Uint8Array(pad));
    const offset = this.position;
    for (let done = 0; done < count;) {
      const n = Math.min(this.chunk.length, count - done);
      const part = this.chunk.subarray(0, n);
      if (fill !== undefined) part.fill(fill);
      else {
        let x = this.seed;
        const scale = (2 * bound) / 4294967296;
        for (let i = 0; i < n; i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          part[i] = (x >>> 0) * scale - bound;
        }
        this.seed = x;
      }
      this.write(new Uint8Array(part.buffer, 0, n * 4));
      done += n;
    }
    this.tensors.push(new onnx.TensorProto({
      name, dims: dims.map((d) => toLong(d)), dataType: DataType.FLOAT, dataLocation: DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: this.location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(count * 4) }],
    }));
    return name;
  }

  private write(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length;) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.position += bytes.length;
  }

  close(): number {
    closeSync(this.fd);
    return this.position;
  }
}

/** Writes `dir`/decoder.onnx and its side file; returns the model's path. */
export function writeBigDecoder(dir: string, s: BigDecoderShape = BIG_DECODER): string {
  const side = new SideFile(dir, 'decoder.onnx.data');
  const small: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const { hidden: h, ffn: f, heads, vocab: v } = s;
  const hd = h / heads;
  const he = (fanIn: number) => Math.sqrt(3 / fanIn);
  const ln = (name: string, x: string): string => {
    const g = side.add(`${name}.weight`, [h], 0, 1);
    const b = side.add(`${name}.bias`, [h], 0, 0);
    nodes.push(makeNode('LayerNormalization', [x, g, b], [`${name}_out`], name, { axis: -1, epsilon: { float: 1e-5 } }));
    return `${name}_out`;
  };
  const matmul = (name: string, x: string, k: number, n: number): string => {
    const w = side.add(`${name}.weight`, [k, n], he(k));
    nodes.push(makeNode('MatMul', [x, w], [`${name}_out`], name));
    return `${name}_out`;
  };
  small.push(makeTensor('heads_shape', [4], BigInt64Array.from([0n, 0n, BigInt(heads), BigInt(hd)])));
  small.push(makeTensor('hidden_shape', [3], BigInt64Array.from([0n, 0n, BigInt(h)])));
  small.push(makeTensor('attn_scale', [], Float32Array.of(1 / Math.sqrt(hd))));

  side.add('embed_tokens.weight', [v, h], 0.02);
  nodes.push(makeNode('Gather', ['embed_tokens.weight', 'input_ids'], ['x0'], 'embed'));
  let x = 'x0';
  for (let l = 0; l < s.layers; l++) {
    const p = `layers.${l}`;
    const a = ln(`${p}.input_layernorm`, x);
    const heads4 = (t: string, perm: number[]): string => {
      nodes.push(makeNode('Reshape', [t, 'heads_shape'], [`${t}_4d`], `${t}_reshape`));
      nodes.push(makeNode('Transpose', [`${t}_4d`], [`${t}_t`], `${t}_transpose`, { perm }));
      return `${t}_t`;
    };
    const q = heads4(matmul(`${p}.self_attn.q_proj`, a, h, h), [0, 2, 1, 3]);
    const k = heads4(matmul(`${p}.self_attn.k_proj`, a, h, h), [0, 2, 3, 1]);
    const vv = heads4(matmul(`${p}.self_attn.v_proj`, a, h, h), [0, 2, 1, 3]);
    nodes.push(
      makeNode('MatMul', [q, k], [`${p}_scores`], `${p}_qk`),
      makeNode('Mul', [`${p}_scores`, 'attn_scale'], [`${p}_scaled`], `${p}_scale`),
      makeNode('Softmax', [`${p}_scaled`], [`${p}_probs`], `${p}_softmax`, { axis: -1 }),
      makeNode('MatMul', [`${p}_probs`, vv], [`${p}_ctx`], `${p}_pv`),
      makeNode('Transpose', [`${p}_ctx`], [`${p}_ctx_t`], `${p}_ctx_transpose`, { perm: [0, 2, 1, 3] }),
      makeNode('Reshape', [`${p}_ctx_t`, 'hidden_shape'], [`${p}_ctx_3d`], `${p}_ctx_reshape`),
    );
    const o = matmul(`${p}.self_attn.o_proj`, `${p}_ctx_3d`, h, h);
    nodes.push(makeNode('Add', [x, o], [`${p}_res1`], `${p}_residual1`));
    const m = ln(`${p}.post_attention_layernorm`, `${p}_res1`);
    const gate = matmul(`${p}.mlp.gate_proj`, m, h, f);
    const up = matmul(`${p}.mlp.up_proj`, m, h, f);
    nodes.push(
      makeNode('Sigmoid', [gate], [`${p}_sig`], `${p}_sigmoid`),
      makeNode('Mul', [gate, `${p}_sig`], [`${p}_silu`], `${p}_silu`),
      makeNode('Mul', [`${p}_silu`, up], [`${p}_gated`], `${p}_gate_mul`),
    );
    const down = matmul(`${p}.mlp.down_proj`, `${p}_gated`, f, h);
    nodes.push(makeNode('Add', [`${p}_res1`, down], [`${p}_out`], `${p}_residual2`));
    x = `${p}_out`;
  }
  const final = ln('norm', x);
  const w = side.add('lm_head.weight', [h, v], he(h));
  nodes.push(makeNode('MatMul', [final, w], ['logits'], 'lm_head'));
  side.close();
  const graph = makeGraph({
    name: 'big_decoder', nodes, initializers: [...small, ...side.tensors],
    inputs: [makeValueInfo('input_ids', DataType.INT64, ['batch', 'sequence'])],
    outputs: [makeValueInfo('logits', DataType.FLOAT, ['batch', 'sequence', v])],
  });
  const file = join(dir, 'decoder.onnx');
  writeParts(file, [encodeModel(makeModel(graph, 17, 8))]);
  return file;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const layers = process.argv[3] ? Number(process.argv[3]) : BIG_DECODER.layers;
  writeBigDecoder(process.argv[2]!, { ...BIG_DECODER, layers });
}
