// Copy-on-write map over every tensor of a model: initializers, Constant node
// values, attribute tensors, sparse tensors, in every graph, subgraph,
// function and training graph. The input model is never modified.
import { CONTAINER_FIELDS, type Kind } from './containers.js';
import type { ModelProto, TensorProto } from './proto.js';

export type TensorMapper = (t: TensorProto) => TensorProto;

export function mapModelTensors(model: ModelProto, fn: TensorMapper): ModelProto {
  return mapMessage('model', model, fn) as ModelProto;
}

function mapMessage(kind: Kind, msg: object, fn: TensorMapper): object {
  if (kind === 'tensor') return fn(msg as TensorProto);
  let copy: Record<string, unknown> | undefined;
  for (const field of CONTAINER_FIELDS[kind]) {
    const value = (msg as Record<string, unknown>)[field.key];
    if (value == null) continue;
    if (field.repeated) {
      const list = value as object[];
      let out: object[] | undefined;
      for (let i = 0; i < list.length; i++) {
        const mapped = mapMessage(field.kind, list[i]!, fn);
        if (mapped !== list[i]) (out ??= list.slice())[i] = mapped;
      }
      if (out) (copy ??= cloneShallow(msg))[field.key] = out;
    } else {
      const mapped = mapMessage(field.kind, value as object, fn);
      if (mapped !== value) (copy ??= cloneShallow(msg))[field.key] = mapped;
    }
  }
  return copy ?? msg;
}

/** A shallow copy that keeps the prototype (defaults) and the own fields, $unknowns included. */
export function cloneShallow<T extends object>(msg: T): T & Record<string, unknown> {
  const copy = Object.create(Object.getPrototypeOf(msg)) as T & Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(msg)) {
    Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(msg, key)!);
  }
  return copy;
}

/** Visit every tensor without copying anything. */
export function forEachModelTensor(model: ModelProto, visit: (t: TensorProto) => void): void {
  mapModelTensors(model, (t) => {
    visit(t);
    return t;
  });
}
