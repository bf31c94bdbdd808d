// Which values of a float32 model would overflow float16, measured: the model
// runs once on the given feeds with every float value exposed as an output,
// and a value counts when any element's magnitude reaches half of float16's
// largest (32752: no headroom left for the sum it feeds). Magnitudes of 1e30
// and more are mask sentinels (the float32 minimum added to masked scores),
// which the converter clamps, not real overflow.
import ort from 'onnxruntime-node';
import { makeValueInfo } from '../../onnx/build.js';
import { DataType } from '../../onnx/dtypes.js';
import { elementTypes } from '../../onnx/elem-types.js';
import type { Model } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { cloneShallow } from '../../onnx/walk-tensors.js';
import { openSessionFor } from '../ort-session.js';

export const OVERFLOW_LIMIT = 65504 / 2;
const SENTINEL = 1e30;

export async function measureOverflow(model: Model, feeds: Record<string, ort.Tensor>): Promise<{ overflowing: Set<string>; peak: Map<string, number> }> {
  const proto = model.proto;
  const graph = proto.graph!;
  const types = elementTypes(proto);
  const existing = new Set((graph.output ?? []).map((v) => v.name));
  const values = (graph.node ?? []).flatMap((n) => n.output ?? []).filter((o) => o && types.get(o) === DataType.FLOAT && !existing.has(o));
  const g = cloneShallow(graph);
  g.output = [...(graph.output ?? []), ...values.map((v) => makeValueInfo(v, DataType.FLOAT))];
  const copy = cloneShallow(proto) as ModelProto;
  copy.graph = g;
  const session = await openSessionFor(copy, model.file, { logSeverityLevel: 3 });
  const overflowing = new Set<string>();
  const peak = new Map<string, number>();
  try {
    const outputs = await session.run(feeds);
    for (const [name, t] of Object.entries(outputs)) {
      if (t.type !== 'float32') continue;
      let max = 0;
      for (const v of t.data as Float32Array) {
        const a = Math.abs(v);
        if (a > max && a < SENTINEL) max = a;
      }
      peak.set(name, max);
      if (max >= OVERFLOW_LIMIT) overflowing.add(name);
    }
  } finally {
    await session.release();
  }
  return { overflowing, peak };
}
